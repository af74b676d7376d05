"""Running the emulator from tests: in the test's own event loop, in a thread, or as a process.

    async with running_emulator() as emu:
        app = msal.ConfidentialClientApplication(emu.client_id, client_credential=emu.client_secret,
                                                 authority=emu.authority(CONTOSO), ...)

The handle exposes the live state (calls, faults, org, calendars) and a few levers tests need:
who signs in on the /authorize page, token expiry and revocation, extra busy time, replies to
invitations.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import AsyncIterator, Iterator
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

from emulator.faults import FaultConfig
from emulator.org import Org
from emulator.server import Emulator
from emulator.tls import ensure_certificates

_CERT_FOLDER: Path | None = None


class _FormPostPage(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.action: str | None = None
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "form" and values.get("method", "").upper() == "POST" and self.action is None:
            self.action = values.get("action")
        elif tag == "input" and values.get("type") == "hidden" and "name" in values:
            self.fields[values["name"]] = values.get("value", "")


def form_post_of(page: str) -> tuple[str, dict[str, str]] | None:
    """The target and fields of the self-submitting form Entra answers `response_mode=form_post` with (what
    a browser posts on its own), or None for any other page. Test browsers use it to follow a sign-in."""
    if "document.forms[0].submit()" not in page:
        return None
    parser = _FormPostPage()
    parser.feed(page)
    return (parser.action, parser.fields) if parser.action else None


def _test_cert_folder() -> Path:
    """One throw-away CA per test process, so tests never touch the developer's data/ folder."""
    global _CERT_FOLDER
    if _CERT_FOLDER is None:
        _CERT_FOLDER = Path(tempfile.mkdtemp(prefix="rendezvous-emulator-"))
    return _CERT_FOLDER


# The object tests hold is the running Emulator itself: its levers are plain methods (see server.py).
EmulatorHandle = Emulator


@contextlib.asynccontextmanager
async def running_emulator(org: Org | str | Path | None = None, port: int = 0, *,
                           faults: FaultConfig | None = None, today: date | None = None,
                           generate_calendars: bool = True,
                           data_folder: Path | str | None = None) -> AsyncIterator[EmulatorHandle]:
    """Serves the emulator in the current event loop on a free port (TLS)."""
    loaded = org if isinstance(org, Org) else Org.load(org)
    emulator = Emulator(loaded, faults, today=today, generate=generate_calendars)
    await emulator.start(port=port, tls=ensure_certificates(data_folder or _test_cert_folder()))
    try:
        yield emulator
    finally:
        await emulator.stop()


@contextlib.contextmanager
def emulator_in_thread(org: Org | str | Path | None = None, port: int = 0,
                       **options: object) -> Iterator[EmulatorHandle]:
    """The same, on a private event loop in a daemon thread: for synchronous tests and tools.

    Calls into the handle then cross threads; the emulator's state is plain Python objects that
    one loop mutates, so change it only between requests.
    """
    loop = asyncio.new_event_loop()
    ready: asyncio.Future[EmulatorHandle] = loop.create_future()
    stop = asyncio.Event()

    async def main() -> None:
        try:
            async with running_emulator(org, port, **options) as handle:  # type: ignore[arg-type]
                ready.set_result(handle)
                await stop.wait()
        except BaseException as exc:
            if not ready.done():
                ready.set_exception(exc)
            raise

    thread = threading.Thread(target=loop.run_until_complete, args=(main(),), daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not ready.done() and time.monotonic() < deadline:
        time.sleep(0.01)
    try:
        yield ready.result()
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(timeout=10)
        loop.close()


@contextlib.contextmanager
def emulator_process(port: int, data_folder: Path | str, *, org_file: Path | str | None = None,
                     faults_file: Path | str | None = None, timeout: float = 30.0) -> Iterator[str]:
    """`python -m emulator` as a child process (the bot-in-another-process case). Yields the CA path."""
    command = [sys.executable, "-m", "emulator", "--port", str(port), "--data", str(data_folder)]
    if org_file:
        command += ["--org", str(org_file)]
    if faults_file:
        command += ["--faults", str(faults_file)]
    project_root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "PYTHONPATH": str(project_root)}
    child = subprocess.Popen(command, cwd=project_root, env=env, stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None
        deadline = time.monotonic() + timeout
        for line in child.stdout:
            if line.startswith("CA file:"):
                yield line.split(":", 1)[1].strip()
                break
            if time.monotonic() > deadline:
                raise TimeoutError("the emulator did not start")
        else:
            raise RuntimeError(f"the emulator exited early with code {child.wait()}")
    finally:
        child.terminate()
        child.wait(timeout=10)
