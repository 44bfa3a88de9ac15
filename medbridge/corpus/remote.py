"""HTTP for bringing PubMed in from outside (NCBI E-utilities, NLM's file mirror): one client set-up, one retry
policy (exponential backoff on 429, 5xx and dropped connections, honouring ``Retry-After``) and a request-rate
limiter, shared by ``fetch`` and ``sync``."""

from __future__ import annotations

import threading
import time
from typing import Callable, TypeVar

import httpx
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt

from medbridge import __version__
from medbridge.errors import MedbridgeError
from medbridge.settings import PubmedSourceSettings

T = TypeVar("T")

TRANSIENT_STATUS = {429, 500, 502, 503, 504}
_MAX_RETRY_AFTER_S = 60.0


class RemoteError(MedbridgeError):
    """NCBI or NLM answered something we cannot use (after retries where retrying could help)."""


class TransientReply(RemoteError):
    """A reply worth retrying: 429, 5xx, or a body the server should not have sent (an HTML error page)."""

    def __init__(self, message: str, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


def http_client(settings: PubmedSourceSettings) -> httpx.Client:
    return httpx.Client(
        timeout=httpx.Timeout(settings.timeout_s, connect=min(settings.timeout_s, 30.0)),
        follow_redirects=True,
        headers={"User-Agent": f"medbridge/{__version__} (+{settings.tool})"},
    )


def transient_status(response: httpx.Response, what: str) -> TransientReply | None:
    """The retryable error a 429/5xx response stands for, or None."""
    if response.status_code not in TRANSIENT_STATUS:
        return None
    retry_after = None
    try:
        retry_after = min(float(response.headers.get("retry-after", "")), _MAX_RETRY_AFTER_S)
    except ValueError:
        pass
    return TransientReply(f"{what}: HTTP {response.status_code} {response.reason_phrase}", retry_after)


def _is_transient(exc: BaseException) -> bool:
    return isinstance(exc, (TransientReply, httpx.TransportError))


def _describe(exc: BaseException) -> str:
    if isinstance(exc, httpx.TransportError):
        return f"connection failed ({type(exc).__name__}: {exc or 'no detail'})"
    return str(exc)


def with_retries(settings: PubmedSourceSettings, call: Callable[[], T], what: str) -> T:
    """``call()`` retried on transient failures; the last failure becomes one clear RemoteError line."""

    def wait(state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        backoff = settings.backoff_s * 2 ** (state.attempt_number - 1)
        hint = getattr(exc, "retry_after", None)
        return max(backoff, hint or 0.0)

    retrying = Retrying(
        stop=stop_after_attempt(settings.max_retries + 1),
        wait=wait,
        retry=retry_if_exception(_is_transient),
        reraise=True,
    )
    try:
        return retrying(call)
    except TransientReply as exc:  # its message already says what was asked
        raise RemoteError(f"{exc} (gave up after {settings.max_retries + 1} attempts)") from exc
    except httpx.TransportError as exc:
        raise RemoteError(f"{what}: {_describe(exc)} (gave up after {settings.max_retries + 1} attempts)") from exc


class RateLimiter:
    """At most ``per_second`` request starts in any second, across threads. A 10% margin keeps network jitter
    from bunching requests over the server's limit."""

    def __init__(self, per_second: float):
        self._interval = 1.1 / per_second
        self._next = 0.0
        self._lock = threading.Lock()

    def wait(self) -> None:
        with self._lock:
            now = time.monotonic()
            start = max(now, self._next)
            self._next = start + self._interval
        if start > now:
            time.sleep(start - now)
