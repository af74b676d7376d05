"""Waiting in tests for something that must happen, without a timed assertion."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

# Bounds a wait for something that must happen, so a regression fails the test instead of hanging it.
GUARD_SECONDS = 60.0


async def eventually(condition: Callable[[], bool], what: str) -> None:
    """Waits until `condition()` holds. It reads state other objects own (the emulator's held requests, the
    connector stub's record, a thread pool's counters), which offers no event to wait on, so it is polled,
    bounded by GUARD_SECONDS."""
    loop = asyncio.get_running_loop()
    give_up = loop.time() + GUARD_SECONDS
    while not condition():
        if loop.time() > give_up:
            raise AssertionError(f"never happened: {what}")
        await asyncio.sleep(0.02)
