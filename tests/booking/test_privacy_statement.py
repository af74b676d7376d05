"""The privacy card and the /privacy page say exactly what is stored: every table, the booked subject, every
colleague invited (optional or not) and each move's times included, and no claim that a booking's subject is
never stored."""

from __future__ import annotations

import asyncio
import json
from dataclasses import fields
from datetime import UTC, datetime, timedelta

import aiohttp
from botbuilder.schema import ConversationReference

from cards.stored_data import NEVER_STORED, STORED_DATA
from dialogs.booking_state import (
    ABANDONED_AFTER,
    BookingMemory,
    BookingOptions,
    GroupForm,
    OfferedSlot,
    SearchRecord,
)
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


# What "Searches in progress" says of each field a search (dialogs/booking_state.py) keeps in bot_state, and of
# each part of a group chat's reference kept with it. A new field fails this test until the statement says it.
SEARCH_WORDING = {
    SearchRecord: {"search_id": "who asked and when", "tenant_id": "who asked and when",
                   "organizer_oid": "who asked and when", "created_at": "who asked and when",
                   "options": "what you chose on the booking form or typed", "window_start": "the days",
                   "window_end": "the days", "window_label": "the days", "offset": "the times offered",
                   "slots": "the times offered", "booked_slot_id": "which one you booked",
                   "group_origin": "that chat's reference", "moving_booking_id": "which meeting"},
    BookingOptions: {"colleague_oid": "the colleagues invited", "colleague_oids": "the colleagues invited",
                     "optional_oids": "which of them are optional", "duration_minutes": "the length",
                     "duration_choice": "the length", "custom_duration": "the length", "window_kind": "the days",
                     "from_date": "the days", "to_date": "the days", "requested_start": "the time you asked for",
                     "subject": "subject", "note": "note"},
    OfferedSlot: {"slot_id": "the times offered", "start": "the times offered", "end": "the times offered",
                  "verified": "the times offered"},
    GroupForm: {"form_id": "who asked and when", "tenant_id": "who asked and when",
                "organizer_oid": "who asked and when", "created_at": "who asked and when",
                "group_origin": "that chat's reference"},
}
REFERENCE_WORDING = {  # ConversationReference, as dialogs/group_chat.py serializes a group chat's
    "conversation": "its Teams conversation id, name and type, your organization's id",
    "channel_id": "its Teams conversation id",  # always "msteams"
    "service_url": "the Teams service URL",
    "bot": "the bot's and your Teams ids and names",
    "user": "the bot's and your Teams ids and names",
    "activity_id": "your message's id",
    "locale": "language",
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


def test_every_field_a_search_keeps_is_in_the_statement() -> None:
    searches = dict(STORED_DATA)["Searches in progress"]
    for kind, wording in SEARCH_WORDING.items():
        assert {field.name for field in fields(kind)} == set(wording), kind.__name__
        for name, words in wording.items():
            assert words in searches, (kind.__name__, name)
    assert set(ConversationReference._attribute_map) == set(REFERENCE_WORDING)
    assert all(words in searches for words in REFERENCE_WORDING.values())


def test_a_group_chats_reference_is_kept_until_the_booking_or_an_hour_at_most() -> None:
    # The statement says so; the form's copy and the searches' copies go at the same moments.
    now = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
    origin = {"reference": {"conversation": {"id": "19:chat@thread.v2"}}, "name": "Launch"}
    later_request = {**origin, "name": "Launch, asked again"}
    options = BookingOptions("oid", 30, "30", None, "this_week", None, None, "Secret", "Note")
    memory = BookingMemory({})
    form_id = memory.remember_form(origin, "adele", CONTOSO, now)
    for search_id, asked_from in (("booked", origin), ("other page", origin), ("later", later_request)):
        memory.remember(SearchRecord(search_id, CONTOSO, "adele", now.isoformat(), options, now.isoformat(),
                                     now.isoformat(), "this week", group_origin=asked_from), now)
    assert memory.form_origin(form_id, "adele", CONTOSO) == origin
    assert memory.form_origin(form_id, "ben", CONTOSO) is None  # someone else's form id tells nothing

    memory.finish("booked", "20261125T1700Z")

    assert memory.form_origin(form_id, "adele", CONTOSO) is None
    assert memory.search("other page", "adele", CONTOSO).group_origin is None
    assert memory.search("later", "adele", CONTOSO).group_origin == later_request  # another request's chat
    memory.set_pending(options, now, group_origin=later_request)
    memory.prune(now + ABANDONED_AFTER + timedelta(minutes=1))
    assert memory.search("later", "adele", CONTOSO).group_origin is None
    assert memory.pending() is None and memory.pending_group_origin() is None


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
