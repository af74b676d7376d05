"""PATCH .../events/{id} (moving a meeting), attendee types, and getSchedule for many people in one call."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest

from emulator.testing import EmulatorHandle
from tests.emulator.conftest import (
    ADELE_ADMIN,
    ADELE_ID,
    BEN,
    CHLOE,
    EXTERNAL,
    FIONA_FABRIKAM_ADMIN,
    FIONA_ID,
    GRACE_OUTSIDE_POLICY,
    PRIYA_IST,
    app_token,
    bearer,
    graph_time,
    next_weekday_utc,
    user_tokens,
)

LAURA = "laura.novak@fabrikam.example"  # Central Europe
DIEGO = "diego.siciliani@contoso.example"


def team_meeting(start: datetime, attendees: list[tuple[str, str]]) -> dict[str, Any]:
    return {
        "subject": "Planning", "start": graph_time(start), "end": graph_time(start + timedelta(minutes=30)),
        "attendees": [{"emailAddress": {"address": address}, "type": kind} for address, kind in attendees],
        "isOnlineMeeting": True, "onlineMeetingProvider": "teamsForBusiness",
    }


def times(start: datetime, minutes: int = 30) -> dict[str, Any]:
    return {"start": graph_time(start), "end": graph_time(start + timedelta(minutes=minutes))}


async def create(http: httpx.AsyncClient, emu: EmulatorHandle, token: str, mailbox: str, body: dict[str, Any]
                 ) -> dict[str, Any]:
    response = await http.post(f"{emu.graph_base_url}/{mailbox}/events", json=body, headers=bearer(token))
    assert response.status_code == 201, response.text
    return dict(response.json())


async def test_organizer_moves_the_meeting_for_everyone(emu: EmulatorHandle, http: httpx.AsyncClient) -> None:
    token = await app_token(http, emu)
    day = next_weekday_utc()
    old, new = day + timedelta(hours=16), day + timedelta(hours=18)
    people = [(BEN, "required"), (CHLOE, "required"), (PRIYA_IST, "required"), (DIEGO, "optional")]
    for person in (ADELE_ADMIN, *(p for p, _ in people)):
        emu.clear_calendar(person)
    created = await create(http, emu, token, f"users/{ADELE_ADMIN}", team_meeting(old, people))
    emu.respond(BEN, emu.created_events(BEN)[0].id, "accepted")

    response = await http.patch(f"{emu.graph_base_url}/users/{ADELE_ADMIN}/events/{created['id']}",
                                json={**times(new, 45), "subject": "Planning (moved)"},
                                headers=bearer(token, Prefer='outlook.timezone="UTC"'))

    assert response.status_code == 200
    moved = response.json()
    assert moved["id"] == created["id"] and moved["onlineMeeting"] == created["onlineMeeting"]
    assert moved["start"] == {"dateTime": new.strftime("%Y-%m-%dT%H:%M:%S.0000000"), "timeZone": "UTC"}
    assert moved["changeKey"] != created["changeKey"]
    for person, _ in people:
        [copy] = emu.created_events(person)
        assert (copy.start, copy.end, copy.subject) == (new, new + timedelta(minutes=45), "Planning (moved)")
        assert {a.address: a.type for a in copy.attendees} == dict(people)
    assert emu.created_events(BEN)[0].response == "accepted"  # replies kept (assumption, see README)
    [patch] = emu.calls_to(f"/events/{created['id']}")
    assert (patch.method, patch.status, patch.token_subject) == ("PATCH", 200, f"app:{emu.client_id}")

    schedule = await http.post(f"{emu.graph_base_url}/users/{ADELE_ADMIN}/calendar/getSchedule", json={
        "schedules": [ADELE_ADMIN, BEN, DIEGO], "startTime": graph_time(old),
        "endTime": graph_time(old + timedelta(hours=4)), "availabilityViewInterval": 30}, headers=bearer(token))
    for entry in schedule.json()["value"]:
        # 16:00-20:00 in half hours: free at the old time, busy (organizer) or tentative (invited) at the new one
        assert entry["availabilityView"][:4] == "0000", entry["scheduleId"]
        assert entry["availabilityView"][4:6] in ("22", "11"), entry["scheduleId"]


async def test_find_meeting_times_sees_the_moved_meeting(emu: EmulatorHandle, http: httpx.AsyncClient) -> None:
    tokens = await user_tokens(http, emu, FIONA_FABRIKAM_ADMIN)
    token = tokens["access_token"]
    day = next_weekday_utc()
    emu.clear_calendar(FIONA_FABRIKAM_ADMIN)
    emu.clear_calendar(LAURA)
    created = await create(http, emu, token, "me", team_meeting(day + timedelta(hours=13), [(LAURA, "required")]))
    moved = await http.patch(f"{emu.graph_base_url}/me/events/{created['id']}",
                             json=times(day + timedelta(hours=13, minutes=30)), headers=bearer(token))
    assert moved.status_code == 200

    found = await http.post(f"{emu.graph_base_url}/me/findMeetingTimes", json={
        "attendees": [{"type": "optional", "emailAddress": {"address": LAURA}}],
        "timeConstraint": {"activityDomain": "unrestricted", "timeSlots": [
            {"start": graph_time(day + timedelta(hours=13)), "end": graph_time(day + timedelta(hours=14))}]},
        "meetingDuration": "PT30M", "minimumAttendeePercentage": 100}, headers=bearer(token))

    suggestions = found.json()["meetingTimeSuggestions"]
    assert [s["meetingTimeSlot"]["start"]["dateTime"][11:16] for s in suggestions] == ["13:00"]
    # an optional person is echoed as optional and counted like a required one
    assert suggestions[0]["attendeeAvailability"] == [
        {"attendee": {"type": "optional", "emailAddress": {"address": LAURA}}, "availability": "free"}]
    assert emu.calls_to(f"/me/events/{created['id']}")[0].token_subject == FIONA_ID


async def test_an_attendee_moves_only_their_own_copy(emu: EmulatorHandle, http: httpx.AsyncClient) -> None:
    token = await app_token(http, emu)
    start = next_weekday_utc() + timedelta(hours=15)
    created = await create(http, emu, token, f"users/{ADELE_ADMIN}",
                           team_meeting(start, [(BEN, "required"), (CHLOE, "required")]))
    [ben_copy] = emu.created_events(BEN)

    response = await http.patch(f"{emu.graph_base_url}/users/{BEN}/events/{ben_copy.id}",
                                json=times(start + timedelta(hours=2)), headers=bearer(token))

    assert response.status_code == 200 and response.json()["isOrganizer"] is False
    assert ben_copy.start == start + timedelta(hours=2)
    assert [e.start for e in emu.created_events(ADELE_ADMIN)] == [start]
    assert [e.start for e in emu.created_events(CHLOE)] == [start]
    # and the organizer's id means nothing in Ben's mailbox
    elsewhere = await http.patch(f"{emu.graph_base_url}/users/{BEN}/events/{created['id']}",
                                 json=times(start), headers=bearer(token))
    assert elsewhere.status_code == 404


@pytest.mark.parametrize(("body", "code"), [
    ({"end": graph_time(next_weekday_utc() + timedelta(hours=15))}, "ErrorInvalidRequest"),  # end before start
    ({"start": {"timeZone": "UTC"}}, "ErrorInvalidParameter"),  # no dateTime
    ({"start": "2030-01-01T10:00:00"}, "ErrorInvalidParameter"),  # not a dateTimeTimeZone
    ({"start": {"dateTime": "tomorrow", "timeZone": "UTC"}}, "ErrorInvalidParameter"),
    ({"start": {"dateTime": "2030-01-01T10:00:00", "timeZone": "Mars/Olympus"}}, "ErrorTimeZoneNotSupported"),
    ({"location": {"displayName": "Room 1"}}, "ErrorInvalidRequest"),  # not emulated: refused, never ignored
])
async def test_bad_patch_bodies_change_nothing(emu: EmulatorHandle, http: httpx.AsyncClient, body: dict[str, Any],
                                               code: str) -> None:
    token = await app_token(http, emu)
    start = next_weekday_utc() + timedelta(hours=17)
    created = await create(http, emu, token, f"users/{ADELE_ADMIN}", team_meeting(start, [(BEN, "required")]))

    response = await http.patch(f"{emu.graph_base_url}/users/{ADELE_ADMIN}/events/{created['id']}", json=body,
                                headers=bearer(token))

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == code and error["message"] and error["innerError"]["request-id"]
    assert [(e.start, e.end) for e in emu.created_events(ADELE_ADMIN)] == [(start, start + timedelta(minutes=30))]
    assert [e.start for e in emu.created_events(BEN)] == [start]


async def test_unknown_event_and_missing_permission(emu: EmulatorHandle, http: httpx.AsyncClient) -> None:
    token = await app_token(http, emu)
    start = next_weekday_utc() + timedelta(hours=17)
    unknown = await http.patch(f"{emu.graph_base_url}/users/{ADELE_ADMIN}/events/AAMkAG{'x' * 40}",
                               json=times(start), headers=bearer(token))
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "ErrorItemNotFound"
    assert unknown.json()["error"]["innerError"]["client-request-id"]

    outside = await http.patch(f"{emu.graph_base_url}/users/{GRACE_OUTSIDE_POLICY}/events/AAMkAG{'x' * 40}",
                               json=times(start), headers=bearer(token))
    assert outside.status_code == 403 and outside.json()["error"]["code"] == "ErrorAccessDenied"

    reader = await user_tokens(http, emu, FIONA_FABRIKAM_ADMIN,
                               scopes="https://graph.microsoft.com/Calendars.Read openid profile offline_access")
    mine = next(e for e in emu.events_of(FIONA_FABRIKAM_ADMIN))
    read_only = await http.patch(f"{emu.graph_base_url}/me/events/{mine.id}", json=times(start),
                                 headers=bearer(reader["access_token"]))
    assert read_only.status_code == 403 and read_only.json()["error"]["code"] == "ErrorAccessDenied"
    assert mine.start != start


async def test_patch_is_throttled_and_failed_like_every_call(emu: EmulatorHandle, http: httpx.AsyncClient) -> None:
    token = await app_token(http, emu)
    start = next_weekday_utc() + timedelta(hours=18)
    created = await create(http, emu, token, f"users/{ADELE_ADMIN}", team_meeting(start, [(BEN, "required")]))
    url = f"{emu.graph_base_url}/users/{ADELE_ID}/events/{created['id']}"
    emu.faults.throttle("/events/", method="PATCH", retry_after="2.5")
    emu.faults.fail("/events/", 503, method="PATCH")

    throttled = await http.patch(url, json=times(start + timedelta(hours=1)), headers=bearer(token))
    failed = await http.patch(url, json=times(start + timedelta(hours=1)), headers=bearer(token))
    assert throttled.status_code == 429 and throttled.headers["Retry-After"] == "2.5"
    assert throttled.json()["error"]["code"] == "TooManyRequests"
    assert failed.status_code == 503
    assert [e.start for e in emu.created_events(ADELE_ADMIN)] == [start]  # neither was performed

    done = await http.patch(url, json=times(start + timedelta(hours=1)), headers=bearer(token))
    assert done.status_code == 200
    assert [c.status for c in emu.calls if c.method == "PATCH"] == [429, 503, 200]


async def test_attendee_types_are_checked(emu: EmulatorHandle, http: httpx.AsyncClient) -> None:
    token = await app_token(http, emu)
    start = next_weekday_utc() + timedelta(hours=19)
    response = await http.post(f"{emu.graph_base_url}/users/{ADELE_ADMIN}/events",
                               json=team_meeting(start, [(BEN, "mandatory")]), headers=bearer(token))
    assert response.status_code == 400 and response.json()["error"]["code"] == "ErrorInvalidRequest"
    created = await create(http, emu, token, f"users/{ADELE_ADMIN}", team_meeting(start, [(BEN, "Optional")]))
    assert created["attendees"][0]["type"] == "optional"


async def test_get_schedule_answers_twenty_in_one_call(emu: EmulatorHandle, http: httpx.AsyncClient) -> None:
    token = await app_token(http, emu)
    start = next_weekday_utc()
    five = [ADELE_ADMIN, BEN, CHLOE, GRACE_OUTSIDE_POLICY, EXTERNAL]
    twenty = five + [f"guest{n}@contoso.example" for n in range(15)]
    url = f"{emu.graph_base_url}/users/{ADELE_ADMIN}/calendar/getSchedule"
    body = {"startTime": graph_time(start), "endTime": graph_time(start + timedelta(hours=8))}

    answer_five = await http.post(url, json={**body, "schedules": five}, headers=bearer(token))
    assert len(emu.calls_to("/calendar/getSchedule")) == 1
    entries = {e["scheduleId"]: e for e in answer_five.json()["value"]}
    assert list(entries) == five
    assert [a for a in five if "error" in entries[a]] == [GRACE_OUTSIDE_POLICY, EXTERNAL]
    assert "availabilityView" not in entries[GRACE_OUTSIDE_POLICY]

    answer_twenty = await http.post(url, json={**body, "schedules": twenty}, headers=bearer(token))
    assert answer_twenty.status_code == 200 and len(answer_twenty.json()["value"]) == 20
    too_many = await http.post(url, json={**body, "schedules": [*twenty, "one.more@contoso.example"]},
                               headers=bearer(token))
    assert too_many.status_code == 400 and too_many.json()["error"]["code"] == "ErrorInvalidParameter"
    assert [c.status for c in emu.calls_to("/calendar/getSchedule")] == [200, 200, 400]
