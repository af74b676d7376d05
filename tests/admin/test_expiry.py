"""Access that expires: admin sign-ins age out per command, a demoted admin loses the rights, sign-in
answers arrive as a form post, and a link forwarded to someone else changes nothing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

from storage.models import ConsentRequest
from storage.repositories import ConsentRepository, TenantRepository
from tests.admin.conftest import (
    ADELE,
    CONTOSO,
    Stack,
    age_admin_sign_ins,
    card_text,
    complete_setup,
    links_in,
    open_as,
    open_url_of,
)


async def _stored_payload(stack: Stack, state: str) -> dict[str, Any] | None:
    """What the consent_requests row of this state holds now (None: the row is gone)."""
    async with stack.db.session() as session:
        row = await session.get(ConsentRequest, state)
        return dict(row.payload) if row is not None else None


async def _status_of(stack: Stack, user_oid: str, url: str) -> int:
    return (await open_as(stack, user_oid, url)).status_code


async def test_changes_and_other_peoples_data_need_a_fresh_sign_in_status_a_recent_one(stack: Stack) -> None:
    await complete_setup(stack, ADELE)
    await age_admin_sign_ins(stack, CONTOSO, timedelta(minutes=11))

    [status] = await stack.say(ADELE, "status")
    assert "Rendezvous status" in card_text(status.cards[0])  # up to 24 hours is fine for status
    for command in ("audit", "disconnect organization", "setup"):
        [reply] = await stack.say(ADELE, command)
        assert "Confirm you're still an admin" in card_text(reply.cards[0]), command
        [link] = links_in(reply.cards[0])
        assert "/oauth2/v2.0/authorize?" in link
    refusal = await stack.click(ADELE, "confirmDisconnectOrganization")
    assert "Confirm you're still an admin" in card_text(refusal["value"])
    tenant = await TenantRepository(stack.db, CONTOSO).get()
    assert tenant is not None and tenant.enabled  # nothing was turned off on a stale proof

    # Signing in again continues the command: the audit arrives in the chat.
    [reply] = await stack.say(ADELE, "audit")
    assert await _status_of(stack, ADELE.aad_object_id, open_url_of(reply.cards[0])) == 200
    assert "Bookings made through Rendezvous" in stack.texts_to(ADELE)

    await age_admin_sign_ins(stack, CONTOSO, timedelta(hours=25))
    [status] = await stack.say(ADELE, "status")
    assert "Confirm you're still an admin" in card_text(status.cards[0])


async def test_a_demoted_admin_is_refused_and_nothing_changes(stack: Stack) -> None:
    await complete_setup(stack, ADELE)
    await age_admin_sign_ins(stack, CONTOSO, timedelta(minutes=11))
    stack.emu.assign_app_role(ADELE.aad_object_id, assigned=False)  # Contoso removes her Rendezvous role

    [reply] = await stack.say(ADELE, "disconnect organization")
    status = await _status_of(stack, ADELE.aad_object_id, open_url_of(reply.cards[0]))

    assert status == 403
    assert "changed nothing" in stack.texts_to(ADELE)
    tenant = await TenantRepository(stack.db, CONTOSO).get()
    assert tenant is not None and tenant.enabled
    # Her earlier sign-ins no longer count: she is told at once who can do it.
    [again] = await stack.say(ADELE, "status")
    assert "Only a Rendezvous admin" in card_text(again.cards[0]) and links_in(again.cards[0]) == []


async def test_sign_in_answers_arrive_as_a_form_post_and_a_get_uses_nothing_up(stack: Stack) -> None:
    await complete_setup(stack, ADELE)
    await age_admin_sign_ins(stack, CONTOSO, timedelta(minutes=11))
    [reply] = await stack.say(ADELE, "audit")
    link = open_url_of(reply.cards[0])
    state = parse_qs(urlsplit(link).query)["state"][0]

    as_link = await stack.browser.get(f"{stack.bot.url}/auth/signin", params={"state": state, "code": "c"})

    assert as_link.status_code == 400 and "form" in as_link.text
    assert await _status_of(stack, ADELE.aad_object_id, link) == 200  # the state was still unused
    sign_in = stack.emu.calls_to("/authorize")[-1]
    assert sign_in.query["response_mode"] == "form_post"


async def test_used_and_expired_sign_in_states_leave_no_verifier_behind(stack: Stack) -> None:
    await complete_setup(stack, ADELE)
    await age_admin_sign_ins(stack, CONTOSO, timedelta(minutes=11))
    [reply] = await stack.say(ADELE, "audit")
    await _status_of(stack, ADELE.aad_object_id, open_url_of(reply.cards[0]))
    consents = ConsentRepository(stack.db)
    state = stack.emu.calls_to("/authorize")[-1].query["state"]

    replay = await stack.browser.post(f"{stack.bot.url}/auth/signin", data={"state": state, "code": "c"})

    assert replay.status_code == 400 and "already used" in replay.text
    assert await _stored_payload(stack, state) == {}
    expired = await consents.create(CONTOSO, ADELE.teams_user_id, ADELE.aad_object_id, "member_signin",
                                    {"flow": {"code_verifier": "secret"}}, ttl=timedelta(seconds=-1))
    await consents.create(CONTOSO, ADELE.teams_user_id, ADELE.aad_object_id, "member_signin", {})
    assert await _stored_payload(stack, expired) is None  # swept away by the next link, not at restart
