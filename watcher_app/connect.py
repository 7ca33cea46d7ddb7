"""Connections that obey watcher_app.netguard, judged at connect time: the half of the address
policy that needs the HTTP client (httpcore), kept out of netguard so that the watch list and
the browser renderer can classify addresses without importing it."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterable
from typing import Any

import httpcore

from watcher_app.netguard import WHY, AddressClass, classify, host_class


class AddressRefused(Exception):
    """A connection refused by the address policy; the message is meant for the user."""

    def __init__(self, kind: AddressClass, host: str, address: str) -> None:
        super().__init__(kind, host, address)
        self.kind, self.host, self.address = kind, host, address

    def __str__(self) -> str:
        shown = self.host if self.host == self.address else f"{self.host} ({self.address})"
        return f"{shown} is {WHY.get(self.kind, self.kind)}"


def _resolve(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


class GuardedBackend(httpcore.SyncBackend):
    """An httpcore network backend that resolves the host itself, judges every address and
    connects to an accepted one directly, so what was judged is what gets connected to (a
    second lookup could answer differently: DNS rebinding). ``resolve`` and ``classify`` are
    replaceable for tests, which have no public address to reach."""

    def __init__(self, *, allow_private: bool,
                 resolve: Callable[[str, int], list[str]] = _resolve,
                 classify: Callable[[str], AddressClass] = classify) -> None:
        self.allow_private, self.resolve, self.classify = allow_private, resolve, classify

    def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                    local_address: str | None = None,
                    socket_options: Iterable[Any] | None = None) -> httpcore.NetworkStream:
        if host_class(host) == "forbidden":
            raise AddressRefused("forbidden", host, host)
        try:
            addresses = self.resolve(host, port)
        except OSError as exc:
            raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from None
        refused: AddressRefused | None = None
        failure: Exception | None = None
        for address in addresses:
            kind = self.classify(address)
            if kind == "forbidden" or (kind == "private" and not self.allow_private):
                refused = refused or AddressRefused(kind, host, address)
                continue
            try:
                return super().connect_tcp(address, port, timeout, local_address,
                                           socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
        if failure is not None:
            raise failure
        raise refused or httpcore.ConnectError(f"{host} resolves to no address")
