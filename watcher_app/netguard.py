"""Which network addresses a fetch may reach.

Three classes, judged on the address a connection really goes to (after DNS, so a name that
resolves somewhere new between two checks is judged anew):

- ``forbidden``: never reached. Link-local (169.254.0.0/16, fe80::/10), the cloud metadata
  services, "this network" (0.0.0.0/8, ::), multicast, broadcast and reserved ranges. Nothing
  a user watches lives there, and a metadata service hands out credentials to whoever asks.
- ``private``: loopback, RFC 1918, unique-local, carrier-grade NAT and the other non-global
  ranges. Reached only when the user's own declaration points there (an intranet policy, the
  tests' loopback server), never because a public page redirected there.
- ``public``: everything else.

IPv4 addresses embedded in IPv6 ones (mapped, 6to4, Teredo, NAT64) are judged as the IPv4
address they carry: ``::ffff:169.254.169.254`` is the metadata service too.

No HTTP client here (the watch list and the browser renderer use it too); the connect-time
enforcement is watcher_app.connect.
"""

from __future__ import annotations

import ipaddress
import socket
from typing import Literal
from urllib.parse import urlsplit

AddressClass = Literal["public", "private", "forbidden"]
Address = ipaddress.IPv4Address | ipaddress.IPv6Address

# Cloud metadata services, by address and by the names their platforms give them.
METADATA_ADDRESSES = frozenset(ipaddress.ip_address(a) for a in (
    "169.254.169.254",  # AWS, GCP, Azure, OpenStack, DigitalOcean, Oracle...
    "169.254.170.2",  # AWS ECS task credentials
    "fd00:ec2::254",  # AWS IMDS over IPv6 (a unique-local address: not link-local)
    "100.100.100.200",  # Alibaba Cloud (inside the carrier-grade NAT range)
    "192.0.0.192",  # Oracle Cloud Classic
))
METADATA_HOSTS = frozenset({
    "metadata", "metadata.google.internal", "metadata.goog", "instance-data",
    "instance-data.ec2.internal", "metadata.tencentyun.com", "metadata.platformequinix.com",
})
_THIS_NETWORK = ipaddress.ip_network("0.0.0.0/8")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")

WHY = {
    "forbidden": "a link-local or cloud metadata address, which is never fetched",
    "private": "a private or loopback address",
}


def _embedded_v4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]  # (server, client): the client is where packets end up
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def classify(ip: Address | str) -> AddressClass:
    """The class of one address (see the module docstring)."""
    if isinstance(ip, str):
        ip = ipaddress.ip_address(ip.split("%", 1)[0])  # an IPv6 zone id names an interface
    if isinstance(ip, ipaddress.IPv6Address) and (inner := _embedded_v4(ip)) is not None:
        return classify(inner)
    if ip in METADATA_ADDRESSES or ip.is_link_local or ip.is_multicast or ip.is_unspecified:
        return "forbidden"
    if isinstance(ip, ipaddress.IPv4Address) and (
            ip in _THIS_NETWORK or ip.is_reserved or ip == ipaddress.IPv4Address(
                "255.255.255.255")):
        return "forbidden"
    if ip.is_loopback or not ip.is_global:
        return "private"
    return "public"


def host_class(host: str) -> AddressClass | None:
    """The class of a URL's host as written, without any DNS lookup: an IP literal's class,
    "private" for localhost names, "forbidden" for metadata names, None for other names
    (their class is only known once they resolve)."""
    name = host.strip().strip("[]").rstrip(".").lower()
    if not name:
        return None
    if name in METADATA_HOSTS:
        return "forbidden"
    if name == "localhost" or name.endswith(".localhost"):
        return "private"
    try:
        return classify(name)
    except ValueError:
        pass
    # Forms that inet_aton accepts and browsers too: 2852039166, 0xa9.0xfe.0xa9.0xfe, 0251.0376...
    try:
        packed = socket.inet_aton(name)
    except (OSError, ValueError):
        return None
    return classify(ipaddress.IPv4Address(packed))


def url_class(url: str) -> AddressClass | None:
    """host_class of a URL's host (None when there is no host or it is a plain name)."""
    try:
        host = urlsplit(url.strip()).hostname
    except ValueError:
        return None
    return host_class(host) if host else None


def is_loopback_host(host: str) -> bool:
    """A host that can only be this machine, as written (for "Basic auth over plain http is
    refused, except to this machine")."""
    name = host.strip().strip("[]").rstrip(".").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name.split("%", 1)[0]).is_loopback
    except ValueError:
        return False
