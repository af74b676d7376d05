"""Teams mobile: a person on Android books, lists and cancels with Action.Submit buttons only.

Action.Execute has been reported broken on Teams for iOS and Android since January 2026 (AdaptiveCards issue
9315), so for a client whose clientInfo.platform is mobile every card carries Action.Submit buttons, and their
answers (message activities whose `value` holds the data) go through the same routes, checks and idempotency.
"""

from __future__ import annotations

from typing import Any

from tests.booking.conftest import (
    ADELE,
    BEN,
    BookingWorld,
    all_actions,
    card_text,
    day_form,
    meeting_day,
)
from tests.harness import SentActivity, TeamsUser


def _on_android(user: TeamsUser, activity: dict[str, Any]) -> dict[str, Any]:
    activity["entities"] = [{"type": "clientInfo", "locale": "en-US", "timezone": user.time_zone,
                             "platform": "android"}]
    return activity


async def _say(world: BookingWorld, user: TeamsUser, text: str) -> SentActivity:
    before = len(world.connector.sent)
    response = await world.bot.post(_on_android(user, user.activity(world.connector.url, "message", text=text)))
    assert response.status in (200, 201)
    [card] = [sent for sent in world.connector.sent[before:]
              if sent.cards and sent.conversation_id == user.conversation_id]
    return card


async def _tap(world: BookingWorld, user: TeamsUser, shown: SentActivity, verb: str,
               inputs: dict[str, Any] | None = None, *, button_of: dict[str, Any] | None = None) -> SentActivity:
    """Taps the Action.Submit with `verb` on a card the bot sent (or `button_of`, a part of it); Teams then sends
    a message activity, without text, whose value is the button's data plus the card's inputs."""
    source = button_of if button_of is not None else shown.cards[0]
    [button] = [a for a in all_actions({"body": [source]}) if a.get("data", {}).get("verb") == verb]
    assert button["type"] == "Action.Submit"
    before = len(world.connector.sent)
    activity = user.activity(world.connector.url, "message", value={**button["data"], **(inputs or {})},
                             replyToId=shown.activity_id)
    response = await world.bot.post(_on_android(user, activity))
    assert response.status in (200, 201)
    [update] = [sent for sent in world.connector.sent[before:]
                if sent.cards and sent.conversation_id == shown.conversation_id]
    assert (update.method, update.activity_id) == ("PUT", shown.activity_id), "the tapped card is updated in place"
    return update


def _assert_submit_only(sent: SentActivity) -> None:
    card = sent.cards[0]
    actions = all_actions(card)
    assert actions and not [a for a in actions if a["type"] == "Action.Execute"], card_text(card)
    assert all(a["data"].get("verb") for a in actions if a["type"] == "Action.Submit")
    assert "refresh" not in card


async def test_the_whole_booking_on_android_uses_submit_buttons(world: BookingWorld) -> None:
    await world.set_up_tenant()
    await world.meet(ADELE, BEN)

    form = await _say(world, ADELE, "book")
    _assert_submit_only(form)
    suggestions = await _tap(world, ADELE, form, "findTimes", day_form(BEN, meeting_day(), subject="Mobile sync"))
    _assert_submit_only(suggestions)
    assert "Times for you and Ben Walters" in card_text(suggestions.cards[0])

    first_time = next(element for element in suggestions.cards[0]["body"] if element.get("type") == "ActionSet")
    booked = await _tap(world, ADELE, suggestions, "book", button_of=first_time)
    _assert_submit_only(booked)
    assert "Booked: Mobile sync" in card_text(booked.cards[0])
    assert len(world.emu.created_events(ADELE.email)) == 1

    listing = await _say(world, ADELE, "my meetings")
    _assert_submit_only(listing)
    asking = await _tap(world, ADELE, listing, "cancelBooking")
    _assert_submit_only(asking)
    assert "Cancel this meeting?" in card_text(asking.cards[0])
    assert world.emu.created_events(ADELE.email), "nothing is cancelled before the answer"

    cancelled = await _tap(world, ADELE, asking, "confirmCancelBooking")
    again = await _tap(world, ADELE, asking, "confirmCancelBooking")

    for sent in (cancelled, again):
        assert "Cancelled by Adele Vance" in card_text(sent.cards[0])
        assert not [a for a in all_actions(sent.cards[0]) if a.get("data", {}).get("verb") != "startBooking"]
    assert world.emu.created_events(ADELE.email) == []
    assert len([call for call in world.emu.calls if call.method == "DELETE"]) == 1, "a second tap cancels nothing"
    [booking] = await world.bookings()
    assert booking.status == "cancelled"


async def test_a_desktop_client_keeps_universal_actions(world: BookingWorld) -> None:
    await world.set_up_tenant()
    await world.meet(ADELE)
    await world.bot.say(ADELE, "book")
    [form] = [sent for sent in world.connector.sent if sent.cards]
    assert [a["type"] for a in form.cards[0]["actions"]] == ["Action.Execute"]


async def test_a_card_button_answered_by_invoke_on_android_still_gets_submit_buttons(world: BookingWorld) -> None:
    # Should a mobile client send an Action.Execute after all, the card in the invoke answer is Submit-only too.
    await world.set_up_tenant()
    await world.meet(ADELE)
    click = _on_android(ADELE, ADELE.activity(
        world.connector.url, "invoke", name="adaptiveCard/action",
        value={"action": {"type": "Action.Execute", "verb": "startBooking", "data": {"verb": "startBooking"}}}))
    async with world.bot.session.post(f"{world.bot.url}/api/messages", json=click) as response:
        answer = await response.json()
    actions = all_actions(answer["value"])
    assert [a["type"] for a in actions] == ["Action.Submit"]
    assert actions[0]["data"]["verb"] == "findTimes"


async def test_the_colleague_last_seen_on_a_phone_gets_submit_buttons_on_the_booked_card(world: BookingWorld) -> None:
    await world.set_up_tenant()
    await world.meet(ADELE)
    await _say(world, BEN, "help")  # Ben writes to Rendezvous from his phone
    world.connector.clear()

    form = await _say(world, ADELE, "book")
    suggestions = await _tap(world, ADELE, form, "findTimes", day_form(BEN, meeting_day(), subject="Phone call"))
    first_time = next(element for element in suggestions.cards[0]["body"] if element.get("type") == "ActionSet")
    await _tap(world, ADELE, suggestions, "book", button_of=first_time)

    [told] = world.proactive_to(BEN)
    assert "Booked: Phone call" in card_text(told.cards[0])
    _assert_submit_only(told)
    assert [a["data"]["verb"] for a in all_actions(told.cards[0]) if a["type"] == "Action.Submit"] == \
        ["declineBooking"]
