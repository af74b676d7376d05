"""Held requests: a create-event call stopped before or after Graph performs it, until the test lets it go."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import httpx
import pytest

from emulator.faults import FaultConfig
from emulator.testing import EmulatorHandle
from tests.emulator.conftest import ADELE_ADMIN, BEN, app_token, bearer, graph_time, next_weekday_utc


def _event(transaction_id: str) -> dict[str, Any]:
    start = next_weekday_utc() + timedelta(hours=17)
    return {"subject": "Held", "start": graph_time(start), "end": graph_time(start + timedelta(minutes=30)),
            "attendees": [{"type": "required", "emailAddress": {"address": BEN}}],
            "transactionId": transaction_id}


async def _create(http: httpx.AsyncClient, emu: EmulatorHandle, token: str, transaction_id: str) -> httpx.Response:
    return await http.post(f"{emu.graph_base_url}/users/{ADELE_ADMIN}/events", json=_event(transaction_id),
                           headers=bearer(token))


async def test_held_after_the_event_is_stored_the_answer_waits(emu: EmulatorHandle, http: httpx.AsyncClient) -> None:
    token = await app_token(http, emu)
    rule = emu.faults.hold("/events", "after", method="POST")

    creating = asyncio.create_task(_create(http, emu, token, "txn-after"))
    async with asyncio.timeout(10):
        await rule.wait_until_held()

    assert len(emu.created_events(ADELE_ADMIN)) == 1  # in Outlook already
    assert not creating.done()  # ... but nobody has heard so yet
    rule.release()
    answer = await creating
    assert answer.status_code == 201 and answer.json()["transactionId"] == "txn-after"
    assert len(emu.created_events(ADELE_ADMIN)) == 1


async def test_held_before_it_is_performed_nothing_exists_until_released(emu: EmulatorHandle,
                                                                          http: httpx.AsyncClient) -> None:
    token = await app_token(http, emu)
    rule = emu.faults.hold("/events", "before", method="POST")

    creating = asyncio.create_task(_create(http, emu, token, "txn-before"))
    async with asyncio.timeout(10):
        await rule.wait_until_held()

    assert emu.created_events(ADELE_ADMIN) == []
    rule.release()
    assert (await creating).status_code == 201
    assert len(emu.created_events(ADELE_ADMIN)) == 1
    assert (await _create(http, emu, token, "txn-later")).status_code == 201  # `times` ran out: not held


async def test_a_request_held_before_is_performed_even_if_its_client_has_gone(emu: EmulatorHandle,
                                                                              http: httpx.AsyncClient) -> None:
    token = await app_token(http, emu)
    rule = emu.faults.hold("/events", "before", method="POST")
    creating = asyncio.create_task(_create(http, emu, token, "txn-orphan"))
    async with asyncio.timeout(10):
        await rule.wait_until_held()
    creating.cancel()  # the client gives up (or dies) while Outlook still has the request
    with pytest.raises(asyncio.CancelledError):
        await creating

    rule.release()
    async with asyncio.timeout(10):
        while not emu.created_events(ADELE_ADMIN):  # noqa: ASYNC110 - the emulator's own state, no event to await
            await asyncio.sleep(0.01)

    [event] = emu.created_events(ADELE_ADMIN)
    assert event.transaction_id == "txn-orphan"


async def test_an_abandoned_request_is_never_performed(emu: EmulatorHandle, http: httpx.AsyncClient) -> None:
    token = await app_token(http, emu)
    rule = emu.faults.hold("/events", "before", method="POST")

    creating = asyncio.create_task(_create(http, emu, token, "txn-abandoned"))
    async with asyncio.timeout(10):
        await rule.wait_until_held()
    rule.release(perform=False)

    with pytest.raises(httpx.TransportError):
        await creating
    assert emu.created_events(ADELE_ADMIN) == []


async def test_holds_over_http_for_an_emulator_in_another_process(emu: EmulatorHandle,
                                                                  http: httpx.AsyncClient) -> None:
    token = await app_token(http, emu)
    control = f"{emu.authority_host}/_emulator/"
    config = {"rules": [{"path": "/events", "method": "POST", "status": None, "hold": "after"}]}
    assert (await http.put(control + "faults", json=config)).status_code == 200

    creating = asyncio.create_task(_create(http, emu, token, "txn-remote"))
    async with asyncio.timeout(10):
        while (await http.get(control + "holds")).json() != [
                {"path": "/events", "method": "POST", "hold": "after", "held": 1}]:
            await asyncio.sleep(0.05)
    assert (await http.post(control + "release-holds", json={})).status_code == 200

    assert (await creating).status_code == 201


def test_an_unknown_hold_stage_is_refused() -> None:
    with pytest.raises(ValueError, match="hold must be one of"):
        FaultConfig.from_dict({"rules": [{"path": "/events", "status": None, "hold": "during"}]})
