"""msal's thread pool: one tenant's stuck calls hold only that tenant's share, and a call that cannot get a
thread gives up with a clear message instead of queueing behind them."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator

import pytest

from graph.errors import AuthFailure, AuthProblem
from graph.msal_threads import MsalThreads
from tests.waiting import eventually

STUCK, OTHER = "11111111-1111-1111-1111-111111111111", "22222222-2222-2222-2222-222222222222"


@pytest.fixture
def threads() -> Iterator[MsalThreads]:
    pool = MsalThreads(threads=3, per_tenant=2, wait_seconds=0.2)
    yield pool
    pool.close()


async def test_a_stuck_tenant_holds_only_its_share_and_others_still_get_threads(threads: MsalThreads) -> None:
    entra_answers = threading.Event()  # the stuck tenant's Entra ID, until the test lets it answer
    stuck = [asyncio.create_task(threads.run(STUCK, entra_answers.wait)) for _ in range(2)]
    try:
        await eventually(lambda: threads.busy(STUCK) == 2, "both of the tenant's threads are blocked")

        with pytest.raises(AuthProblem) as refused:
            await threads.run(STUCK, lambda: "never runs")
        assert await threads.run(OTHER, lambda: "token") == "token"

        assert refused.value.kind is AuthFailure.UNAVAILABLE
        assert "not answering" in refused.value.user_message
        assert threads.unanswered_tenants() == 1
        assert not any(task.done() for task in stuck)
    finally:
        entra_answers.set()
    assert await asyncio.gather(*stuck) == [True, True]
    assert threads.busy(STUCK) == 0


async def test_a_thread_is_given_back_only_when_the_blocking_call_returns(threads: MsalThreads) -> None:
    entra_answers = threading.Event()
    waiting = asyncio.create_task(threads.run(STUCK, entra_answers.wait))
    await eventually(lambda: threads.busy(STUCK) == 1, "the call is running in a thread")

    waiting.cancel()  # the caller stops waiting; msal's thread is still blocked in its HTTP call
    with pytest.raises(asyncio.CancelledError):
        await waiting
    assert threads.busy(STUCK) == 1

    entra_answers.set()
    await eventually(lambda: threads.busy(STUCK) == 0, "the thread was given back once msal returned")
