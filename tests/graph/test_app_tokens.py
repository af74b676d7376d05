"""Domain-wide tokens from the emulated Entra ID through msal, over TLS with the emulator's own CA."""

from __future__ import annotations

import pytest

from emulator.testing import EmulatorHandle
from graph.errors import AuthFailure, AuthProblem
from graph.tokens import AppTokenProvider
from tests.graph.conftest import CONTOSO, FABRIKAM


def _token_requests(emu: EmulatorHandle, tenant: str) -> int:
    return len([c for c in emu.calls_to(f"/{tenant}/oauth2/v2.0/token") if c.method == "POST"])


async def test_second_call_is_served_from_msal_cache(emu: EmulatorHandle, app_tokens: AppTokenProvider) -> None:
    first = await app_tokens.token(CONTOSO)
    second = await app_tokens.token(CONTOSO)
    assert first == second
    assert _token_requests(emu, CONTOSO) == 1
    # discovery happened once too, against the tenant's own authority (never /organizations)
    assert len(emu.calls_to(f"/{CONTOSO}/v2.0/.well-known/openid-configuration")) == 1
    assert not emu.calls_to("/organizations/")


async def test_force_refresh_fetches_a_new_token(emu: EmulatorHandle, app_tokens: AppTokenProvider) -> None:
    first = await app_tokens.token(CONTOSO)
    again = await app_tokens.token(CONTOSO, force_refresh=True)
    assert again != first
    assert _token_requests(emu, CONTOSO) == 2


async def test_tenant_without_consent(app_tokens: AppTokenProvider) -> None:
    with pytest.raises(AuthProblem) as caught:
        await app_tokens.token(FABRIKAM)
    assert caught.value.kind is AuthFailure.NOT_CONSENTED
    assert "administrator" in caught.value.user_message


async def test_withdrawn_consent(emu: EmulatorHandle) -> None:
    emu.revoke_admin_consent(CONTOSO)
    provider = AppTokenProvider(emu.client_id, emu.client_secret, emu.authority_host, emu.ca_file)
    with pytest.raises(AuthProblem) as caught:
        await provider.token(CONTOSO, had_access_before=True)
    assert caught.value.kind is AuthFailure.CONSENT_REVOKED


async def test_unknown_tenant(app_tokens: AppTokenProvider) -> None:
    with pytest.raises(AuthProblem) as caught:
        await app_tokens.token("00000000-1111-2222-3333-444444444444")
    assert caught.value.kind is AuthFailure.TENANT_NOT_FOUND


async def test_wrong_secret(emu: EmulatorHandle) -> None:
    provider = AppTokenProvider(emu.client_id, "not-the-secret", emu.authority_host, emu.ca_file)
    with pytest.raises(AuthProblem) as caught:
        await provider.token(CONTOSO)
    assert caught.value.kind is AuthFailure.BAD_CREDENTIALS
    assert "new client secret" in caught.value.admin_hint


@pytest.mark.parametrize("alias", ["organizations", "common"])
async def test_multi_tenant_authority_is_refused_for_app_tokens(app_tokens: AppTokenProvider, alias: str) -> None:
    with pytest.raises(ValueError):
        await app_tokens.token(alias)


async def test_emulator_ca_is_trusted_despite_requests_ca_bundle(
    emu: EmulatorHandle, monkeypatch: pytest.MonkeyPatch
) -> None:
    # requests merges REQUESTS_CA_BUNDLE over Session.verify unless trust_env is off.
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/certs/ca-certificates.crt")
    monkeypatch.setenv("CURL_CA_BUNDLE", "/etc/ssl/certs/ca-certificates.crt")
    provider = AppTokenProvider(emu.client_id, emu.client_secret, emu.authority_host, emu.ca_file)
    assert await provider.token(CONTOSO)


def test_admin_consent_url(app_tokens: AppTokenProvider, emu: EmulatorHandle) -> None:
    url = app_tokens.admin_consent_url(CONTOSO, "https://bot.example/consent/callback", "s1")
    assert url.startswith(f"{emu.authority_host}/{CONTOSO}/v2.0/adminconsent?")
    assert f"client_id={emu.client_id}" in url
    assert "scope=https%3A%2F%2Fgraph.microsoft.com%2F.default" in url
    assert "redirect_uri=https%3A%2F%2Fbot.example%2Fconsent%2Fcallback" in url
    assert "state=s1" in url
