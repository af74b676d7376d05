"""Access control: the security group, Exchange access policies, tenant isolation, privacy and audit."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from dialogs.access import ensure_allowed, explain_graph_failure
from dialogs.context import Actor
from graph.calendar import Caller
from graph.errors import AccessDenied
from storage.repositories import BookingRepository, TenantRepository
from tests.admin.conftest import (
    ADELE,
    BEN,
    CONTOSO,
    FABRIKAM,
    FIONA,
    GRACE,
    HENRY,
    PRODUCT_TEAM_GROUP,
    Stack,
    admin_stack,
    card_text,
    complete_setup,
    make_rendezvous_admin,
)
from tests.harness import TeamsUser


def actor_of(user: TeamsUser) -> Actor:
    return Actor(user.tenant_id, user.aad_object_id, user.teams_user_id, user.name, user.conversation_id,
                 "personal", user.email)


def schedules_asked_for(stack: Stack) -> list[str]:
    return [address.lower() for call in stack.emu.calls_to("getSchedule")
            for address in (call.body or {}).get("schedules", [])]


async def test_outsiders_of_the_security_group_are_refused_without_a_calendar_call(stack: Stack) -> None:
    await stack.say(HENRY, "help")  # Henry is known to the bot, but not in the Product Team group
    page = await complete_setup(stack, ADELE, group=PRODUCT_TEAM_GROUP)
    assert page.status_code == 200, page.text

    colleague_refusal = await ensure_allowed(stack.services, HENRY.aad_object_id, CONTOSO)
    own_refusal = await ensure_allowed(stack.services, actor_of(HENRY))

    assert colleague_refusal is not None and "Henry Park isn't in it" in colleague_refusal
    assert own_refusal is not None and "you're not in it" in own_refusal
    assert await ensure_allowed(stack.services, actor_of(BEN)) is None
    assert HENRY.email not in schedules_asked_for(stack)
    # Membership answers are cached briefly: asking again makes no directory call.
    checks = len(stack.emu.calls_to("checkMemberGroups"))
    assert await ensure_allowed(stack.services, BEN.aad_object_id, CONTOSO) is None
    assert len(stack.emu.calls_to("checkMemberGroups")) == checks
    # Henry can see that the bot checked his group membership, and why.
    privacy = card_text((await stack.say(HENRY, "privacy"))[0].cards[0])
    assert "checked security-group membership" in privacy


async def test_everyone_is_refused_before_setup(stack: Stack) -> None:
    refusal = await ensure_allowed(stack.services, actor_of(BEN))
    assert refusal is not None and "setup" in refusal
    assert stack.emu.calls == []


async def test_an_exchange_access_policy_403_is_explained_to_the_user_and_the_admin(stack: Stack) -> None:
    await complete_setup(stack, ADELE)
    assert stack.services.calendar is not None
    start = datetime.now(UTC) + timedelta(days=1)

    with pytest.raises(AccessDenied) as denied:
        await stack.services.calendar.get_schedule(Caller.app(CONTOSO, GRACE.email), [GRACE.email], start,
                                                   start + timedelta(hours=4))
    message = await explain_graph_failure(stack.services, CONTOSO, denied.value)

    assert "application access policy" in message
    status = await stack.say(ADELE, "status")
    assert "application access policy" in card_text(status[0].cards[0])


async def test_setup_self_test_reports_an_admin_mailbox_outside_the_access_policy(
    sqlite_url: str, tmp_path: Path
) -> None:
    async with admin_stack(sqlite_url, tmp_path, admin_user_ids=frozenset({GRACE.aad_object_id})) as stack:
        await stack.say(GRACE, "setup")
        # Contoso granted the permissions before: the change is tested and applied right away.
        card = await stack.click(GRACE, "saveSetup", {"tenantId": CONTOSO, "mode": "domain_wide"})
        tenant = await TenantRepository(stack.db, CONTOSO).get()
        told = card_text(card["value"])
    assert tenant is not None and not tenant.enabled
    assert tenant.last_error is not None and "access policy" in tenant.last_error
    assert "self-test failed" in told and "access policy" in told


async def test_tenant_b_admin_cannot_see_or_change_tenant_a(stack: Stack) -> None:
    await stack.say(BEN, "help")
    await complete_setup(stack, ADELE)
    await complete_setup(stack, FIONA, mode="delegated")
    await make_rendezvous_admin(stack, FIONA)
    start = datetime.now(UTC) + timedelta(days=2)
    await BookingRepository(stack.db, CONTOSO).reserve(ADELE.aad_object_id, BEN.aad_object_id, start,
                                                        start + timedelta(minutes=30), "Sync", "key-1")

    status = card_text((await stack.say(FIONA, "status"))[0].cards[0])
    audit = card_text((await stack.say(FIONA, "audit"))[0].cards[0])
    await stack.click(FIONA, "confirmDisconnectOrganization")

    assert "Individual / delegated" in status and "Domain-wide" not in status
    assert "No bookings" in audit and "Adele" not in audit
    contoso = await TenantRepository(stack.db, CONTOSO).get()
    fabrikam = await TenantRepository(stack.db, FABRIKAM).get()
    assert contoso is not None and contoso.enabled
    assert fabrikam is not None and not fabrikam.enabled
    # Contoso's own admin still sees Contoso's booking.
    contoso_audit = card_text((await stack.say(ADELE, "audit"))[0].cards[0])
    assert "Adele Vance booked Ben Walters" in contoso_audit


async def test_an_admin_of_one_tenant_is_not_an_admin_in_another(sqlite_url: str, tmp_path: Path) -> None:
    async with admin_stack(sqlite_url, tmp_path) as stack:
        await complete_setup(stack, ADELE)
        await complete_setup(stack, FIONA, mode="delegated")
        # The same person appearing from another organization's Teams is a stranger there.
        adele_elsewhere = ADELE.in_tenant(FABRIKAM)
        replies = await stack.say(adele_elsewhere, "status")
    assert "Only a Rendezvous admin" in card_text(replies[0].cards[0])


async def test_privacy_lists_what_is_stored_and_the_graph_calls_about_me(stack: Stack) -> None:
    await complete_setup(stack, ADELE)

    adele = json.loads(card_text((await stack.say(ADELE, "privacy"))[0].cards[0]))
    ben = card_text((await stack.say(BEN, "privacy"))[0].cards[0])

    shown = json.dumps(adele)
    assert "adele.vance@contoso.example" in shown
    assert "read free/busy" in shown  # the setup self-test looked at Adele's own free/busy
    assert '"Calendar sign-in stored", "value": "no"' in shown
    assert "None so far." in ben and "read free/busy" not in ben
