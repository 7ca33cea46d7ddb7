"""HTTP fetch layer: one polite, bounded GET per call, with failures as stable reason codes.

Enforced here, not by callers: http/https only (before any I/O and on every redirect hop);
the address each connection really goes to (netguard: link-local and metadata addresses never,
private ones only when the user's own URL starts there, never after a public hop); credentials
only to the origin they were entered for; bodies streamed and counted raw *and* decompressed,
so a huge body or a compression bomb is cut off at ``max_bytes``, never held whole; one request
at a time per host in the process; transient failures retried with backoff, honouring
``Retry-After`` up to a cap. Only response headers that carry no secret are returned (and
so stored): never Set-Cookie or anything token-like."""

from __future__ import annotations

import contextlib
import dataclasses
import email.utils
import functools
import re
import ssl
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpcore
import httpx

from watcher_app import __version__
from watcher_app.charset import decode_html  # noqa: F401 - re-exported: fetch.decode_html
from watcher_app.connect import AddressRefused, GuardedBackend
from watcher_app.netguard import AddressClass, classify, is_loopback_host

_brotli: Any = None
with contextlib.suppress(ImportError):
    # rebinds the Any declared above (None when brotli is missing): mypy sees a redefinition
    import brotli as _brotli  # type: ignore[no-redef]
if _brotli is not None and not hasattr(_brotli.Decompressor, "can_accept_more_data"):
    _brotli = None  # brotli < 1.2 cannot bound its output: a "br" bomb would be unbounded
_BROTLI_ERRORS: tuple[type[BaseException], ...] = (_brotli.error,) if _brotli else ()
_DECODE_ERRORS: tuple[type[BaseException], ...] = (zlib.error, *_BROTLI_ERRORS)

DEFAULT_USER_AGENT = (
    f"GovernanceWatcher/{__version__} "
    "(+https://github.com/governance-watcher; policy change monitor)"
)
_ACCEPT = "text/html,application/xhtml+xml,application/pdf;q=0.9,*/*;q=0.5"
_ACCEPT_ENCODING = "gzip, deflate" + (", br" if _brotli is not None else "")
_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
_TRANSIENT = frozenset({"timeout", "connect-failed", "connection-reset", "truncated"})
_SCHEME_RE = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*):")
_CHUNK = 64 * 1024  # decompressed output is produced in slices of at most this size
# Response headers worth keeping with a snapshot: a whitelist, because the headers that carry
# secrets (Set-Cookie, tokens, signed URLs, vendor session headers) have no fixed names.
KEPT_HEADERS = frozenset({
    "content-type", "content-length", "content-encoding", "content-language",
    "content-disposition", "date", "last-modified", "etag", "expires", "cache-control", "age",
    "vary", "retry-after", "server", "x-governance-watcher-rendered-by",
})
# Request headers that carry credentials: sent only to the origin they are bound to.
CREDENTIAL_HEADERS = frozenset({"authorization", "cookie", "proxy-authorization"})

# Politeness: one in-flight request per host name for the whole process, whichever Fetcher
# makes it. Keyed by host name, not port: the port rarely changes who pays for the load.
_HOST_LOCKS: dict[str, threading.Lock] = {}
_HOST_LOCKS_GUARD = threading.Lock()


@dataclass(frozen=True)
class FetchResult:
    url: str
    status: int
    headers: dict[str, str]
    body: bytes
    content_type: str
    charset: str | None
    not_modified: bool
    elapsed_s: float
    attempts: int
    redirects: tuple[str, ...]


def kept_headers(headers: dict[str, str]) -> dict[str, str]:
    """The whitelisted subset of response headers (names lower-cased)."""
    return {k.lower(): v for k, v in headers.items() if k.lower() in KEPT_HEADERS}


def origin_of(url: str | httpx.URL) -> str:
    """scheme://host:port with the default port spelled out: what credentials are bound to."""
    try:
        parsed = url if isinstance(url, httpx.URL) else httpx.URL(str(url).strip())
    except (httpx.InvalidURL, ValueError, TypeError):
        return ""
    if not parsed.host:
        return ""
    port = parsed.port or {"http": 80, "https": 443}.get(parsed.scheme, 0)
    host = f"[{parsed.host}]" if ":" in parsed.host else parsed.host
    return f"{parsed.scheme}://{host.lower()}:{port}"


class BoundHeaders(dict[str, str]):
    """Request headers carrying credentials, with the origin they may be sent to."""

    def __init__(self, headers: dict[str, str], origin: str) -> None:
        super().__init__(headers)
        self.origin = origin


class FetchError(Exception):
    """A fetch that did not yield a usable document; ``reason`` is a stable short code."""

    #: Seconds the server asked us to wait (429/503 Retry-After), for the scheduler's benefit.
    retry_after_s: float | None = None

    def __init__(self, reason: str, detail: str, status: int | None = None) -> None:
        super().__init__(reason, detail, status)  # keep every argument so the error pickles
        self.reason, self.detail, self.status = reason, detail, status

    def __str__(self) -> str:
        return f"{self.reason}: {self.detail}"


class _Stage:
    """A decompression layer emitting at most ``_CHUNK`` bytes at a time. (httpx's decoders
    inflate a whole read at once: 64 KB of gzip bomb would be ~64 MB before we could count.)"""

    def __init__(self, encoding: str) -> None:
        self._br = _brotli.Decompressor() if encoding == "br" else None
        self._sniff_deflate = encoding == "deflate"
        self._z = zlib.decompressobj(zlib.MAX_WBITS | (16 if encoding in ("gzip", "x-gzip") else 0))

    def run(self, source: Iterator[bytes]) -> Iterator[bytes]:
        for data in source:
            if self._sniff_deflate and data:
                # "deflate" is often sent raw, without the zlib header; sniff like browsers do.
                self._sniff_deflate = False
                if len(data) < 2 or data[0] & 0x0F != 8 or (data[0] << 8 | data[1]) % 31:
                    self._z = zlib.decompressobj(-zlib.MAX_WBITS)
            while True:  # drain until the input is used up and nothing is pending inside
                if self._br is not None:
                    out, data = self._br.process(data, max_output_length=_CHUNK), b""
                else:
                    out, data = self._z.decompress(data, _CHUNK), self._z.unconsumed_tail
                if out:
                    yield out
                if not data and len(out) < _CHUNK:
                    break
        if not (self._br.is_finished() if self._br is not None else self._z.eof):
            raise zlib.error("compressed stream ends early")


def _credentials_for(url: httpx.URL, secret: dict[str, str], bound: str) -> dict[str, str]:
    """The credential headers this hop may carry: none off their origin, and no Basic
    password in clear text over http unless the host is this machine."""
    if not secret or origin_of(url) != bound:
        return {}
    if url.scheme == "http" and not is_loopback_host(url.host):
        return {k: v for k, v in secret.items()
                if not (k.lower() == "authorization" and v.lower().startswith("basic "))}
    return dict(secret)


def _peer_class(response: httpx.Response, classify: Callable[[str], AddressClass]
                ) -> AddressClass | None:
    """The class of the address a response came from (None when the stream does not say)."""
    stream = response.extensions.get("network_stream")
    try:
        address = stream.get_extra_info("server_addr") if stream is not None else None
        return classify(str(address[0])) if address else None
    except (ValueError, TypeError, IndexError, OSError):
        return None


def _transport_error(exc: httpx.HTTPError, url: str, in_body: bool) -> FetchError:
    """Map httpx's exception zoo onto our reason codes; ``in_body``: headers already read."""
    if isinstance(exc, httpx.TimeoutException):
        phase = "connecting to" if isinstance(exc, httpx.ConnectTimeout) else "reading from"
        return FetchError("timeout", f"timed out {phase} {url}")
    cause: BaseException | None = exc
    for _ in range(10):  # httpx wraps httpcore wraps ssl: look a few causes deep
        if isinstance(cause, ssl.SSLError):
            return FetchError("tls", f"TLS failure with {url}: {cause}")
        cause = cause and (cause.__cause__ or cause.__context__)
    if isinstance(exc, httpx.InvalidURL | httpx.LocalProtocolError | httpx.UnsupportedProtocol):
        return FetchError("invalid-url", f"cannot build a request for {url}: {exc}")
    if in_body:
        return FetchError("truncated", f"body from {url} ended early: {exc}")
    if isinstance(exc, httpx.ConnectError | httpx.ProxyError):
        return FetchError("connect-failed", f"cannot connect to {url}: {exc}")
    return FetchError("connection-reset", f"{url} dropped the connection: {exc}")


def _check_url(raw: str, context: str = "") -> httpx.URL:
    """Validate before any I/O: the scheme first (cheap, security-relevant), then syntax."""
    text = raw.strip() if isinstance(raw, str) else ""
    match = _SCHEME_RE.match(text)
    if not match:
        raise FetchError("invalid-url", f"not an absolute URL{context}: {raw!r}")
    if match.group(1).lower() not in ("http", "https"):
        raise FetchError("unsupported-scheme", f"only http/https are fetched{context}: {raw!r}")
    try:
        if any(ch.isspace() or ord(ch) < 32 for ch in text):
            raise ValueError("whitespace or control characters")
        url = httpx.URL(text)
    except (httpx.InvalidURL, ValueError, TypeError) as exc:
        raise FetchError("invalid-url", f"cannot use URL{context} {raw!r}: {exc}") from None
    if not url.host:
        raise FetchError("invalid-url", f"URL has no host{context}: {raw!r}")
    return url.copy_with(fragment=None)  # fragments are never sent; they must not hide loops


def _redirect_target(current: httpx.URL, location: str) -> httpx.URL:
    location, context = location.strip(), f" (redirect from {current})"
    if _SCHEME_RE.match(location):  # absolute: judge the scheme before parsing anything
        return _check_url(location, context)
    try:
        joined = str(current.join(location))
    except (httpx.InvalidURL, ValueError, TypeError) as exc:
        raise FetchError("invalid-url", f"{current} redirects to {location!r}: {exc}") from None
    return _check_url(joined, context)


def _retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or HTTP-date); None when unusable."""
    value = (value or "").strip()
    if value.isdigit():
        return float(value)
    with contextlib.suppress(TypeError, ValueError, IndexError):
        when = email.utils.parsedate_to_datetime(value)
        return max(0.0, when.replace(tzinfo=when.tzinfo or UTC).timestamp() - time.time())
    return None


def _media_type(header: str) -> tuple[str, str | None]:
    media, *params = header.split(";")
    pairs = (p.partition("=") for p in params)
    found = [v.strip().strip("\"'") for k, _, v in pairs if k.strip().lower() == "charset"]
    return media.strip().lower(), next((c for c in found if c), None)


def _classify(media: str, head: bytes, url: str) -> str:
    """The content type to report, or FetchError("binary-content") for what we cannot read."""
    if head.startswith(b"%PDF-"):
        return "application/pdf"  # the magic wins over a lying or generic header
    if media.startswith("text/") or media.endswith(("/xml", "+xml", "/pdf")):
        return media
    if not media and b"\x00" not in head[:1024]:  # unlabelled text: sniff, do not refuse
        sample = head[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
        html = sample.startswith((b"<!doctype html", b"<html", b"<head", b"<body", b"<!--"))
        return "text/html" if html else "text/plain"
    raise FetchError("binary-content", f"{url} is {media or 'unlabelled binary'}, not a document")


@functools.cache
def _ssl_context() -> ssl.SSLContext:
    """httpx's verifying context (certifi's CAs), built once per process: loading the CA file
    costs ~30 ms, and every Fetcher has two pools (see below)."""
    return httpx.create_ssl_context()


class Fetcher:
    """Polite, bounded HTTP GETs. Thread-safe: share one per process or make several."""

    def __init__(self, *, timeout_s: float = 20.0, connect_timeout_s: float = 10.0,
                 max_redirects: int = 5, max_bytes: int = 15 * 1024 * 1024, retries: int = 2,
                 backoff_s: float = 1.0, max_retry_after_s: float = 120.0,
                 user_agent: str = DEFAULT_USER_AGENT,
                 sleep: Callable[[float], None] = time.sleep,
                 network: dict[str, Any] | None = None) -> None:  # fmt: skip
        self._timeout_s, self._connect_timeout_s = timeout_s, connect_timeout_s
        self._max_redirects, self._max_bytes = max_redirects, max_bytes
        self._retries, self._backoff_s, self._sleep = retries, backoff_s, sleep
        self._max_retry_after_s = max_retry_after_s
        headers = {"User-Agent": user_agent, "Accept": _ACCEPT}
        headers |= {"Accept-Encoding": _ACCEPT_ENCODING, "Accept-Language": "en-US,en;q=0.8"}
        timeout = httpx.Timeout(timeout_s, connect=connect_timeout_s)
        # Requests go straight to a transport: even when not following, Client.send parses
        # each Location itself (raising on odd ones) before we could judge it. Two pools: a
        # fetch whose first hop reached a public address continues on the public-only one, so
        # no pooled connection to a private address can be reused after a public hop.
        self._classify = (network or {}).get("classify", classify)
        self._transport = self._guarded(allow_private=True, **(network or {}))
        self._public = self._guarded(allow_private=False, **(network or {}))
        self._client = httpx.Client(headers=headers, timeout=timeout, transport=self._transport)

    @staticmethod
    def _guarded(allow_private: bool, **network: Any) -> httpx.HTTPTransport:
        ssl_context = _ssl_context()
        transport = httpx.HTTPTransport(verify=ssl_context)
        limits = httpx.Limits(max_connections=100, max_keepalive_connections=20,
                              keepalive_expiry=5.0)  # httpx's defaults
        transport._pool = httpcore.ConnectionPool(  # noqa: SLF001 - httpx offers no hook
            ssl_context=ssl_context, max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=GuardedBackend(allow_private=allow_private, **network))
        return transport

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self._client.close()
        self._public.close()

    def fetch(self, url: str, *, etag: str | None = None, last_modified: str | None = None,
              extra_headers: dict[str, str] | None = None) -> FetchResult:  # fmt: skip
        """GET ``url``, following redirects by hand so every hop is checked like the first.

        Credential headers in ``extra_headers`` go only to the origin they are bound to
        (``BoundHeaders.origin``; for a plain dict, the origin of ``url``), and Basic
        credentials never over plain http except to this machine."""
        started = time.monotonic()
        current = _check_url(url)
        given = dict(extra_headers or {})
        bound = getattr(extra_headers, "origin", None) or origin_of(current)
        secret = {k: v for k, v in given.items() if k.lower() in CREDENTIAL_HEADERS}
        base = {k: v for k, v in given.items() if k not in secret}
        conditional = {"If-None-Match": etag, "If-Modified-Since": last_modified}
        base.update({name: value for name, value in conditional.items() if value})
        redirects: list[str] = []
        budget = [0, 0]  # [requests made, retries used], shared by all hops of this fetch
        public_only = False  # set once a hop reached a public address
        while True:
            headers = base | _credentials_for(current, secret, bound)
            answer, peer = self._hop(current, headers, budget, public_only)
            public_only = public_only or peer != "private"  # unknown counts as public
            if answer.status not in _REDIRECT_STATUSES:
                break
            nxt = _redirect_target(current, answer.headers["location"])
            redirects.append(str(current))
            if str(nxt) in redirects:
                raise FetchError("redirect-loop", f"{current} redirects back to {nxt}")
            if len(redirects) > self._max_redirects:
                raise FetchError("too-many-redirects", f"{url}: over {self._max_redirects} hops")
            current = nxt
        return dataclasses.replace(answer, elapsed_s=time.monotonic() - started,
                                   attempts=budget[0], redirects=tuple(redirects))  # fmt: skip

    def _hop(self, url: httpx.URL, headers: dict[str, str], budget: list[int],
             public_only: bool) -> tuple[FetchResult, AddressClass | None]:
        """One URL, retried. The host lock is held through the backoff sleeps on purpose: a
        host that just said "slow down" must not get our other queued requests meanwhile."""
        with _HOST_LOCKS_GUARD:
            host_lock = _HOST_LOCKS.setdefault(url.host.lower(), threading.Lock())
        with host_lock:
            while True:
                budget[0] += 1
                try:
                    return self._attempt(url, headers, public_only)
                except FetchError as err:
                    if err.reason not in _TRANSIENT and err.status not in _RETRY_STATUSES:
                        raise
                    wait = err.retry_after_s  # a server's explicit wish beats our backoff
                    if wait is not None and wait > self._max_retry_after_s:
                        when = datetime.now(UTC) + timedelta(seconds=wait)
                        err.detail += (
                            f"; asked to wait {wait:.0f} s, over our {self._max_retry_after_s:.0f}"
                            f" s cap: retry after {when:%Y-%m-%d %H:%M:%S} UTC"
                        )
                        raise
                    delay = self._backoff_s * 2 ** budget[1] if wait is None else wait
                    if budget[1] >= self._retries:
                        raise
                    budget[1] += 1
                    self._sleep(delay)

    def _attempt(self, url: httpx.URL, headers: dict[str, str], public_only: bool
                 ) -> tuple[FetchResult, AddressClass | None]:
        """One request, and the class of the address it reached. Redirects come back as a
        bodiless result; fetch() follows them."""
        # A whole attempt is capped too: a server trickling one byte per second would never
        # trip httpx's per-read timeout.
        deadline = time.monotonic() + self._connect_timeout_s + self._timeout_s
        transport = self._public if public_only else self._transport
        try:
            response = transport.handle_request(
                self._client.build_request("GET", url, headers=headers))  # fmt: skip
        except AddressRefused as exc:
            if exc.kind == "forbidden":
                raise FetchError("forbidden-address", f"refused to fetch {url}: {exc}") from None
            raise FetchError("private-address", f"refused to fetch {url}: {exc}, reached by "
                             "a redirect from a public address") from None
        except httpx.HTTPError as exc:
            raise _transport_error(exc, str(url), in_body=False) from None
        except (UnicodeError, ValueError) as exc:  # e.g. non-ASCII header values
            raise FetchError("invalid-url", f"cannot build a request for {url}: {exc}") from None
        try:
            status, found = response.status_code, dict(response.headers.items())
            kept = kept_headers(found)
            redirect = status in _REDIRECT_STATUSES and bool(found.get("location"))
            if redirect:
                kept["location"] = found["location"]
            empty = FetchResult(str(url), status, kept, b"", "", None, status == 304, 0, 0, ())
            peer = _peer_class(response, self._classify)
            if status == 304 or redirect:
                return empty, peer
            if not 200 <= status < 300:
                err = FetchError(f"http-{status}", f"{url} answered HTTP {status}", status)
                if status in (429, 503):
                    err.retry_after_s = _retry_after(found.get("retry-after"))
                raise err
            media, charset = _media_type(found.get("content-type", ""))
            try:
                body, kind = self._read_body(response, str(url), media, deadline)
            except FetchError as err:  # the server did answer: callers record its status
                raise FetchError(err.reason, err.detail, status) from None
            return dataclasses.replace(empty, body=body, content_type=kind, charset=charset), peer
        finally:
            response.close()  # an unread body closes the connection instead of draining it

    def _read_body(self, response: httpx.Response, url: str, media: str,
                   deadline: float) -> tuple[bytes, str]:  # fmt: skip
        """Stream the body, refusing it as soon as it is too big, too slow or not a document."""
        cap = self._max_bytes
        declared = response.headers.get("content-length", "").strip()
        if declared.isdigit() and int(declared) > cap:
            raise FetchError("too-large", f"{url} declares {declared} bytes (cap {cap})")
        encodings = [e.strip().lower() for e in response.headers.get("content-encoding", "")
                     .split(",") if e.strip().lower() not in ("", "identity")]  # fmt: skip
        if unknown := set(encodings) - {"gzip", "x-gzip", "deflate", "br" if _brotli else ""}:
            raise FetchError("decode-error", f"{url} uses unsupported Content-Encoding {unknown}")

        def raw_chunks() -> Iterator[bytes]:
            raw_total = 0
            for raw in response.iter_raw():
                raw_total += len(raw)
                if raw_total > cap:
                    raise FetchError("too-large", f"{url} sent more than {cap} bytes")
                if time.monotonic() > deadline:
                    raise FetchError("timeout", f"{url} sends its body too slowly")
                yield raw

        stream = raw_chunks()
        for enc in reversed(encodings):  # layers were applied in order, so undo in reverse
            stream = _Stage(enc).run(stream)
        chunks: list[bytes] = []
        total, kind = 0, ""
        try:
            for piece in stream:
                total += len(piece)
                if total > cap:
                    raise FetchError("too-large", f"{url} inflates to more than {cap} bytes")
                chunks.append(piece)
                if not kind and total >= 5:  # enough for the %PDF- magic: refuse binaries early
                    kind = _classify(media, b"".join(chunks)[:1024], url)
        except httpx.HTTPError as exc:
            raise _transport_error(exc, url, in_body=True) from None
        except _DECODE_ERRORS as exc:
            raise FetchError("decode-error", f"{url}: corrupt compressed body ({exc})") from None
        if total == 0:
            raise FetchError("empty", f"{url} answered {response.status_code} with no body")
        body = b"".join(chunks)
        return body, kind or _classify(media, body, url)
