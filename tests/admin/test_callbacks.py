"""The browser callbacks refuse anything that is not a fresh, single-use state of the right organization."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from storage.repositories import ConsentRepository, TenantRepository
from tests.admin.conftest import ADELE, CONTOSO, FABRIKAM, Stack, admin_stack, complete_setup, open_url_of


async def test_a_forged_state_is_refused_without_a_stack_trace(stack: Stack) -> None:
    forged = {"state": "made-up", "admin_consent": "True", "tenant": CONTOSO, "code": "x"}
    for response in (await stack.browser.get(f"{stack.bot.url}/auth/consent", params=forged),
                     await stack.browser.post(f"{stack.bot.url}/auth/signin", data=forged)):
        assert response.status_code == 400
        assert "wasn't issued by Rendezvous" in response.text
        assert "Traceback" not in response.text
    missing = await stack.browser.get(f"{stack.bot.url}/auth/consent")
    assert missing.status_code == 400
    assert await TenantRepository(stack.db, CONTOSO).get() is None


async def test_a_replayed_callback_is_refused(sqlite_url: str, tmp_path: Path) -> None:
    async with admin_stack(sqlite_url, tmp_path, admin_user_ids=frozenset({ADELE.aad_object_id})) as stack:
        stack.emu.revoke_admin_consent(CONTOSO)  # so the setup goes through Microsoft's consent page
        page = await complete_setup(stack, ADELE)
        assert page.status_code == 200
        final_callback = str(page.url)
        assert "/auth/consent" in final_callback
        await stack.click(ADELE, "confirmDisconnectOrganization")

        replay = await stack.browser.get(final_callback)

        assert replay.status_code == 400
        assert "already used" in replay.text
        tenant = await TenantRepository(stack.db, CONTOSO).get()
    assert tenant is not None and not tenant.enabled  # the replay did not turn it back on


async def test_an_expired_state_is_refused(stack: Stack) -> None:
    eleven_minutes_ago = datetime.now(UTC) - timedelta(minutes=11)
    state = await ConsentRepository(stack.db).create(
        CONTOSO, ADELE.teams_user_id, ADELE.aad_object_id, "admin_consent", {"mode": "domain_wide"},
        now=eleven_minutes_ago,
    )
    response = await stack.browser.get(
        f"{stack.bot.url}/auth/consent", params={"state": state, "admin_consent": "True", "tenant": CONTOSO}
    )
    assert response.status_code == 400
    assert "expired" in response.text
    assert await TenantRepository(stack.db, CONTOSO).get() is None


async def test_a_consent_callback_naming_another_tenant_is_refused(sqlite_url: str, tmp_path: Path) -> None:
    async with admin_stack(sqlite_url, tmp_path, admin_user_ids=frozenset({ADELE.aad_object_id})) as stack:
        stack.emu.revoke_admin_consent(CONTOSO)
        await stack.say(ADELE, "setup")
        card = await stack.click(ADELE, "saveSetup", {"tenantId": CONTOSO, "mode": "domain_wide"})
        state = parse_qs(urlsplit(open_url_of(card["value"])).query)["state"][0]

        forged = await stack.browser.get(
            f"{stack.bot.url}/auth/consent", params={"state": state, "admin_consent": "True", "tenant": FABRIKAM}
        )

        assert forged.status_code == 400
        assert "different organization" in forged.text
        assert await TenantRepository(stack.db, CONTOSO).get() is None
        assert await TenantRepository(stack.db, FABRIKAM).get() is None
        assert "different organization" in stack.texts_to(ADELE)
