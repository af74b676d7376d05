"""Where msal's blocking calls run: a thread pool of their own, shared fairly between tenants.

msal is synchronous. Run through `asyncio.to_thread`, its calls used the event loop's default executor,
which botbuilder's outgoing sends (msrest over requests) use too: a token endpoint that stopped answering
for one organization filled that pool, and every other organization's replies queued behind it. Here:

* the pool is ours alone (`MSAL_THREADS` threads), so a stuck Entra ID never holds up a Teams reply;
* one tenant holds at most `MSAL_THREADS_PER_TENANT` of those threads at once; its further calls wait
  (without a thread) for one of its own to come back, so the other tenants keep the rest of the pool;
* that wait is bounded: a call that cannot start within `wait_seconds` fails with AuthProblem
  (UNAVAILABLE) and a clear message instead of queueing behind a service that is not answering.

A thread is counted against its tenant until the blocking call really returns (the HTTP timeouts of
msal's session bound that), even when the coroutine that asked for it has stopped waiting.

The pool also remembers which tenants' last Entra ID call got no answer, for /healthz to report.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

from graph.errors import AuthFailure, AuthProblem

logger = logging.getLogger(__name__)

MSAL_THREADS = 16
MSAL_THREADS_PER_TENANT = 4
# How long an unanswered Entra ID call keeps its tenant in the health report, unless an answer comes first.
UNANSWERED_REPORTED_FOR = 300.0
SIGN_IN_NOT_ANSWERING = (
    "Microsoft's sign-in service is not answering for your organization just now, so I can't reach Outlook. "
    "Please try again in a few minutes."
)

T = TypeVar("T")


class MsalThreads:
    """A bounded pool for msal's blocking work, with a per-tenant share. Create one per process."""

    def __init__(self, *, threads: int = MSAL_THREADS, per_tenant: int = MSAL_THREADS_PER_TENANT,
                 wait_seconds: float = 10.0) -> None:
        if not 1 <= per_tenant <= threads:
            raise ValueError("per_tenant must be between 1 and the number of threads")
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="msal")
        self._per_tenant = per_tenant
        self._wait_seconds = wait_seconds
        self._shares: dict[str, asyncio.Semaphore] = {}
        self._busy: dict[str, int] = {}
        self._unanswered: dict[str, float] = {}  # tenant -> when its last call went unanswered (monotonic)

    def busy(self, tenant: str) -> int:
        """How many of the pool's threads this tenant's msal calls hold right now."""
        return self._busy.get(tenant, 0)

    def note_unanswered(self, tenant: str) -> None:
        """Entra ID gave this tenant's call no answer (a timeout, no connection, a 5xx)."""
        self._unanswered[tenant] = time.monotonic()

    def note_answered(self, tenant: str) -> None:
        self._unanswered.pop(tenant, None)

    def unanswered_tenants(self) -> int:
        """How many tenants' latest Entra ID call, in the last few minutes, got no answer."""
        since = time.monotonic() - UNANSWERED_REPORTED_FOR
        return sum(1 for when in self._unanswered.values() if when >= since)

    async def run(self, tenant: str, work: Callable[[], T]) -> T:
        """Runs `work` on one of this tenant's threads; AuthProblem(UNAVAILABLE) if none frees up in time."""
        share = self._shares.get(tenant)
        if share is None:
            share = self._shares[tenant] = asyncio.Semaphore(self._per_tenant)
        try:
            async with asyncio.timeout(self._wait_seconds):
                await share.acquire()
        except TimeoutError:
            logger.warning("Entra ID calls for tenant %s are all stuck; refusing another one", tenant)
            self.note_unanswered(tenant)
            raise AuthProblem(AuthFailure.UNAVAILABLE, SIGN_IN_NOT_ANSWERING) from None
        loop = asyncio.get_running_loop()
        self._busy[tenant] = self._busy.get(tenant, 0) + 1

        def give_back(_: Future[T]) -> None:
            try:
                loop.call_soon_threadsafe(self._give_back, tenant, share)
            except RuntimeError:  # the loop has closed meanwhile: nobody is waiting any more
                pass

        try:
            future = self._pool.submit(work)
        except BaseException:
            self._give_back(tenant, share)
            raise
        future.add_done_callback(give_back)
        return await asyncio.wrap_future(future)

    def _give_back(self, tenant: str, share: asyncio.Semaphore) -> None:
        self._busy[tenant] -= 1
        share.release()

    def close(self) -> None:
        """Stops taking work; threads still blocked in msal end when their HTTP timeout fires."""
        self._pool.shutdown(wait=False, cancel_futures=True)
