"""Individual mode's findMeetingTimes as Graph documents it: one working-hours slot per day, every empty
reason explained, and the same reading of tentative time as the getSchedule path of domain-wide mode."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.booking.conftest import (
    ADELE,
    BEN,
    CONTOSO,
    EASTERN,
    FABRIKAM,
    FIONA,
    LAURA,
    PACIFIC,
    BookingWorld,
    at,
    book_buttons,
    card_text,
    day_form,
    meeting_day,
)
from tests.harness import TeamsUser


async def _individual_mode(world: BookingWorld) -> None:
    await world.set_up_tenant(FABRIKAM, mode="delegated", admin=FIONA)
    await world.meet(FIONA, LAURA)
    await world.connect_calendar(FIONA)


def _utc(value: dict[str, str]) -> datetime:
    assert value["timeZone"] == "UTC"
    return datetime.fromisoformat(value["dateTime"]).replace(tzinfo=UTC)


async def test_find_meeting_times_asks_one_working_hours_slot_per_day(world: BookingWorld) -> None:
    await _individual_mode(world)
    new_york = ZoneInfo(FIONA.time_zone)
    today = datetime.now(new_york).date()
    monday = today + timedelta(days=7 - today.weekday())

    card = await world.find_times(FIONA, {"colleague": LAURA.aad_object_id, "duration": "30", "window": "next_week"})

    assert book_buttons(card)
    [call] = world.emu.calls_to("/me/findMeetingTimes")
    body = call.body
    asked = [(_utc(slot["start"]), _utc(slot["end"])) for slot in body["timeConstraint"]["timeSlots"]]
    # Fiona works Monday to Friday, 08:00-17:00 New York time (her mailbox's working hours).
    assert asked == [(at(monday + timedelta(days=offset), 8, 0, new_york),
                      at(monday + timedelta(days=offset), 17, 0, new_york)) for offset in range(5)]
    assert body["timeConstraint"]["activityDomain"] == "work"
    assert body["attendees"] == [{"type": "required",
                                  "emailAddress": {"address": LAURA.email, "name": LAURA.name}}]
    assert body["meetingDuration"] == "PT30M"
    assert body["isOrganizerOptional"] is False and body["returnSuggestionReasons"] is True
    assert body["minimumAttendeePercentage"] == 100 and body["maxCandidates"] >= 6
    assert call.token_subject == FIONA.aad_object_id


@pytest.mark.parametrize(
    ("mode", "organizer", "colleague", "tentative_until"),
    [
        # Adele (Pacific) and Ben (Eastern) share 08:00-14:30 Pacific; Adele is tentative until 13:00.
        ("domain_wide", ADELE, BEN, (13, 0, PACIFIC)),
        # Fiona (New York) and Laura (Prague) share 08:00-10:00 New York; Fiona is tentative until 09:00.
        ("delegated", FIONA, LAURA, (9, 0, EASTERN)),
    ],
    ids=["domain-wide-getSchedule", "individual-findMeetingTimes"],
)
async def test_a_time_when_the_organizer_is_tentative_is_offered_in_neither_mode(
    world: BookingWorld, mode: str, organizer: TeamsUser, colleague: TeamsUser,
    tentative_until: tuple[int, int, ZoneInfo],
) -> None:
    tenant = CONTOSO if mode == "domain_wide" else FABRIKAM
    await world.set_up_tenant(tenant, mode=mode, admin=organizer)
    await world.meet(organizer, colleague)
    if mode == "delegated":
        await world.connect_calendar(organizer)
    day = meeting_day()
    hour, minute, zone = tentative_until
    world.emu.add_busy(organizer.email, at(day, 0, 0, zone), at(day, hour, minute, zone), status="tentative")

    card = await world.find_times(organizer, day_form(colleague, day))

    starts = [datetime.strptime(data["slotId"], "%Y%m%dT%H%MZ").replace(tzinfo=UTC) for data in book_buttons(card)]
    assert starts, card_text(card)
    assert min(starts) >= at(day, hour, minute, zone)


@pytest.mark.parametrize(
    ("reason", "expected"),
    [
        ("attendeesUnavailableOrUnknown", "Outlook couldn't read Laura Novak's free/busy, or Laura is busy"),
        ("locationsUnavailable", "Outlook found no meeting room free at any time that fits"),
        ("unknown", "Outlook couldn't suggest a time and didn't say why"),
        ("AttendeesUnavailable", "Laura Novak is busy at every time that fits both your working hours"),
    ],
)
async def test_each_documented_empty_reason_has_its_own_message(world: BookingWorld, reason: str,
                                                                 expected: str) -> None:
    await _individual_mode(world)
    world.emu.faults.meeting_times_empty_reason = reason

    card = await world.find_times(FIONA, day_form(LAURA, meeting_day()))

    assert "No time found with Laura Novak" in card_text(card)
    assert expected in card_text(card)


@pytest.mark.parametrize(
    ("busy", "expected"),
    [
        (LAURA, "Laura Novak is busy at every time that fits both your working hours in this window."),
        (FIONA, "Your calendar has no free time long enough in this window."),
    ],
    ids=["attendeesUnavailable", "organizerUnavailable"],
)
async def test_a_busy_day_is_explained_with_outlooks_reason(world: BookingWorld, busy: TeamsUser,
                                                             expected: str) -> None:
    await _individual_mode(world)
    day = meeting_day()
    midnight = datetime.combine(day, datetime.min.time(), tzinfo=UTC)
    world.emu.add_busy(busy.email, midnight - timedelta(days=1), midnight + timedelta(days=2))

    card = await world.find_times(FIONA, day_form(LAURA, day))

    assert expected in card_text(card)
    [call] = world.emu.calls_to("/me/findMeetingTimes")
    assert call.status == 200


async def test_the_member_sign_in_asks_for_exactly_the_least_privileged_scopes(world: BookingWorld) -> None:
    await _individual_mode(world)

    [authorize] = world.emu.calls_to("/oauth2/v2.0/authorize")

    assert set(authorize.query["scope"].split()) == {
        "https://graph.microsoft.com/Calendars.ReadWrite", "https://graph.microsoft.com/Calendars.Read.Shared",
        "openid", "profile", "offline_access"}
