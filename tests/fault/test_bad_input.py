"""Bad input from one person never breaks another (issue 9), at the HTTP boundary against the emulator.

Each value arrives the way a client could send it: a slow-to-parse request, a time zone that is a directory
("America"), NUL and lone surrogates in names, subjects and notes, a length of 99999999999 hours, Markdown
in a subject, two searches at the same moment in one chat. Each gets a clear answer; the next turn of that
person works, and so does a colleague's search with them.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from cards.base import plain
from dialogs.booking_state import ABANDONED_AFTER, MAX_SEARCHES
from dialogs.state_pruning import prune_idle_conversations
from scheduling.durations import MAX_SHORTCUT_LENGTH
from storage.models import BotState
from storage.repositories import MemberRepository
from storage.state_store import StateStore
from tests.booking.conftest import (
    ADELE,
    BEN,
    CONTOSO,
    FIONA,
    book_buttons,
    card_of,
    card_text,
    day_form,
    meeting_day,
    message_of,
)
from tests.fault.checks import (
    assert_clear_invoke_answer,
    assert_no_apology,
    assert_nothing_half_written,
    assert_still_serving,
    internals_shown,
    said_in,
)
from tests.fault.conftest import FaultWorld
from tests.harness import TeamsUser

ISSUE_REDOS = "book a" + "\t" * 28_000 + "x"
NUL_AND_SURROGATES = "Ad\x00ele \ud800Vance\x07"
EVIL_SUBJECT = "[Your session expired](https://evil.example)"
# A Markdown link whose brackets are not escaped: "[text](url)".
_LIVE_LINK = re.compile(r"(?<!\\)\[[^\]]*(?<!\\)\]\(")


async def _said(world: FaultWorld, user: TeamsUser, text: str) -> list[str]:
    mark = len(world.connector.sent)
    response = await world.bot.say(user, text)
    assert response.status in (200, 201), response.status
    replies = world.connector.sent[mark:]
    assert replies, f"{text[:40]!r} went unanswered"
    assert_no_apology(replies)
    return said_in(replies)


async def _search_works(world: FaultWorld, organizer: TeamsUser, colleague: TeamsUser,
                        **form: str) -> dict[str, Any]:
    """The organizer finds times with the colleague: a card with Book buttons, nothing broken."""
    response = await world.bot.execute(organizer, "findTimes", day_form(colleague, meeting_day(), **form))
    assert_clear_invoke_answer(response)
    card = card_of(response)
    assert book_buttons(card), card_text(card)
    return card


async def _documents(world: FaultWorld) -> list[str]:
    """Every conversation-state document of Contoso as stored (the bot_state table)."""
    async with world.db.session() as session:
        rows = await session.execute(select(BotState.document).where(BotState.tenant_id == CONTOSO))
        return [str(document) for (document,) in rows]


# ----------------------------------------------------------------------------------------- slow parsing
async def test_the_issue_redos_request_is_refused_clearly_and_another_tenant_is_answered(
    connected: FaultWorld,
) -> None:
    world = connected
    # Three such messages from Contoso and, behind them, Fabrikam's "help", all at once: every one is answered.
    flood = [world.bot.say(ADELE, ISSUE_REDOS) for _ in range(3)]
    *floods, help_reply = await asyncio.gather(*flood, world.bot.say(FIONA, "help"))

    assert all(response.status in (200, 201) for response in [*floods, help_reply])
    to_adele = world.connector.messages(ADELE.conversation_id)
    to_fiona = world.connector.messages(FIONA.conversation_id)
    assert [m.text for m in to_adele].count(to_adele[0].text) == 3
    assert f"({MAX_SHORTCUT_LENGTH} characters at most)" in to_adele[0].text
    assert any("book" in card_text(card).lower() for reply in to_fiona for card in reply.cards)
    # Adele's next request is read as usual.
    said = await _said(world, ADELE, "book 30 min with Ben next week")
    assert any("Ben Walters" in text for text in said), said


async def test_whitespace_inside_the_cap_is_read_as_one_space(connected: FaultWorld) -> None:
    world = connected
    spaced = "book\t\t30\n\n\nmin \u3000with\tBen" + "\t" * (MAX_SHORTCUT_LENGTH - 60) + "next week"
    said = await _said(world, ADELE, spaced)
    assert any("Times for you and Ben Walters" in text or "No time found with Ben" in text for text in said), said


# ----------------------------------------------------------------------------------------- time zones
async def test_a_zone_that_is_a_directory_or_too_long_is_ignored_and_searches_with_that_person_work(
    world_on_both: FaultWorld,
) -> None:
    world = world_on_both
    await world.set_up_tenant()
    await world.meet(ADELE, BEN)
    for junk in ("America", "x" * 300, "../../etc/passwd", "Europe/", "America/New_York\x00"):
        said = await _said(world, replace(BEN, time_zone=junk), "help")
        assert not internals_shown(said, junk)

    stored = await MemberRepository(world.db, CONTOSO).get(BEN.aad_object_id)
    assert stored is not None and stored.time_zone == "America/New_York"  # the last good one stands
    await _search_works(world, ADELE, BEN)
    await _search_works(world, BEN, ADELE)


async def test_a_bad_zone_stored_before_the_fix_breaks_no_search_and_is_repaired(world_on_both: FaultWorld) -> None:
    world = world_on_both
    await world.set_up_tenant()
    await world.meet(ADELE, BEN)
    members = MemberRepository(world.db, CONTOSO)
    ben = await members.get(BEN.aad_object_id)
    assert ben is not None
    await members.upsert(replace(ben, time_zone="America"))  # as an older version stored it

    card = await _search_works(world, ADELE, BEN)
    assert "Ben Walters" in card_text(card)

    await world.bot.say(replace(BEN, time_zone="America/Chicago"), "help")
    repaired = await members.get(BEN.aad_object_id)
    assert repaired is not None and repaired.time_zone == "America/Chicago"


# ----------------------------------------------------------------------------------------- names, subjects, notes
async def test_nul_surrogates_and_overlong_text_are_cleaned_and_every_next_turn_works(
    world_on_both: FaultWorld,
) -> None:
    world = world_on_both
    await world.set_up_tenant()
    odd_adele = replace(ADELE, name=NUL_AND_SURROGATES + "x" * 5_000)
    await world.meet(odd_adele, BEN)
    subject = "Plan\x00ning \udc00" + "s" * 1_000
    note = "Line one\x00\nline two \ud83d" + "n" * 20_000

    card = await _search_works(world, odd_adele, BEN, subject=subject, note=note)
    booked = card_of(await world.bot.execute(odd_adele, "book", book_buttons(card)[0]))
    assert "Booked: Planning" in card_text(booked)

    [booking] = await world.bookings()
    assert "\x00" not in booking.subject and "\ufffd" in booking.subject and len(booking.subject) <= 200
    [event] = world.emu.created_events(ADELE.email)
    assert event.subject == booking.subject
    stored = await MemberRepository(world.db, CONTOSO).get(ADELE.aad_object_id)
    assert stored is not None and stored.name is not None
    assert stored.name.startswith("Adele \ufffdVance") and len(stored.name) == 256
    # Every next turn of hers works, and Ben finds times with her.
    assert any("book" in text.lower() for text in await _said(world, odd_adele, "help"))
    await _search_works(world, BEN, ADELE)
    await assert_nothing_half_written(world)


async def test_odd_text_in_a_search_query_and_a_typed_name_is_answered(world_on_both: FaultWorld) -> None:
    world = world_on_both
    await world.set_up_tenant()
    await world.meet(ADELE, BEN)
    search = ADELE.activity(world.connector.url, "invoke", name="application/search",
                            value={"dataset": "rendezvous.colleagues", "queryText": "Be\x00n\ud800"})
    response = await world.bot.post(search)
    assert response.status == 200
    said = await _said(world, ADELE, "book 30 min with B\x00en\udfff next week")
    assert not internals_shown(said, "")
    await _search_works(world, ADELE, BEN)


async def test_identifiers_longer_than_teams_sends_are_refused_clearly(world_on_both: FaultWorld) -> None:
    world = world_on_both
    for odd in (replace(ADELE, aad_object_id="a" * 300), replace(ADELE, conversation_id="a:" + "c" * 600)):
        said = await _said(world, odd, "help")
        assert any("couldn't read that message" in text for text in said), said
    mark = len(world.connector.sent)
    await world.bot.post(ADELE.activity(world.connector.url, "message", text="help", replyToId="r" * 300))
    assert any("couldn't read that message" in text for text in said_in(world.connector.sent[mark:]))
    assert await MemberRepository(world.db, CONTOSO).list_all() == []
    await assert_still_serving(world)


# ----------------------------------------------------------------------------------------- huge lengths
async def test_huge_lengths_get_the_limit_not_an_error(connected: FaultWorld) -> None:
    world = connected
    said = await _said(world, ADELE, "book 99999999999h with Ben next week")
    assert any("A meeting can last at most 8 hours." in text for text in said), said

    for custom in ("9" * 40, "99999999999h", "PT" + "9" * 30 + "H"):
        form = {**day_form(BEN, meeting_day(), duration="custom"), "customDuration": custom}
        response = await world.bot.execute(ADELE, "findTimes", form)
        assert "A meeting can last at most 8 hours." in card_text(card_of(response))
    await _search_works(world, ADELE, BEN)


# ----------------------------------------------------------------------------------------- Markdown
def _rendered_texts(card: dict[str, Any]) -> list[str]:
    """What Teams renders as Markdown: TextBlock texts and Fact titles and values."""
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "TextBlock" and isinstance(node.get("text"), str):
                found.append(node["text"])
            if node.get("type") == "FactSet":
                found.extend(part for fact in node.get("facts", []) for part in (fact["title"], fact["value"]))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(card)
    return found


async def test_markdown_in_a_subject_or_name_shows_as_text_on_the_colleagues_card(connected: FaultWorld) -> None:
    world = connected
    tricky_adele = replace(ADELE, name="**Adele** [IT](https://evil.example)")
    await world.meet(tricky_adele)
    card = await _search_works(world, tricky_adele, BEN, subject=EVIL_SUBJECT)
    booked = card_of(await world.bot.execute(tricky_adele, "book", book_buttons(card)[0]))

    [told] = [card for sent in world.proactive_to(BEN) for card in sent.cards]
    for shown in (booked, told):
        texts = _rendered_texts(shown)
        assert not [text for text in texts if _LIVE_LINK.search(text)], texts
        assert any(plain(EVIL_SUBJECT) in text for text in texts), texts
        assert any(plain("**Adele**") in text for text in texts), texts
    said = await _said(world, BEN, "my meetings")
    assert not [text for text in said if _LIVE_LINK.search(text)]


async def test_markdown_in_a_typed_name_is_echoed_as_text(connected: FaultWorld) -> None:
    world = connected
    said = await _said(world, ADELE, "book 30 min with [Ben](https://evil.example) next week")
    assert not [text for text in said if _LIVE_LINK.search(text)], said


# ----------------------------------------------------------------------------------------- two searches at once
async def test_two_searches_at_the_same_moment_in_one_chat_both_book(world_on_both: FaultWorld) -> None:
    world = world_on_both
    await world.set_up_tenant()
    await world.meet(ADELE, BEN)
    first_day, second_day = meeting_day(), meeting_day() + timedelta(days=1)

    first, second = await asyncio.gather(
        world.bot.execute(ADELE, "findTimes", day_form(BEN, first_day)),
        world.bot.execute(ADELE, "findTimes", day_form(BEN, second_day, duration="60")),
    )

    for response in (first, second):
        booked = card_of(await world.bot.execute(ADELE, "book", book_buttons(card_of(response))[0]))
        assert "Booked:" in card_text(booked), card_text(booked)
    assert len(await world.bookings()) == 2
    await assert_nothing_half_written(world)


# ----------------------------------------------------------------------------------------- data at rest
async def test_subject_and_note_leave_the_conversation_state_once_booked(world_on_both: FaultWorld) -> None:
    world = world_on_both
    await world.set_up_tenant()
    await world.meet(ADELE, BEN)
    card = await _search_works(world, ADELE, BEN, subject="Secret merger talk", note="Bring the term sheet")
    assert any("Secret merger talk" in document for document in await _documents(world))

    offer = book_buttons(card)[0]
    card_of(await world.bot.execute(ADELE, "book", offer))

    documents = await _documents(world)
    assert documents
    assert not [d for d in documents if "Secret merger talk" in d or "Bring the term sheet" in d], documents
    # A second click on the same button still answers with the booking; another time from that card is refused.
    again = card_of(await world.bot.execute(ADELE, "book", offer))
    assert "Booked: Secret merger talk" in card_text(again)
    other = {**offer, "slotId": book_buttons(card)[1]["slotId"]}
    assert "already booked a time" in message_of(await world.bot.execute(ADELE, "book", other))
    assert len(await world.bookings()) == 1


async def test_a_chat_keeps_a_bounded_number_of_searches(connected: FaultWorld) -> None:
    world = connected
    for index in range(MAX_SEARCHES + 3):
        await _search_works(world, ADELE, BEN, subject=f"Topic {index}")
    documents = await _documents(world)
    assert documents and all(d.count("'search_id'") <= MAX_SEARCHES for d in documents)
    assert not any("Topic 0'" in d for d in documents)


async def test_an_abandoned_search_loses_its_subject_without_another_turn(world_on_both: FaultWorld) -> None:
    world = world_on_both
    await world.set_up_tenant()
    await world.meet(ADELE, BEN)
    await _search_works(world, ADELE, BEN, subject="Secret offsite", note="Venue shortlist")
    store = StateStore(world.db)
    assert await prune_idle_conversations(store, datetime.now(UTC)) == 0  # not abandoned yet

    later = datetime.now(UTC) + ABANDONED_AFTER + timedelta(minutes=1)
    assert await prune_idle_conversations(store, later) == 1

    documents = await _documents(world)
    assert documents and not [d for d in documents if "Secret offsite" in d or "Venue shortlist" in d]
    await _search_works(world, ADELE, BEN)  # the chat goes on as before
