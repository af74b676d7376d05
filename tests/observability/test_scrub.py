"""The rules every span passes before export (observability/scrub.py)."""

from __future__ import annotations

import pytest

from observability.scrub import scrub_attributes, scrub_url


@pytest.mark.parametrize(("url", "scrubbed"), [
    ("https://graph.microsoft.com/v1.0/users/adele@contoso.com/calendar/getSchedule",
     "https://graph.microsoft.com/v1.0/users/{id}/calendar/getSchedule"),
    ("https://graph.microsoft.com/v1.0/users/adele@contoso.com/events/AAMkAGI2=/decline",
     "https://graph.microsoft.com/v1.0/users/{id}/events/{id}/decline"),
    ("https://graph.microsoft.com/v1.0/me/calendarView?startDateTime=2026-01-01&$filter=x",
     "https://graph.microsoft.com/v1.0/me/calendarView"),
    ("https://graph.microsoft.com/v1.0/users('adele@contoso.com')/events", "https://graph.microsoft.com/v1.0/{id}/events"),
    ("https://user:secret@smba.example:8443/v3/conversations/a:1B2c/activities/17",
     "https://smba.example:8443/v3/conversations/{id}/activities/{id}"),
    ("/auth/signin?code=M.C507&state=abc", "/auth/signin"),
])
def test_urls_lose_people_items_queries_and_credentials(url: str, scrubbed: str) -> None:
    assert scrub_url(url) == scrubbed


def test_attributes_keep_what_is_impersonal_and_lose_the_rest() -> None:
    attributes = {
        "http.target": "/auth/consent?admin_consent=True&tenant=t&state=s",
        "url.query": "code=secret",
        "client.address": "203.0.113.9",
        "http.status_code": 302,
        "exception.message": "mailbox ben@fabrikam.example is not reachable",
        "db.statement": "SELECT members.name FROM members WHERE members.tenant_id = ?",
    }
    assert scrub_attributes(attributes) == {
        "http.target": "/auth/consent",
        "http.status_code": 302,
        "exception.message": "mailbox {address} is not reachable",
        "db.statement": "SELECT members.name FROM members WHERE members.tenant_id = ?",
    }
