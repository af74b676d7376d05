"""Several bot processes on one PostgreSQL database, as production runs them.

* The production entry (`python serve.py`, WEB_CONCURRENCY=2) books two meetings at once, one event each, and on
  SIGTERM stops accepting, finishes the turn in flight and exits cleanly; on SQLite it refuses to start two workers.
* Two processes (`python app.py` twice) asking about one mailbox: Outlook never sees more than 4 requests of the
  app in flight for it, and a 429 one process got keeps the other away from that mailbox until Retry-After ends.

The emulator and the Bot Connector stub run in this test's event loop; the bots are real processes.
"""

from __future__ import annotations

import asyncio
import inspect
import re
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from sqlalchemy import text

from config import PROJECT_ROOT, ConfigError, load_settings
from emulator.testing import EmulatorHandle, running_emulator
from storage.database import Database
from tests.booking.conftest import (
    ADELE,
    BEN,
    CHLOE,
    EVERYONE,
    MATEO,
    BookingWorld,
    book_buttons,
    card_of,
    card_text,
    day_form,
    meeting_day,
)
from tests.harness import ConnectorStub, RunningBot, TeamsUser
from tests.processes import BotProcess, bot_env, connector_server, free_port

POSTGRES_ONLY = pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
WAIT_SECONDS = 60.0
OUTLOOK_LIMIT = 4
TURN_LINE = re.compile(r"\[(\d+)\] INFO rendezvous: turn ")


@dataclass
class Processes:
    """The emulator, the connector stub and the database the bot processes of one test share."""

    emu: EmulatorHandle
    connector: ConnectorStub
    db: Database
    database_url: str
    session: aiohttp.ClientSession
    folder: Path
    started: list[BotProcess] = field(default_factory=list)

    async def start(self, entry: str = "app.py", **settings: str) -> BotProcess:
        port = free_port()
        process = BotProcess(bot_env(self.database_url, self.folder, self.emu, port), f"http://127.0.0.1:{port}",
                             self.folder, entry=entry, name=f"bot{len(self.started) + 1}")
        self.started.append(process)
        await process.start(self.session, **settings)
        return process

    def world(self, process: BotProcess) -> BookingWorld:
        """The booking suite's helpers, talking HTTP to this process only."""
        bot = RunningBot(url=process.url, connector=self.connector, app=web.Application(), session=self.session)
        return BookingWorld(self.emu, bot, self.connector, self.db, self.database_url)


@pytest.fixture
async def processes(database_url: str, tmp_path: Path) -> AsyncIterator[Processes]:
    connector = ConnectorStub()
    for user in EVERYONE:
        connector.members[user.teams_user_id] = user.member_info()
    # A new connection for every request, so the kernel may hand each one to another worker.
    async with running_emulator(generate_calendars=False) as emu, connector_server(connector), \
            aiohttp.ClientSession(connector=aiohttp.TCPConnector(force_close=True)) as session:
        db = Database(database_url)
        shared = Processes(emu, connector, db, database_url, session, tmp_path)
        try:
            yield shared
        finally:
            for process in shared.started:
                await process.stop()
            await db.dispose()


async def _until(condition: Callable[[], Any], what: str) -> None:
    """Waits (bounded) until `condition()` is true; it may return an awaitable."""
    for _ in range(int(WAIT_SECONDS / 0.05)):
        outcome = condition()
        if await outcome if inspect.isawaitable(outcome) else outcome:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"never happened: {what}")


def _turn_processes(process: BotProcess) -> set[str]:
    """The worker processes whose log says they answered a turn."""
    return set(TURN_LINE.findall(process.log_file.read_text(errors="replace")))


async def _book(world: BookingWorld, organizer: TeamsUser, colleague: TeamsUser) -> dict[str, Any]:
    slot = book_buttons(await world.find_times(organizer, day_form(colleague, meeting_day())))[0]
    return card_of(await world.bot.execute(organizer, "book", slot))


@POSTGRES_ONLY
async def test_two_workers_book_two_meetings_at_once_one_event_each(processes: Processes) -> None:
    server = await processes.start("serve.py", WEB_CONCURRENCY="2")
    world = processes.world(server)
    await world.set_up_tenant()
    await world.meet(ADELE, BEN, CHLOE, MATEO)

    async def both_workers_answered() -> bool:
        await world.bot.say(BEN, "help")
        return len(_turn_processes(server)) == 2

    await _until(both_workers_answered, "a turn answered by each of the two workers")
    answers = await asyncio.gather(_book(world, ADELE, BEN), _book(world, CHLOE, MATEO))

    bookings = await world.bookings()
    assert sorted(b.status for b in bookings) == ["confirmed", "confirmed"]
    for booking, organizer in ((b, next(u for u in EVERYONE if u.aad_object_id == b.organizer_oid))
                               for b in bookings):
        events = [e for e in processes.emu.created_events(organizer.email)
                  if e.transaction_id == booking.transaction_id and e.is_organizer]
        assert [e.immutable_id for e in events] == [booking.event_id]
        assert any(booking.id in card_text(answer) for answer in answers)


@POSTGRES_ONLY
async def test_sigterm_stops_accepting_finishes_the_turn_in_flight_and_exits(processes: Processes) -> None:
    server = await processes.start("serve.py", WEB_CONCURRENCY="2")
    world = processes.world(server)
    await world.set_up_tenant()
    await world.meet(ADELE, BEN)
    slot = book_buttons(await world.find_times(ADELE, day_form(BEN, meeting_day())))[0]
    hold = processes.emu.faults.hold("/events", "before", method="POST")
    click = asyncio.create_task(world.bot.execute(ADELE, "book", slot))
    async with asyncio.timeout(WAIT_SECONDS):
        await hold.wait_until_held()

    assert server.process is not None
    server.process.terminate()

    async def refuses_connections() -> bool:
        try:
            async with processes.session.get(f"{server.url}/healthz"):
                return False
        except aiohttp.ClientConnectionError:
            return True

    await _until(refuses_connections, "the server stops accepting connections")
    assert server.process.returncode is None  # still finishing Adele's click
    hold.release()

    answer = card_of(await click)
    [booking] = await world.bookings()
    assert booking.status == "confirmed" and booking.id in card_text(answer)
    async with asyncio.timeout(WAIT_SECONDS):
        assert await server.process.wait() == 0
    assert "Traceback" not in server.log_file.read_text(errors="replace")


def test_more_than_one_worker_on_sqlite_is_refused_with_one_line(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "WEB_CONCURRENCY": "2",
           "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}", "RENDEZVOUS_DATA_DIR": str(tmp_path)}
    finished = subprocess.run([sys.executable, "serve.py"], cwd=PROJECT_ROOT, env=env, capture_output=True,
                              text=True, timeout=60)
    assert finished.returncode == 2
    assert finished.stderr.strip().splitlines() == [
        "Configuration error: WEB_CONCURRENCY=2 needs PostgreSQL: SQLite serves one process; "
        "set DATABASE_URL to postgresql+asyncpg://... or WEB_CONCURRENCY=1"]
    assert not (tmp_path / "bot.db").exists()  # refused before anything was created


@POSTGRES_ONLY
async def test_two_processes_never_have_more_than_four_requests_in_flight_for_one_mailbox(
        processes: Processes) -> None:
    first, second = [processes.world(await processes.start()) for _ in range(2)]
    await first.set_up_tenant()
    await first.meet(ADELE, BEN)
    # Each free/busy read of Adele's mailbox takes a while inside Outlook, so the searches pile up on it.
    processes.emu.faults.delay("/calendar/getSchedule", 0.5)
    processes.emu.clear_calls()
    # Twelve different searches (a click repeated while its first run is under way would join that run).
    forms = [day_form(BEN, meeting_day(2 + 7 * week), duration) for week in range(6) for duration in ("30", "60")]

    cards = await asyncio.gather(*(world.find_times(ADELE, form)
                                   for world, form in zip([first, second] * 6, forms, strict=True)))

    assert all(book_buttons(card) for card in cards)  # every search was answered with times
    reads = [c for c in processes.emu.calls_to("getSchedule") if c.mailbox == ADELE.email]
    assert len(reads) == 12 and {c.status for c in reads} == {200}
    assert processes.emu.peak_mailbox_concurrency()[ADELE.email] == OUTLOOK_LIMIT


@POSTGRES_ONLY
async def test_a_429_one_process_got_delays_the_other_process_until_retry_after_ends(processes: Processes) -> None:
    first, second = [processes.world(await processes.start()) for _ in range(2)]
    await first.set_up_tenant()
    await first.meet(ADELE, BEN)
    form = day_form(BEN, meeting_day())
    processes.emu.faults.throttle("/calendar/getSchedule", times=1, retry_after="2")
    processes.emu.clear_calls()

    throttled_search = asyncio.create_task(first.find_times(ADELE, form))

    async def pause_shared() -> bool:
        async with processes.db.session() as session:
            return bool((await session.execute(text("SELECT count(*) FROM mailbox_pauses"))).scalar_one())

    await _until(pause_shared, "the first process records Outlook's pause")
    other_search = await second.find_times(ADELE, form)
    assert book_buttons(other_search) and book_buttons(await throttled_search)

    reads = [c for c in processes.emu.calls_to("getSchedule") if c.mailbox == ADELE.email]
    [throttled] = [c for c in reads if c.status == 429]
    pause_end = throttled.at + timedelta(seconds=2)
    later = [c for c in reads if c is not throttled]
    assert len(later) == 2  # the first process's retry and the second process's search
    assert all(c.received_at is not None and c.received_at >= pause_end for c in later), (pause_end, later)


@pytest.mark.parametrize("value", ["0", "two", "65", "-1"])
def test_a_worker_count_that_is_not_1_to_64_stops_start_up_with_one_line(value: str, tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as refused:
        load_settings({"WEB_CONCURRENCY": value}, env_file=tmp_path / "absent.env")
    assert str(refused.value) == f"WEB_CONCURRENCY must be a number of processes from 1 to 64, got {value!r}"
