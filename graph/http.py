"""The one HTTP client every Graph call goes through.

What it adds over a bare `httpx.AsyncClient`:

* at most `per_mailbox` (4) requests in flight per mailbox key, because Outlook counts concurrency
  per app and mailbox and answers the fifth with 429 MailboxConcurrency;
* retries for 429 (waiting the whole `Retry-After`, fractional seconds or an HTTP-date), 5xx,
  timeouts and dropped connections, with bounded exponential backoff and jitter when the service
  gives no hint. A retry re-sends the very same body, which is what makes POST /events safe: its
  `transactionId` lets Exchange drop the duplicate;
* one fresh access token and one more try after a 401;
* typed errors (graph.errors) carrying `request-id` and our `client-request-id`, which stays the
  same across the retries of one logical request so support can follow it.

Nothing here logs a token or a request/response body. At INFO and above a path is logged with its
mailbox and event id replaced by placeholders (`path_for_log`); the full path and Graph's own error
message (which can quote an address) appear at DEBUG only.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import ssl
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    wait_random_exponential,
)

from graph import metrics
from graph.errors import (
    AccessDenied,
    GraphError,
    NotFound,
    ServiceUnavailable,
    Throttled,
    Unauthorized,
)

logger = logging.getLogger(__name__)

# Called with force_refresh=True after a 401 so the provider bypasses its cache once.
TokenSource = Callable[[bool], Awaitable[str]]

_RETRYABLE_STATUS = frozenset({500, 502, 503, 504})
# Path segments that name a person or an item: the segment after each of these is replaced in logs.
_IDENTIFYING_PARENTS = frozenset({"users", "events", "calendars", "groups", "messages"})
_ACCESS_POLICY_MARKERS = ("access to odata is disabled", "accesspolicy", "access policy", "[raop]")


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try. `max_wait` caps one wait: a longer Retry-After is reported, not slept."""

    attempts: int = 5
    backoff_base: float = 0.5
    backoff_max: float = 8.0
    max_wait: float = 60.0


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header: '2.128', '10' or an HTTP-date. None if absent/garbled."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    if seconds != seconds:  # NaN
        return None
    return max(seconds, 0.0)


class GraphHttp:
    """Shared async HTTP access to Graph. Create one per process; close it with `aclose()`."""

    def __init__(
        self,
        base_url: str,
        *,
        ca_bundle: str | None = None,
        per_mailbox: int = 4,
        retry: RetryPolicy | None = None,
        timeout: httpx.Timeout | None = None,
        limits: httpx.Limits | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._retry = retry or RetryPolicy()
        self._per_mailbox = per_mailbox
        self._mailbox_slots: dict[str, asyncio.Semaphore] = {}
        self._client = httpx.AsyncClient(
            timeout=timeout or httpx.Timeout(20.0, connect=5.0),
            limits=limits or httpx.Limits(max_connections=64, max_keepalive_connections=16),
            # An explicit CA file, never the environment's (SSL_CERT_FILE & co. may point elsewhere).
            verify=ssl.create_default_context(cafile=ca_bundle) if ca_bundle else True,
            trust_env=False,
        )

    async def aclose(self) -> None:
        await self._client.aclose()

    async def __aenter__(self) -> GraphHttp:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    def _slots(self, mailbox_key: str) -> asyncio.Semaphore:
        key = mailbox_key.lower()
        slots = self._mailbox_slots.get(key)
        if slots is None:
            slots = self._mailbox_slots[key] = asyncio.Semaphore(self._per_mailbox)
        return slots

    async def request(
        self,
        method: str,
        path: str,
        *,
        token: TokenSource,
        mailbox_key: str,
        json: Any = None,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        retry_safe: bool = True,
    ) -> httpx.Response:
        """Sends one logical request (with its retries) and returns the 2xx response or raises.

        `retry_safe=False` turns off re-sending for requests that could take effect twice.
        """
        client_request_id = str(uuid.uuid4())
        request_headers = {
            "client-request-id": client_request_id,
            "return-client-request-id": "true",
            **(headers or {}),
        }

        async def attempt() -> httpx.Response:
            sent = (method, path, mailbox_key, json, params, request_headers)
            response = await self._send(*sent, access_token=await token(False))
            if response.status_code == 401:
                # The token may have been revoked or expired early: one fresh token, one more try.
                response = await self._send(*sent, access_token=await token(True))
            if response.is_success:
                return response
            raise _error_for(response, method, path, client_request_id)

        retrying = AsyncRetrying(
            stop=stop_after_attempt(self._retry.attempts if retry_safe else 1),
            retry=retry_if_exception(self._worth_retrying),
            wait=self._wait,
            reraise=True,
            before_sleep=_log_retry,
        )
        return await retrying(attempt)

    async def _send(
        self,
        method: str,
        path: str,
        mailbox_key: str,
        json: Any,
        params: Mapping[str, str] | None,
        headers: dict[str, str],
        *,
        access_token: str,
    ) -> httpx.Response:
        url = f"{self.base_url}{path}"
        # The slot is held for the exchange only, never across a retry's sleep.
        operation = f"{method} {path_for_log(path)}"
        async with self._slots(mailbox_key):
            started = time.monotonic()
            try:
                response = await self._client.request(
                    method,
                    url,
                    json=json,
                    params=params,
                    headers={**headers, "Authorization": f"Bearer {access_token}"},
                )
                metrics.count_call(operation, response.status_code)
                return response
            except httpx.TransportError as exc:  # timeouts, refused and dropped connections
                code = "timeout" if isinstance(exc, httpx.TimeoutException) else "connection"
                metrics.count_call(operation, code)
                logger.warning(
                    "Graph %s %s: %s after %.2fs (%s, client-request-id=%s)",
                    method,
                    path_for_log(path),
                    code,
                    time.monotonic() - started,
                    type(exc).__name__,
                    headers["client-request-id"],
                )
                raise ServiceUnavailable(0, code, type(exc).__name__, None, headers["client-request-id"]) from exc

    def _worth_retrying(self, error: BaseException) -> bool:
        if not isinstance(error, Throttled | ServiceUnavailable):
            return False
        # A wait longer than we accept is reported to the person instead of blocking the chat.
        return error.retry_after is None or error.retry_after <= self._retry.max_wait

    def _wait(self, state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        hint = getattr(error, "retry_after", None)
        if hint is not None:
            return float(hint)
        backoff = wait_random_exponential(multiplier=self._retry.backoff_base, max=self._retry.backoff_max)
        return float(backoff(state))


def _log_retry(state: RetryCallState) -> None:
    error = state.outcome.exception() if state.outcome else None
    if isinstance(error, Throttled):
        metrics.record_throttle_wait(state.upcoming_sleep)
    if isinstance(error, GraphError):
        logger.warning(
            "Graph %s (%s) on attempt %d; retrying in %.2fs (request-id=%s client-request-id=%s)",
            error.status,
            error.code,
            state.attempt_number,
            state.upcoming_sleep,
            error.request_id,
            error.client_request_id,
        )


def path_for_log(path: str) -> str:
    """The path without the mailbox, user, event or group it names: `/users/{id}/calendar/getSchedule`."""
    parts = path.split("?", 1)[0].split("/")
    for index in range(1, len(parts)):
        if parts[index - 1].lower() in _IDENTIFYING_PARENTS and parts[index]:
            parts[index] = "{id}"
    return "/".join(parts)


def _error_for(response: httpx.Response, method: str, path: str, client_request_id: str) -> GraphError:
    code, message = _error_code_and_message(response)
    request_id = response.headers.get("request-id")
    status = response.status_code
    logger.warning(
        "Graph %s %s failed: %d %s (request-id=%s client-request-id=%s)",
        method,
        path_for_log(path),
        status,
        code,
        request_id,
        client_request_id,
    )
    logger.debug("Graph %s %s failed: %d %s: %s", method, path, status, code, message)
    args = (status, code, message, request_id, client_request_id)
    if status == 429:
        return Throttled(*args, retry_after=parse_retry_after(response.headers.get("Retry-After")))
    if status in _RETRYABLE_STATUS:
        return ServiceUnavailable(*args, retry_after=parse_retry_after(response.headers.get("Retry-After")))
    if status == 401:
        return Unauthorized(*args)
    if status == 403:
        return AccessDenied(*args, access_policy=_is_access_policy_block(code, message))
    if status == 404:
        return NotFound(*args)
    return GraphError(*args)


def _error_code_and_message(response: httpx.Response) -> tuple[str, str]:
    try:
        payload = response.json()
    except ValueError:
        return f"http{response.status_code}", response.reason_phrase
    error = payload.get("error") if isinstance(payload, dict) else None
    if not isinstance(error, dict):
        return f"http{response.status_code}", response.reason_phrase
    return str(error.get("code") or f"http{response.status_code}"), str(error.get("message") or "")


def _is_access_policy_block(code: str, message: str) -> bool:
    """Exchange's application access policy answers 403 ErrorAccessDenied 'Access to OData is disabled'."""
    lowered = message.lower()
    return code.lower() == "extensionerror" or any(marker in lowered for marker in _ACCESS_POLICY_MARKERS)
