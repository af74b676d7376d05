"""MSAL Python (the library the bot uses) accepts the emulator as its authority."""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import jwt
import msal
import pytest
import requests

from emulator.testing import EmulatorHandle
from tests.emulator.conftest import (
    ADELE_ID,
    CHLOE_ID,
    CONTOSO,
    FABRIKAM,
    FIONA_ID,
    GRAPH_DEFAULT,
    REDIRECT_URI,
)

# MSAL nudges towards form_post; the bot's choice, and the emulator answers both modes.
pytestmark = pytest.mark.filterwarnings("ignore:response_mode='form_post':UserWarning")


def msal_app(emu: EmulatorHandle, tenant: str, secret: str | None = None) -> msal.ConfidentialClientApplication:
    session = requests.Session()
    session.trust_env = False  # REQUESTS_CA_BUNDLE would otherwise replace verify=
    session.verify = emu.ca_file
    return msal.ConfidentialClientApplication(
        emu.client_id, client_credential=secret or emu.client_secret, authority=emu.authority(tenant),
        instance_discovery=False, http_client=session, token_cache=msal.SerializableTokenCache())


def follow_authorize(emu: EmulatorHandle, auth_uri: str) -> dict[str, str]:
    session = requests.Session()
    session.trust_env = False
    response = session.get(auth_uri, verify=emu.ca_file, allow_redirects=False)
    assert response.status_code == 302, response.text
    location = response.headers["Location"]
    assert location.startswith(REDIRECT_URI)
    return dict(parse_qsl(urlsplit(location).query))


async def test_client_credentials_token_then_served_from_msal_cache(emu: EmulatorHandle) -> None:
    app = await asyncio.to_thread(msal_app, emu, CONTOSO)
    first = await asyncio.to_thread(app.acquire_token_for_client, [GRAPH_DEFAULT])
    second = await asyncio.to_thread(app.acquire_token_for_client, [GRAPH_DEFAULT])

    assert first["token_source"] == "identity_provider"
    assert first["token_type"] == "Bearer" and first["expires_in"] > 3000
    assert second["token_source"] == "cache" and second["access_token"] == first["access_token"]
    assert len(emu.calls_to("/oauth2/v2.0/token")) == 1
    discovery = [c.path for c in emu.calls_to("openid-configuration")]
    assert discovery == [f"/{CONTOSO}/v2.0/.well-known/openid-configuration"]
    claims = jwt.decode(first["access_token"], options={"verify_signature": False})
    assert claims["tid"] == CONTOSO and "Calendars.ReadWrite" in claims["roles"]


async def test_client_credentials_refused_where_no_admin_consent(emu: EmulatorHandle) -> None:
    app = await asyncio.to_thread(msal_app, emu, FABRIKAM)
    result: dict[str, Any] = await asyncio.to_thread(app.acquire_token_for_client, [GRAPH_DEFAULT])

    assert result["error"] == "invalid_client"
    assert result["error_description"].startswith("AADSTS7000229:")
    assert result["error_codes"] == [7000229]
    assert {"timestamp", "trace_id", "correlation_id"} <= result.keys()


async def test_wrong_secret_is_invalid_client(emu: EmulatorHandle) -> None:
    app = await asyncio.to_thread(msal_app, emu, CONTOSO, "not-the-secret")
    result = await asyncio.to_thread(app.acquire_token_for_client, [GRAPH_DEFAULT])
    assert result["error"] == "invalid_client" and result["error_codes"] == [7000215]


async def test_unknown_tenant_fails_discovery(emu: EmulatorHandle, http: Any) -> None:
    response = await http.get(f"{emu.authority('00000000-0000-0000-0000-000000000001')}"
                              "/v2.0/.well-known/openid-configuration")
    assert response.status_code == 400 and response.json()["error_codes"] == [90002]


async def test_auth_code_flow_with_pkce_and_nonce(emu: EmulatorHandle) -> None:
    app = await asyncio.to_thread(msal_app, emu, "organizations")
    flow = app.initiate_auth_code_flow(["https://graph.microsoft.com/Calendars.ReadWrite"],
                                       redirect_uri=REDIRECT_URI)
    emu.sign_in_as(FIONA_ID)
    reply = await asyncio.to_thread(follow_authorize, emu, flow["auth_uri"])
    result = await asyncio.to_thread(app.acquire_token_by_auth_code_flow, flow, reply)

    assert "access_token" in result, result
    claims = result["id_token_claims"]
    assert claims["tid"] == FABRIKAM and claims["oid"] == FIONA_ID
    assert claims["aud"] == emu.client_id
    # Fiona is a Global Administrator, but at Entra's defaults (no groupMembershipClaims, no app role
    # assigned) her id token names no role at all.
    assert "wids" not in claims and "roles" not in claims
    assert "refresh_token" in result
    accounts = app.get_accounts()
    assert [a["home_account_id"] for a in accounts] == [f"{FIONA_ID}.{FABRIKAM}"]
    # the code's PKCE challenge was S256 and the token endpoint got the verifier
    token_call = emu.calls_to("/oauth2/v2.0/token")[-1]
    assert token_call.status == 200 and token_call.user_oid == FIONA_ID

    silent = await asyncio.to_thread(app.acquire_token_silent, ["https://graph.microsoft.com/Calendars.ReadWrite"],
                                     accounts[0])
    assert silent is not None and silent["access_token"] == result["access_token"]


async def test_refresh_after_revocation_is_invalid_grant(emu: EmulatorHandle) -> None:
    emu.token_lifetime = 60  # under MSAL's 5-minute margin, so silent calls always refresh
    app = await asyncio.to_thread(msal_app, emu, "organizations")
    flow = app.initiate_auth_code_flow(["https://graph.microsoft.com/Calendars.ReadWrite"],
                                       redirect_uri=REDIRECT_URI)
    emu.sign_in_as(FIONA_ID)
    reply = await asyncio.to_thread(follow_authorize, emu, flow["auth_uri"])
    first = await asyncio.to_thread(app.acquire_token_by_auth_code_flow, flow, reply)
    scopes = ["https://graph.microsoft.com/Calendars.ReadWrite"]
    account = app.get_accounts()[0]

    refreshed = await asyncio.to_thread(app.acquire_token_silent_with_error, scopes, account)
    assert refreshed and refreshed["access_token"] != first["access_token"]

    emu.revoke_refresh_tokens("Fabrikam", FIONA_ID)
    failed = await asyncio.to_thread(app.acquire_token_silent_with_error, scopes, account)
    assert failed is not None and failed["error"] == "invalid_grant"
    assert 50173 in failed["error_codes"]


async def test_user_of_another_tenant_is_turned_away(emu: EmulatorHandle) -> None:
    app = await asyncio.to_thread(msal_app, emu, CONTOSO)
    flow = app.initiate_auth_code_flow(["https://graph.microsoft.com/Calendars.ReadWrite"],
                                       redirect_uri=REDIRECT_URI)
    emu.sign_in_as(FIONA_ID)  # Fabrikam person at Contoso's authority
    reply = await asyncio.to_thread(follow_authorize, emu, flow["auth_uri"])
    assert reply["error"] == "access_denied" and reply["error_description"].startswith("AADSTS50020")
    assert reply["state"] == flow["state"]


async def test_authorization_code_is_single_use_and_checks_pkce(emu: EmulatorHandle, http: Any) -> None:
    app = await asyncio.to_thread(msal_app, emu, "organizations")
    flow = app.initiate_auth_code_flow(["https://graph.microsoft.com/Calendars.ReadWrite"],
                                       redirect_uri=REDIRECT_URI)
    emu.sign_in_as(ADELE_ID)
    reply = await asyncio.to_thread(follow_authorize, emu, flow["auth_uri"])
    form = {"grant_type": "authorization_code", "client_id": emu.client_id, "client_secret": emu.client_secret,
            "code": reply["code"], "redirect_uri": REDIRECT_URI}

    wrong_verifier = await http.post(f"{emu.authority('organizations')}/oauth2/v2.0/token",
                                     data={**form, "code_verifier": "x" * 43})
    assert wrong_verifier.json()["error_codes"] == [501481]
    good = await http.post(f"{emu.authority('organizations')}/oauth2/v2.0/token",
                           data={**form, "code_verifier": flow["code_verifier"]})
    assert good.status_code == 200
    again = await http.post(f"{emu.authority('organizations')}/oauth2/v2.0/token",
                            data={**form, "code_verifier": flow["code_verifier"]})
    assert again.status_code == 400 and again.json()["error_codes"] == [54005]


async def test_admin_consent_enables_client_credentials(emu: EmulatorHandle, http: Any) -> None:
    params = {"client_id": emu.client_id, "redirect_uri": REDIRECT_URI, "state": "st-9", "scope": GRAPH_DEFAULT}
    url = f"{emu.authority('organizations')}/v2.0/adminconsent"

    emu.sign_in_as(FIONA_ID, decline=True)
    declined = dict(parse_qsl(urlsplit((await http.get(url, params=params)).headers["Location"]).query))
    assert declined["error"] == "access_denied" and declined["error_description"].startswith("AADSTS65004")

    emu.sign_in_as(FIONA_ID)
    granted = await http.get(url, params=params)
    assert granted.status_code == 302
    reply = dict(parse_qsl(urlsplit(granted.headers["Location"]).query))
    assert reply == {"admin_consent": "True", "tenant": FABRIKAM, "state": "st-9", "scope": GRAPH_DEFAULT}

    app = await asyncio.to_thread(msal_app, emu, FABRIKAM)
    result = await asyncio.to_thread(app.acquire_token_for_client, [GRAPH_DEFAULT])
    assert "access_token" in result, result


async def test_admin_consent_needs_an_administrator(emu: EmulatorHandle, http: Any) -> None:
    emu.sign_in_as(CHLOE_ID)
    response = await http.get(f"{emu.authority(CONTOSO)}/adminconsent", params={
        "client_id": emu.client_id, "redirect_uri": REDIRECT_URI, "state": "s"})
    reply = dict(parse_qsl(urlsplit(response.headers["Location"]).query))
    assert reply["error"] == "access_denied" and reply["error_description"].startswith("AADSTS90094")


async def test_sign_in_page_lists_the_tenants_people(emu: EmulatorHandle, http: Any) -> None:
    response = await http.get(f"{emu.authority(CONTOSO)}/oauth2/v2.0/authorize", params={
        "client_id": emu.client_id, "response_type": "code", "redirect_uri": REDIRECT_URI, "scope": "openid"})
    assert response.status_code == 200
    assert "Adele Vance" in response.text and "Fiona Gallagher" not in response.text
    assert "emulator_select=" in response.text


async def test_unregistered_redirect_uri_shows_an_error_page(emu: EmulatorHandle, http: Any) -> None:
    emu.sign_in_as(ADELE_ID)
    response = await http.get(f"{emu.authority(CONTOSO)}/oauth2/v2.0/authorize", params={
        "client_id": emu.client_id, "response_type": "code", "redirect_uri": "https://evil.example/cb"})
    assert response.status_code == 400 and "AADSTS50011" in response.text


async def test_consent_required_when_users_may_not_consent(emu: EmulatorHandle, http: Any) -> None:
    emu.revoke_admin_consent(CONTOSO)  # Contoso lets only admins consent
    emu.sign_in_as(CHLOE_ID)
    response = await http.get(f"{emu.authority(CONTOSO)}/oauth2/v2.0/authorize", params={
        "client_id": emu.client_id, "response_type": "code", "redirect_uri": REDIRECT_URI, "state": "s",
        "scope": "https://graph.microsoft.com/Calendars.ReadWrite openid profile offline_access"})
    reply = dict(parse_qsl(urlsplit(response.headers["Location"]).query))
    assert reply["error"] == "consent_required" and reply["error_description"].startswith("AADSTS65001")


async def test_form_post_response_mode(emu: EmulatorHandle, http: Any) -> None:
    emu.sign_in_as(FIONA_ID)
    response = await http.get(f"{emu.authority('organizations')}/oauth2/v2.0/authorize", params={
        "client_id": emu.client_id, "response_type": "code", "redirect_uri": REDIRECT_URI, "state": "st",
        "response_mode": "form_post", "scope": "openid"})
    assert response.status_code == 200
    assert f'action="{REDIRECT_URI}"' in response.text
    assert 'name="code"' in response.text and 'name="state" value="st"' in response.text


async def test_mfa_requirement_interrupts_refresh(emu: EmulatorHandle) -> None:
    emu.token_lifetime = 60
    app = await asyncio.to_thread(msal_app, emu, "organizations")
    scopes = ["https://graph.microsoft.com/Calendars.ReadWrite"]
    flow = app.initiate_auth_code_flow(scopes, redirect_uri=REDIRECT_URI)
    emu.sign_in_as(FIONA_ID)
    reply = await asyncio.to_thread(follow_authorize, emu, flow["auth_uri"])
    await asyncio.to_thread(app.acquire_token_by_auth_code_flow, flow, reply)
    emu.require_mfa("Fabrikam", FIONA_ID)

    result = await asyncio.to_thread(app.acquire_token_silent_with_error, scopes, app.get_accounts()[0])
    assert result is not None and result["error"] == "interaction_required" and 50076 in result["error_codes"]
