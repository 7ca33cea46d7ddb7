"""A fake `org.freedesktop.Notifications` service on a (private) bus, served by jeepney in a
thread. It records every Notify call so a test can assert what the user would have seen."""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass, field
from typing import Any

from jeepney import HeaderFields, Message, MessageType, new_error, new_method_return
from jeepney.bus_messages import message_bus
from jeepney.io.blocking import DBusConnection, open_dbus_connection

NAME = "org.freedesktop.Notifications"
INTERFACE = "org.freedesktop.Notifications"


@dataclass
class Notification:
    app_name: str
    replaces_id: int
    app_icon: str
    summary: str
    body: str
    actions: list[str]
    hints: dict[str, tuple[str, Any]]
    expire_timeout: int

    @property
    def urgency(self) -> int | None:
        hint = self.hints.get("urgency")
        return None if hint is None else hint[1]  # a variant arrives as (signature, value)


@dataclass
class FakeNotificationServer:
    """Use as a context manager. `mode`: "ok" answers Notify with an id, "error" with a D-Bus
    error, "zero" with the invalid id 0."""

    address: str
    mode: str = "ok"
    capabilities: tuple[str, ...] = ("body",)
    received: list[Notification] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._ids = itertools.count(1)
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._serve, name="fake-notifications",
                                        daemon=True)
        self._received_event = threading.Condition()

    def __enter__(self) -> FakeNotificationServer:
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("the fake notification service did not start")
        if self._error is not None:
            raise RuntimeError("the fake notification service failed") from self._error
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)

    def wait_for(self, count: int, timeout: float = 5.0) -> list[Notification]:
        with self._received_event:
            self._received_event.wait_for(lambda: len(self.received) >= count, timeout)
            return list(self.received)

    # --- the service ------------------------------------------------------------------------

    def _serve(self) -> None:
        try:
            conn = open_dbus_connection(self.address)
            reply = conn.send_and_get_reply(message_bus.RequestName(NAME), timeout=5)
            if reply.body[0] != 1:  # 1: became the primary owner
                raise RuntimeError(f"could not own {NAME}: {reply.body}")
        except BaseException as exc:  # noqa: BLE001 - handed to __enter__
            self._error = exc
            self._ready.set()
            return
        self._ready.set()
        with conn:
            while not self._stop.is_set():
                try:
                    msg = conn.receive(timeout=0.05)
                except TimeoutError:
                    continue
                if msg.header.message_type == MessageType.method_call:
                    self._answer(conn, msg)

    def _answer(self, conn: DBusConnection, msg: Message) -> None:
        member = msg.header.fields.get(HeaderFields.member)
        interface = msg.header.fields.get(HeaderFields.interface)
        if interface not in (INTERFACE, None):
            conn.send_message(new_error(msg, "org.freedesktop.DBus.Error.UnknownInterface"))
        elif member == "GetServerInformation":
            conn.send_message(new_method_return(msg, "ssss", ("fake", "tests", "1.0", "1.2")))
        elif member == "GetCapabilities":
            conn.send_message(new_method_return(msg, "as", (list(self.capabilities),)))
        elif member == "Notify":
            with self._received_event:
                self.received.append(Notification(*msg.body))
                self._received_event.notify_all()
            if self.mode == "error":
                conn.send_message(new_error(msg, "org.freedesktop.DBus.Error.Failed", "s",
                                            ("refused by the test",)))
            else:
                ident = 0 if self.mode == "zero" else next(self._ids)
                conn.send_message(new_method_return(msg, "u", (ident,)))
        else:
            conn.send_message(new_error(msg, "org.freedesktop.DBus.Error.UnknownMethod"))
