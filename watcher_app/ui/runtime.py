"""The Qt runtime helpers: work-arounds for the binding, and running blocking work off the GUI
thread (`run_task`).

PySide6 6.12.0's stable-ABI wheels (cp310-abi3), when run on CPython 3.10/3.11, hand back
None, True and False without taking a new reference: every call of a void method
(`widget.hide()`), every Python-side `signal.emit()` and every empty QVariant returned to Python
(`index.data()` of an unset role) drops one reference to the singleton. CPython 3.12+ made
these objects immortal, so the bug is invisible there; on 3.11 the interpreter aborts with
"Fatal Python error: none_dealloc" after a few thousand calls, i.e. within a minute of use.

The fix gives those singletons a reference count so large that no session can exhaust it,
which is exactly what 3.12 does natively; it never frees or changes anything else.
"""

from __future__ import annotations

import ctypes
import functools
import logging
import sys
import traceback
from collections.abc import Callable
from typing import Any, TypeVar

from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, Signal, Slot

log = logging.getLogger(__name__)
F = TypeVar("F", bound=Callable[..., Any])

_HEADROOM = 1 << 50  # ~10^15 dropped references before trouble: centuries of clicking
_SINGLETONS = (None, True, False, NotImplemented, Ellipsis)


def needs_refcount_guard() -> bool:
    """Only PySide6 6.12 on a release CPython before 3.12 (a debug build has another object
    layout). pyproject pins PySide6 below 6.12; this protects an install that got 6.12 anyway."""
    import PySide6

    return (PySide6.__version__.startswith("6.12") and sys.implementation.name == "cpython"
            and sys.version_info < (3, 12) and not hasattr(sys, "gettotalrefcount"))


def guard_singleton_refcounts() -> bool:
    """Raise the reference counts of the built-in singletons well out of reach of the leak.
    Idempotent; returns whether anything was done."""
    if not needs_refcount_guard():
        return False
    for obj in _SINGLETONS:
        # ob_refcnt is the first field of every object in a release build of CPython 3.11.
        count = ctypes.c_ssize_t.from_address(id(obj))
        if count.value < _HEADROOM:
            count.value += _HEADROOM
    return True


def guarded(fallback: Callable[[], Any] | None = None) -> Callable[[F], F]:
    """Decorate a Python override of a C++ virtual (paint, data, an event handler). This PySide
    build crashes while *reporting* an exception that escapes such an override on CPython 3.11
    (PepException_GetArgs), which would turn any bug in a delegate into a segfault. Log the
    traceback instead and return `fallback()` (None by default), so the app keeps running."""

    def decorate(func: F) -> F:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                return func(*args, **kwargs)
            except Exception:  # noqa: BLE001 - see above: anything, logged
                log.exception("%s failed", func.__qualname__)
                return fallback() if fallback is not None else None

        return wrapper  # type: ignore[return-value]

    return decorate


# --- off the GUI thread ---------------------------------------------------------------------
#
# run_task(func, on_done, on_error) runs `func` in the global QThreadPool and delivers its result
# on the GUI thread through a queued signal. The carrier has no parent; the registry keeps it
# alive until delivery (the QRunnable deletes itself when it finishes).

_LIVE: set[_Carrier] = set()


class _Carrier(QObject):
    done = Signal(object)
    failed = Signal(str)
    progress = Signal(str)


class Task(QRunnable):
    """One call of `func(report)`; `report(text)` posts a progress message to the GUI."""

    def __init__(self, func: Callable[[Callable[[str], None]], Any]) -> None:
        super().__init__()
        self.func = func
        self.carrier = _Carrier()
        self.setAutoDelete(True)

    @Slot()
    def run(self) -> None:
        carrier = self.carrier
        try:
            result = self.func(carrier.progress.emit)
        except Exception as exc:  # noqa: BLE001 - any failure is shown to the user
            detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
            carrier.failed.emit(detail)
        else:
            carrier.done.emit(result)


def run_task(func: Callable[[Callable[[str], None]], Any],
             on_done: Callable[[Any], None],
             on_error: Callable[[str], None] | None = None,
             on_progress: Callable[[str], None] | None = None) -> Task:
    """Start `func` in the thread pool; the callbacks run on the GUI thread. Pass bound methods
    of widgets: PySide disconnects them when the widget is destroyed, so a dialog closed while
    its task runs is simply never called back."""
    task = Task(func)
    carrier = task.carrier  # created here, so it lives in (and delivers to) the GUI thread
    _LIVE.add(carrier)
    queued = Qt.ConnectionType.QueuedConnection

    def release(*_: object) -> None:
        _LIVE.discard(carrier)

    carrier.done.connect(on_done, queued)
    if on_error is not None:
        carrier.failed.connect(on_error, queued)
    if on_progress is not None:
        carrier.progress.connect(on_progress, queued)
    carrier.done.connect(release, queued)
    carrier.failed.connect(release, queued)
    QThreadPool.globalInstance().start(task)
    return task


def wait_all(timeout_ms: int = 10000) -> bool:
    """Wait for every pooled task (tests and shutdown)."""
    return QThreadPool.globalInstance().waitForDone(timeout_ms)
