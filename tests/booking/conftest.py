"""Booking flows over HTTP: the real bot (tests/harness.py) against the Entra ID + Graph emulator.

Calendars start empty (no generated demo meetings), so every busy block a test relies on is one it added.
People come from emulator/demo_org.json: Adele (Pacific) organizes, Ben (Eastern) is her colleague.
"""

from __future__ import annotations

import json
import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit
from zoneinfo import ZoneInfo

import aiohttp
import pytest

from app import SERVICES_KEY
from dialogs.context import Services
from emulator.testing import EmulatorHandle, running_emulator
from storage.database import Database
from storage.repositories import BookingRecord, BookingRepository, TenantRepository
from tests.harness import ConnectorStub, RunningBot, SentActivity, TeamsUser, running_bot, settings_for

CONTOSO = "68598bba-dd82-4d63-9294-4fa5e63cbf35"
FABRIKAM = "84ebddb4-3701-4ba1-bebe-b55cc06522a1"
PRODUCT_TEAM = "741ef87f-89da-467d-a8cb-0f857c807768"
PACIFIC = ZoneInfo("America/Los_Angeles")
EASTERN = ZoneInfo("America/New_York")

ADELE = TeamsUser(CONTOSO, "11d48f97-1db9-49b2-b6fa-4122d6cb0373", "Adele Vance", "adele.vance@contoso.example",
                  time_zone="America/Los_Angeles")
BEN = TeamsUser(CONTOSO, "49893b47-f489-471d-9d8b-e98e8bbe424c", "Ben Walters", "ben.walters@contoso.example",
                time_zone="America/New_York")
CHLOE = TeamsUser(CONTOSO, "d5135433-03f6-46f2-afe7-6502d88a9a24", "Chloe Martin", "chloe.martin@contoso.example",
                  time_zone="Europe/London")
MATEO = TeamsUser(CONTOSO, "8792abea-5770-47d2-a260-eac6baeb19e3", "Mateo Rossi", "mateo.rossi@contoso.example",
                  time_zone="Europe/Rome")
GRACE = TeamsUser(CONTOSO, "67a30a40-df55-4744-999f-e85ddc902f81", "Grace Okafor", "grace.okafor@contoso.example",
                  time_zone="America/New_York")
FIONA = TeamsUser(FABRIKAM, "dacac365-98fe-4162-9a95-f8a3ab1eaad7", "Fiona Gallagher",
                  "fiona.gallagher@fabrikam.example", time_zone="America/New_York")
KENJI = TeamsUser(FABRIKAM, "e8b58c16-60f0-411d-82a6-10f84a845cd4", "Kenji Watanabe",
                  "kenji.watanabe@fabrikam.example", time_zone="Asia/Tokyo")
LAURA = TeamsUser(FABRIKAM, "19d34005-2e12-42ef-bd29-b7e348bc5f37", "Laura Novak", "laura.novak@fabrikam.example",
                  time_zone="Europe/Prague")
EVERYONE = (ADELE, BEN, CHLOE, MATEO, GRACE, FIONA, KENJI, LAURA)
ADAPTIVE_CARD = "application/vnd.microsoft.card.adaptive"


def meeting_day(days_ahead_at_least: int = 2) -> date:
    """A Wednesday at least a couple of days ahead: a plain working day for everyone, well inside 8 weeks."""
    day = datetime.now(UTC).date() + timedelta(days=days_ahead_at_least)
    while day.weekday() != 2:
        day += timedelta(days=1)
    return day


def at(day: date, hour: int, minute: int, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=zone).astimezone(UTC)


def day_form(colleague: TeamsUser, day: date, duration: str = "30", **extra: str) -> dict[str, Any]:
    """What the options form submits for one whole day."""
    return {"colleague": colleague.aad_object_id, "duration": duration, "window": "dates",
            "fromDate": day.isoformat(), "toDate": day.isoformat(), **extra}


def card_of(response: dict[str, Any]) -> dict[str, Any]:
    assert response["type"] == ADAPTIVE_CARD, response
    card: dict[str, Any] = response["value"]
    return card


def message_of(response: dict[str, Any]) -> str:
    assert response["type"] == "application/vnd.microsoft.activity.message", response
    return str(response["value"])


def all_actions(card: dict[str, Any]) -> list[dict[str, Any]]:
    """Every action of a card, nested ActionSets included."""
    found: list[dict[str, Any]] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if str(node.get("type", "")).startswith("Action."):
                found.append(node)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(card.get("body"))
    walk(card.get("actions"))
    return found


def book_buttons(card: dict[str, Any]) -> list[dict[str, Any]]:
    return [a["data"] for a in all_actions(card) if a.get("verb") == "book"]


def slot_facts(card: dict[str, Any]) -> list[list[tuple[str, str]]]:
    """The (person, local time) lines of each suggested slot, in card order."""
    return [
        [(fact["title"], fact["value"]) for fact in item["facts"]]
        for element in card["body"] if element.get("type") == "Container"
        for item in element["items"] if item.get("type") == "FactSet"
    ]


def card_text(card: dict[str, Any]) -> str:
    return json.dumps(card, ensure_ascii=False)


@dataclass
class BookingWorld:
    emu: EmulatorHandle
    bot: RunningBot
    connector: ConnectorStub
    db: Database
    database_url: str

    @property
    def services(self) -> Services:
        return self.bot.app[SERVICES_KEY]

    async def set_up_tenant(self, tenant_id: str = CONTOSO, mode: str = "domain_wide",
                            security_group_id: str | None = None, admin: TeamsUser = ADELE) -> None:
        tenants = TenantRepository(self.db, tenant_id)
        await tenants.save_setup(mode, security_group_id, admin.aad_object_id)
        await tenants.enable(admin.aad_object_id, admin.name)

    async def meet(self, *users: TeamsUser) -> None:
        """Each person opens Rendezvous once (so they are members with a conversation reference)."""
        for user in users:
            await self.bot.say(user, "help")
        self.connector.clear()

    async def find_times(self, organizer: TeamsUser, form: dict[str, Any]) -> dict[str, Any]:
        return card_of(await self.bot.execute(organizer, "findTimes", form))

    async def bookings(self, tenant_id: str = CONTOSO) -> list[BookingRecord]:
        return await BookingRepository(self.db, tenant_id).list_all()

    def proactive_to(self, user: TeamsUser) -> list[SentActivity]:
        return [s for s in self.connector.messages(user.conversation_id) if s.cards]

    def typing_sent(self) -> bool:
        return any(s.body.get("type") == "typing" for s in self.connector.sent)

    def schedule_calls(self) -> int:
        return len([c for c in self.emu.calls_to("getSchedule")])

    async def connect_calendar(self, user: TeamsUser) -> None:
        """The person signs in (auth code + PKCE against the emulator), as the connect flow would do."""
        delegated = self.services.delegated_auth
        assert delegated is not None
        self.emu.sign_in_as(user.aad_object_id)
        started = await delegated.start_sign_in(user.tenant_id, "http://localhost:3978/auth/signin", user.email)
        trusted = ssl.create_default_context(cafile=self.emu.ca_file)
        async with aiohttp.ClientSession() as session, session.get(
            started.auth_url, allow_redirects=False, ssl=trusted
        ) as response:
            assert response.status == 302, await response.text()
            location = response.headers["Location"]
        query = dict(parse_qsl(urlsplit(location).query))
        await delegated.finish_sign_in(started.flow, query)


async def booking_world(database_url: str, tmp_path: Path, **settings: Any) -> AsyncIterator[BookingWorld]:
    """The world; `settings` overrides the bot's Settings fields (e.g. booking_recovery_interval)."""
    connector = ConnectorStub()
    for user in EVERYONE:
        connector.members[user.teams_user_id] = user.member_info()
    async with running_emulator(generate_calendars=False) as emu:
        async with running_bot(settings_for(database_url, tmp_path, emu, **settings), connector=connector) as bot:
            db = Database(database_url)
            try:
                yield BookingWorld(emu, bot, connector, db, database_url)
            finally:
                await db.dispose()


def _module_settings(request: pytest.FixtureRequest) -> dict[str, Any]:
    """A test module's own Settings overrides for its worlds (`WORLD_SETTINGS = {...}` in the module)."""
    return dict(getattr(request.module, "WORLD_SETTINGS", {}))


@pytest.fixture
async def world(sqlite_url: str, tmp_path: Path, request: pytest.FixtureRequest) -> AsyncIterator[BookingWorld]:
    """One backend (SQLite) for the flows whose behaviour does not depend on the database."""
    async for built in booking_world(sqlite_url, tmp_path, **_module_settings(request)):
        yield built


@pytest.fixture
async def world_on_both(database_url: str, tmp_path: Path,
                        request: pytest.FixtureRequest) -> AsyncIterator[BookingWorld]:
    """SQLite and PostgreSQL, for what rests on the database's guarantees (idempotency under races)."""
    async for built in booking_world(database_url, tmp_path, **_module_settings(request)):
        yield built


async def answer_yes(bot: RunningBot, user: TeamsUser, button: dict[str, Any]) -> dict[str, Any]:
    """Clicks a meeting's Cancel (or Decline) button, then "Yes" on the question it asks; returns the invoke
    response to the "Yes" click."""
    question = card_of(await bot.execute(user, button["verb"], button["data"]))
    [yes] = [action for action in all_actions(question) if action.get("verb") == "confirmCancelBooking"]
    return await bot.execute(user, "confirmCancelBooking", yes["data"])
