"""kill -9 at each step of a booking, then a restart: one event or none, and the organizer is told which.

The bot runs as a real process (`python app.py`, settings through the environment) on a database file or a
scratch PostgreSQL database; the Entra ID + Graph emulator and the Bot Connector stub run in this test's event
loop, so they outlive the bot. The emulator holds the create-event call where the kill should land:

* (a) after the reservation, before the create reached Outlook: held before Graph performs it, then abandoned;
* (b) while the create is in flight: held before Graph performs it, performed after the bot has died;
* (c) after Outlook created the event, before the row was confirmed: held after Graph performed it;
* (d) the database lost after the create (PostgreSQL): the confirming UPDATE waits on a lock this test holds,
  then this test ends the bot's database connections; the bot keeps running and must recover by itself.
  A SQLite file cannot be lost while the process using it lives on; its one failure mode, a lock held by
  another writer, only delays the write (busy timeout), so (c) covers SQLite.

The first run keeps the default "stuck after" time, so nothing takes over a live attempt; the restarted bot
runs with small recovery settings so the test stays short.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import pytest
from aiohttp import web
from sqlalchemy import update

from dialogs.booking_recovery import NOTHING_CREATED
from emulator.faults import FaultRule
from emulator.testing import running_emulator
from storage.database import Database
from storage.models import Booking
from storage.repositories import BookingRecord
from tests.booking.conftest import (
    ADELE,
    BEN,
    EVERYONE,
    BookingWorld,
    book_buttons,
    card_of,
    card_text,
    day_form,
    meeting_day,
)
from tests.fault.checks import assert_nothing_half_written
from tests.harness import ConnectorStub, RunningBot
from tests.processes import BotProcess, bot_env, connector_server, free_port

RESTARTED = {"BOOKING_STUCK_AFTER_SECONDS": "0.5", "BOOKING_RECOVERY_INTERVAL_SECONDS": "0.2"}
SETTLE_TIMEOUT = 30.0


@dataclass
class CrashWorld(BookingWorld):
    process: BotProcess


@pytest.fixture
async def world(database_url: str, tmp_path: Path) -> AsyncIterator[CrashWorld]:
    connector = ConnectorStub()
    for user in EVERYONE:
        connector.members[user.teams_user_id] = user.member_info()
    port = free_port()
    async with running_emulator(generate_calendars=False) as emu, connector_server(connector), \
            aiohttp.ClientSession() as session:
        process = BotProcess(bot_env(database_url, tmp_path, emu, port), f"http://127.0.0.1:{port}", tmp_path)
        # The bot lives in another process: this handle only talks HTTP to it (no in-process app).
        bot = RunningBot(url=process.url, connector=connector, app=web.Application(), session=session)
        db = Database(database_url)
        try:
            yield CrashWorld(emu, bot, connector, db, database_url, process)
        finally:
            await process.stop()
            await db.dispose()


async def _click_book_held(world: CrashWorld, stage: str, **settings: str
                           ) -> tuple[asyncio.Task[Any], FaultRule, BookingRecord, dict[str, Any]]:
    """Adele clicks "Book this time" and Graph holds the create `stage` ("before"/"after") it is performed.

    Returns the click in flight, the hold, the reserved booking and the button's data."""
    await world.process.start(world.bot.session, **settings)
    await world.set_up_tenant()
    await world.meet(ADELE, BEN)
    slot = book_buttons(await world.find_times(ADELE, day_form(BEN, meeting_day())))[0]
    rule = world.emu.faults.hold("/events", stage, method="POST")
    click = asyncio.create_task(world.bot.execute(ADELE, "book", slot))
    async with asyncio.timeout(SETTLE_TIMEOUT):
        await rule.wait_until_held()
    [booking] = await world.bookings()
    assert booking.status == "reserved"
    return click, rule, booking, slot


async def _killed_mid_click(world: CrashWorld, click: asyncio.Task[Any]) -> None:
    await world.process.kill()
    with pytest.raises(aiohttp.ClientError):
        await click  # Adele's click never got an answer


async def _settled(world: CrashWorld, booking: BookingRecord) -> BookingRecord:
    """Waits until the booking has left `reserved` (bounded), and returns it."""
    for _ in range(int(SETTLE_TIMEOUT / 0.1)):
        [current] = [b for b in await world.bookings() if b.id == booking.id]
        if current.status != "reserved":
            return current
        await asyncio.sleep(0.1)
    raise AssertionError(f"booking {booking.id} was still reserved after {SETTLE_TIMEOUT} s")


async def _until(condition: Callable[[], Any]) -> None:
    """Waits (bounded) until `condition()` is true; it may return an awaitable."""
    for _ in range(int(SETTLE_TIMEOUT / 0.05)):
        outcome = condition()
        if await outcome if inspect.isawaitable(outcome) else outcome:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the condition never held")


def _texts_to(world: CrashWorld, user: Any) -> list[str]:
    return [sent.text for sent in world.connector.messages(user.conversation_id) if sent.text]


def _cards_to(world: CrashWorld, user: Any) -> list[str]:
    return [card_text(card) for sent in world.connector.messages(user.conversation_id) for card in sent.cards]


def _events_of(world: CrashWorld, booking: BookingRecord) -> list[Any]:
    return [event for event in world.emu.created_events(ADELE.email)
            if event.transaction_id == booking.transaction_id and event.is_organizer]


async def _assert_confirmed_and_both_told(world: CrashWorld, booking: BookingRecord) -> None:
    settled = await _settled(world, booking)
    [event] = _events_of(world, booking)
    assert (settled.status, settled.event_id, settled.join_url) == ("confirmed", event.immutable_id, event.join_url)
    await _until(lambda: _cards_to(world, BEN))
    assert any("went through" in text for text in _texts_to(world, ADELE))
    assert [booking.id in card for card in _cards_to(world, ADELE)] == [True]
    assert [booking.id in card for card in _cards_to(world, BEN)] == [True]
    await assert_nothing_half_written(world)


async def test_killed_after_the_reservation_before_the_create_reached_outlook(world: CrashWorld) -> None:
    click, rule, booking, _ = await _click_book_held(world, "before")
    await _killed_mid_click(world, click)
    rule.release(perform=False)  # the create never reaches the mailbox
    world.connector.clear()

    await world.process.start(world.bot.session, **RESTARTED)

    settled = await _settled(world, booking)
    assert (settled.status, settled.failure_reason) == ("failed", NOTHING_CREATED)
    assert _events_of(world, booking) == []
    await _until(lambda: _texts_to(world, ADELE))
    [told] = _texts_to(world, ADELE)
    assert "nothing was created in Outlook" in told
    assert world.connector.messages(BEN.conversation_id) == []
    await assert_nothing_half_written(world)


async def test_killed_while_the_create_was_in_flight(world: CrashWorld) -> None:
    click, rule, booking, _ = await _click_book_held(world, "before")
    await _killed_mid_click(world, click)
    rule.release()  # Outlook completes the create after the bot has gone
    await _until(lambda: _events_of(world, booking))
    world.connector.clear()

    await world.process.start(world.bot.session, **RESTARTED)

    await _assert_confirmed_and_both_told(world, booking)


async def test_killed_after_outlook_created_the_event_before_the_row_was_confirmed(world: CrashWorld) -> None:
    click, rule, booking, _ = await _click_book_held(world, "after")
    assert len(_events_of(world, booking)) == 1
    await _killed_mid_click(world, click)
    rule.release()
    world.connector.clear()

    await world.process.start(world.bot.session, **RESTARTED)

    await _assert_confirmed_and_both_told(world, booking)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # the click's path is the same on both
async def test_a_second_click_after_the_restart_settles_the_booking(world: CrashWorld) -> None:
    click, rule, booking, slot = await _click_book_held(world, "after")
    await _killed_mid_click(world, click)
    rule.release()
    # Restarted with the default recovery settings: this booking is not stuck yet, and the periodic pass is
    # far away. Time passes (the row is backdated past the point where a live attempt could still run) ...
    await world.process.start(world.bot.session)
    async with world.db.session() as session:
        await session.execute(update(Booking).where(Booking.id == booking.id)
                              .values(updated_at=datetime.now(UTC) - timedelta(minutes=20)))
    world.connector.clear()

    answer = card_of(await world.bot.execute(ADELE, "book", slot))  # ... and Adele clicks again

    assert booking.id in card_text(answer)
    assert len(_events_of(world, booking)) == 1
    assert (await _settled(world, booking)).status == "confirmed"
    assert [booking.id in card for card in _cards_to(world, BEN)] == [True]
    await assert_nothing_half_written(world)


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_the_database_lost_after_the_create_is_recovered_by_the_running_bot(world: CrashWorld) -> None:
    # No restart here: the running bot must notice on its own, so it has small recovery settings from the start.
    click, rule, booking, _ = await _click_book_held(
        world, "after", BOOKING_STUCK_AFTER_SECONDS="5", BOOKING_RECOVERY_INTERVAL_SECONDS="0.2")
    database = world.database_url.rsplit("/", 1)[1]
    lock = await asyncpg.connect(world.database_url.replace("postgresql+asyncpg://", "postgresql://", 1))
    try:
        locked = lock.transaction()
        await locked.start()
        await lock.execute("SELECT 1 FROM bookings WHERE id = $1 FOR UPDATE", booking.id)
        rule.release()  # the event is created and its answer is back: the UPDATE confirming it waits on the row

        async def confirming_waits() -> bool:
            # Until the booking is BOOKING_STUCK_AFTER_SECONDS old, only the confirming UPDATE touches its row.
            return bool(await lock.fetchval("SELECT count(*) FROM pg_stat_activity "
                                            "WHERE datname = $1 AND wait_event_type = 'Lock'", database))

        await _until(confirming_waits)
        # The database goes away under the bot: every connection it had is ended, mid-UPDATE.
        await lock.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                           "WHERE datname = $1 AND pid <> pg_backend_pid()", database)
        await locked.rollback()
    finally:
        await lock.close()
    await asyncio.gather(click, return_exceptions=True)  # that click's turn failed with the database

    await _assert_confirmed_and_both_told(world, booking)
