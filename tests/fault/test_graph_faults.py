"""Entra ID and Graph misbehaving in the middle of a booking (emulator FaultConfig): a clear message, or a
transparent recovery, and never a half-written booking.

After each scenario the booking table is checked: a row is 'confirmed' with an Outlook event that exists,
'failed' with a reason, or absent (tests/fault/checks.py).
"""

from __future__ import annotations

import time
from typing import Any

from tests.booking.conftest import ADELE, BEN, book_buttons, card_of, card_text, day_form, meeting_day, message_of
from tests.fault.checks import (
    assert_clear_invoke_answer,
    assert_nothing_half_written,
    assert_still_serving,
    bot_event_count,
)
from tests.fault.conftest import FaultWorld

# Longer than graph.http's RetryPolicy.max_wait (60 s): reported to the person, never slept through.
TOO_LONG = "120"
BUSY = "Outlook is busy"
UNREACHABLE = "Outlook could not be reached"


async def _first_offer(world: FaultWorld) -> dict[str, Any]:
    card = await world.find_times(ADELE, day_form(BEN, meeting_day()))
    return book_buttons(card)[0]


async def _find_times_answer(world: FaultWorld) -> dict[str, Any]:
    response = await world.bot.execute(ADELE, "findTimes", day_form(BEN, meeting_day()))
    assert_clear_invoke_answer(response)
    return response


async def test_one_throttled_schedule_call_is_waited_out_and_suggestions_arrive(connected: FaultWorld) -> None:
    world = connected
    world.emu.faults.throttle("/calendar/getSchedule", times=1, retry_after="1")

    started = time.monotonic()
    card = await world.find_times(ADELE, day_form(BEN, meeting_day()))
    waited = time.monotonic() - started

    assert book_buttons(card), card_text(card)
    assert [call.status for call in world.emu.calls_to("getSchedule")] == [429, 200]
    assert waited >= 1.0  # the whole Retry-After was honoured before asking again
    await assert_nothing_half_written(world)


async def test_a_throttling_storm_beyond_the_longest_wait_gets_a_busy_message(connected: FaultWorld) -> None:
    world = connected
    world.emu.faults.throttle("/calendar/getSchedule", times=None, retry_after=TOO_LONG)

    reply = message_of(await _find_times_answer(world))

    assert BUSY in reply
    assert len(world.emu.calls_to("getSchedule")) == 1  # not slept through, not hammered
    assert await world.bookings() == []
    await assert_still_serving(world)


async def test_outlook_unavailable_on_every_attempt_gets_a_clear_message(connected: FaultWorld) -> None:
    world = connected
    world.emu.faults.fail("/calendar/getSchedule", 503, times=None, retry_after="0")

    reply = message_of(await _find_times_answer(world))

    assert UNREACHABLE in reply
    assert len(world.emu.calls_to("getSchedule")) > 1  # it was retried before giving up
    assert await world.bookings() == []


async def test_throttled_while_creating_the_event_leaves_a_failed_row_and_no_event(connected: FaultWorld) -> None:
    world = connected
    offer = await _first_offer(world)
    world.emu.faults.throttle("/events", times=None, retry_after=TOO_LONG, method="POST")

    reply = message_of(await world.bot.execute(ADELE, "book", offer))

    assert BUSY in reply
    [booking] = await world.bookings()
    assert booking.status == "failed" and booking.event_id is None
    assert bot_event_count(world) == 0
    await assert_nothing_half_written(world)


async def test_a_failed_booking_can_be_retried_once_outlook_recovers(connected: FaultWorld) -> None:
    world = connected
    offer = await _first_offer(world)
    world.emu.faults.fail("/events", 503, times=None, retry_after="0", method="POST")
    assert UNREACHABLE in message_of(await world.bot.execute(ADELE, "book", offer))
    world.emu.faults.clear()

    confirmation = card_of(await world.bot.execute(ADELE, "book", offer))

    assert "Booked:" in card_text(confirmation)
    [booking] = await world.bookings()
    assert booking.status == "confirmed"
    assert bot_event_count(world) == 1
    await assert_nothing_half_written(world)


async def test_a_lost_answer_after_the_event_was_made_is_retried_with_the_same_transaction(
    world_on_both: FaultWorld,
) -> None:
    world = world_on_both
    await world.set_up_tenant()
    await world.meet(ADELE, BEN)
    offer = await _first_offer(world)
    world.emu.faults.drop_response("/events", times=1, method="POST")

    confirmation = card_of(await world.bot.execute(ADELE, "book", offer))

    posts = [call for call in world.emu.calls_to("/events") if call.method == "POST"]
    assert len(posts) == 2
    transactions = {call.body.get("transactionId") for call in posts if isinstance(call.body, dict)}
    assert len(transactions) == 1 and None not in transactions
    assert bot_event_count(world) == 1
    [booking] = await world.bookings()
    assert booking.status == "confirmed" and booking.id in card_text(confirmation)
    await assert_nothing_half_written(world)


async def test_the_token_endpoint_failing_gets_a_clear_message(connected: FaultWorld) -> None:
    world = connected
    world.emu.faults.fail("/oauth2/v2.0/token", 503, times=None)

    reply = message_of(await _find_times_answer(world))

    assert "went wrong" not in reply.lower()
    assert "Outlook" in reply or "Microsoft" in reply, reply
    assert world.emu.calls_to("getSchedule") == []
    assert await world.bookings() == []
    await assert_still_serving(world)


async def test_tokens_expiring_between_suggestions_and_booking_are_refreshed_transparently(
    connected: FaultWorld,
) -> None:
    world = connected
    offer = await _first_offer(world)
    world.emu.expire_tokens()

    confirmation = card_of(await world.bot.execute(ADELE, "book", offer))

    assert "Booked:" in card_text(confirmation)
    assert 401 in [call.status for call in world.emu.calls]  # the old token really was refused once
    assert bot_event_count(world) == 1
    await assert_nothing_half_written(world)


async def test_sign_in_service_down_when_the_token_expires_mid_booking_writes_nothing(
    connected: FaultWorld,
) -> None:
    world = connected
    offer = await _first_offer(world)
    world.emu.expire_tokens()
    world.emu.faults.fail("/oauth2/v2.0/token", 503, times=None)

    response = await world.bot.execute(ADELE, "book", offer)

    assert_clear_invoke_answer(response)
    assert "Microsoft sign-in could not be reached" in message_of(response)
    assert bot_event_count(world) == 0
    await assert_nothing_half_written(world)
