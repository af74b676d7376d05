"""Outlook's roles on one meeting: the attendee declines their own copy, only the organizer cancels, and a
delegated token reaches its own person's calendar only, with the permissions Microsoft documents per call."""

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
    FIONA_FABRIKAM_ADMIN,
    app_token,
    bearer,
    graph_time,
    next_weekday_utc,
    user_tokens,
)

BEN_ID = "49893b47-f489-471d-9d8b-e98e8bbe424c"
LAURA = "laura.novak@fabrikam.example"
SCOPE = "https://graph.microsoft.com/"


async def _meeting(emu: EmulatorHandle, http: httpx.AsyncClient) -> tuple[dict[str, Any], datetime, str]:
    """Adele's meeting with Ben (created with the app's token): her event, its start, and the app token."""
    token = await app_token(http, emu)
    start = next_weekday_utc() + timedelta(hours=18)
    for person in (ADELE_ADMIN, BEN):
        emu.clear_calendar(person)
    created = await http.post(f"{emu.graph_base_url}/users/{ADELE_ADMIN}/events", headers=bearer(token), json={
        "subject": "Roadmap", "start": graph_time(start), "end": graph_time(start + timedelta(minutes=30)),
        "attendees": [{"type": "required", "emailAddress": {"address": BEN}}]})
    assert created.status_code == 201, created.text
    return created.json(), start, token


async def _own_copy(emu: EmulatorHandle, http: httpx.AsyncClient, token: str, ical_uid: str) -> dict[str, Any]:
    found = await http.get(f"{emu.graph_base_url}/me/events", headers=bearer(token),
                           params={"$filter": f"iCalUId eq '{ical_uid}'"})
    [copy] = found.json()["value"]
    return dict(copy)


async def test_an_attendee_declines_their_copy_and_the_organizer_sees_it(emu: EmulatorHandle,
                                                                          http: httpx.AsyncClient) -> None:
    event, start, app = await _meeting(emu, http)
    ben = (await user_tokens(http, emu, BEN))["access_token"]
    copy = await _own_copy(emu, http, ben, event["iCalUId"])

    declined = await http.post(f"{emu.graph_base_url}/me/events/{copy['id']}/decline", headers=bearer(ben),
                               json={"comment": "Clashes with a trip", "sendResponse": True})

    assert declined.status_code == 202 and declined.content == b""
    organizer_copy = (await http.get(f"{emu.graph_base_url}/users/{ADELE_ADMIN}/events/{event['id']}",
                                     headers=bearer(app))).json()
    assert [a["status"]["response"] for a in organizer_copy["attendees"]] == ["declined"]
    assert not organizer_copy["isCancelled"]
    schedule = (await http.post(f"{emu.graph_base_url}/users/{ADELE_ADMIN}/calendar/getSchedule",
                                headers=bearer(app), json={"schedules": [BEN], "startTime": graph_time(start),
                                                           "endTime": graph_time(start + timedelta(minutes=30)),
                                                           "availabilityViewInterval": 30})).json()
    assert schedule["value"][0]["availabilityView"] == "0", "a declined meeting no longer blocks Ben's time"
    call = emu.calls_to("/decline")[0]
    assert call.token_subject == BEN_ID and call.body == {"comment": "Clashes with a trip", "sendResponse": True}


async def test_a_reply_not_sent_leaves_the_organizer_copy_unanswered(emu: EmulatorHandle,
                                                                      http: httpx.AsyncClient) -> None:
    event, _, app = await _meeting(emu, http)
    ben = (await user_tokens(http, emu, BEN))["access_token"]
    copy = await _own_copy(emu, http, ben, event["iCalUId"])

    accepted = await http.post(f"{emu.graph_base_url}/me/events/{copy['id']}/tentativelyAccept",
                               headers=bearer(ben), json={"sendResponse": False})

    assert accepted.status_code == 202
    organizer_copy = (await http.get(f"{emu.graph_base_url}/users/{ADELE_ADMIN}/events/{event['id']}",
                                     headers=bearer(app))).json()
    assert [a["status"]["response"] for a in organizer_copy["attendees"]] == ["none"]
    assert (await _own_copy(emu, http, ben, event["iCalUId"]))["responseStatus"]["response"] == "tentativelyAccepted"


async def test_only_the_organizer_cancels(emu: EmulatorHandle, http: httpx.AsyncClient) -> None:
    event, _, app = await _meeting(emu, http)
    ben = (await user_tokens(http, emu, BEN))["access_token"]
    copy = await _own_copy(emu, http, ben, event["iCalUId"])

    by_attendee = await http.post(f"{emu.graph_base_url}/me/events/{copy['id']}/cancel", headers=bearer(ben), json={})
    organizer_declining = await http.post(f"{emu.graph_base_url}/users/{ADELE_ADMIN}/events/{event['id']}/decline",
                                          headers=bearer(app), json={})
    by_organizer = await http.post(f"{emu.graph_base_url}/users/{ADELE_ADMIN}/events/{event['id']}/cancel",
                                   headers=bearer(app), json={"comment": "Not needed any more"})

    assert by_attendee.status_code == 400
    assert "need to be an organizer" in by_attendee.json()["error"]["message"]
    assert organizer_declining.status_code == 400
    assert by_organizer.status_code == 202
    assert (await _own_copy(emu, http, ben, event["iCalUId"]))["isCancelled"] is True


async def test_a_delegated_token_cannot_reach_another_persons_calendar(emu: EmulatorHandle,
                                                                        http: httpx.AsyncClient) -> None:
    event, start, _ = await _meeting(emu, http)
    ben = (await user_tokens(http, emu, BEN))["access_token"]

    calls = [
        await http.post(f"{emu.graph_base_url}/users/{ADELE_ADMIN}/events/{event['id']}/decline",
                        headers=bearer(ben), json={}),
        await http.delete(f"{emu.graph_base_url}/users/{ADELE_ID}/events/{event['id']}", headers=bearer(ben)),
        await http.get(f"{emu.graph_base_url}/users/{ADELE_ADMIN}/calendarView", headers=bearer(ben),
                       params={"startDateTime": start.isoformat(), "endDateTime": (start + timedelta(hours=1))
                               .isoformat()}),
    ]

    assert [(r.status_code, r.json()["error"]["code"]) for r in calls] == [(403, "ErrorAccessDenied")] * 3
    assert len(emu.created_events(ADELE_ADMIN)) == 1


@pytest.mark.parametrize(
    ("scopes", "allowed"),
    [
        ("User.Read", {"findMeetingTimes": False, "calendarView": False, "decline": False}),
        ("Calendars.Read", {"findMeetingTimes": True, "calendarView": True, "decline": False}),
        ("Calendars.Read.Shared", {"findMeetingTimes": True, "calendarView": True, "decline": False}),
        ("Calendars.ReadBasic", {"findMeetingTimes": False, "calendarView": True, "decline": False}),
        ("Calendars.ReadWrite", {"findMeetingTimes": True, "calendarView": True, "decline": True}),
    ],
)
async def test_each_call_needs_a_documented_delegated_permission(emu: EmulatorHandle, http: httpx.AsyncClient,
                                                                  scopes: str, allowed: dict[str, bool]) -> None:
    event, start, _ = await _meeting(emu, http)
    ben = (await user_tokens(http, emu, BEN))["access_token"]
    copy = await _own_copy(emu, http, ben, event["iCalUId"])
    limited = (await user_tokens(http, emu, BEN, scopes=f"{SCOPE}{scopes} openid offline_access"))["access_token"]
    window = {"start": graph_time(start), "end": graph_time(start + timedelta(hours=2))}

    answers = {
        "findMeetingTimes": await http.post(f"{emu.graph_base_url}/me/findMeetingTimes", headers=bearer(limited),
                                            json={"timeConstraint": {"activityDomain": "unrestricted",
                                                                     "timeSlots": [window]}}),
        "calendarView": await http.get(f"{emu.graph_base_url}/me/calendarView", headers=bearer(limited),
                                       params={"startDateTime": start.isoformat(),
                                               "endDateTime": (start + timedelta(hours=1)).isoformat()}),
        "decline": await http.post(f"{emu.graph_base_url}/me/events/{copy['id']}/decline", headers=bearer(limited),
                                   json={"sendResponse": True}),
    }

    assert {name: answer.status_code < 400 for name, answer in answers.items()} == allowed
    assert all(answer.json()["error"]["code"] == "ErrorAccessDenied"
               for answer in answers.values() if answer.status_code >= 400)


async def test_find_meeting_times_searches_each_working_day_slot(emu: EmulatorHandle, http: httpx.AsyncClient) -> None:
    fiona = (await user_tokens(http, emu, FIONA_FABRIKAM_ADMIN))["access_token"]
    emu.clear_calendar(FIONA_FABRIKAM_ADMIN)
    emu.clear_calendar(LAURA)
    monday = next_weekday_utc() - timedelta(days=2)
    # 13:00-14:00 UTC lies inside both working days (Fiona in New York, Laura in Prague) all year round
    days = [monday + timedelta(days=offset) for offset in range(3)]
    slots = [{"start": graph_time(day + timedelta(hours=13)), "end": graph_time(day + timedelta(hours=14))}
             for day in days]
    emu.add_busy(LAURA, days[1], days[1] + timedelta(hours=24))

    result = (await http.post(f"{emu.graph_base_url}/me/findMeetingTimes", headers=bearer(fiona), json={
        "attendees": [{"type": "required", "emailAddress": {"address": LAURA}}],
        "timeConstraint": {"activityDomain": "work", "timeSlots": slots}, "meetingDuration": "PT30M",
        "maxCandidates": 20, "isOrganizerOptional": False, "returnSuggestionReasons": True,
        "minimumAttendeePercentage": 100})).json()

    starts = {s["meetingTimeSlot"]["start"]["dateTime"][:16] for s in result["meetingTimeSuggestions"]}
    expected = {(day + timedelta(hours=hour)).strftime("%Y-%m-%dT%H:%M") for day in (days[0], days[2])
                for hour in (13, 13.5)}
    assert starts == expected
    suggestion = result["meetingTimeSuggestions"][0]
    assert suggestion["organizerAvailability"] == "free" and suggestion["locations"] == []
    assert suggestion["suggestionReason"]


async def test_a_required_room_that_is_not_free_gives_locations_unavailable(emu: EmulatorHandle,
                                                                              http: httpx.AsyncClient) -> None:
    fiona = (await user_tokens(http, emu, FIONA_FABRIKAM_ADMIN))["access_token"]
    day = next_weekday_utc()

    result = (await http.post(f"{emu.graph_base_url}/me/findMeetingTimes", headers=bearer(fiona), json={
        "attendees": [{"type": "required", "emailAddress": {"address": LAURA}}],
        "locationConstraint": {"isRequired": True, "locations": [{"displayName": "Conf room Hood",
                                                                  "locationEmailAddress": "hood@fabrikam.example"}]},
        "timeConstraint": {"activityDomain": "work", "timeSlots": [
            {"start": graph_time(day + timedelta(hours=13)), "end": graph_time(day + timedelta(hours=15))}]}})).json()

    assert result == {"@odata.context": result["@odata.context"], "emptySuggestionsReason": "locationsUnavailable",
                      "meetingTimeSuggestions": []}
