"""The privacy card and the /privacy page say exactly what is stored: every table, the booked subject, every
colleague invited (optional or not) and each move's times included, and no claim that a booking's subject is
never stored."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

import aiohttp

from cards.stored_data import NEVER_STORED, STORED_DATA
from dialogs.state_pruning import IdleConversationPruner
from storage.models import Base, ConsentRequest
from storage.repositories import ConsentRepository
from storage.state_store import StateStore
from tests.booking.conftest import (
    ADELE,
    BEN,
    CONTOSO,
    BookingWorld,
    book_buttons,
    card_of,
    day_form,
    meeting_day,
)

# Which entry of the statement tells of each table. A new table fails this test until the statement says
# what it keeps.
ENTRY_FOR_TABLE = {
    "members": "About you",
    "bookings": "Meetings booked here",
    "booking_attendees": "Meetings booked here",
    "booking_moves": "Meetings booked here",
    "bot_state": "Searches in progress",
    "graph_calls": "Calendar look-ups",
    "token_caches": "Your sign-in",
    "consent_requests": "Your sign-in",
    "tenants": "If you set Rendezvous up",
    "mailbox_pauses": "When Outlook asks Rendezvous to wait",
}


def test_every_table_is_in_the_statement() -> None:
    assert set(Base.metadata.tables) == set(ENTRY_FOR_TABLE)
    assert set(ENTRY_FOR_TABLE.values()) == {what for what, _ in STORED_DATA}


def test_the_statement_names_the_booked_subject_and_colleague() -> None:
    bookings = dict(STORED_DATA)["Meetings booked here"]
    assert "subject" in bookings and "every colleague invited and whether each is optional" in bookings
    # booking_moves: the old and new times of each move, its outcome and a failed move's reason.
    assert "old and new times" in bookings and "why, if it failed" in bookings
    searches = dict(STORED_DATA)["Searches in progress"]
    assert "subject and note" in searches and "an hour" in searches


async def test_the_privacy_card_and_page_say_the_same(world: BookingWorld) -> None:
    await world.set_up_tenant()
    await world.meet(ADELE, BEN)
    card = await world.find_times(ADELE, day_form(BEN, meeting_day(), subject="Quarterly plan"))
    card_of(await world.bot.execute(ADELE, "book", book_buttons(card)[0]))

    await world.bot.say(ADELE, "privacy")
    shown = json.dumps(world.connector.messages(ADELE.conversation_id)[-1].cards[0], ensure_ascii=False)
    async with aiohttp.ClientSession() as session, session.get(f"{world.bot.url}/privacy") as response:
        page = await response.text()

    for what, kept in STORED_DATA:
        assert what in shown and kept in shown
        assert what in page and kept.replace("'", "&#x27;") in page
    assert NEVER_STORED in shown and NEVER_STORED in page
    assert "never stores the subject" not in shown.lower() + page.lower()


async def test_a_sign_in_request_is_deleted_a_day_after_its_link_expired(world: BookingWorld) -> None:
    # The statement says a sign-in link's request (who asked, what to continue) is deleted a day after it expired.
    consents = ConsentRepository(world.db)
    past = datetime.now(UTC) - timedelta(days=1, minutes=11)
    expired = await consents.create(CONTOSO, ADELE.teams_user_id, ADELE.aad_object_id, "member_signin",
                                    {"resume": {"subject": "Quarterly plan"}}, now=past)
    # Expired an hour ago: kept, so its link still says "expired" rather than "unknown".
    recent = await consents.create(CONTOSO, ADELE.teams_user_id, ADELE.aad_object_id, "member_signin", {},
                                   now=datetime.now(UTC) - timedelta(hours=1))
    pruner = IdleConversationPruner(StateStore(world.db), interval=timedelta(milliseconds=20), consents=consents)

    await pruner.start()
    try:
        async with asyncio.timeout(10):
            while await _exists(world, expired):  # noqa: ASYNC110 - a database row the sweep deletes, polled
                await asyncio.sleep(0.02)
    finally:
        await pruner.stop()

    assert await _exists(world, recent)


async def _exists(world: BookingWorld, state: str) -> bool:
    async with world.db.session() as session:
        return await session.get(ConsentRequest, state) is not None
