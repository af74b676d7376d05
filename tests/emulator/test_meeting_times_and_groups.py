"""findMeetingTimes (delegated only) and the directory calls used for group restrictions."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from emulator.testing import EmulatorHandle
from tests.emulator.conftest import (
    ADELE_ADMIN,
    ADELE_ID,
    BEN,
    CHLOE,
    EXTERNAL,
    FIONA_FABRIKAM_ADMIN,
    KENJI_FABRIKAM,
    PRODUCT_TEAM,
    app_token,
    bearer,
    graph_time,
    next_weekday_utc,
    user_tokens,
)

LAURA = "laura.novak@fabrikam.example"  # Central Europe, works 08:00-16:00


def request(attendees: list[str], start: datetime, end: datetime, **extra: Any) -> dict[str, Any]:
    return {"attendees": [{"type": "required", "emailAddress": {"address": a}} for a in attendees],
            "timeConstraint": {"activityDomain": "unrestricted",
                               "timeSlots": [{"start": graph_time(start), "end": graph_time(end)}]},
            "meetingDuration": "PT1H", "maxCandidates": 3, **extra}


async def test_suggestions_avoid_busy_time(emu: EmulatorHandle, http: httpx.AsyncClient) -> None:
    tokens = await user_tokens(http, emu, FIONA_FABRIKAM_ADMIN)
    day = next_weekday_utc()
    emu.clear_calendar(FIONA_FABRIKAM_ADMIN)
    emu.clear_calendar(LAURA)
    emu.add_busy(LAURA, day + timedelta(hours=9), day + timedelta(hours=10))
    response = await http.post(f"{emu.graph_base_url}/me/findMeetingTimes",
                               json=request([LAURA], day + timedelta(hours=9), day + timedelta(hours=12)),
                               headers=bearer(tokens["access_token"]))

    assert response.status_code == 200
    result = response.json()
    assert result["emptySuggestionsReason"] == ""
    slots = [s["meetingTimeSlot"]["start"]["dateTime"][11:16] for s in result["meetingTimeSuggestions"]]
    assert slots == ["10:00", "10:30", "11:00"]
    first = result["meetingTimeSuggestions"][0]
    assert first["confidence"] == 100 and first["organizerAvailability"] == "free"
    assert first["attendeeAvailability"] == [{"attendee": {"type": "required", "emailAddress": {"address": LAURA}},
                                              "availability": "free"}]


async def test_work_domain_keeps_to_working_hours(emu: EmulatorHandle, http: httpx.AsyncClient) -> None:
    tokens = await user_tokens(http, emu, FIONA_FABRIKAM_ADMIN)  # Eastern, 08:00-17:00
    day = next_weekday_utc()
    emu.clear_calendar(FIONA_FABRIKAM_ADMIN)
    emu.clear_calendar(LAURA)
    body = request([LAURA], day, day + timedelta(hours=24), maxCandidates=20)
    body["timeConstraint"]["activityDomain"] = "work"
    result = (await http.post(f"{emu.graph_base_url}/me/findMeetingTimes", json=body,
                              headers=bearer(tokens["access_token"]))).json()
    starts = [s["meetingTimeSlot"]["start"]["dateTime"][11:16] for s in result["meetingTimeSuggestions"]]
    # Fiona opens at 08:00 New York time, Laura closes at 16:00 Budapest time (both shift with DST)
    opens = datetime.combine(day.date(), time(8), ZoneInfo("America/New_York")).astimezone(UTC)
    closes = datetime.combine(day.date(), time(16), ZoneInfo("Europe/Budapest")).astimezone(UTC)
    expected = []
    while opens + timedelta(hours=1) <= closes:
        expected.append(opens.strftime("%H:%M"))
        opens += timedelta(minutes=30)
    assert expected and starts == expected


async def test_external_attendee_is_unknown(emu: EmulatorHandle, http: httpx.AsyncClient) -> None:
    tokens = await user_tokens(http, emu, FIONA_FABRIKAM_ADMIN)
    day = next_weekday_utc()
    emu.clear_calendar(FIONA_FABRIKAM_ADMIN)
    result = (await http.post(f"{emu.graph_base_url}/me/findMeetingTimes",
                              json=request([EXTERNAL], day + timedelta(hours=9), day + timedelta(hours=12)),
                              headers=bearer(tokens["access_token"]))).json()
    assert result["meetingTimeSuggestions"] == []
    assert result["emptySuggestionsReason"] == "attendeesUnavailableOrUnknown"


async def test_busy_organizer(emu: EmulatorHandle, http: httpx.AsyncClient) -> None:
    tokens = await user_tokens(http, emu, KENJI_FABRIKAM)
    day = next_weekday_utc()
    emu.add_busy(KENJI_FABRIKAM, day, day + timedelta(hours=12))
    result = (await http.post(f"{emu.graph_base_url}/me/findMeetingTimes",
                              json=request([LAURA], day + timedelta(hours=2), day + timedelta(hours=6)),
                              headers=bearer(tokens["access_token"]))).json()
    assert result["emptySuggestionsReason"] == "organizerUnavailable"


async def test_app_only_cannot_find_meeting_times(emu: EmulatorHandle, http: httpx.AsyncClient) -> None:
    token = await app_token(http, emu)
    day = next_weekday_utc()
    response = await http.post(f"{emu.graph_base_url}/users/{ADELE_ADMIN}/findMeetingTimes",
                               json=request([BEN], day, day + timedelta(hours=8)), headers=bearer(token))
    assert response.status_code == 403 and response.json()["error"]["code"] == "ErrorAccessDenied"


async def test_check_member_groups(emu: EmulatorHandle, http: httpx.AsyncClient) -> None:
    token = await app_token(http, emu)
    other_group = "bd46046e-0866-4ba0-929a-b74d0e4e3235"
    member = await http.post(f"{emu.graph_base_url}/users/{ADELE_ID}/checkMemberGroups",
                             json={"groupIds": [PRODUCT_TEAM, other_group]}, headers=bearer(token))
    outsider = await http.post(f"{emu.graph_base_url}/users/{CHLOE}/checkMemberGroups",
                               json={"groupIds": ["00000000-0000-0000-0000-00000000abcd"]}, headers=bearer(token))
    assert member.status_code == 200 and member.json()["value"] == [PRODUCT_TEAM, other_group]
    assert outsider.json()["value"] == []


async def test_user_lookup_by_object_id(emu: EmulatorHandle, http: httpx.AsyncClient) -> None:
    token = await app_token(http, emu)
    response = await http.get(f"{emu.graph_base_url}/users/{ADELE_ID}",
                              params={"$select": "mail,userPrincipalName"}, headers=bearer(token))
    assert response.json() == {"@odata.context": response.json()["@odata.context"], "id": ADELE_ID,
                               "mail": ADELE_ADMIN, "userPrincipalName": ADELE_ADMIN}
