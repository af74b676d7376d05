"""The log as `python app.py` writes it at the default level: no personal data, nothing forged, nothing huge.

Each test captures the log through `log_safety.configure_logging`, the very set-up app.py's main() uses
(its handler, its formatter, its library levels), into a buffer, and reads the lines an operator would.
"""

from __future__ import annotations

import io
import logging
import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.exc import IntegrityError

from config import ConfigError, load_settings
from emulator.faults import FaultRule
from log_safety import CHATTY_LIBRARIES, LINE_LIMIT, TRACEBACK_PREFIX, configure_logging, quiet_chatty_libraries
from storage.database import Database
from storage.models import Booking
from tests.admin.conftest import admin_stack, complete_setup
from tests.booking.conftest import (
    ADELE,
    BEN,
    CONTOSO,
    all_actions,
    book_buttons,
    card_of,
    day_form,
    meeting_day,
)
from tests.harness import ConnectorStub, TeamsUser, running_bot, settings_for

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# A record starts with the formatter's timestamp; anything else on a line of its own is a continuation.
RECORD_START = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} [A-Z]+ ")
RECORD_NAME = re.compile(r"^\S+ \S+ [A-Z]+ (\S+): ")
SUBJECT = "Merger talks with Northwind"
FORGED = "2026-11-30 10:00:00,000 INFO rendezvous: turn tenant=evil conversation=c type=message name=- outcome=ok"
TENANT = "8c1c1f2a-5b8e-4a43-9d7e-0b1f3a6c2d10"
ALICE = TeamsUser(TENANT, "6f1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d", "Alice Example", "alice@contoso.test")


@pytest.fixture
def bot_log() -> Iterator[io.StringIO]:
    """What `python app.py` would write to stderr at LOG_LEVEL=INFO, in a buffer."""
    root = logging.getLogger()
    saved = root.level, {name: logging.getLogger(name).level for name in CHATTY_LIBRARIES}
    stream = io.StringIO()
    handler = configure_logging("INFO", stream)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(saved[0])
        for name, level in saved[1].items():
            logging.getLogger(name).setLevel(level)


def bot_lines(stream: io.StringIO) -> list[str]:
    """The records of the bot and its libraries; the emulator (Microsoft's side, not the bot's log) left out."""
    kept: list[str] = []
    keep = True
    for line in stream.getvalue().splitlines():
        if RECORD_START.match(line):
            name = RECORD_NAME.match(line)
            keep = not (name and name.group(1).startswith("emulator"))
        if keep:
            kept.append(line)
    return kept


async def test_setup_booking_my_meetings_and_cancel_log_no_address_event_id_or_subject(
    sqlite_url: str, tmp_path: Path, bot_log: io.StringIO
) -> None:
    async with admin_stack(sqlite_url, tmp_path) as stack:
        stack.emu.revoke_admin_consent(CONTOSO)
        page = await complete_setup(stack, ADELE)
        assert page.status_code == 200, page.text
        await stack.bot.say(ADELE, "help")
        await stack.bot.say(BEN, "help")
        # Two retried Graph errors, one whose message quotes the mailbox (as Graph's messages can).
        stack.emu.faults.add(FaultRule("/calendar/getSchedule", 503, retry_after="0", error_code="ServiceUnavailable",
                                       message=f"Mailbox {ADELE.email} is not available"))
        card = card_of(await stack.bot.execute(ADELE, "findTimes", day_form(BEN, meeting_day(), subject=SUBJECT)))
        confirmation = card_of(await stack.bot.execute(ADELE, "book", book_buttons(card)[0]))
        events = stack.emu.created_events(ADELE.email) + stack.emu.created_events(BEN.email)
        await stack.bot.say(ADELE, "my meetings")
        cancel = next(a for a in all_actions(confirmation) if a.get("verb") == "cancelBooking")
        stack.emu.faults.fail("/events/", 503, times=1, retry_after="0", method="DELETE")
        question = card_of(await stack.bot.execute(ADELE, "cancelBooking", cancel["data"]))
        [yes] = [a for a in all_actions(question) if a.get("verb") == "confirmCancelBooking"]
        await stack.bot.execute(ADELE, "confirmCancelBooking", yes["data"])

    lines = bot_lines(bot_log)
    text = "\n".join(lines)
    # The run did what it should, and the log saw it: the turns, the Graph retries, the booking.
    assert len(events) == 2, "the meeting and its invitation copy"
    assert sum(line.count(" turn tenant=") for line in lines) >= 6
    assert text.count("Graph POST /users/{id}/calendar/getSchedule failed: 503") == 1
    assert text.count("Graph DELETE /users/{id}/events/{id} failed: 503") == 1
    # ... and none of it names a person's address, a mailbox path, an event or the subject.
    assert EMAIL.findall(text) == []
    for event in events:
        assert event.id not in text and event.immutable_id not in text
    assert SUBJECT not in text
    assert "/users/" + ADELE.email not in text.lower()


async def post_from_alice(sqlite_url: str, tmp_path: Path, activity_type: str, conversation_id: str,
                          **fields: Any) -> None:
    """One activity from Alice in a conversation with the given id, to a bot in local mode (no authentication)."""
    connector = ConnectorStub()
    connector.members[ALICE.teams_user_id] = ALICE.member_info()
    async with running_bot(settings_for(sqlite_url, tmp_path), connector=connector) as bot:
        activity = ALICE.activity(connector.url, activity_type, **fields)
        activity["conversation"]["id"] = conversation_id
        response = await bot.post(activity)
        assert response.status in (200, 201)


async def test_a_newline_in_a_conversation_id_cannot_plant_a_turn_line(
    sqlite_url: str, tmp_path: Path, bot_log: io.StringIO
) -> None:
    await post_from_alice(sqlite_url, tmp_path, "message", f"a:chat\n{FORGED}\r\x1b[2K\u2028", text="help")

    lines = bot_log.getvalue().splitlines()
    assert not [line for line in lines if line.startswith(FORGED[:23])], "the forged text began a line of its own"
    assert all(RECORD_START.match(line) or line.startswith(TRACEBACK_PREFIX) for line in lines), lines
    [turn] = [line for line in lines if RECORD_START.match(line) and " turn tenant=" in line]
    assert f"tenant={TENANT} conversation=a:chat\\n{FORGED}\\r\\x1b[2K\\u2028 type=message" in turn


async def test_a_900_kilobyte_field_writes_a_bounded_line(
    sqlite_url: str, tmp_path: Path, bot_log: io.StringIO
) -> None:
    await post_from_alice(sqlite_url, tmp_path, "event", "a:" + "C" * 100_000, name="N" * 900_000)

    [turn] = [line for line in bot_log.getvalue().splitlines() if " turn tenant=" in line]
    assert "type=event" in turn and "outcome=" in turn
    assert "chars in all]" in turn  # says that something was cut
    assert len(turn) < LINE_LIMIT + 200
    assert max(len(line) for line in bot_log.getvalue().splitlines()) < LINE_LIMIT + 200


async def test_a_request_that_fails_authentication_logs_nothing_of_its_body(
    sqlite_url: str, tmp_path: Path, bot_log: io.StringIO
) -> None:
    settings = settings_for(sqlite_url, tmp_path, app_id=str(uuid.uuid4()), app_password="secret")
    async with running_bot(settings) as bot:
        activity = ALICE.activity(bot.connector.url, "invoke", name="attacker-name\nplanted")
        activity["conversation"]["id"] = f"attacker-conversation\n{FORGED}"
        activity["from"]["name"] = "attacker-name" * 1000
        response = await bot.post(activity, headers={"Authorization": "Bearer forged-token"})
        assert response.status == 401

    text = bot_log.getvalue()
    assert "turn outcome=unauthorized status=401" in text
    assert "attacker" not in text and "tenant=evil" not in text and "forged-token" not in text
    assert TENANT not in text


def test_an_exception_message_cannot_start_a_line_and_its_traceback_is_bounded(bot_log: io.StringIO) -> None:
    try:
        raise RuntimeError(f"bad input\n{FORGED}\x1b[31m" + "x" * 100_000)
    except RuntimeError:
        logging.getLogger("rendezvous").exception("turn failed reference=%s", "ABCD1234")

    lines = bot_log.getvalue().splitlines()
    assert RECORD_START.match(lines[0]) and lines[0].endswith("turn failed reference=ABCD1234")
    assert all(line.startswith(TRACEBACK_PREFIX) for line in lines[1:])
    assert any(line.startswith(f"{TRACEBACK_PREFIX}{FORGED}\\x1b[31mxxx") for line in lines), lines[-3:]
    assert len(bot_log.getvalue()) < 20_000


async def test_a_failing_insert_logs_no_parameter_values(database_url: str, bot_log: io.StringIO) -> None:
    db = Database(database_url)
    await db.migrate()
    now = datetime.now(UTC)
    try:
        with pytest.raises(IntegrityError) as failed:
            async with db.session() as session:
                session.add(Booking(id=str(uuid.uuid4()), tenant_id=CONTOSO, organizer_oid=ADELE.aad_object_id,
                                    attendee_oid=BEN.aad_object_id, start_utc=now, end_utc=now, subject=SUBJECT,
                                    idempotency_key=BEN.email, status="no-such-status"))
        logging.getLogger("rendezvous").error("booking insert failed", exc_info=failed.value)
    finally:
        await db.dispose()

    text = bot_log.getvalue()
    assert "IntegrityError" in text and "INSERT INTO bookings" in text
    assert "parameters hidden" in text
    assert SUBJECT not in text and BEN.email not in text


def test_the_log_level_is_a_setting_and_a_wrong_one_stops_start_up(tmp_path: Path) -> None:
    no_env_file = tmp_path / "absent.env"

    assert load_settings({}, env_file=no_env_file).log_level == "INFO"
    assert load_settings({"LOG_LEVEL": "debug"}, env_file=no_env_file).log_level == "DEBUG"
    with pytest.raises(ConfigError, match="LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR, got 'LOUD'"):
        load_settings({"LOG_LEVEL": "loud"}, env_file=no_env_file)


def test_at_debug_the_request_lines_come_back_for_diagnosis() -> None:
    saved = {name: logging.getLogger(name).level for name in CHATTY_LIBRARIES}
    try:
        quiet_chatty_libraries(logging.DEBUG)
        assert all(logging.getLogger(name).isEnabledFor(logging.DEBUG) for name in CHATTY_LIBRARIES)
        quiet_chatty_libraries(logging.INFO)
        assert not any(logging.getLogger(name).isEnabledFor(logging.INFO) for name in CHATTY_LIBRARIES)
    finally:
        for name, level in saved.items():
            logging.getLogger(name).setLevel(level)
