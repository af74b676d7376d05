"""The bot as an operator runs it: a real process (`python app.py` or the production `python serve.py`) with its
settings in the environment, the Bot Connector stub and the emulator staying in the test's event loop."""

from __future__ import annotations

import asyncio
import os
import socket
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import aiohttp
from aiohttp import web

from config import PROJECT_ROOT
from emulator.testing import EmulatorHandle
from tests.harness import ConnectorStub


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def wait_until_healthy(session: aiohttp.ClientSession, url: str, process: asyncio.subprocess.Process,
                             log_file: Path, within_s: float = 60.0) -> None:
    """Returns once `url`/healthz answers 200; raises if the process exits first or the time runs out."""
    deadline = asyncio.get_running_loop().time() + within_s
    while asyncio.get_running_loop().time() < deadline:
        if process.returncode is not None:
            raise RuntimeError(f"the bot exited with {process.returncode}; see {log_file}")
        try:
            async with session.get(f"{url}/healthz") as response:
                if response.status == 200:
                    return
        except aiohttp.ClientConnectionError:
            pass
        await asyncio.sleep(0.1)
    raise TimeoutError(f"the bot did not become healthy within {within_s:.0f} s; see {log_file}")


@dataclass
class BotProcess:
    """`python app.py` (or `entry`) on a fixed port, started, killed and started again as an operator's host would."""

    env: dict[str, str]
    url: str
    logs: Path
    process: asyncio.subprocess.Process | None = None
    runs: int = 0
    entry: str = "app.py"
    name: str = "bot"

    @property
    def log_file(self) -> Path:
        return self.logs / f"{self.name}-{self.runs}.log"

    async def start(self, session: aiohttp.ClientSession, **settings: str) -> None:
        self.runs += 1
        with self.log_file.open("wb") as log:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable, self.entry, cwd=PROJECT_ROOT, env={**self.env, **settings}, stdout=log,
                stderr=asyncio.subprocess.STDOUT)
        # Up to a minute for a cold start on a busy machine.
        await wait_until_healthy(session, self.url, self.process, Path(log.name))

    async def kill(self) -> None:
        """SIGKILL: no shutdown handler, no finally block, nothing flushed."""
        assert self.process is not None
        self.process.kill()
        await self.process.wait()

    async def stop(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.terminate()
            await self.process.wait()


@asynccontextmanager
async def connector_server(stub: ConnectorStub) -> AsyncIterator[None]:
    """Serves the Bot Connector stub on a free port (a bot in another process cannot reach it in-process)."""
    runner = web.AppRunner(stub.app())
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    stub.url = f"http://127.0.0.1:{port}"
    try:
        yield
    finally:
        await runner.cleanup()


def bot_env(database_url: str, tmp_path: Path, emu: EmulatorHandle, port: int) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path), "PORT": str(port),
        "MicrosoftAppId": "",  # local mode, whatever a developer's .env says
        "DATABASE_URL": database_url, "RENDEZVOUS_DATA_DIR": str(tmp_path / "data"),
        "GRAPH_BASE_URL": emu.graph_base_url, "AUTHORITY_HOST": emu.authority_host,
        "AUTHORITY_CA_BUNDLE": emu.ca_file, "GRAPH_CLIENT_ID": emu.client_id,
        "GRAPH_CLIENT_SECRET": emu.client_secret,
    }
