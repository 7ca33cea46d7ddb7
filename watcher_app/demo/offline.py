"""Nothing leaves this machine: in demo mode every network call to another host is refused.

The demo promises it never contacts the internet, whatever the user clicks (a catalogue
platform, an imported declaration, a custom URL) and whatever later features do (catalogue
updates, history backfill). Rather than trusting every caller, the process refuses at the
socket layer with a Python audit hook (PEP 578): name lookups and connections to anything but
the loopback interface raise `OfflineError`, an OSError, which the fetch layer reports like any
unreachable host. Local IPC (Unix sockets: D-Bus notifications, the single-instance socket)
stays allowed.

An audit hook cannot be removed, so the hook is installed once and `activate`/`deactivate`
switch it (tests run demo and non-demo code in one process). Child processes (the app's check
processes) inherit the switch through the environment variable OFFLINE_ENV: `cli.main` turns
the guard on when it is set.
"""

from __future__ import annotations

import os
import sys
import threading
from typing import Any

from watcher_app.loopback import is_loopback_host

OFFLINE_ENV = "GOVERNANCE_WATCHER_OFFLINE"
MESSAGE = "demo mode: nothing leaves this machine, {host} was not contacted"

_lock = threading.Lock()
_installed = False
_active = False
# Events whose first argument is a host name or address.
_NAME_EVENTS = frozenset({"socket.getaddrinfo", "socket.gethostbyname",
                          "socket.gethostbyname_ex", "socket.gethostbyaddr"})
# Events whose arguments are (socket, address).
_ADDRESS_EVENTS = frozenset({"socket.connect", "socket.sendto", "socket.sendmsg"})


class OfflineError(ConnectionRefusedError):
    """A connection to another machine refused in demo mode."""


def active() -> bool:
    """Whether the guard refuses non-loopback traffic now (features that would go online,
    such as catalogue updates or backfill, can check this and skip quietly)."""
    return _active


def activate() -> None:
    global _installed, _active
    with _lock:
        if not _installed:
            sys.addaudithook(_hook)
            _installed = True
        _active = True


def deactivate() -> None:
    global _active
    _active = False


def activate_from_environment() -> None:
    """For the app's child processes: the parent's demo switched the guard on for them (and
    its own password store: see keystore.py)."""
    if os.environ.get(OFFLINE_ENV, "").strip() not in ("", "0"):
        activate()
        from watcher_app.demo.keystore import use_demo_keyring

        use_demo_keyring()


def _refused_host(event: str, args: tuple[Any, ...]) -> str | None:
    """The host this event would reach outside the machine, or None when it stays local."""
    if event in _NAME_EVENTS:
        host = args[0] if args else None
        if host is None or host == "" or is_loopback_host(host):
            return None  # None/"": a wildcard for binding, never a remote lookup
        return str(host)
    if event in _ADDRESS_EVENTS and len(args) >= 2:
        import socket  # (here: `cli.main` imports this module on every command)

        sock, address = args[0], args[-1] if event == "socket.sendmsg" else args[1]
        if getattr(sock, "family", None) not in (socket.AF_INET, socket.AF_INET6):
            return None  # Unix sockets and the like: local IPC
        host = address[0] if isinstance(address, tuple) and address else address
        return None if is_loopback_host(host) else str(host)
    return None


def _hook(event: str, args: tuple[Any, ...]) -> None:
    if not _active or not event.startswith("socket."):
        return
    host = _refused_host(event, args)
    if host is not None:
        raise OfflineError(MESSAGE.format(host=host))
