"""Entra's defaults for roles and consent: `wids` only on request, `roles` only when assigned, and
tenant-wide consent only from the directory roles that may grant it."""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

from emulator.testing import EmulatorHandle
from tests.emulator.conftest import ADELE_ID, CHLOE_ID, CONTOSO, FABRIKAM, FIONA_ID, GRAPH_DEFAULT, REDIRECT_URI
from tests.emulator.test_entra_msal import follow_authorize, msal_app

GLOBAL_ADMIN = "62e90394-69f5-4237-9190-012177145e10"
DIEGO_ID = "1d1bd30b-b415-4989-9cde-6c3b9567fb37"  # Cloud Application Administrator
PRODUCT_TEAM = "741ef87f-89da-467d-a8cb-0f857c807768"  # Adele, Ben, Chloe, Priya
KENJI_ID = "e8b58c16-60f0-411d-82a6-10f84a845cd4"
CALENDARS = "https://graph.microsoft.com/Calendars.ReadWrite"

pytestmark = pytest.mark.filterwarnings("ignore:response_mode='form_post':UserWarning")


async def _id_token_claims(emu: EmulatorHandle, tenant: str, oid: str) -> dict[str, Any]:
    app = await asyncio.to_thread(msal_app, emu, tenant)
    flow = app.initiate_auth_code_flow([], redirect_uri=REDIRECT_URI)
    emu.sign_in_as(oid)
    reply = await asyncio.to_thread(follow_authorize, emu, flow["auth_uri"])
    result = await asyncio.to_thread(app.acquire_token_by_auth_code_flow, flow, reply)
    assert "id_token_claims" in result, result
    claims: dict[str, Any] = result["id_token_claims"]
    return claims


async def _admin_consent(http: Any, emu: EmulatorHandle, who: str, scope: str | None,
                         tenant: str = "organizations") -> dict[str, str]:
    emu.sign_in_as(who)
    if scope is None:  # the v1 endpoint takes no scope: everything the registration lists
        url, params = f"{emu.authority(tenant)}/adminconsent", {}
    else:
        url, params = f"{emu.authority(tenant)}/v2.0/adminconsent", {"scope": scope}
    response = await http.get(url, params={"client_id": emu.client_id, "redirect_uri": REDIRECT_URI,
                                           "state": "st", **params})
    assert response.status_code == 302, response.text
    return dict(parse_qsl(urlsplit(response.headers["Location"]).query))


async def _client_credentials(emu: EmulatorHandle, tenant: str) -> dict[str, Any]:
    app = await asyncio.to_thread(msal_app, emu, tenant)
    result: dict[str, Any] = await asyncio.to_thread(app.acquire_token_for_client, [GRAPH_DEFAULT])
    return result


async def test_wids_only_when_the_app_registration_asks_for_directory_roles(emu: EmulatorHandle) -> None:
    assert "wids" not in await _id_token_claims(emu, FABRIKAM, FIONA_ID)

    emu.set_group_membership_claims("DirectoryRole")

    assert (await _id_token_claims(emu, FABRIKAM, FIONA_ID))["wids"] == [GLOBAL_ADMIN]
    assert (await _id_token_claims(emu, CONTOSO, CHLOE_ID))["wids"] == []


async def test_roles_carry_only_the_app_roles_the_tenant_assigned(emu: EmulatorHandle) -> None:
    # The demo's Contoso assigned Rendezvous.Admin to Adele; Fabrikam assigned nothing.
    assert (await _id_token_claims(emu, CONTOSO, ADELE_ID))["roles"] == ["Rendezvous.Admin"]
    assert "roles" not in await _id_token_claims(emu, FABRIKAM, FIONA_ID)

    emu.assign_app_role(PRODUCT_TEAM, tenant=CONTOSO)  # through a group the person is a direct member of
    assert (await _id_token_claims(emu, CONTOSO, CHLOE_ID))["roles"] == ["Rendezvous.Admin"]

    emu.assign_app_role(ADELE_ID, assigned=False)
    emu.assign_app_role(PRODUCT_TEAM, tenant=CONTOSO, assigned=False)
    assert "roles" not in await _id_token_claims(emu, CONTOSO, ADELE_ID)


async def test_application_permissions_need_a_global_or_privileged_role_administrator(
    emu: EmulatorHandle, http: Any
) -> None:
    emu.revoke_admin_consent(CONTOSO)
    refused = await _admin_consent(http, emu, DIEGO_ID, GRAPH_DEFAULT)
    assert refused["error"] == "access_denied" and refused["error_description"].startswith("AADSTS90094")
    refused = await _admin_consent(http, emu, DIEGO_ID, None, CONTOSO)
    assert refused["error"] == "access_denied"
    assert "error" in await _client_credentials(emu, CONTOSO)

    emu.set_directory_roles(DIEGO_ID, ["Privileged Role Administrator"])
    granted = await _admin_consent(http, emu, DIEGO_ID, GRAPH_DEFAULT)

    assert granted["admin_consent"] == "True" and granted["tenant"] == CONTOSO
    assert "access_token" in await _client_credentials(emu, CONTOSO)
    [grant] = emu.consent_grants(CONTOSO)
    assert grant.granted_by == DIEGO_ID and "Calendars.ReadWrite" in grant.application


async def test_delegated_scopes_alone_can_be_granted_by_an_application_administrator(
    emu: EmulatorHandle, http: Any
) -> None:
    emu.revoke_admin_consent(CONTOSO)
    scope = f"{CALENDARS} https://graph.microsoft.com/Calendars.Read"
    refused = await _admin_consent(http, emu, CHLOE_ID, scope)  # an ordinary member
    assert refused["error_description"].startswith("AADSTS90094")

    granted = await _admin_consent(http, emu, DIEGO_ID, scope)

    assert granted == {"admin_consent": "True", "tenant": CONTOSO, "state": "st", "scope": scope}
    [grant] = emu.consent_grants(CONTOSO)
    assert grant.delegated == ("Calendars.ReadWrite", "Calendars.Read") and grant.application == ()
    # Delegated consent gives the app no identity of its own in the tenant.
    result = await _client_credentials(emu, CONTOSO)
    assert result.get("error") == "invalid_client" and 7000229 in result["error_codes"]
    # msal's sign-in also asks for openid, profile and offline_access: where users may not consent, members
    # get through only once those are granted as well.
    assert "error" in await _sign_in_reply(emu, CHLOE_ID)
    await _admin_consent(http, emu, DIEGO_ID, f"{scope} openid profile offline_access")
    assert "code" in await _sign_in_reply(emu, CHLOE_ID)


async def _sign_in_reply(emu: EmulatorHandle, oid: str) -> dict[str, str]:
    app = await asyncio.to_thread(msal_app, emu, CONTOSO)
    flow = app.initiate_auth_code_flow([CALENDARS], redirect_uri=REDIRECT_URI)
    emu.sign_in_as(oid)
    return await asyncio.to_thread(follow_authorize, emu, flow["auth_uri"])


async def test_the_levers_work_over_http_for_an_emulator_in_another_process(
    emu: EmulatorHandle, http: Any
) -> None:
    control = f"{emu.authority_host}/_emulator"
    assert (await http.put(f"{control}/app-registration", json={"group_membership_claims": "All"})).status_code == 200
    demoted = await http.post(f"{control}/directory-roles", json={"person": FIONA_ID, "roles": []})
    assigned = await http.post(f"{control}/app-role-assignments", json={"principal": KENJI_ID})
    unknown = await http.post(f"{control}/directory-roles", json={"person": FIONA_ID, "roles": ["Janitor"]})

    assert demoted.status_code == assigned.status_code == 200
    assert unknown.status_code == 400
    claims = await _id_token_claims(emu, FABRIKAM, FIONA_ID)
    assert claims["wids"] == [] and "roles" not in claims
    assert (await _id_token_claims(emu, FABRIKAM, KENJI_ID))["roles"] == ["Rendezvous.Admin"]
    emu.set_directory_roles(FIONA_ID, ["Global Administrator"])
    await _admin_consent(http, emu, FIONA_ID, GRAPH_DEFAULT)
    consents = (await http.get(f"{control}/consents", params={"tenant": FABRIKAM})).json()
    assert [(c["granted_by"], c["endpoint"]) for c in consents] == [(FIONA_ID, "/organizations/v2.0/adminconsent")]

