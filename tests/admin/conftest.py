"""The admin part's test stack: the emulator, the real bot wired to it, a browser, and the demo people."""

from __future__ import annotations

import json
import ssl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from app import SERVICES_KEY
from dialogs.access import admin_proofs_key
from dialogs.context import Services
from emulator.testing import EmulatorHandle, form_post_of, running_emulator
from storage.database import Database
from storage.state_store import StateStore
from tests.harness import ConnectorStub, RunningBot, SentActivity, TeamsUser, running_bot, settings_for

CONTOSO = "68598bba-dd82-4d63-9294-4fa5e63cbf35"
FABRIKAM = "84ebddb4-3701-4ba1-bebe-b55cc06522a1"
MAILBOXES_GROUP = "bd46046e-0866-4ba0-929a-b74d0e4e3235"  # Contoso's "Rendezvous Mailboxes"
PRODUCT_TEAM_GROUP = "741ef87f-89da-467d-a8cb-0f857c807768"  # Contoso's "Product Team"

ADELE = TeamsUser(CONTOSO, "11d48f97-1db9-49b2-b6fa-4122d6cb0373", "Adele Vance", "adele.vance@contoso.example")
BEN = TeamsUser(CONTOSO, "49893b47-f489-471d-9d8b-e98e8bbe424c", "Ben Walters", "ben.walters@contoso.example")
HENRY = TeamsUser(CONTOSO, "aacd85b0-6963-4120-8083-6ee6f57899dc", "Henry Park", "henry.park@contoso.example")
GRACE = TeamsUser(CONTOSO, "67a30a40-df55-4744-999f-e85ddc902f81", "Grace Okafor", "grace.okafor@contoso.example")
FIONA = TeamsUser(FABRIKAM, "dacac365-98fe-4162-9a95-f8a3ab1eaad7", "Fiona Gallagher",
                  "fiona.gallagher@fabrikam.example")
KENJI = TeamsUser(FABRIKAM, "e8b58c16-60f0-411d-82a6-10f84a845cd4", "Kenji Watanabe",
                  "kenji.watanabe@fabrikam.example")
LAURA = TeamsUser(FABRIKAM, "19d34005-2e12-42ef-bd29-b7e348bc5f37", "Laura Novak", "laura.novak@fabrikam.example")
DIEGO = TeamsUser(CONTOSO, "1d1bd30b-b415-4989-9cde-6c3b9567fb37", "Diego Siciliani",
                  "diego.siciliani@contoso.example")  # Cloud Application Administrator
EVERYONE = (ADELE, BEN, HENRY, GRACE, FIONA, KENJI, LAURA, DIEGO)


@dataclass
class Stack:
    bot: RunningBot
    emu: EmulatorHandle
    services: Services
    browser: httpx.AsyncClient
    db: Database
    connector: ConnectorStub

    async def say(self, user: TeamsUser, text: str) -> list[SentActivity]:
        """Sends a message; returns what the bot sent to that person's chat because of it."""
        before = len(self.connector.messages(user.conversation_id))
        await self.bot.say(user, text)
        return self.connector.messages(user.conversation_id)[before:]

    async def click(self, user: TeamsUser, verb: str, data: dict[str, Any] | None = None) -> dict[str, Any]:
        """Clicks an Action.Execute button; returns the replacement card (or a message body)."""
        body = await self.bot.execute(user, verb, {"verb": verb, **(data or {})})
        return body

    def texts_to(self, user: TeamsUser) -> str:
        return "\n".join(m.text + json.dumps(m.cards) for m in self.connector.messages(user.conversation_id))

    async def open(self, url: str) -> httpx.Response:
        """A browser opening the link and following every redirect and self-submitting form (Entra's
        form_post answer) through the emulator's pages and the bot's callbacks."""
        response = await self.browser.get(url, follow_redirects=True)
        for _ in range(5):
            form = form_post_of(response.text) if response.status_code == 200 else None
            if form is None:
                break
            response = await self.browser.post(form[0], data=form[1], follow_redirects=True)
        return response


def open_url_of(card: dict[str, Any]) -> str:
    urls = [a["url"] for a in card.get("actions", []) if a.get("type") == "Action.OpenUrl"]
    assert len(urls) == 1, card
    return str(urls[0])


def card_text(card: dict[str, Any]) -> str:
    return json.dumps(card)


@asynccontextmanager
async def admin_stack(database_url: str, tmp_path: Path, **overrides: Any) -> AsyncIterator[Stack]:
    connector = ConnectorStub()
    for user in EVERYONE:
        connector.members[user.teams_user_id] = user.member_info()
    async with running_emulator() as emu:
        settings = settings_for(database_url, tmp_path, emu, **overrides)
        async with running_bot(settings, connector=connector) as bot:
            services = bot.app[SERVICES_KEY]
            # The redirect URIs must reach this bot, whose port is only known once it listens.
            services.settings = replace(services.settings, public_base_url=bot.url)
            trusted = ssl.create_default_context(cafile=emu.ca_file)
            async with httpx.AsyncClient(verify=trusted, timeout=30) as browser:
                yield Stack(bot, emu, services, browser, Database(database_url), connector)


@pytest.fixture
async def stack(sqlite_url: str, tmp_path: Path) -> AsyncIterator[Stack]:
    async with admin_stack(sqlite_url, tmp_path) as running:
        yield running


async def open_as(stack: Stack, user_oid: str, url: str) -> httpx.Response:
    """The link opened in a browser where this person signs in (or consents) on every Microsoft page."""
    stack.emu.sign_in_as(user_oid)
    try:
        return await stack.open(url)
    finally:
        stack.emu.sign_in_as(None)


async def complete_setup(stack: Stack, admin: TeamsUser, mode: str = "domain_wide", group: str = "") -> httpx.Response:
    """Runs setup as a real admin would: setup card, save, sign in when asked, grant consent. Returns the last
    page. `admin` signs in on every Microsoft page (the consent page too)."""
    await stack.say(admin, "setup")
    card = await stack.click(admin, "saveSetup", {"tenantId": admin.tenant_id, "mode": mode, "securityGroupId": group})
    return await open_as(stack, admin.aad_object_id, open_url_of(card["value"]))


async def prove_admin(stack: Stack, user: TeamsUser, command: str = "status") -> httpx.Response:
    """The person clicks "I have that role" on the admin-only answer and signs in on Microsoft's page."""
    card = await stack.click(user, "proveAdmin", {"command": command})
    return await open_as(stack, user.aad_object_id, open_url_of(card["value"]))


async def make_rendezvous_admin(stack: Stack, user: TeamsUser) -> None:
    """What a tenant does to name a Rendezvous admin (the app role, in Enterprise applications), then the
    person's own sign-in proving it to the bot."""
    stack.emu.assign_app_role(user.aad_object_id)
    page = await prove_admin(stack, user)
    assert page.status_code == 200, page.text


def links_in(card: dict[str, Any]) -> list[str]:
    return [str(a["url"]) for a in card.get("actions", []) if a.get("type") == "Action.OpenUrl"]


async def age_admin_sign_ins(stack: Stack, tenant_id: str, by: timedelta) -> None:
    """Time passes for every admin sign-in the bot remembers in this tenant (no test sleeps)."""
    store = StateStore(stack.db)
    key = admin_proofs_key(tenant_id)
    current = (await store.read([key]))[key]
    proofs = {oid: (datetime.fromisoformat(at) - by).isoformat() for oid, at in current.document["proofs"].items()}
    await store.write(key, {"proofs": proofs}, current.etag, tenant_id=tenant_id)
