"""Organization setup end to end: the admin's card, sign-in proof, consent, self-test and the proactive result."""

from __future__ import annotations

from pathlib import Path

from storage.repositories import TenantRepository, TokenCacheRepository
from tests.admin.conftest import (
    ADELE,
    BEN,
    CONTOSO,
    FABRIKAM,
    PRODUCT_TEAM_GROUP,
    Stack,
    admin_stack,
    card_text,
    complete_setup,
    links_in,
    open_url_of,
    prove_admin,
)


async def test_domain_wide_setup_enables_the_tenant_and_tells_the_admin(stack: Stack) -> None:
    stack.emu.revoke_admin_consent(CONTOSO)
    page = await complete_setup(stack, ADELE)

    assert page.status_code == 200, page.text
    assert "go back to Teams" in page.text
    tenant = await TenantRepository(stack.db, CONTOSO).get()
    assert tenant is not None and tenant.enabled
    assert tenant.mode == "domain_wide"
    assert tenant.consented_by_oid == ADELE.aad_object_id
    assert stack.emu.client_id in stack.emu.tenant(CONTOSO).admin_consented_apps
    assert "Calendar integration is now enabled" in stack.texts_to(ADELE)
    assert "Domain-wide" in stack.texts_to(ADELE)
    probes = stack.emu.calls_to("getSchedule")
    assert probes and probes[-1].status == 200


async def test_setup_on_both_databases_and_rerun_changes_the_group(database_url: str, tmp_path: Path) -> None:
    async with admin_stack(database_url, tmp_path) as stack:
        page = await complete_setup(stack, ADELE)  # her admin sign-in, then the self-test: no new consent
        assert page.status_code == 200, page.text
        changed = await stack.click(ADELE, "saveSetup", {"tenantId": CONTOSO, "mode": "domain_wide",
                                                         "securityGroupId": PRODUCT_TEAM_GROUP})
        tenant = await TenantRepository(stack.db, CONTOSO).get()
        consent_pages = stack.emu.calls_to("adminconsent")
    # Contoso's permissions were granted before, so a Rendezvous admin changes the setup right in the chat.
    assert "Calendar integration is now enabled" in card_text(changed["value"])
    assert consent_pages == []
    assert tenant is not None and tenant.enabled
    assert tenant.security_group_id == PRODUCT_TEAM_GROUP
    assert tenant.admin_oid == ADELE.aad_object_id


async def test_admin_listed_in_settings_goes_straight_to_consent_and_a_refusal_is_explained(
    sqlite_url: str, tmp_path: Path
) -> None:
    async with admin_stack(sqlite_url, tmp_path, admin_user_ids=frozenset({BEN.aad_object_id})) as stack:
        stack.emu.revoke_admin_consent(CONTOSO)
        await stack.say(BEN, "setup")
        card = await stack.click(BEN, "saveSetup", {"tenantId": CONTOSO, "mode": "domain_wide"})
        url = open_url_of(card["value"])
        assert "/adminconsent" in url  # no admin sign-in needed first
        stack.emu.sign_in_as(BEN.aad_object_id)  # Ben has no admin role in Entra: Microsoft refuses
        page = await stack.open(url)
        tenant = await TenantRepository(stack.db, CONTOSO).get()
        assert page.status_code == 400
        assert "administrator" in page.text
        assert tenant is None or not tenant.enabled
        assert "Permissions were not granted" in stack.texts_to(BEN)


async def test_wrong_tenant_or_malformed_ids_are_refused_with_a_clear_message(stack: Stack) -> None:
    card = await stack.click(ADELE, "saveSetup", {"tenantId": FABRIKAM, "mode": "domain_wide"})
    assert "different organization" in card_text(card)
    assert not [a for a in card["value"].get("actions", []) if a["type"] == "Action.OpenUrl"]
    card = await stack.click(ADELE, "saveSetup", {"tenantId": "contoso", "mode": "domain_wide"})
    assert "isn't a tenant ID" in card_text(card)
    card = await stack.click(ADELE, "saveSetup", {"tenantId": CONTOSO, "mode": "domain_wide",
                                                  "securityGroupId": "everyone"})
    assert "isn't a group object ID" in card_text(card)
    assert stack.emu.calls == []  # nothing went to Microsoft
    assert await TenantRepository(stack.db, CONTOSO).get() is None


async def test_a_non_admin_who_signs_in_is_refused_and_nothing_is_enabled(stack: Stack) -> None:
    # Contoso granted Rendezvous its permissions before, so Microsoft's answer alone proves nothing: Ben must
    # show an admin role first, and his sign-in shows none.
    page = await complete_setup(stack, BEN)
    assert page.status_code == 403
    assert "Rendezvous admin role" in page.text and "changed nothing" in page.text
    assert "Rendezvous admin role" in stack.texts_to(BEN)
    assert await TenantRepository(stack.db, CONTOSO).get() is None
    assert not stack.emu.calls_to("adminconsent")
    # The sign-in only served as proof: it asked for no calendar access, and nothing of Ben's is kept.
    [authorize] = stack.emu.calls_to("/authorize")
    assert set(authorize.query["scope"].split()) == {"openid", "profile", "offline_access"}
    assert await TokenCacheRepository(stack.db, stack.services.cipher, CONTOSO).load(BEN.aad_object_id) is None


async def test_a_member_is_refused_every_admin_command_at_once_without_a_sign_in(stack: Stack) -> None:
    await complete_setup(stack, ADELE)
    sign_ins = len(stack.emu.calls_to("/authorize"))
    for command in ("setup", "status", "audit", "disconnect organization"):
        [reply] = await stack.say(BEN, command)
        shown = card_text(reply.cards[0])
        assert "Only a Rendezvous admin" in shown and "Rendezvous.Admin" in shown, command
        assert links_in(reply.cards[0]) == [], command  # nobody is sent to a sign-in they didn't ask for
        assert "ADMIN_USER_IDS" not in shown
    # Crafted card actions change nothing either.
    for verb, data in (("confirmDisconnectOrganization", {}),
                       ("saveSetup", {"tenantId": CONTOSO, "mode": "delegated", "securityGroupId": ""})):
        refusal = await stack.click(BEN, verb, data)
        assert "Only a Rendezvous admin" in card_text(refusal), verb
    assert len(stack.emu.calls_to("/authorize")) == sign_ins
    tenant = await TenantRepository(stack.db, CONTOSO).get()
    assert tenant is not None and tenant.enabled and tenant.mode == "domain_wide"
    # Turned off, the organization still has a setup that only an admin may change.
    await stack.click(ADELE, "confirmDisconnectOrganization")
    [reply] = await stack.say(BEN, "setup")
    assert "Only a Rendezvous admin" in card_text(reply.cards[0])


async def test_a_member_claiming_the_role_signs_in_and_is_refused(stack: Stack) -> None:
    await complete_setup(stack, ADELE)

    page = await prove_admin(stack, BEN, "disconnect organization")

    assert page.status_code == 403 and "changed nothing" in page.text
    tenant = await TenantRepository(stack.db, CONTOSO).get()
    assert tenant is not None and tenant.enabled


async def test_status_and_disconnect_for_the_admin(stack: Stack) -> None:
    await complete_setup(stack, ADELE)
    status = await stack.say(ADELE, "status")
    shown = card_text(status[0].cards[0])
    assert "Enabled" in shown and "Domain-wide" in shown and "Adele Vance" in shown
    await stack.click(ADELE, "confirmDisconnectOrganization")
    tenant = await TenantRepository(stack.db, CONTOSO).get()
    assert tenant is not None and not tenant.enabled
    status = await stack.say(ADELE, "status")
    assert "Not enabled" in card_text(status[0].cards[0])


async def test_an_admin_typing_disconnect_chooses_between_the_organization_and_their_own_calendar(
    stack: Stack,
) -> None:
    await complete_setup(stack, ADELE)
    replies = await stack.say(ADELE, "disconnect")
    verbs = [action["verb"] for action in replies[0].cards[0]["actions"]]
    assert verbs == ["confirmDisconnectOrganization"]  # domain-wide: Adele has no calendar sign-in of her own
    tenant = await TenantRepository(stack.db, CONTOSO).get()
    assert tenant is not None and tenant.enabled  # nothing happens before the choice
