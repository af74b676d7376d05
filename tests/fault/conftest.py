"""Fixtures for the fault and fuzz suite: the real bot and the Entra ID + Graph emulator, one pair per test.

The world is the booking suite's (tests/booking/conftest.py): Contoso is connected domain-wide, Adele
organizes, Ben is her colleague. Hypothesis tests draw many examples against one running world.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import pytest

from app import DEADLINES_KEY
from tests.booking.conftest import ADELE, BEN, CHLOE, BookingWorld, booking_world

# Short, so a held turn says "still working" soon; how short cannot matter, as nothing held can finish earlier.
HELD_TURN_DEADLINE_SECONDS = 0.2


@dataclass(repr=False)
class FaultWorld(BookingWorld):
    """The booking world with a short repr: hypothesis prints the fixtures of a failing example."""

    def __repr__(self) -> str:
        return f"FaultWorld(bot={self.bot.url}, database={self.database_url.split(':', 1)[0]})"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:  # hypothesis' pretty printer asks for this
        printer.text(repr(self))

    @contextmanager
    def held_turns_outlast_the_deadline(self) -> Iterator[None]:
        """Turns that start inside the block get a deadline of HELD_TURN_DEADLINE_SECONDS.

        Only a turn the test holds (an emulator hold rule, an event it sets later) belongs inside: it cannot
        finish before the test lets it, so it says "still working" whatever the machine's load, and soon (so soon
        that it may not yet have reached the hold: a test relying on that waits for the hold's `held`). Every
        other turn runs under the world's own deadline (the production default unless a fixture sets one), so a
        turn that merely takes CPU on a loaded machine is still answered in time, as the test expects."""
        deadlines = self.bot.app[DEADLINES_KEY]
        normal = deadlines.seconds
        deadlines.seconds = HELD_TURN_DEADLINE_SECONDS  # read once by each turn, when it starts waiting
        try:
            yield
        finally:
            deadlines.seconds = normal


async def fault_world(database_url: str, tmp_path: Path, **settings: Any) -> AsyncIterator[FaultWorld]:
    async for built in booking_world(database_url, tmp_path, **settings):
        yield FaultWorld(**{f.name: getattr(built, f.name) for f in fields(built)})


@pytest.fixture
async def world(sqlite_url: str, tmp_path: Path) -> AsyncIterator[FaultWorld]:
    async for built in fault_world(sqlite_url, tmp_path):
        yield built


@pytest.fixture
async def world_on_both(database_url: str, tmp_path: Path) -> AsyncIterator[FaultWorld]:
    async for built in fault_world(database_url, tmp_path):
        yield built


@pytest.fixture
async def connected(world: FaultWorld) -> FaultWorld:
    """Contoso connected domain-wide, and Adele, Ben and Chloe have each said hello once."""
    await world.set_up_tenant()
    await world.meet(ADELE, BEN, CHLOE)
    return world
