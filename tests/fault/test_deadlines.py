"""Slow and hung dependencies (issue 9): one organization's stuck Entra ID never holds up another's, and every
turn is answered inside Teams' time, with the work finishing in the background and nothing done twice.

A service that stopped answering is an emulator hold rule (held before the service acts): the request gets no
answer until the test releases it, so every "before" and "after" below is an order of events the test
controls, never a measured duration.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from app import DEADLINES_KEY
from graph.msal_threads import MSAL_THREADS_PER_TENANT
from tests.booking.conftest import (
    ADELE,
    BEN,
    CHLOE,
    CONTOSO,
    FABRIKAM,
    FIONA,
    LAURA,
    MATEO,
    book_buttons,
    card_of,
    card_text,
    day_form,
    meeting_day,
)
from tests.fault.checks import (
    assert_clear_invoke_answer,
    assert_nothing_half_written,
    assert_still_serving,
    bot_event_count,
)
from tests.fault.conftest import FaultWorld, fault_world
from tests.harness import SentActivity
from tests.waiting import GUARD_SECONDS, eventually

STILL_WORKING = "Still working on it"
CARD_ID = "activity-card-1"  # the message holding the card that was clicked


def updates_of(world: FaultWorld, activity_id: str) -> list[SentActivity]:
    return [sent for sent in world.connector.sent if sent.method == "PUT" and sent.activity_id == activity_id]


async def health(world: FaultWorld) -> tuple[int, dict[str, Any]]:
    async with world.bot.session.get(f"{world.bot.url}/healthz") as response:
        return response.status, await response.json()


def is_still_working(response: dict[str, Any]) -> bool:
    return STILL_WORKING in card_text(card_of(response))


@pytest.fixture
async def adele_and_ben(sqlite_url: str, tmp_path: Path) -> AsyncIterator[FaultWorld]:
    """Contoso connected; Entra ID gets 2 s per request. Turns the test holds outlast a short deadline
    (`held_turns_outlast_the_deadline`); every other turn has the default one, so it is answered in time."""
    async for world in fault_world(sqlite_url, tmp_path, entra_timeout_seconds=2.0):
        await world.set_up_tenant()
        await world.meet(ADELE, BEN)
        yield world


@pytest.fixture
async def locked_out(database_url: str, tmp_path: Path) -> AsyncIterator[FaultWorld]:
    """Contoso connected, on both backends; the database gets 2 s per wait."""
    async for world in fault_world(database_url, tmp_path, database_timeout_seconds=2.0):
        await world.set_up_tenant()
        await world.meet(ADELE, BEN)
        yield world


@asynccontextmanager
async def members_table_locked(world: FaultWorld) -> AsyncIterator[None]:
    """Another client holds the members table (SQLite: the write lock), as a stuck migration or a lost
    connection holding a lock would. A person's first turn in a bot process reads and writes that table first."""
    url = make_url(world.database_url)
    if url.get_backend_name() == "sqlite":
        holder = sqlite3.connect(str(url.database), isolation_level=None)
        holder.execute("BEGIN EXCLUSIVE")
        try:
            yield
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        return
    connection = await asyncpg.connect(url.set(drivername="postgresql").render_as_string(hide_password=False))
    transaction = connection.transaction()
    await transaction.start()
    await connection.execute("LOCK TABLE members IN ACCESS EXCLUSIVE MODE")
    try:
        yield
    finally:
        await transaction.rollback()
        await connection.close()


@pytest.fixture
async def two_tenants(sqlite_url: str, tmp_path: Path) -> AsyncIterator[FaultWorld]:
    """Contoso and Fabrikam both connected domain-wide. Deadlines and Entra timeouts are long, so nothing Contoso
    started can end by itself before the test releases Entra ID."""
    async for world in fault_world(sqlite_url, tmp_path, turn_deadline_seconds=14.0, entra_timeout_seconds=120.0):
        world.emu.grant_admin_consent(FABRIKAM)  # what Fabrikam's admin does to use domain-wide mode
        await world.set_up_tenant()
        await world.set_up_tenant(FABRIKAM, admin=FIONA)
        await world.meet(ADELE, BEN, CHLOE, MATEO, FIONA, LAURA)
        yield world


async def test_a_hung_token_endpoint_in_one_tenant_leaves_another_tenants_turns_answered(
    two_tenants: FaultWorld,
) -> None:
    world = two_tenants
    hung = world.emu.faults.hold(f"/{CONTOSO}/oauth2/v2.0/token", "before", times=None)
    organizers = [ADELE, BEN, CHLOE, MATEO]
    # More Contoso searches than the pool holds threads for one tenant (and than asyncio's default pool).
    contoso_clicks = [
        asyncio.create_task(world.bot.execute(organizer, "findTimes", day_form(colleague, meeting_day(), duration)))
        for organizer, colleague in zip(organizers, organizers[1:] + organizers[:1], strict=True)
        for duration in ("30", "45", "60")
    ]
    try:
        await eventually(lambda: hung.held >= MSAL_THREADS_PER_TENANT, "Contoso's token requests reached Entra ID")

        help_answered = await asyncio.wait_for(world.bot.say(FIONA, "help"), GUARD_SECONDS)
        fabrikam_search = await asyncio.wait_for(
            world.bot.execute(FIONA, "findTimes", day_form(LAURA, meeting_day())), GUARD_SECONDS)

        # Fabrikam was answered while Contoso's token requests were still held and none of its searches had
        # reached Outlook.
        assert help_answered.status in (200, 201)
        assert any("What I can do" in card_text(card) for sent in world.connector.messages(FIONA.conversation_id)
                   for card in sent.cards)
        assert book_buttons(card_of(fabrikam_search))
        assert hung.held > 0
        assert {call.tenant_id for call in world.emu.calls_to("getSchedule")} == {FABRIKAM}
    finally:
        hung.release()  # also when an assertion failed, so the clicks can end
    answers = await asyncio.wait_for(asyncio.gather(*contoso_clicks), GUARD_SECONDS)
    for answer in answers:
        assert_clear_invoke_answer(answer)
    await eventually(lambda: len([call for call in world.emu.calls_to("getSchedule") if call.tenant_id == CONTOSO])
                     == len(contoso_clicks), "every Contoso search reached Outlook once Entra ID answered")


async def test_a_search_outlasting_the_deadline_answers_still_working_then_updates_the_card(
    adele_and_ben: FaultWorld,
) -> None:
    world = adele_and_ben
    hung = world.emu.faults.hold("/calendar/getSchedule", "before", times=None)
    form = day_form(BEN, meeting_day())

    with world.held_turns_outlast_the_deadline():
        first = await world.bot.execute(ADELE, "findTimes", form, reply_to=CARD_ID)
        again = await world.bot.execute(ADELE, "findTimes", form, reply_to=CARD_ID)
    await eventually(lambda: hung.held == 1, "Adele's search reached Outlook")

    assert is_still_working(first) and is_still_working(again)
    assert hung.fired == 1  # the second click joined the first search instead of asking Outlook again
    assert updates_of(world, CARD_ID) == []
    hung.release()
    await eventually(lambda: bool(updates_of(world, CARD_ID)), "the card was updated with the suggestions")
    [update] = updates_of(world, CARD_ID)
    [suggestions] = update.cards
    offers = book_buttons(suggestions)
    assert offers, card_text(suggestions)
    assert len(world.emu.calls_to("getSchedule")) == 1

    # The search finished in the background was remembered: its times can be booked.
    confirmation = card_of(await world.bot.execute(ADELE, "book", offers[0]))
    assert "Booked:" in card_text(confirmation)
    await assert_nothing_half_written(world)


async def test_a_second_book_click_while_outlook_hangs_makes_one_meeting_and_updates_the_card(
    adele_and_ben: FaultWorld,
) -> None:
    world = adele_and_ben
    offer = book_buttons(await world.find_times(ADELE, day_form(BEN, meeting_day())))[0]
    hung = world.emu.faults.hold("/events", "before", times=None, method="POST")

    with world.held_turns_outlast_the_deadline():
        first = await world.bot.execute(ADELE, "book", offer, reply_to=CARD_ID)
        again = await world.bot.execute(ADELE, "book", offer, reply_to=CARD_ID)
    await eventually(lambda: hung.held == 1, "Adele's booking reached Outlook")

    assert is_still_working(first) and is_still_working(again)
    [booking] = await world.bookings()
    assert booking.status == "reserved"
    hung.release()
    await eventually(lambda: bool(updates_of(world, CARD_ID)), "the card was updated with the confirmation")
    [update] = updates_of(world, CARD_ID)
    assert "Booked:" in card_text(update.cards[0])
    [booking] = await world.bookings()
    assert booking.status == "confirmed"
    assert bot_event_count(world) == 1
    assert len([call for call in world.emu.calls_to("/events") if call.method == "POST"]) == 1
    await eventually(lambda: bool(world.proactive_to(BEN)), "Ben was told about the meeting")
    await assert_nothing_half_written(world)


async def test_a_throttling_storm_answers_still_working_and_the_suggestions_follow(adele_and_ben: FaultWorld) -> None:
    world = adele_and_ben
    world.emu.faults.throttle("/calendar/getSchedule", times=None, retry_after="2")

    with world.held_turns_outlast_the_deadline():  # throttled until the test clears the fault
        answer = await world.bot.execute(ADELE, "findTimes", day_form(BEN, meeting_day()), reply_to=CARD_ID)

    assert is_still_working(answer)
    await eventually(lambda: bool(world.emu.calls_to("getSchedule")), "Adele's search was throttled")
    world.emu.faults.clear()  # the storm passes; the bot is still honouring Retry-After in the background
    await eventually(lambda: bool(updates_of(world, CARD_ID)), "the card was updated with the suggestions")
    [update] = updates_of(world, CARD_ID)
    assert book_buttons(update.cards[0])
    statuses = [call.status for call in world.emu.calls_to("getSchedule")]
    assert statuses[0] == 429 and statuses[-1] == 200


async def test_sign_in_timing_out_after_the_deadline_turns_the_card_into_a_clear_message(
    adele_and_ben: FaultWorld,
) -> None:
    world = adele_and_ben
    hung = world.emu.faults.hold(f"/{CONTOSO}/oauth2/v2.0/token", "before", times=None)

    # Entra ID's request timeout (2 s) ends the turn, long after its deadline.
    with world.held_turns_outlast_the_deadline():
        answer = await world.bot.execute(ADELE, "findTimes", day_form(BEN, meeting_day()), reply_to=CARD_ID)

    assert is_still_working(answer)
    # Entra ID never answers; the request's own timeout ends the work, and the card says so.
    await eventually(lambda: bool(updates_of(world, CARD_ID)), "the card was updated with the outcome")
    [update] = updates_of(world, CARD_ID)
    [card] = update.cards
    assert_clear_invoke_answer({"statusCode": 200, "type": "application/vnd.microsoft.card.adaptive", "value": card})
    assert "sign-in could not be reached" in card_text(card)
    assert "findTimes" in card_text(card)  # the Try again button repeats the search
    assert world.emu.calls_to("getSchedule") == []
    # The bot itself is healthy, and says which part of Microsoft is not answering.
    assert await health(world) == (200, {"status": "ok", "entra_unanswered_tenants": 1})

    hung.release()
    assert book_buttons(await world.find_times(ADELE, day_form(BEN, meeting_day())))
    assert await health(world) == (200, {"status": "ok"})


async def test_a_typed_booking_outlasting_the_deadline_says_still_working_then_answers(
    adele_and_ben: FaultWorld,
) -> None:
    world = adele_and_ben
    hung = world.emu.faults.hold("/calendar/getSchedule", "before", times=None)

    with world.held_turns_outlast_the_deadline():
        response = await world.bot.say(ADELE, "book 30 min with Ben next week")

    assert response.status in (200, 201)
    said = world.connector.messages(ADELE.conversation_id)
    assert [sent.text for sent in said if STILL_WORKING in sent.text]
    assert not [sent for sent in said if sent.cards]
    hung.release()
    await eventually(lambda: any(book_buttons(card) for sent in world.connector.messages(ADELE.conversation_id)
                                 for card in sent.cards), "the suggestions arrived in the chat")


async def test_someone_elses_turns_are_answered_while_one_persons_booking_hangs(adele_and_ben: FaultWorld) -> None:
    world = adele_and_ben
    hung = world.emu.faults.hold("/calendar/getSchedule", "before", times=None)
    with world.held_turns_outlast_the_deadline():
        stuck = asyncio.create_task(world.bot.execute(ADELE, "findTimes", day_form(BEN, meeting_day())))
        await eventually(lambda: hung.held == 1, "Adele's search reached Outlook")

    await world.bot.say(BEN, "help")

    assert hung.held == 1
    assert any("What I can do" in card_text(card) for sent in world.connector.messages(BEN.conversation_id)
               for card in sent.cards)
    assert is_still_working(await stuck)
    hung.release()


async def test_a_locked_database_gets_still_working_then_a_clear_message_and_the_next_turn_works(
    locked_out: FaultWorld,
) -> None:
    world = locked_out

    def said() -> list[str]:
        return [sent.text for sent in world.connector.messages(CHLOE.conversation_id)]

    async with members_table_locked(world):
        # Her first turn: the bot must record her, and waits for the lock until the database timeout (2 s).
        with world.held_turns_outlast_the_deadline():
            response = await world.bot.say(CHLOE, "help")
        assert response.status in (200, 201)
        assert any(STILL_WORKING in text for text in said())
        await eventually(lambda: any("didn't answer in time" in text for text in said()),
                         "the person was told the turn could not finish")

    assert not any("something went wrong" in text.lower() for text in said())
    await assert_still_serving(world)


async def test_shutting_down_lets_background_work_finish_and_update_the_card(adele_and_ben: FaultWorld) -> None:
    world = adele_and_ben
    offer = book_buttons(await world.find_times(ADELE, day_form(BEN, meeting_day())))[0]
    hung = world.emu.faults.hold("/events", "before", times=None, method="POST")
    with world.held_turns_outlast_the_deadline():
        assert is_still_working(await world.bot.execute(ADELE, "book", offer, reply_to=CARD_ID))
    await eventually(lambda: hung.held == 1, "Adele's booking reached Outlook")

    shutting_down = asyncio.create_task(world.bot.app.shutdown())
    await eventually(lambda: world.bot.app[DEADLINES_KEY].draining, "shutdown is waiting for the booking")
    hung.release()
    await asyncio.wait_for(shutting_down, GUARD_SECONDS)

    [booking] = await world.bookings()
    assert booking.status == "confirmed"
    assert "Booked:" in card_text(updates_of(world, CARD_ID)[0].cards[0])
    await assert_nothing_half_written(world)
