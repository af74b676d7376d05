"""What the recovery tests share: leaving a row as a crash would (`backdate`), and putting concurrent recovery
passes in one chosen order by waiting on events, never on time (`claims_in_turn`).

In that order, every pass first lists the stuck row (they all see it stuck); the first claim goes ahead; the other
claims wait until the winner has settled the row. That is the order in which a pass that lost the claim could
mistake the winner's result for its own.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import pytest
from sqlalchemy import update

from storage.models import Booking, BookingMove
from tests.booking.conftest import BookingWorld

T = TypeVar("T")


async def backdate(world: BookingWorld, model: type[Booking] | type[BookingMove], row_id: str, *,
                   created: timedelta, updated: timedelta) -> None:
    """Makes a row look made `created` ago and last changed `updated` ago (past any live attempt: stuck)."""
    now = datetime.now(UTC)
    async with world.db.session() as session:
        await session.execute(update(model).where(model.id == row_id)
                              .values(created_at=now - created, updated_at=now - updated))


class ClaimsInTurn:
    def __init__(self, passes: int) -> None:
        self.all_listed = asyncio.Barrier(passes)
        self.settled = asyncio.Event()
        self.claims = 0

    async def run(self, passes: Iterable[Callable[[], Awaitable[T]]]) -> list[T]:
        return list(await asyncio.gather(*(run_pass() for run_pass in passes)))


def claims_in_turn(monkeypatch: pytest.MonkeyPatch, repository: type, list_name: str, claim_name: str,
                   settle_name: str, *, passes: int) -> ClaimsInTurn:
    """Wraps the repository's listing, claiming and settling methods (by name) to enforce the order above."""
    order = ClaimsInTurn(passes)
    listing, claiming, settling = (getattr(repository, name) for name in (list_name, claim_name, settle_name))

    async def list_then_wait(self: Any, *args: Any, **kwargs: Any) -> Any:
        found = await listing(self, *args, **kwargs)
        await order.all_listed.wait()
        return found

    async def claim_in_turn(self: Any, *args: Any, **kwargs: Any) -> Any:
        order.claims += 1
        if order.claims > 1:
            await order.settled.wait()
        return await claiming(self, *args, **kwargs)

    async def settle_then_signal(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return await settling(self, *args, **kwargs)
        finally:
            order.settled.set()

    monkeypatch.setattr(repository, list_name, list_then_wait)
    monkeypatch.setattr(repository, claim_name, claim_in_turn)
    monkeypatch.setattr(repository, settle_name, settle_then_signal)
    return order
