"""Creating, reading and deleting events; invitations; transactionId de-duplication."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any
from urllib.parse import unquote

import httpx
import pytest

from emulator.testing import EmulatorHandle
from tests.emulator.conftest import (
    ADELE_ADMIN,
    BEN,
    CONTOSO,
    FABRIKAM,
    FIONA_FABRIKAM_ADMIN,
    KENJI_FABRIKAM,
    app_token,
    bearer,
    graph_time,
    next_weekday_utc,
    user_tokens,
)

PROVENANCE = "String {66f5a359-4659-4830-9070-00047ec6ac6e} Name BookedBy"


def meeting(attendee: str = BEN, **extra: Any) -> dict[str, Any]:
    start = next_weekday_utc() + timedelta(hours=16)
    return {
        "subject": "Rendezvous: planning", "body": {"contentType": "HTML", "content": "<p>Booked by bot</p>"},
        "start": graph_time(start), "end": graph_time(start + timedelta(minutes=30)),
        "attendees": [{"emailAddress": {"address": attendee, "name": "Ben"}, "type": "required"}],
        "isOnlineMeeting": True, "onlineMeetingProvider": "teamsForBusiness",
        "singleValueExtendedProperties": [{"id": PROVENANCE, "value": "contoso|booking-1"}],
        **extra,
    }


async def test_create_event_with_teams_link_and_invitation(emu: EmulatorHandle, http: httpx.AsyncClient) -> None:
    token = await app_token(http, emu)
    response = await http.post(f"{emu.graph_base_url}/users/{ADELE_ADMIN}/events", json=meeting(),
                               headers=bearer(token, Prefer='IdType="ImmutableId"'))

    assert response.status_code == 201
    event = response.json()
    assert event["onlineMeeting"]["joinUrl"].startswith("https://teams.microsoft.com/l/meetup-join/")
    organizer_oid = emu.person(ADELE_ADMIN).id
    assert unquote(event["onlineMeeting"]["joinUrl"]).endswith(
        f'context={{"Tid":"{CONTOSO}","Oid":"{organizer_oid}"}}')  # the organizer's tenant and id, as Exchange writes
    assert event["isOnlineMeeting"] is True and event["onlineMeetingProvider"] == "teamsForBusiness"
    assert event["organizer"]["emailAddress"]["address"] == ADELE_ADMIN
    assert event["attendees"][0]["status"]["response"] == "none"
    assert "singleValueExtendedProperties" not in event  # only returned through $expand
    assert "transactionId" not in event  # echoed only when sent
    assert event["start"]["dateTime"].endswith(":00.0000000") and event["start"]["timeZone"] == "UTC"
    assert 'IdType="ImmutableId"' in response.headers["Preference-Applied"]
    assert response.headers["Location"].endswith(f"Events('{event['id']}')")

    ben_copy = emu.created_events(BEN)
    assert len(ben_copy) == 1 and ben_copy[0].ical_uid == event["iCalUId"]
    assert ben_copy[0].response == "none" and ben_copy[0].show_as == "tentative"


async def test_same_transaction_id_returns_the_same_event(emu: EmulatorHandle, http: httpx.AsyncClient) -> None:
    token = await app_token(http, emu)
    body = meeting(transactionId=str(uuid.uuid4()))
    first = await http.post(f"{emu.graph_base_url}/users/{ADELE_ADMIN}/events", json=body, headers=bearer(token))
    second = await http.post(f"{emu.graph_base_url}/users/{ADELE_ADMIN}/events", json=body, headers=bearer(token))

    assert first.status_code == second.status_code == 201
    assert first.json()["id"] == second.json()["id"]
    assert first.json()["transactionId"] == body["transactionId"]
    assert len(emu.created_events(ADELE_ADMIN)) == 1 and len(emu.created_events(BEN)) == 1


async def test_dropped_response_then_retry_with_transaction_id(emu: EmulatorHandle,
                                                               http: httpx.AsyncClient) -> None:
    token = await app_token(http, emu)
    body = meeting(transactionId=str(uuid.uuid4()))
    emu.faults.drop_response("/events", method="POST")

    with pytest.raises(httpx.TransportError):
        await http.post(f"{emu.graph_base_url}/users/{ADELE_ADMIN}/events", json=body, headers=bearer(token))
    assert len(emu.created_events(ADELE_ADMIN)) == 1  # the event was created before the connection dropped

    retry = await http.post(f"{emu.graph_base_url}/users/{ADELE_ADMIN}/events", json=body, headers=bearer(token))
    assert retry.status_code == 201
    assert retry.json()["id"] == emu.created_events(ADELE_ADMIN)[0].id
    assert len(emu.created_events(ADELE_ADMIN)) == 1


async def test_get_with_extended_property_and_delete(emu: EmulatorHandle, http: httpx.AsyncClient) -> None:
    token = await app_token(http, emu)
    created = (await http.post(f"{emu.graph_base_url}/users/{ADELE_ADMIN}/events", json=meeting(),
                               headers=bearer(token))).json()
    url = f"{emu.graph_base_url}/users/{ADELE_ADMIN}/events/{created['id']}"

    fetched = await http.get(url, params={"$expand": f"singleValueExtendedProperties($filter=id eq '{PROVENANCE}')"},
                             headers=bearer(token))
    assert fetched.status_code == 200
    assert fetched.json()["singleValueExtendedProperties"] == [{"id": PROVENANCE, "value": "contoso|booking-1"}]
    other = await http.get(url, params={"$expand": "singleValueExtendedProperties($filter=id eq 'String "
                                                   "{66f5a359-4659-4830-9070-00047ec6ac6e} Name Other')"},
                           headers=bearer(token))
    assert other.json()["singleValueExtendedProperties"] == []
    selected = await http.get(url, params={"$select": "subject,isCancelled"}, headers=bearer(token))
    assert set(selected.json()) == {"@odata.context", "@odata.etag", "id", "subject", "isCancelled"}

    ours = f"singleValueExtendedProperties/Any(ep: ep/id eq '{PROVENANCE}' and ep/value eq 'contoso|booking-1')"
    by_property = await http.get(f"{emu.graph_base_url}/users/{ADELE_ADMIN}/events", params={"$filter": ours},
                                 headers=bearer(token))
    assert [e["id"] for e in by_property.json()["value"]] == [created["id"]]

    deleted = await http.delete(url, headers=bearer(token))
    assert deleted.status_code == 204
    gone = await http.get(url, headers=bearer(token))
    assert gone.status_code == 404 and gone.json()["error"]["code"] == "ErrorItemNotFound"
    assert all(e.is_cancelled for e in emu.created_events(BEN))


async def test_attendee_response_reaches_the_organizer(emu: EmulatorHandle, http: httpx.AsyncClient) -> None:
    token = await app_token(http, emu)
    created = (await http.post(f"{emu.graph_base_url}/users/{ADELE_ADMIN}/events", json=meeting(),
                               headers=bearer(token))).json()
    emu.respond(BEN, created["id"], "accepted")
    fetched = (await http.get(f"{emu.graph_base_url}/users/{ADELE_ADMIN}/events/{created['id']}",
                              headers=bearer(token))).json()
    assert fetched["attendees"][0]["status"]["response"] == "accepted"
    assert emu.created_events(BEN)[0].show_as == "busy"


async def test_other_tenant_cannot_read_the_event(emu: EmulatorHandle, http: httpx.AsyncClient) -> None:
    token = await app_token(http, emu, CONTOSO)
    created = (await http.post(f"{emu.graph_base_url}/users/{ADELE_ADMIN}/events", json=meeting(),
                               headers=bearer(token))).json()
    emu.grant_admin_consent(FABRIKAM)
    fabrikam = await app_token(http, emu, FABRIKAM)
    response = await http.get(f"{emu.graph_base_url}/users/{ADELE_ADMIN}/events/{created['id']}",
                              headers=bearer(fabrikam))
    assert response.status_code == 404


async def test_delegated_me_events(emu: EmulatorHandle, http: httpx.AsyncClient) -> None:
    tokens = await user_tokens(http, emu, FIONA_FABRIKAM_ADMIN)
    created = await http.post(f"{emu.graph_base_url}/me/events", json=meeting(KENJI_FABRIKAM),
                              headers=bearer(tokens["access_token"]))
    assert created.status_code == 201
    fetched = await http.get(f"{emu.graph_base_url}/me/events/{created.json()['id']}",
                             headers=bearer(tokens["access_token"]))
    assert fetched.status_code == 200
    someone_else = await http.post(f"{emu.graph_base_url}/users/{KENJI_FABRIKAM}/events", json=meeting(),
                                   headers=bearer(tokens["access_token"]))
    assert someone_else.status_code == 403
    assert len(emu.created_events(KENJI_FABRIKAM)) == 1


async def test_calendar_view_lists_the_window(emu: EmulatorHandle, http: httpx.AsyncClient) -> None:
    token = await app_token(http, emu)
    emu.clear_calendar(BEN)
    day = next_weekday_utc()
    emu.add_busy(BEN, day + timedelta(hours=10), day + timedelta(hours=11))
    emu.add_busy(BEN, day + timedelta(days=1, hours=10), day + timedelta(days=1, hours=11))
    response = await http.get(f"{emu.graph_base_url}/users/{BEN}/calendarView", params={
        "startDateTime": day.strftime("%Y-%m-%dT%H:%M:%S.0000000"),
        "endDateTime": (day + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")}, headers=bearer(token))
    assert response.status_code == 200
    assert [e["start"]["dateTime"][11:19] for e in response.json()["value"]] == ["10:00:00"]
