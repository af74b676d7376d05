"""Fixtures for graph/ tests: the emulator over real HTTPS, and the production clients pointed at it."""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

from emulator.testing import EmulatorHandle, running_emulator
from graph.calendar import CalendarClient
from graph.http import GraphHttp, RetryPolicy
from graph.tokens import AppTokenProvider, DelegatedAuth, SignedInUser

CONTOSO = "68598bba-dd82-4d63-9294-4fa5e63cbf35"  # domain-wide, admin-consented, access policy in place
FABRIKAM = "84ebddb4-3701-4ba1-bebe-b55cc06522a1"  # delegated, user consent allowed, no admin consent
ADELE = "adele.vance@contoso.example"  # Pacific time, Global Administrator
BEN = "ben.walters@contoso.example"  # Eastern time
GRACE = "grace.okafor@contoso.example"  # outside the Exchange application access policy group
LACHLAN = "lachlan.hughes@contoso.example"  # working hours in a customTimeZone (Sydney rules)
FIONA_OID = "dacac365-98fe-4162-9a95-f8a3ab1eaad7"  # Fabrikam, Eastern time, administrator
ZOE = "zoe.adams@fabrikam.example"  # Fabrikam, Pacific time
KENJI_OID = "e8b58c16-60f0-411d-82a6-10f84a845cd4"  # Fabrikam, not an administrator

REDIRECT_URI = "https://localhost:3978/auth/callback"

# Quick backoff so retry tests stay fast; Retry-After hints are still honoured in full.
FAST_RETRY = RetryPolicy(attempts=4, backoff_base=0.01, backoff_max=0.05, max_wait=5.0)


class InMemoryTokenCacheStore:
    """TokenCacheStore for tests: blobs in a dict, with a count of saves."""

    def __init__(self) -> None:
        self.blobs: dict[tuple[str, str], str] = {}
        self.saves = 0

    async def load(self, tenant_id: str, oid: str) -> str | None:
        return self.blobs.get((tenant_id, oid))

    async def save(self, tenant_id: str, oid: str, blob: str) -> None:
        self.saves += 1
        self.blobs[(tenant_id, oid)] = blob

    async def delete(self, tenant_id: str, oid: str) -> None:
        self.blobs.pop((tenant_id, oid), None)


@pytest.fixture
async def emu() -> AsyncIterator[EmulatorHandle]:
    async with running_emulator() as handle:
        yield handle


@pytest.fixture
async def http(emu: EmulatorHandle) -> AsyncIterator[GraphHttp]:
    async with GraphHttp(emu.graph_base_url, ca_bundle=emu.ca_file, retry=FAST_RETRY) as client:
        yield client


@pytest.fixture
def app_tokens(emu: EmulatorHandle) -> AppTokenProvider:
    return AppTokenProvider(emu.client_id, emu.client_secret, emu.authority_host, emu.ca_file)


@pytest.fixture
def token_store() -> InMemoryTokenCacheStore:
    return InMemoryTokenCacheStore()


@pytest.fixture
def delegated(emu: EmulatorHandle, token_store: InMemoryTokenCacheStore) -> DelegatedAuth:
    return DelegatedAuth(emu.client_id, emu.client_secret, emu.authority_host, emu.ca_file, token_store)


@pytest.fixture
def calendar(http: GraphHttp, app_tokens: AppTokenProvider, delegated: DelegatedAuth) -> CalendarClient:
    return CalendarClient(http, app_tokens, delegated)


async def browse(emu: EmulatorHandle, auth_url: str) -> dict[str, str]:
    """What a browser does: open the sign-in URL and come back to our redirect URI with its query."""
    trusted = ssl.create_default_context(cafile=emu.ca_file)
    async with httpx.AsyncClient(verify=trusted, trust_env=False) as browser:
        answer = await browser.get(auth_url)
    assert answer.status_code == 302, answer.text
    location = answer.headers["Location"]
    assert location.startswith(REDIRECT_URI)
    return dict(parse_qsl(urlsplit(location).query))


async def sign_in(emu: EmulatorHandle, auth: DelegatedAuth, tenant: str, oid: str) -> SignedInUser:
    """`oid` signs in through the whole auth-code flow; their token cache is then stored."""
    emu.sign_in_as(oid)
    start = await auth.start_sign_in(tenant, REDIRECT_URI)
    return await auth.finish_sign_in(start.flow, await browse(emu, start.auth_url))
