"""Individual (delegated) mode: setup, members connecting, refresh, revocation, disconnect."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from dialogs.access import explain_graph_failure
from graph.calendar import Caller
from graph.errors import AuthFailure, AuthProblem
from storage.repositories import TenantRepository, TokenCacheRepository
from tests.admin.conftest import FABRIKAM, FIONA, KENJI, LAURA, Stack, complete_setup, open_url_of
from tests.harness import TeamsUser


async def _connect(stack: Stack, user: TeamsUser, select: str | None = None) -> tuple[int, str]:
    """`user` types connect and the link is opened (by `select`, when someone else signs in on it)."""
    replies = await stack.say(user, "connect")
    url = open_url_of(replies[-1].cards[0])
    if select:
        url += f"&emulator_select={select}"
    page = await stack.open(url)
    return page.status_code, page.text


async def _free_busy_as(stack: Stack, oid: str, email: str) -> bool:
    assert stack.services.calendar is not None
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)
    found = await stack.services.calendar.get_schedule(Caller.user(FABRIKAM, oid), [email], start,
                                                       start + timedelta(hours=8))
    return found[email].known


async def test_delegated_setup_then_a_member_connects_and_the_token_refreshes(stack: Stack) -> None:
    page = await complete_setup(stack, FIONA, mode="delegated")
    assert page.status_code == 200, page.text
    tenant = await TenantRepository(stack.db, FABRIKAM).get()
    assert tenant is not None and tenant.enabled and tenant.mode == "delegated"
    assert "Individual / delegated" in stack.texts_to(FIONA)

    status, text = await _connect(stack, KENJI)

    assert status == 200, text
    assert "go back to Teams" in text
    assert "Connected" in stack.texts_to(KENJI)
    tokens = TokenCacheRepository(stack.db, stack.services.cipher, FABRIKAM)
    assert await tokens.load(KENJI.aad_object_id) is not None
    assert await _free_busy_as(stack, KENJI.aad_object_id, KENJI.email)

    # Access tokens die; the stored refresh token gets a new one without bothering Kenji.
    stack.emu.expire_tokens()
    stack.emu.clear_calls()
    assert await _free_busy_as(stack, KENJI.aad_object_id, KENJI.email)
    statuses = [call.status for call in stack.emu.calls_to("getSchedule")]
    assert statuses == [401, 200]  # the old token was refused, the refreshed one worked
    assert [m for m in stack.connector.messages(KENJI.conversation_id) if "sign in" in m.text.lower()] == []


async def test_a_revoked_sign_in_leads_to_a_reconnect_prompt(stack: Stack) -> None:
    await complete_setup(stack, FIONA, mode="delegated")
    await _connect(stack, KENJI)
    stack.emu.revoke_refresh_tokens(FABRIKAM, KENJI.aad_object_id)
    stack.emu.expire_tokens()
    assert stack.services.delegated_auth is not None

    with pytest.raises(AuthProblem) as refused:
        await _free_busy_as(stack, KENJI.aad_object_id, KENJI.email)
    assert refused.value.kind is AuthFailure.RECONNECT_NEEDED
    message = await explain_graph_failure(stack.services, FABRIKAM, refused.value)
    assert "connect" in message

    status, text = await _connect(stack, KENJI)
    assert status == 200, text
    assert await _free_busy_as(stack, KENJI.aad_object_id, KENJI.email)


async def test_someone_completing_a_forwarded_connect_link_changes_nothing_for_anyone(stack: Stack) -> None:
    await complete_setup(stack, FIONA, mode="delegated")
    assert (await _connect(stack, LAURA))[0] == 200
    tokens = TokenCacheRepository(stack.db, stack.services.cipher, FABRIKAM)
    lauras_own = await tokens.load(LAURA.aad_object_id)

    status, text = await _connect(stack, KENJI, select=LAURA.aad_object_id)  # Kenji's link, Laura signs in

    assert status == 403
    assert "nothing changed" in text
    assert await tokens.load(KENJI.aad_object_id) is None
    assert await tokens.load(LAURA.aad_object_id) == lauras_own  # her own connection is untouched
    assert await _free_busy_as(stack, LAURA.aad_object_id, LAURA.email)
    assert "different account" in stack.texts_to(KENJI)


async def test_member_disconnect_deletes_the_stored_sign_in(stack: Stack) -> None:
    await complete_setup(stack, FIONA, mode="delegated")
    await _connect(stack, KENJI)

    replies = await stack.say(KENJI, "disconnect")

    assert "deleted your stored sign-in" in replies[0].text
    tokens = TokenCacheRepository(stack.db, stack.services.cipher, FABRIKAM)
    assert await tokens.load(KENJI.aad_object_id) is None
    again = await stack.say(KENJI, "disconnect")
    assert "nothing to remove" in again[0].text


async def test_connect_before_setup_and_in_domain_wide_mode_explains_why_not(stack: Stack) -> None:
    replies = await stack.say(KENJI, "connect")
    assert "isn't connected to your organization" in replies[0].text
    await complete_setup(stack, FIONA, mode="domain_wide")
    replies = await stack.say(KENJI, "connect")
    assert "nothing to connect" in replies[0].text
