"""Throttling, server errors, mailbox concurrency, expired tokens, a failing token endpoint."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

import httpx
import pytest

from emulator.faults import FaultConfig
from emulator.testing import EmulatorHandle
from tests.emulator.conftest import BEN, CONTOSO, GRAPH_DEFAULT, app_token, bearer, graph_time, next_weekday_utc

SCHEDULE_PATH = "/calendar/getSchedule"


def body() -> dict[str, object]:
    start = next_weekday_utc()
    return {"schedules": [BEN], "startTime": graph_time(start), "endTime": graph_time(start + timedelta(hours=8))}


async def post_schedule(http: httpx.AsyncClient, emu: EmulatorHandle, token: str) -> httpx.Response:
    return await http.post(f"{emu.graph_base_url}/users/{BEN}{SCHEDULE_PATH}", json=body(), headers=bearer(token))


@pytest.mark.parametrize("retry_after", ["2", "1.5", None])
async def test_429_then_success(emu: EmulatorHandle, http: httpx.AsyncClient, retry_after: str | None) -> None:
    token = await app_token(http, emu)
    emu.faults.throttle(SCHEDULE_PATH, times=2, retry_after=retry_after)

    answers = [await post_schedule(http, emu, token) for _ in range(3)]

    assert [a.status_code for a in answers] == [429, 429, 200]
    assert answers[0].headers.get("Retry-After") == retry_after
    error = answers[0].json()["error"]
    assert error["code"] == "TooManyRequests" and error["innerError"]["status"] == "429"
    assert [c.status for c in emu.calls_to(SCHEDULE_PATH)] == [429, 429, 200]
    assert emu.calls_to(SCHEDULE_PATH)[0].tenant_id == CONTOSO  # logged even though refused before auth


async def test_service_unavailable_with_retry_after(emu: EmulatorHandle, http: httpx.AsyncClient) -> None:
    token = await app_token(http, emu)
    emu.faults.fail(SCHEDULE_PATH, 503, retry_after="3")
    refused = await post_schedule(http, emu, token)
    assert refused.status_code == 503 and refused.headers["Retry-After"] == "3"
    assert refused.json()["error"]["code"] == "ServiceNotAvailable"
    assert (await post_schedule(http, emu, token)).status_code == 200


async def test_mailbox_concurrency_limit(emu: EmulatorHandle, http: httpx.AsyncClient) -> None:
    token = await app_token(http, emu)
    emu.faults.delay(SCHEDULE_PATH, 0.3)

    answers = await asyncio.gather(*(post_schedule(http, emu, token) for _ in range(6)))

    statuses = sorted(a.status_code for a in answers)
    assert statuses == [200, 200, 200, 200, 429, 429]
    throttled = next(a for a in answers if a.status_code == 429)
    assert throttled.json()["error"]["code"] == "ApplicationThrottled"
    assert "MailboxConcurrency" in throttled.json()["error"]["message"]
    assert throttled.headers["Retry-After"]


async def test_added_latency_delays_the_answer(emu: EmulatorHandle, http: httpx.AsyncClient) -> None:
    token = await app_token(http, emu)
    emu.faults.latency_seconds = 0.2
    started = time.monotonic()
    assert (await post_schedule(http, emu, token)).status_code == 200
    assert time.monotonic() - started >= 0.2


async def test_expired_tokens_get_401_with_challenge(emu: EmulatorHandle, http: httpx.AsyncClient) -> None:
    token = await app_token(http, emu)
    emu.expire_tokens()
    response = await post_schedule(http, emu, token)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "InvalidAuthenticationToken"
    assert response.headers["WWW-Authenticate"].startswith("Bearer ")
    fresh = await app_token(http, emu)
    assert (await post_schedule(http, emu, fresh)).status_code == 200


async def test_short_lived_tokens_expire(emu: EmulatorHandle, http: httpx.AsyncClient) -> None:
    emu.token_lifetime = 1
    token = await app_token(http, emu)
    await asyncio.sleep(1.1)
    assert (await post_schedule(http, emu, token)).status_code == 401


async def test_token_endpoint_failure(emu: EmulatorHandle, http: httpx.AsyncClient) -> None:
    emu.faults.fail("/oauth2/v2.0/token", 503, retry_after="1")
    response = await http.post(f"{emu.authority(CONTOSO)}/oauth2/v2.0/token", data={
        "grant_type": "client_credentials", "client_id": emu.client_id, "client_secret": emu.client_secret,
        "scope": GRAPH_DEFAULT})
    assert response.status_code == 503 and response.json()["error"] == "temporarily_unavailable"
    assert (await app_token(http, emu)).count(".") == 2


async def test_faults_load_from_json() -> None:
    config = FaultConfig.from_dict({"latency_seconds": 0.5, "rules": [
        {"path": "/v1.0/users/*/events", "status": 504, "times": 3, "retry_after": None}],
        "schedule_errors": {"Ben.Walters@contoso.example": {"responseCode": "ErrorAccessDenied"}}})
    rule = config.rules[0]
    assert rule.matches("POST", "/v1.0/users/x@contoso.example/events") and rule.retry_after is None
    assert not rule.matches("POST", "/v1.0/users/x/calendar/getSchedule")
    assert config.schedule_errors["ben.walters@contoso.example"].response_code == "ErrorAccessDenied"
