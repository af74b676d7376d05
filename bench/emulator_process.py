"""The emulator as its own process for the benchmarks, so its work is not billed to the bot it serves.

    with emulator_in_own_process(Org file, folder) as emu:   # `python -m emulator` on a free port
        settings_for(database_url, folder, emu)              # the same endpoints as the in-loop handle
        await emu.calls(session), await emu.peak_concurrency(session), await emu.set_faults(session, {...})

The organization is read here too (the people the load talks as); the call log, the concurrency peaks and the
faults are reached over the emulator's control API (/_emulator/..., emulator/control.py).
"""

from __future__ import annotations

import json
import ssl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from emulator.org import Org, Tenant
from emulator.testing import emulator_process
from tests.processes import free_port


@dataclass(frozen=True)
class EmulatorProcess:
    org: Org
    port: int
    ca_file: str

    @property
    def base_url(self) -> str:
        return f"https://localhost:{self.port}"

    @property
    def authority_host(self) -> str:
        return self.base_url

    @property
    def graph_base_url(self) -> str:
        return f"{self.base_url}/v1.0"

    @property
    def client_id(self) -> str:
        return self.org.apps[0].client_id

    @property
    def client_secret(self) -> str:
        return self.org.apps[0].client_secret

    def tenant(self, name_or_id: str) -> Tenant:
        """By GUID, domain or display name, as the in-loop handle finds it."""
        return self.org.tenant_named(name_or_id)

    async def _control(self, session: aiohttp.ClientSession, method: str, path: str, body: Any = None) -> Any:
        async with session.request(method, f"{self.base_url}/_emulator/{path}", json=body,
                                   ssl=ssl.create_default_context(cafile=self.ca_file)) as response:
            response.raise_for_status()
            return await response.json()

    async def calls(self, session: aiohttp.ClientSession) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = await self._control(session, "GET", "calls")
        return found

    async def clear_calls(self, session: aiohttp.ClientSession) -> None:
        await self._control(session, "DELETE", "calls")

    async def peak_concurrency(self, session: aiohttp.ClientSession) -> dict[str, int]:
        peaks: dict[str, int] = await self._control(session, "GET", "concurrency")
        return peaks

    async def set_faults(self, session: aiohttp.ClientSession, faults: dict[str, Any]) -> None:
        await self._control(session, "PUT", "faults", faults)


@asynccontextmanager
async def emulator_in_own_process(org: dict[str, Any] | Path, folder: Path) -> AsyncIterator[EmulatorProcess]:
    """`python -m emulator` serving `org` (a directory JSON file, or its parsed content) on a free port.

    Its start-up (a second or two) blocks this event loop, before anything is measured."""
    if isinstance(org, dict):
        org_file = folder / "org.json"
        org_file.write_text(json.dumps(org), encoding="utf-8")
    else:
        org_file = org
    port = free_port()
    with emulator_process(port, folder / "emulator", org_file=org_file) as ca_file:
        yield EmulatorProcess(Org.load(org_file), port, ca_file)
