"""getSchedule over HTTPS: shapes, limits, per-schedule errors, access policy, time zones."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from emulator.testing import EmulatorHandle
from tests.emulator.conftest import (
    ADELE_ADMIN,
    BEN,
    CONTOSO,
    EXTERNAL,
    FABRIKAM,
    GRACE_OUTSIDE_POLICY,
    KENJI_FABRIKAM,
    LACHLAN_CUSTOM_TZ,
    OLIVIA_OOF,
    PRIYA_IST,
    app_token,
    bearer,
    graph_time,
    next_weekday_utc,
    user_tokens,
)

SEVEN_DIGITS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{7}$")


def schedule_body(schedules: list[str], start: datetime, hours: int = 24, interval: int = 30) -> dict[str, Any]:
    return {"schedules": schedules, "startTime": graph_time(start),
            "endTime": graph_time(start + timedelta(hours=hours)), "availabilityViewInterval": interval}


async def get_schedule(http: httpx.AsyncClient, emu: EmulatorHandle, token: str, body: dict[str, Any],
                       url_user: str = ADELE_ADMIN, **headers: str) -> httpx.Response:
    return await http.post(f"{emu.graph_base_url}/users/{url_user}/calendar/getSchedule", json=body,
                           headers=bearer(token, **headers))


async def test_schedule_shapes_follow_graph(emu: EmulatorHandle, http: httpx.AsyncClient) -> None:
    token = await app_token(http, emu)
    start = next_weekday_utc()
    emu.add_busy(BEN, start + timedelta(hours=14, minutes=10), start + timedelta(hours=14, minutes=50))

    response = await get_schedule(http, emu, token, schedule_body([BEN, PRIYA_IST, LACHLAN_CUSTOM_TZ], start))

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json; odata.metadata=minimal")
    assert response.headers["request-id"]
    entries = {entry["scheduleId"]: entry for entry in response.json()["value"]}
    ben = entries[BEN]
    assert len(ben["availabilityView"]) == 48 and set(ben["availabilityView"]) <= set("01234")
    # a busy item from 14:10 to 14:50 marks the 14:00 and 14:30 slots busy
    assert ben["availabilityView"][28:30] == "22"
    for item in ben["scheduleItems"]:
        assert SEVEN_DIGITS.match(item["start"]["dateTime"]) and item["start"]["timeZone"] == "UTC"
        assert item["status"] in {"busy", "tentative", "oof", "workingElsewhere"}
        assert "subject" not in item and "location" not in item  # app-only caller: free/busy only
    assert ben["workingHours"] == {"daysOfWeek": ["monday", "tuesday", "wednesday", "thursday", "friday"],
                                   "startTime": "09:00:00.0000000", "endTime": "17:30:00.0000000",
                                   "timeZone": {"name": "Eastern Standard Time"}}
    assert entries[PRIYA_IST]["workingHours"]["timeZone"] == {"name": "India Standard Time"}
    custom = entries[LACHLAN_CUSTOM_TZ]["workingHours"]["timeZone"]
    assert custom["@odata.type"] == "#microsoft.graph.customTimeZone" and custom["bias"] == -600


async def test_unknown_and_external_addresses_get_an_error_entry(emu: EmulatorHandle,
                                                                 http: httpx.AsyncClient) -> None:
    token = await app_token(http, emu)
    emu.faults.schedule_error(BEN, "ErrorMailRecipientNotFound")
    response = await get_schedule(http, emu, token, schedule_body([EXTERNAL, BEN, KENJI_FABRIKAM],
                                                                  next_weekday_utc()))

    assert response.status_code == 200
    entries = response.json()["value"]
    assert [e["scheduleId"] for e in entries] == [EXTERNAL, BEN, KENJI_FABRIKAM]
    assert entries[0] == {"scheduleId": EXTERNAL, "error": {
        "message": f"Unable to resolve e-mail address {EXTERNAL} to an Active Directory object.",
        "responseCode": "5009"}}
    assert entries[1]["error"]["responseCode"] == "ErrorMailRecipientNotFound"
    assert set(entries[1]) == {"scheduleId", "error"}
    assert entries[2]["error"]["responseCode"] == "5009"  # Fabrikam's people are invisible to Contoso


async def test_mailbox_outside_the_access_policy(emu: EmulatorHandle, http: httpx.AsyncClient) -> None:
    token = await app_token(http, emu)
    body = schedule_body([BEN, GRACE_OUTSIDE_POLICY], next_weekday_utc())

    as_url_user = await get_schedule(http, emu, token, body, url_user=GRACE_OUTSIDE_POLICY)
    assert as_url_user.status_code == 403
    error = as_url_user.json()["error"]
    assert error["code"] == "ErrorAccessDenied"
    assert error["message"] == ("Access to OData is disabled: [RAOP] : Blocked by tenant configured AppOnly "
                                "AccessPolicy settings.")
    assert set(error["innerError"]) == {"date", "request-id", "client-request-id"}

    in_body = await get_schedule(http, emu, token, body)
    entries = {e["scheduleId"]: e for e in in_body.json()["value"]}
    assert "availabilityView" in entries[BEN]
    assert entries[GRACE_OUTSIDE_POLICY]["error"]["responseCode"] == "ErrorAccessDenied"


async def test_limits_are_enforced(emu: EmulatorHandle, http: httpx.AsyncClient) -> None:
    token = await app_token(http, emu)
    start = next_weekday_utc()
    too_many = await get_schedule(http, emu, token, schedule_body([f"p{i}@contoso.example" for i in range(21)], start))
    too_long = await get_schedule(http, emu, token, schedule_body([BEN], start, hours=62 * 24))
    bad_interval = await get_schedule(http, emu, token, schedule_body([BEN], start, interval=4))
    just_inside = await get_schedule(http, emu, token, schedule_body([BEN], start, hours=62 * 24 - 1, interval=1440))

    for response in (too_many, too_long, bad_interval):
        assert response.status_code == 400 and response.json()["error"]["code"] == "ErrorInvalidParameter"
    assert just_inside.status_code == 200


async def test_prefer_time_zone_is_honoured(emu: EmulatorHandle, http: httpx.AsyncClient) -> None:
    token = await app_token(http, emu)
    start = next_weekday_utc()
    emu.add_busy(BEN, start + timedelta(hours=15), start + timedelta(hours=16))
    response = await get_schedule(http, emu, token, schedule_body([BEN], start),
                                  Prefer='outlook.timezone="India Standard Time"')

    assert response.headers["Preference-Applied"] == 'outlook.timezone="India Standard Time"'
    items = response.json()["value"][0]["scheduleItems"]
    added = [i for i in items if i["start"]["dateTime"].endswith("20:30:00.0000000")]  # 15:00 UTC = 20:30 IST
    assert added and added[0]["start"]["timeZone"] == "India Standard Time"


async def test_out_of_office_person_shows_oof_this_week(emu: EmulatorHandle, http: httpx.AsyncClient) -> None:
    token = await app_token(http, emu)
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    monday = today - timedelta(days=today.weekday())
    response = await get_schedule(http, emu, token, schedule_body([OLIVIA_OOF], monday + timedelta(days=2),
                                                                  hours=24, interval=60))
    entry = response.json()["value"][0]
    assert "3" in entry["availabilityView"]
    assert any(item["status"] == "oof" for item in entry["scheduleItems"])


async def test_tenant_isolation(emu: EmulatorHandle, http: httpx.AsyncClient) -> None:
    emu.grant_admin_consent(FABRIKAM)
    fabrikam_token = await app_token(http, emu, FABRIKAM)
    response = await get_schedule(http, emu, fabrikam_token, schedule_body([BEN], next_weekday_utc()),
                                  url_user=ADELE_ADMIN)
    assert response.status_code == 404 and response.json()["error"]["code"] == "ErrorInvalidUser"
    call = emu.calls_to("getSchedule")[-1]
    assert call.tenant_id == FABRIKAM and call.status == 404


async def test_delegated_owner_sees_own_subjects_only(emu: EmulatorHandle, http: httpx.AsyncClient) -> None:
    tokens = await user_tokens(http, emu, KENJI_FABRIKAM)
    start = next_weekday_utc()
    emu.add_busy(KENJI_FABRIKAM, start + timedelta(hours=1), start + timedelta(hours=2), subject="Dentist")
    response = await http.post(f"{emu.graph_base_url}/me/calendar/getSchedule",
                               json=schedule_body([KENJI_FABRIKAM, "laura.novak@fabrikam.example"], start),
                               headers=bearer(tokens["access_token"]))
    entries = response.json()["value"]
    assert any(item.get("subject") == "Dentist" for item in entries[0]["scheduleItems"])
    assert all("subject" not in item for item in entries[1]["scheduleItems"])


async def test_app_only_token_cannot_use_me(emu: EmulatorHandle, http: httpx.AsyncClient) -> None:
    token = await app_token(http, emu, CONTOSO)
    response = await http.post(f"{emu.graph_base_url}/me/calendar/getSchedule",
                               json=schedule_body([BEN], next_weekday_utc()), headers=bearer(token))
    assert response.status_code == 400
