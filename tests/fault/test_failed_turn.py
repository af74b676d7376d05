"""A turn that fails unexpectedly costs only that turn: what the chat saved before (a search) still works.

The turn error handler (app.py) used to delete the chat's whole conversation state, and with it every search
another turn of the chat had saved; a Book button on an earlier suggestions card then no longer knew its
times. The handler now only apologizes with a reference and logs the error.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.exc import TimeoutError as PoolTimeout

from dialogs.booking import BookingDialog
from storage.repositories import BookingRepository
from tests.booking.conftest import ADELE, BEN, all_actions, book_buttons, card_of, card_text, day_form, meeting_day
from tests.fault.checks import APOLOGY, assert_nothing_half_written, bot_event_count
from tests.fault.conftest import FaultWorld, fault_world
from tests.waiting import GUARD_SECONDS, eventually

STILL_WORKING = "Still working on it"


@pytest.fixture
async def connected_on_both(database_url: str, tmp_path: Path) -> AsyncIterator[FaultWorld]:
    """Contoso connected on both backends, Adele and Ben have said hello; turns have the default deadline."""
    async for world in fault_world(database_url, tmp_path):
        await world.set_up_tenant()
        await world.meet(ADELE, BEN)
        yield world


async def test_a_search_saved_before_another_search_of_the_chat_failed_still_books(
    connected_on_both: FaultWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Nothing a client can send, and no fault the emulator can play, makes a turn fail unexpectedly any more
    (the fuzz suites in this folder found none left). So, for this test only, one dialog step is made to
    raise, as a bug would: `BookingDialog._memory` reads the chat's saved searches and then raises
    RuntimeError. It fails after the turn's deadline, once Adele has the "still working" card (the test holds
    it until then): the turn error handler then gets the turn's own context with the state loaded, which is
    where the old handler's delete took the chat's searches with it. Everything else is the real bot over
    HTTP against the emulator."""
    world = connected_on_both
    day = meeting_day()
    suggestions = await world.find_times(ADELE, day_form(BEN, day))
    offered = book_buttons(suggestions)
    assert offered, card_text(suggestions)
    read_memory = BookingDialog._memory
    fail_now = asyncio.Event()

    async def read_then_fail(dialog: BookingDialog, turn_context: Any) -> None:
        await read_memory(dialog, turn_context)
        await fail_now.wait()
        raise RuntimeError("an unexpected error in one turn")

    monkeypatch.setattr(BookingDialog, "_memory", read_then_fail)
    mark = len(world.connector.sent)
    with world.held_turns_outlast_the_deadline():
        second_search = card_of(await world.bot.execute(ADELE, "findTimes", day_form(BEN, day + timedelta(days=1))))
    assert STILL_WORKING in card_text(second_search)
    fail_now.set()
    await eventually(lambda: any(APOLOGY in sent.text.lower() for sent in world.connector.sent[mark:]),
                     "Adele was told her second search failed")
    monkeypatch.undo()

    confirmation = card_of(await world.bot.execute(ADELE, "book", offered[0]))

    assert any(action.get("verb") == "cancelBooking" for action in all_actions(confirmation)), card_text(confirmation)
    assert [booking.status for booking in await world.bookings()] == ["confirmed"]
    assert bot_event_count(world) == 1
    await assert_nothing_half_written(world)


async def test_a_booking_whose_event_was_created_survives_a_database_hiccup_while_recording_it(
    connected_on_both: FaultWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Outlook created the meeting; recording it in the bookings table then hits a database that does not
    answer (the pool was exhausted in the 200-conversation load test). The bot tries again and the booking is
    confirmed, instead of staying `reserved` until recovery takes it over minutes later. The outage is played
    by making `BookingRepository.confirm` raise sqlalchemy's pool TimeoutError twice, for this test only."""
    world = connected_on_both
    suggestions = await world.find_times(ADELE, day_form(BEN, meeting_day()))
    offered = book_buttons(suggestions)
    assert offered, card_text(suggestions)
    confirm = BookingRepository.confirm
    failures = [PoolTimeout("QueuePool limit reached"), PoolTimeout("QueuePool limit reached")]
    recorded = asyncio.Event()

    async def confirm_after_an_outage(repository: BookingRepository, *args: Any) -> Any:
        if failures:
            raise failures.pop()
        result = await confirm(repository, *args)
        recorded.set()
        return result

    monkeypatch.setattr(BookingRepository, "confirm", confirm_after_an_outage)
    answer = card_of(await world.bot.execute(ADELE, "book", offered[0]))
    await asyncio.wait_for(recorded.wait(), GUARD_SECONDS)
    # Answered in time, or "still working" with the confirmation following as a message.
    await eventually(lambda: any("Booked:" in card_text(card) for card in [answer, *adele_was_sent_cards(world)]),
                     "Adele was told her meeting is booked")

    assert failures == []
    assert [booking.status for booking in await world.bookings()] == ["confirmed"]
    assert bot_event_count(world) == 1
    await assert_nothing_half_written(world)


def adele_was_sent_cards(world: FaultWorld) -> list[dict[str, Any]]:
    return [card for sent in world.connector.messages(ADELE.conversation_id) for card in sent.cards]
