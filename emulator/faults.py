"""Fault injection: throttling, server errors, latency, dropped responses, held requests, per-schedule errors.

A test holds the live FaultConfig (`emu.faults`) and may change it at any moment; the server reads
it on every request. The same configuration can be loaded from a JSON file for `python -m emulator`:

    {"latency_seconds": 0.2,
     "rules": [{"path": "/calendar/getSchedule", "status": 429, "times": 2, "retry_after": "1.5"},
               {"path": "/events", "method": "POST", "status": null, "hold": "after"}],
     "schedule_errors": {"ben.walters@contoso.example": {"responseCode": "ErrorMailRecipientNotFound"}},
     "mailbox_concurrency_limit": 4}
"""

from __future__ import annotations

import asyncio
import fnmatch
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEFAULT_ERROR_CODES = {
    429: ("TooManyRequests", "Please retry again later."),
    500: ("ErrorInternalServerError", "An internal server error occurred. The operation failed."),
    502: ("BadGateway", "Bad gateway."),
    503: ("ServiceNotAvailable", "The service is temporarily unavailable. Please retry later."),
    504: ("UnknownError", "The gateway timed out."),
}


HOLD_STAGES = ("before", "after")


@dataclass
class FaultRule:
    """Fires on requests whose path matches `path` (a substring, or an fnmatch pattern when it has `*`).

    `status` None means "let the request through", which together with `delay_seconds`,
    `drop_response` or `hold` makes latency, lost-response and held-request faults. `times` counts
    remaining firings (None = forever). `retry_after` None sends no Retry-After header.

    `hold` stops a request until the test calls `release()`: "before" Graph performs it (a request
    still in flight, not yet in the mailbox) or "after" (the mailbox has changed, the answer is still
    on its way). A client that disconnects meanwhile does not stop the request, as with a real service.
    """

    path: str
    status: int | None = 429
    times: int | None = 1
    method: str | None = None
    retry_after: str | None = "1"
    error_code: str | None = None
    message: str | None = None
    delay_seconds: float = 0.0
    drop_response: bool = False
    hold: str | None = None
    fired: int = 0
    held: int = 0  # requests waiting at this rule's hold right now
    _released: asyncio.Event | None = field(default=None, repr=False, compare=False)
    _arrived: asyncio.Event | None = field(default=None, repr=False, compare=False)
    _perform_after_release: bool = field(default=True, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.hold not in (None, *HOLD_STAGES):
            raise ValueError(f"hold must be one of {', '.join(HOLD_STAGES)}, got {self.hold!r}")

    def matches(self, method: str, path: str) -> bool:
        if self.times is not None and self.fired >= self.times:
            return False
        if self.method and self.method.upper() != method.upper():
            return False
        if "*" in self.path:
            return fnmatch.fnmatchcase(path.lower(), self.path.lower())
        return self.path.lower() in path.lower()

    # -- holding (called by the server and by tests, on the emulator's event loop) --------------------
    async def wait_at_hold(self) -> bool:
        """Blocks the calling request until released; True when it should then go on, False to abandon it."""
        if self._released is None:
            self._released = asyncio.Event()
        self.held += 1
        if self._arrived is not None:
            self._arrived.set()
        try:
            await self._released.wait()
        finally:
            self.held -= 1
        return self._perform_after_release

    async def wait_until_held(self, count: int = 1) -> None:
        """Returns once `count` requests are waiting at this hold (bound it with asyncio.timeout)."""
        while self.held < count:
            self._arrived = asyncio.Event()
            await self._arrived.wait()

    def release(self, *, perform: bool = True) -> None:
        """Lets every held request go on (and any later one pass). perform=False abandons the requests held
        before Graph performed them: their connection is closed and nothing changes in the mailbox."""
        self._perform_after_release = perform
        if self._released is None:
            self._released = asyncio.Event()
        self._released.set()

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> FaultRule:
        retry_after = raw.get("retry_after", "1")
        return cls(
            path=raw["path"], status=raw.get("status", 429), times=raw.get("times", 1),
            method=raw.get("method"), retry_after=None if retry_after is None else str(retry_after),
            error_code=raw.get("error_code"), message=raw.get("message"),
            delay_seconds=float(raw.get("delay_seconds", 0.0)), drop_response=bool(raw.get("drop_response")),
            hold=raw.get("hold"),
        )


@dataclass
class ScheduleError:
    response_code: str = "ErrorMailRecipientNotFound"
    message: str = "The mailbox could not be found."


@dataclass
class FaultConfig:
    rules: list[FaultRule] = field(default_factory=list)
    latency_seconds: float = 0.0
    schedule_errors: dict[str, ScheduleError] = field(default_factory=dict)
    # Outlook allows 4 concurrent requests per app and mailbox; the fifth gets 429 MailboxConcurrency.
    mailbox_concurrency_limit: int = 4
    mailbox_concurrency_retry_after: str = "1"

    # -- helpers for tests --------------------------------------------------------------------
    def add(self, rule: FaultRule) -> FaultRule:
        self.rules.append(rule)
        return rule

    def throttle(self, path: str, *, times: int | None = 1, retry_after: str | None = "1",
                 method: str | None = None) -> FaultRule:
        return self.add(FaultRule(path=path, status=429, times=times, retry_after=retry_after, method=method))

    def fail(self, path: str, status: int = 503, *, times: int | None = 1, retry_after: str | None = None,
             method: str | None = None) -> FaultRule:
        return self.add(FaultRule(path=path, status=status, times=times, retry_after=retry_after, method=method))

    def delay(self, path: str, seconds: float, *, times: int | None = None) -> FaultRule:
        return self.add(FaultRule(path=path, status=None, times=times, delay_seconds=seconds))

    def drop_response(self, path: str, *, times: int | None = 1, method: str | None = None) -> FaultRule:
        """Performs the request, then closes the connection instead of answering."""
        return self.add(FaultRule(path=path, status=None, times=times, drop_response=True, method=method))

    def hold(self, path: str, stage: str, *, times: int | None = 1, method: str | None = None) -> FaultRule:
        """Holds matching requests "before" or "after" Graph performs them, until `rule.release()`."""
        return self.add(FaultRule(path=path, status=None, times=times, method=method, hold=stage))

    def release_holds(self, *, perform: bool = True) -> None:
        for rule in self.rules:
            if rule.hold:
                rule.release(perform=perform)

    def schedule_error(self, address: str, response_code: str = "ErrorMailRecipientNotFound",
                       message: str = "The mailbox could not be found.") -> None:
        self.schedule_errors[address.lower()] = ScheduleError(response_code, message)

    def clear(self) -> None:
        self.release_holds()
        self.rules.clear()
        self.schedule_errors.clear()
        self.latency_seconds = 0.0

    def replace_with(self, other: FaultConfig) -> None:
        """Swaps the whole configuration in place (the server keeps its reference to this object)."""
        self.release_holds()
        self.rules[:] = other.rules
        self.schedule_errors = dict(other.schedule_errors)
        self.latency_seconds = other.latency_seconds
        self.mailbox_concurrency_limit = other.mailbox_concurrency_limit
        self.mailbox_concurrency_retry_after = other.mailbox_concurrency_retry_after

    def take(self, method: str, path: str) -> FaultRule | None:
        """The first live rule for this request, counted as fired."""
        for rule in self.rules:
            if rule.matches(method, path):
                rule.fired += 1
                return rule
        return None

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> FaultConfig:
        return cls(
            rules=[FaultRule.from_dict(item) for item in raw.get("rules", [])],
            latency_seconds=float(raw.get("latency_seconds", 0.0)),
            schedule_errors={
                address.lower(): ScheduleError(item.get("responseCode", "ErrorMailRecipientNotFound"),
                                               item.get("message", "The mailbox could not be found."))
                for address, item in raw.get("schedule_errors", {}).items()
            },
            mailbox_concurrency_limit=int(raw.get("mailbox_concurrency_limit", 4)),
            mailbox_concurrency_retry_after=str(raw.get("mailbox_concurrency_retry_after", "1")),
        )

    @classmethod
    def load(cls, path: Path | str) -> FaultConfig:
        return cls.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))
