"""The command menu Teams shows must only offer what the bot really understands."""

from __future__ import annotations

from typing import Any

import pytest
from botbuilder.core import ConversationState, MemoryStorage
from botbuilder.core.adapters import TestAdapter
from cryptography.fernet import Fernet

from bot import RendezvousBot
from cards.common import COLLEAGUE_PLACEHOLDER, COMMANDS, book_example
from config import Settings
from dialogs.context import Services
from manifest.package import PackageOptions, render_manifest
from storage.crypto import TokenCipher
from storage.database import Database
from tests.manifest.conftest import BASE_URL, BOT_ID


@pytest.fixture(scope="module")
def menu() -> list[dict[str, Any]]:
    manifest = render_manifest(PackageOptions(app_id=BOT_ID, base_url=BASE_URL))
    (command_list,) = [entry for entry in manifest["bots"][0]["commandLists"] if "personal" in entry["scopes"]]
    commands: list[dict[str, Any]] = command_list["commands"]
    return commands


@pytest.fixture(scope="module")
def bot() -> RendezvousBot:
    """The real routing tables; nothing here runs a turn, so nothing is connected."""
    services = Services(
        settings=Settings(),
        db=Database("sqlite+aiosqlite:///:memory:"),
        cipher=TokenCipher(Fernet.generate_key()),
        conversation_state=ConversationState(MemoryStorage()),
        adapter=TestAdapter(),
    )
    return RendezvousBot(services)


def test_every_menu_command_is_routed_by_the_bot(menu: list[dict[str, Any]], bot: RendezvousBot) -> None:
    # Picking a menu entry sends its title as the message text.
    for entry in menu:
        assert bot.match_command(entry["title"]) == (entry["title"], ""), entry["title"]


def test_every_menu_command_is_on_the_help_card(menu: list[dict[str, Any]]) -> None:
    help_commands = {command for command, _ in COMMANDS}
    assert {entry["title"] for entry in menu} <= help_commands


def test_booking_and_help_are_offered_first_and_last(menu: list[dict[str, Any]]) -> None:
    titles = [entry["title"] for entry in menu]
    assert titles[0] == "book"
    assert titles[-1] == "help"
    assert len(titles) == len(set(titles))


def test_menu_fits_teams_limits(menu: list[dict[str, Any]]) -> None:
    # Teams shows at most 10 commands per scope; titles up to 32 and descriptions up to 128 characters.
    assert 0 < len(menu) <= 10
    for entry in menu:
        assert 0 < len(entry["title"]) <= 32
        assert 0 < len(entry["description"]) <= 128


def test_the_menu_example_uses_the_placeholder_not_a_stranger(menu: list[dict[str, Any]]) -> None:
    # The manifest is the same for everyone, so it cannot name anybody's colleague.
    (book,) = [entry for entry in menu if entry["title"] == "book"]
    assert book_example() in book["description"]
    assert COLLEAGUE_PLACEHOLDER in book_example()
