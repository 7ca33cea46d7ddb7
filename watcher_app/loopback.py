"""Is a host this very machine? (127.0.0.0/8, ::1, localhost)

The check-interval floor and the demo's offline guard both ask: a server on the loopback
interface costs no platform anything and reaches nobody outside this computer.
"""

from __future__ import annotations

from urllib.parse import urlsplit

LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost",
                            "ip6-loopback"})


def is_loopback_host(host: str | bytes | None) -> bool:
    if host is None:
        return False
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    name = host.strip().strip("[]").rstrip(".").lower()
    if name in LOOPBACK_NAMES or name.endswith(".localhost"):
        return True
    import ipaddress  # only for names that are not spelled as loopback already

    try:
        return ipaddress.ip_address(name.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


def is_loopback_url(url: str) -> bool:
    try:
        return is_loopback_host(urlsplit(url).hostname)
    except ValueError:
        return False
