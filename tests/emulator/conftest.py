"""Fixtures for the emulator's own tests: a running emulator, HTTPS clients, ready-made tokens.

People are named after their role in emulator/demo_org.json so the tests read like the scenario.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import ssl
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from emulator.testing import EmulatorHandle, running_emulator

CONTOSO = "68598bba-dd82-4d63-9294-4fa5e63cbf35"
FABRIKAM = "84ebddb4-3701-4ba1-bebe-b55cc06522a1"
ADELE_ADMIN = "adele.vance@contoso.example"  # Global Administrator, Pacific
ADELE_ID = "11d48f97-1db9-49b2-b6fa-4122d6cb0373"
BEN = "ben.walters@contoso.example"  # Eastern
CHLOE = "chloe.martin@contoso.example"  # GMT Standard Time, not an admin
CHLOE_ID = "d5135433-03f6-46f2-afe7-6502d88a9a24"
PRIYA_IST = "priya.sharma@contoso.example"
LACHLAN_CUSTOM_TZ = "lachlan.hughes@contoso.example"
OLIVIA_OOF = "olivia.chen@contoso.example"
GRACE_OUTSIDE_POLICY = "grace.okafor@contoso.example"
EXTERNAL = "sam.rivera@northwind.example"
PRODUCT_TEAM = "741ef87f-89da-467d-a8cb-0f857c807768"
FIONA_FABRIKAM_ADMIN = "fiona.gallagher@fabrikam.example"
FIONA_ID = "dacac365-98fe-4162-9a95-f8a3ab1eaad7"
KENJI_FABRIKAM = "kenji.watanabe@fabrikam.example"
REDIRECT_URI = "http://localhost:3978/auth/callback"
GRAPH_DEFAULT = "https://graph.microsoft.com/.default"


@pytest.fixture
async def emu() -> AsyncIterator[EmulatorHandle]:
    async with running_emulator() as handle:
        yield handle


@pytest.fixture
async def http(emu: EmulatorHandle) -> AsyncIterator[httpx.AsyncClient]:
    trusted = ssl.create_default_context(cafile=emu.ca_file)
    async with httpx.AsyncClient(verify=trusted, trust_env=False, follow_redirects=False) as client:
        yield client


async def app_token(http: httpx.AsyncClient, emu: EmulatorHandle, tenant: str = CONTOSO) -> str:
    response = await http.post(f"{emu.authority(tenant)}/oauth2/v2.0/token", data={
        "grant_type": "client_credentials", "client_id": emu.client_id, "client_secret": emu.client_secret,
        "scope": GRAPH_DEFAULT})
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


async def user_tokens(http: httpx.AsyncClient, emu: EmulatorHandle, person: str,
                      scopes: str = "https://graph.microsoft.com/Calendars.ReadWrite openid profile offline_access",
                      authority: str = "organizations") -> dict[str, str]:
    """The auth-code flow with PKCE, done by hand the way a browser and MSAL would."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
    emu.sign_in_as(person)
    redirect = await http.get(f"{emu.authority(authority)}/oauth2/v2.0/authorize", params={
        "client_id": emu.client_id, "response_type": "code", "redirect_uri": REDIRECT_URI, "scope": scopes,
        "state": "s1", "nonce": "n1", "code_challenge": challenge, "code_challenge_method": "S256"})
    assert redirect.status_code == 302, redirect.text
    query = parse_qs(urlsplit(redirect.headers["Location"]).query)
    assert "code" in query, query
    response = await http.post(f"{emu.authority(authority)}/oauth2/v2.0/token", data={
        "grant_type": "authorization_code", "client_id": emu.client_id, "client_secret": emu.client_secret,
        "code": query["code"][0], "redirect_uri": REDIRECT_URI, "code_verifier": verifier, "scope": scopes})
    assert response.status_code == 200, response.text
    return dict(response.json())


def bearer(token: str, **extra: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", **extra}


def graph_time(moment: datetime) -> dict[str, str]:
    return {"dateTime": moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S"), "timeZone": "UTC"}


def next_weekday_utc(days_ahead: int = 7) -> datetime:
    """Midnight UTC of a Wednesday at least `days_ahead` days away (outside the OOF week)."""
    day = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=days_ahead)
    while day.weekday() != 2:
        day += timedelta(days=1)
    return day
