"""What every fault and fuzz test asserts after the bot has been hit: the promise in checkable form.

"Every bad input gets a clear message in chat (or a clear HTTP error), and nothing is lost or half-written":
* an HTTP status Teams can live with (never a 500);
* no apology from the turn error handler (that means an unhandled exception) and no Python internals
  (a traceback, an exception or object repr) in anything the bot says;
* the server still healthy and still answering `help`;
* every booking row finished: confirmed with an Outlook event that exists, failed with a reason, or
  cancelled; never left 'reserved'; and Outlook holds no event Rendezvous has no confirmed row for.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

from tests.booking.conftest import ADELE, CONTOSO, EVERYONE, BookingWorld, card_text
from tests.harness import SentActivity

# What /api/messages may answer, whatever arrives: 200/201 handled, 400 unreadable, 401 unauthenticated,
# 413 too large, 415 not JSON, 501 an invoke the bot does not implement. 500 never.
ACCEPTABLE_STATUSES = frozenset({200, 201, 400, 401, 413, 415, 501})
APOLOGY = "something went wrong"
ADAPTIVE_CARD = "application/vnd.microsoft.card.adaptive"
INVOKE_MESSAGE = "application/vnd.microsoft.activity.message"

# Python's own shapes, which a person must never read in chat.
_INTERNALS = re.compile(
    r"Traceback \(most recent call last\)"
    r"|File \"[^\"]+\", line \d+"
    r"|<[\w.]+ object at 0x[0-9a-fA-F]+>"
    r"|\b[A-Z]\w*(?:Error|Exception)\("
    r"|\{'[^']*': "
    r"|\[\{?'"
    r"|\\x[0-9a-f]{2}"
)


def strings_in(value: Any) -> Iterator[str]:
    """Every string inside a JSON-like value (keys included), depth first."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from strings_in(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from strings_in(item)


def internals_shown(said: Iterable[str], sent_in: Any) -> list[str]:
    """Python internals in what the bot said, ignoring anything the sender typed themselves (echoed back)."""
    typed = list(strings_in(sent_in))
    found = []
    for text in said:
        for match in _INTERNALS.finditer(text):
            if not any(match.group(0) in own for own in typed):
                found.append(f"{match.group(0)!r} in {text[:300]!r}")
    return found


def said_in(sent: Iterable[SentActivity]) -> list[str]:
    """The text of every message and every string on every card the bot sent."""
    texts: list[str] = []
    for activity in sent:
        texts.append(activity.text)
        texts.extend(strings_in(activity.cards))
    return texts


def said_in_invoke(body: Any) -> list[str]:
    """What an invoke response shows the person: its message, or its card's strings."""
    return list(strings_in(body.get("value"))) if isinstance(body, dict) else []


def assert_no_apology(sent: Iterable[SentActivity]) -> None:
    apologies = [activity.text for activity in sent if APOLOGY in activity.text.lower()]
    assert not apologies, f"an unhandled exception reached the person: {apologies}"


def assert_clear_invoke_answer(body: Any) -> None:
    """An Action.Execute answer Teams can show: a card, or a non-empty message."""
    assert isinstance(body, dict), body
    assert body.get("statusCode") == 200, body
    if body.get("type") == ADAPTIVE_CARD:
        assert isinstance(body.get("value"), dict) and body["value"].get("type") == "AdaptiveCard", body
    else:
        assert body.get("type") == INVOKE_MESSAGE, body
        assert isinstance(body.get("value"), str) and body["value"].strip(), body
        assert APOLOGY not in body["value"].lower(), body


async def assert_still_serving(world: BookingWorld) -> None:
    """/readyz is 200 (the database answers) and a plain `help` from Adele still gets the help card."""
    async with world.bot.session.get(f"{world.bot.url}/readyz") as response:
        assert response.status == 200, await response.text()
    mark = len(world.connector.sent)
    response = await world.bot.say(ADELE, "help")
    assert response.status in (200, 201), response.status
    replies = world.connector.sent[mark:]
    assert any("book" in card_text(card).lower() for reply in replies for card in reply.cards), \
        [reply.body for reply in replies]


def _bot_events(world: BookingWorld) -> dict[str, str]:
    """Outlook events Rendezvous created (organizer copies carrying a transactionId): immutable id -> organizer.

    Rendezvous asks Graph for immutable ids (Prefer: IdType="ImmutableId"), so that is what a booking stores.
    """
    events: dict[str, str] = {}
    for person in EVERYONE:
        for event in world.emu.created_events(person.email):
            if event.is_organizer and event.transaction_id and not event.is_cancelled:
                events[event.immutable_id] = person.aad_object_id
    return events


async def assert_nothing_half_written(world: BookingWorld, tenant_id: str = CONTOSO) -> None:
    bookings = await world.bookings(tenant_id)
    events = _bot_events(world)
    for booking in bookings:
        assert booking.status in ("confirmed", "failed", "cancelled"), booking
        if booking.status == "confirmed":
            assert booking.event_id in events, f"confirmed booking {booking.id} has no event in Outlook"
            assert events[booking.event_id] == booking.organizer_oid
        if booking.status == "failed":
            assert booking.failure_reason, booking
    confirmed = {b.event_id for b in bookings if b.status == "confirmed"}
    assert set(events) <= confirmed, f"Outlook events without a confirmed booking: {set(events) - confirmed}"


def bot_event_count(world: BookingWorld) -> int:
    return len(_bot_events(world))
