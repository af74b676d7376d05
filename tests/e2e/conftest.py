"""The running stack for end-to-end tests: emulator + bot + Agents Playground, fresh for each test.

`stack` emulates Contoso (domain-wide mode, Adele Vance), `fabrikam_stack` emulates Fabrikam
(individual mode, Fiona Gallagher); both run against the same emulated Entra ID and Graph.

The Playground is a Node.js package, installed into e2e/node_modules on first use. Without Node.js or
npm the tests fail under CI=true and are skipped, with the reason, otherwise: never a silent pass.
When a test fails, the end of each process's log is added to its report.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator, Generator

import pytest

from e2e.playground import (
    CONTOSO,
    FABRIKAM,
    OrgProfile,
    PlaygroundUnavailable,
    Stack,
    ensure_playground_installed,
    running_stack,
)

STACK_KEY = pytest.StashKey[Stack]()


@contextlib.asynccontextmanager
async def _started(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
                   profile: OrgProfile) -> AsyncIterator[Stack]:
    try:
        await asyncio.to_thread(ensure_playground_installed)
    except PlaygroundUnavailable as exc:
        message = f"AGENTS PLAYGROUND UNAVAILABLE, end-to-end tests not run: {exc}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    # A short base name: the Playground's folder lands in it, and tmp_path names can get long.
    async with running_stack(tmp_path_factory.mktemp("e2e"), profile) as running:
        request.node.stash[STACK_KEY] = running
        yield running


@pytest.fixture
async def stack(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Stack]:
    async with _started(request, tmp_path_factory, CONTOSO) as running:
        yield running


@pytest.fixture
async def fabrikam_stack(request: pytest.FixtureRequest,
                         tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Stack]:
    async with _started(request, tmp_path_factory, FABRIKAM) as running:
        yield running


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, object, None]:
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    running = item.stash.get(STACK_KEY, None)
    if report.failed and running is not None and call.when == "call":
        report.sections.append(("emulator, bot and Playground logs", running.logs()))
