"""Cards that stay true: cancelling asks first, a list keeps its other rows, and a cancellation reads the same
on every card that shows it."""

from __future__ import annotations

from typing import Any

from dialogs.access import remember_admin_proof
from tests.booking.conftest import (
    ADELE,
    BEN,
    CONTOSO,
    BookingWorld,
    all_actions,
    book_buttons,
    card_of,
    card_text,
    day_form,
    meeting_day,
)


def _button(card_or_row: dict[str, Any], verb: str) -> dict[str, Any]:
    """The one button with this verb on a card, or on one row of a card."""
    node = card_or_row if "body" in card_or_row else {"body": card_or_row["items"]}
    [button] = [action for action in all_actions(node) if action.get("verb") == verb]
    return button


def _rows(listing: dict[str, Any]) -> list[dict[str, Any]]:
    return [element for element in listing["body"] if element.get("type") == "Container"]


def _row_of(listing: dict[str, Any], subject: str) -> dict[str, Any]:
    [row] = [row for row in _rows(listing) if subject in card_text(row)]
    return row


async def _two_meetings(world: BookingWorld) -> dict[str, Any]:
    """Adele books "Budget" and "Roadmap" with Ben; returns Budget's Booked card."""
    await world.set_up_tenant()
    await world.meet(ADELE, BEN)
    day = meeting_day()
    budget = card_of(await world.bot.execute(
        ADELE, "book", book_buttons(await world.find_times(ADELE, day_form(BEN, day, subject="Budget")))[0]))
    roadmap_times = await world.find_times(ADELE, day_form(BEN, day, subject="Roadmap"))
    card_of(await world.bot.execute(ADELE, "book", book_buttons(roadmap_times)[0]))
    assert len(world.emu.created_events(ADELE.email)) == 2
    return budget


async def _my_meetings(world: BookingWorld) -> dict[str, Any]:
    await world.bot.say(ADELE, "my meetings")
    listing: dict[str, Any] = world.connector.messages(ADELE.conversation_id)[-1].cards[0]
    return listing


async def test_cancel_asks_first_and_keep_it_changes_nothing(world: BookingWorld) -> None:
    booked = await _two_meetings(world)
    world.emu.clear_calls()

    question = card_of(await world.bot.execute(ADELE, "cancelBooking", _button(booked, "cancelBooking")["data"]))

    assert "Cancel this meeting?" in card_text(question) and "Budget" in card_text(question)
    assert [a["title"] for a in question["actions"]] == ["Yes, cancel", "Keep it"]
    assert not [call for call in world.emu.calls if call.method == "DELETE"], "nothing happens before the answer"
    assert {booking.status for booking in await world.bookings()} == {"confirmed"}

    kept = card_of(await world.bot.execute(ADELE, "keepBooking", _button(question, "keepBooking")["data"]))

    assert "Booked: Budget" in card_text(kept) and _button(kept, "cancelBooking")["title"] == "Cancel meeting"
    assert not any(event.is_cancelled for event in world.emu.created_events(BEN.email))
    assert {booking.status for booking in await world.bookings()} == {"confirmed"}


async def test_yes_cancel_twice_cancels_once(world: BookingWorld) -> None:
    booked = await _two_meetings(world)
    question = card_of(await world.bot.execute(ADELE, "cancelBooking", _button(booked, "cancelBooking")["data"]))
    yes = _button(question, "confirmCancelBooking")

    first = card_of(await world.bot.execute(ADELE, "confirmCancelBooking", yes["data"]))
    second = card_of(await world.bot.execute(ADELE, "confirmCancelBooking", yes["data"]))

    assert card_text(first) == card_text(second)
    assert "Cancelled: Budget" in card_text(second)
    assert len([call for call in world.emu.calls if call.method == "DELETE"]) == 1
    assert len([sent for sent in world.proactive_to(BEN) if "Cancelled: Budget" in card_text(sent.cards[0])]) == 1


async def test_cancelling_from_the_list_keeps_the_other_rows_and_their_buttons(world: BookingWorld) -> None:
    await _two_meetings(world)
    listing = await _my_meetings(world)
    assert len(_rows(listing)) == 2

    asking = card_of(await world.bot.execute(
        ADELE, "cancelBooking", _button(_row_of(listing, "Budget"), "cancelBooking")["data"]))

    assert "Cancel this meeting?" in card_text(_row_of(asking, "Budget"))
    assert card_text(_row_of(asking, "Roadmap")) == card_text(_row_of(listing, "Roadmap"))
    assert {booking.status for booking in await world.bookings()} == {"confirmed"}

    after = card_of(await world.bot.execute(
        ADELE, "confirmCancelBooking", _button(_row_of(asking, "Budget"), "confirmCancelBooking")["data"]))

    budget, roadmap = _row_of(after, "Budget"), _row_of(after, "Roadmap")
    assert "Cancelled by Adele Vance" in card_text(budget)
    assert not [a for a in all_actions({"body": budget["items"]}) if a.get("verb")], "a cancelled row has no buttons"
    assert card_text(roadmap) == card_text(_row_of(listing, "Roadmap")), "the other row and its buttons stay"
    assert [a["title"] for a in after["actions"]] == ["Book a meeting"]
    statuses = {booking.subject: booking.status for booking in await world.bookings()}
    assert statuses == {"Budget": "cancelled", "Roadmap": "confirmed"}

    # "Keep it" on the other row's question restores the list as it stands, the cancelled row included.
    asking_again = card_of(await world.bot.execute(
        ADELE, "cancelBooking", _button(roadmap, "cancelBooking")["data"]))
    kept = card_of(await world.bot.execute(
        ADELE, "keepBooking", _button(_row_of(asking_again, "Roadmap"), "keepBooking")["data"]))
    assert card_text(_row_of(kept, "Roadmap")) == card_text(roadmap)
    assert "Cancelled by Adele Vance" in card_text(_row_of(kept, "Budget"))


async def test_a_cancellation_reads_the_same_on_every_card(world: BookingWorld) -> None:
    booked = await _two_meetings(world)
    question = card_of(await world.bot.execute(ADELE, "cancelBooking", _button(booked, "cancelBooking")["data"]))
    cancelled = card_of(await world.bot.execute(
        ADELE, "confirmCancelBooking", _button(question, "confirmCancelBooking")["data"]))

    refreshed = card_of(await world.bot.execute(ADELE, "refreshBooking", booked["refresh"]["action"]["data"]))
    bens = world.proactive_to(BEN)[-1].cards[0]
    await remember_admin_proof(world.services, CONTOSO, ADELE.aad_object_id)  # she signed in as an admin just now
    await world.bot.say(ADELE, "audit")
    audit = world.connector.messages(ADELE.conversation_id)[-1].cards[0]

    for card in (cancelled, refreshed, bens):
        assert "was cancelled by Adele Vance" in card_text(card), card_text(card)
    assert "(cancelled by Adele Vance)" in card_text(audit)
