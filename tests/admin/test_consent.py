"""Setup against Entra's defaults: no optional claims, no app role assigned, and Microsoft deciding who may
grant which permissions. The person in Teams may hand the consent link to their administrator."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from graph.errors import AuthFailure, AuthProblem
from graph.tokens import DELEGATED_SCOPES
from storage.repositories import TenantRepository
from tests.admin.conftest import (
    ADELE,
    BEN,
    CONTOSO,
    DIEGO,
    FABRIKAM,
    FIONA,
    KENJI,
    Stack,
    card_text,
    complete_setup,
    links_in,
    open_as,
    open_url_of,
    prove_admin,
)
from tests.harness import TeamsUser

ENABLED = "Calendar integration is now enabled"


async def _ask_for_setup(stack: Stack, user: TeamsUser, mode: str, group: str = "") -> dict[str, Any]:
    await stack.say(user, "setup")
    answer = await stack.click(user, "saveSetup", {"tenantId": user.tenant_id, "mode": mode,
                                                   "securityGroupId": group})
    card = answer["value"]
    assert isinstance(card, dict), answer
    return card


def _consent_scopes(url: str) -> list[str]:
    assert "/v2.0/adminconsent?" in url, url
    return parse_qs(urlsplit(url).query)["scope"][0].split()


async def _status_of(stack: Stack, user_oid: str, url: str) -> int:
    return (await open_as(stack, user_oid, url)).status_code


async def test_a_global_administrator_sets_up_domain_wide_with_no_optional_claims(stack: Stack) -> None:
    # Fabrikam is a fresh tenant: no consent, no app role assigned, and the app registration issues no wids.
    card = await _ask_for_setup(stack, FIONA, "domain_wide")
    [url] = links_in(card)
    assert _consent_scopes(url) == ["https://graph.microsoft.com/.default"]
    assert "Global Administrator or Privileged Role Administrator" in card_text(card)
    assert "Cloud Application Administrator" not in card_text(card)  # they cannot grant application permissions

    assert await _status_of(stack, FIONA.aad_object_id, url) == 200

    tenant = await TenantRepository(stack.db, FABRIKAM).get()
    assert tenant is not None and tenant.enabled and tenant.mode == "domain_wide"
    assert ENABLED in stack.texts_to(FIONA)
    assert stack.emu.calls_to("/authorize") == []  # no sign-in was needed before Microsoft's consent page
    [grant] = stack.emu.consent_grants(FABRIKAM)
    assert grant.granted_by == FIONA.aad_object_id and "Calendars.ReadWrite" in grant.application


async def test_a_separate_admin_account_grants_consent_and_the_requester_is_told_in_teams(stack: Stack) -> None:
    # Kenji has no admin role; he sends the link to Fiona, who approves from her own browser and account.
    [url] = links_in(await _ask_for_setup(stack, KENJI, "domain_wide"))

    assert await _status_of(stack, FIONA.aad_object_id, url) == 200

    told = stack.texts_to(KENJI)
    assert ENABLED in told
    assert "Rendezvous.Admin" in told  # how Kenji would become able to change it later
    assert ENABLED not in stack.texts_to(FIONA)  # she never wrote to the bot; the requester is told
    tenant = await TenantRepository(stack.db, FABRIKAM).get()
    assert tenant is not None and tenant.enabled and tenant.consented_by_oid == KENJI.aad_object_id
    # The link was single-use.
    assert await _status_of(stack, FIONA.aad_object_id, url) == 400


async def test_a_consent_from_another_organization_is_refused(stack: Stack) -> None:
    [url] = links_in(await _ask_for_setup(stack, KENJI, "domain_wide"))

    status = await _status_of(stack, ADELE.aad_object_id, url)  # Contoso's admin, on Fabrikam's link

    assert status == 400
    assert "Permissions were not granted" in stack.texts_to(KENJI)
    assert await TenantRepository(stack.db, FABRIKAM).get() is None
    assert stack.emu.consent_grants(FABRIKAM) == [] and len(stack.emu.consent_grants(CONTOSO)) == 0


async def test_individual_mode_asks_only_for_delegated_permissions(stack: Stack) -> None:
    card = await _ask_for_setup(stack, FIONA, "delegated")
    [url] = links_in(card)

    scopes = _consent_scopes(url)
    assert scopes == [*DELEGATED_SCOPES, "openid", "profile", "offline_access"]
    assert await _status_of(stack, FIONA.aad_object_id, url) == 200

    [grant] = stack.emu.consent_grants(FABRIKAM)
    assert grant.application == ()
    assert set(grant.delegated) == {scope.rsplit("/", 1)[-1] for scope in scopes}
    # No application permission was granted: Rendezvous has no identity of its own in Fabrikam.
    assert stack.services.app_tokens is not None
    with pytest.raises(AuthProblem) as refused:
        await stack.services.app_tokens.token(FABRIKAM, force_refresh=True)
    assert refused.value.kind is AuthFailure.NOT_CONSENTED
    tenant = await TenantRepository(stack.db, FABRIKAM).get()
    assert tenant is not None and tenant.enabled and tenant.mode == "delegated"


async def test_an_application_administrator_can_approve_individual_mode_but_not_domain_wide(stack: Stack) -> None:
    stack.emu.revoke_admin_consent(CONTOSO)  # Contoso as a fresh tenant; Diego is a Cloud Application Administrator
    [domain_wide] = links_in(await _ask_for_setup(stack, BEN, "domain_wide"))
    assert await _status_of(stack, DIEGO.aad_object_id, domain_wide) == 400
    assert "Permissions were not granted" in stack.texts_to(BEN)

    [individual] = links_in(await _ask_for_setup(stack, BEN, "delegated"))
    assert await _status_of(stack, DIEGO.aad_object_id, individual) == 200

    tenant = await TenantRepository(stack.db, CONTOSO).get()
    assert tenant is not None and tenant.enabled and tenant.mode == "delegated"
    # Contoso's members may not consent themselves; with the delegated grant Ben connects all the same.
    connect = await stack.say(BEN, "connect")
    page = await open_as(stack, BEN.aad_object_id, open_url_of(connect[-1].cards[0]))
    assert page.status_code == 200 and "Your calendar is connected" in page.text


async def test_individual_mode_with_a_security_group_says_who_must_grant_the_directory_permissions(
    stack: Stack,
) -> None:
    card = await _ask_for_setup(stack, FIONA, "delegated", group="2f0d8a1c-5b7e-4c3a-9e61-0d4b8f2a7c55")
    shown = card_text(card)
    assert "GroupMember.Read.All" in shown and "Global Administrator or Privileged Role Administrator" in shown
    [url] = links_in(card)
    assert not any(scope.endswith("/.default") for scope in _consent_scopes(url))

    assert await _status_of(stack, FIONA.aad_object_id, url) == 400  # the self-test cannot read the group

    tenant = await TenantRepository(stack.db, FABRIKAM).get()
    assert tenant is not None and not tenant.enabled
    assert "GroupMember.Read.All" in stack.texts_to(FIONA)


async def test_a_held_back_consent_callback_cannot_change_a_setup_made_meanwhile(stack: Stack) -> None:
    # Kenji keeps his first-setup link and crafts its callback after Fiona has set Fabrikam up herself.
    [kenjis] = links_in(await _ask_for_setup(stack, KENJI, "delegated"))
    page = await complete_setup(stack, FIONA, mode="domain_wide")
    assert page.status_code == 200, page.text
    state = parse_qs(urlsplit(kenjis).query)["state"][0]

    forged = await stack.browser.get(f"{stack.bot.url}/auth/consent",
                                     params={"state": state, "admin_consent": "True", "tenant": FABRIKAM})

    assert forged.status_code == 409 and "changed nothing" in forged.text
    tenant = await TenantRepository(stack.db, FABRIKAM).get()
    assert tenant is not None and tenant.mode == "domain_wide" and tenant.admin_oid == FIONA.aad_object_id


async def test_setting_up_where_consent_already_exists_needs_a_rendezvous_admin(stack: Stack) -> None:
    # Contoso consented before and named Adele a Rendezvous admin: she signs in (roles only), then consents.
    card = await _ask_for_setup(stack, ADELE, "domain_wide")
    assert "/oauth2/v2.0/authorize?" in open_url_of(card)

    page = await complete_setup(stack, ADELE)

    assert page.status_code == 200, page.text
    [enabled] = [m.text for m in stack.connector.messages(ADELE.conversation_id) if ENABLED in m.text]
    assert "Rendezvous.Admin" not in enabled  # already a proven admin: no hint about becoming one


async def test_where_the_registration_issues_directory_roles_a_global_administrator_needs_no_app_role(
    stack: Stack,
) -> None:
    await complete_setup(stack, FIONA, mode="delegated")
    [refused] = await stack.say(FIONA, "status")  # Entra's defaults: her role is invisible to Rendezvous
    assert "Only a Rendezvous admin" in card_text(refused.cards[0])
    stack.emu.set_group_membership_claims("DirectoryRole")

    page = await prove_admin(stack, FIONA)

    assert page.status_code == 200, page.text
    [status] = await stack.say(FIONA, "status")
    assert "Individual / delegated" in card_text(status.cards[0])
