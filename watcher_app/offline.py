"""Is this machine offline? Read from the checks' own recorded failures (no probing, no Qt).

When the network is down every check fails the same way: the name of the host does not resolve
("Name or service not known"), or no route / no connection can be made. Shown per document, that
is a wall of red rows and raw socket errors that say nothing the user can act on, so the app
shows one state instead: "You appear to be offline — checks resume when the network returns."

The rule is deliberately narrow: offline only when *every* document checked failed at the
connection level and *no* host answered (an HTTP error, a blocked page or a verified text all
mean the network works, and then a connection failure is that host's own problem, shown on its
row as before). The next check that reaches any host clears the state.
"""

from __future__ import annotations

from collections.abc import Iterable

OFFLINE_MESSAGE = "You appear to be offline \u2014 checks resume when the network returns."
WAITING_LINE = "Waiting for the network"  # a document's row while offline

# fetch.FetchError codes raised before any byte came back from a server
CONNECTION_CODES = frozenset({"connect-failed"})
# a timeout is connection-level only while connecting (a server that accepted and then went
# silent did answer: fetch.py words the two "timed out connecting to" / "reading from")
CONNECT_TIMEOUT = ("timeout", "timed out connecting")


def is_connection_failure(code: str | None, reason: str | None = None) -> bool:
    """Whether a check's recorded code (and reason) says no connection could be made at all."""
    if code in CONNECTION_CODES:
        return True
    return code == CONNECT_TIMEOUT[0] and (reason or "").startswith(CONNECT_TIMEOUT[1])


def looks_offline(last_checks: Iterable[tuple[str | None, str | None]]) -> bool:
    """`last_checks`: (code, reason) of each watched document's latest check, None for a
    document never checked. Offline when at least one document was checked and every checked
    one failed at the connection level."""
    checked = [(code, reason) for code, reason in last_checks if code is not None]
    return bool(checked) and all(is_connection_failure(c, r) for c, r in checked)


def plain_failure(code: str | None, reason: str | None) -> str:
    """A connection failure in a sentence (the raw socket error goes to a tooltip only)."""
    if code == CONNECT_TIMEOUT[0]:
        return "The site did not answer in time"
    text = (reason or "").lower()
    if "name or service not known" in text or "name resolution" in text \
            or "nodename nor servname" in text or "cannot resolve" in text:
        return "The site's address could not be found"
    if "refused" in text:
        return "The site refused the connection"
    return "Could not connect to the site"
