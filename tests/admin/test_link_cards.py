"""A sign-in card whose link was used is replaced, in place, by what happened."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.admin.conftest import (
    ADELE,
    BEN,
    CONTOSO,
    FIONA,
    KENJI,
    Stack,
    age_admin_sign_ins,
    card_text,
    complete_setup,
    links_in,
    open_as,
    open_url_of,
)
from tests.harness import SentActivity, TeamsUser


def _updates(stack: Stack) -> list[SentActivity]:
    return [sent for sent in stack.connector.sent if sent.method == "PUT"]


async def _ask_for_consent(stack: Stack, user: TeamsUser, clicked: str) -> dict[str, Any]:
    """Setup's "Save" clicked on the card `clicked`: the answer (a consent or sign-in card) takes its place."""
    await stack.say(user, "setup")
    answer = await stack.bot.execute(
        user, "saveSetup", {"verb": "saveSetup", "tenantId": user.tenant_id, "mode": "domain_wide",
                            "securityGroupId": ""}, reply_to=clicked)
    card: dict[str, Any] = answer["value"]
    return card


async def test_the_connect_card_becomes_signed_in_once_its_link_worked(stack: Stack) -> None:
    await complete_setup(stack, FIONA, mode="delegated")
    [shown] = await stack.say(KENJI, "connect")
    assert shown.method == "POST" and "Connect calendar" in card_text(shown.cards[0])

    page = await stack.open(open_url_of(shown.cards[0]))

    assert page.status_code == 200, page.text
    updates = [sent for sent in stack.connector.sent if sent.method == "PUT"]
    assert [(sent.conversation_id, sent.activity_id) for sent in updates] == [
        (KENJI.conversation_id, shown.activity_id)]
    [replaced] = updates[0].cards
    assert replaced["body"][0]["text"] == "Signed in ✓"
    assert not [action for action in replaced.get("actions", []) if action["type"] == "Action.OpenUrl"], \
        "the used link is gone"
    assert "Connected" in stack.texts_to(KENJI)


async def test_a_link_used_by_someone_else_leaves_the_card_alone(stack: Stack) -> None:
    await complete_setup(stack, FIONA, mode="delegated")
    [shown] = await stack.say(KENJI, "connect")

    page = await stack.open(open_url_of(shown.cards[0]) + "&emulator_select=19d34005-2e12-42ef-bd29-b7e348bc5f37")

    assert page.status_code == 403
    assert [sent for sent in stack.connector.sent if sent.method == "PUT"] == []


async def test_the_sign_in_card_a_booking_asked_for_becomes_signed_in_and_the_booking_goes_on(stack: Stack) -> None:
    await complete_setup(stack, FIONA, mode="delegated")
    await stack.say(KENJI, "help")
    stack.connector.clear()
    form = {"colleague": FIONA.aad_object_id, "duration": "30", "window": "next_week"}

    answer = await stack.bot.execute(KENJI, "findTimes", {"verb": "findTimes", **form}, reply_to="activity-form")

    sign_in = answer["value"]
    assert "Connect your Outlook calendar" in card_text(sign_in)
    page = await stack.open(open_url_of(sign_in))

    assert page.status_code == 200, page.text
    [update] = [sent for sent in stack.connector.sent if sent.method == "PUT"]
    assert (update.conversation_id, update.activity_id) == (KENJI.conversation_id, "activity-form")
    assert update.cards[0]["body"][0]["text"] == "Signed in ✓"
    later = [card_text(sent.cards[0]) for sent in stack.connector.messages(KENJI.conversation_id)
             if sent.method == "POST" and sent.cards]
    assert any("Times for you and Fiona Gallagher" in text or "No time found" in text for text in later), later


async def test_the_grant_permissions_card_becomes_connected_after_the_consent_callback(stack: Stack) -> None:
    consent = await _ask_for_consent(stack, FIONA, "activity-setup")
    assert "Grant permissions" in card_text(consent) and "/adminconsent?" in open_url_of(consent)

    page = await open_as(stack, FIONA.aad_object_id, open_url_of(consent))

    assert page.status_code == 200, page.text
    [update] = _updates(stack)
    assert (update.conversation_id, update.activity_id) == (FIONA.conversation_id, "activity-setup")
    [replaced] = update.cards
    assert replaced["body"][0]["text"] == "Rendezvous is connected ✓"
    assert links_in(replaced) == [], "the used link is gone"
    assert "Calendar integration is now enabled" in stack.texts_to(FIONA)


async def test_a_consent_refused_by_microsoft_replaces_the_card_with_what_went_wrong(stack: Stack) -> None:
    consent = await _ask_for_consent(stack, KENJI, "activity-setup")

    page = await open_as(stack, ADELE.aad_object_id, open_url_of(consent))  # another organization's admin

    assert page.status_code == 400
    [update] = _updates(stack)
    assert (update.conversation_id, update.activity_id) == (KENJI.conversation_id, "activity-setup")
    [replaced] = update.cards
    assert replaced["body"][0]["text"] == "That didn't work"
    assert "Permissions were not granted" in card_text(replaced) and links_in(replaced) == []


async def test_the_admin_sign_in_card_of_a_typed_command_becomes_signed_in_and_the_command_follows(
    stack: Stack,
) -> None:
    await complete_setup(stack, ADELE)
    await age_admin_sign_ins(stack, CONTOSO, timedelta(minutes=11))
    stack.connector.clear()
    [shown] = await stack.say(ADELE, "audit")
    assert "Confirm you're still an admin" in card_text(shown.cards[0])

    page = await open_as(stack, ADELE.aad_object_id, open_url_of(shown.cards[0]))

    assert page.status_code == 200, page.text
    [update] = _updates(stack)
    assert (update.conversation_id, update.activity_id) == (ADELE.conversation_id, shown.activity_id)
    assert update.cards[0]["body"][0]["text"] == "Signed in ✓" and links_in(update.cards[0]) == []
    assert "Bookings made through Rendezvous" in stack.texts_to(ADELE)


async def test_a_member_claiming_the_admin_role_sees_the_sign_in_card_become_the_refusal(stack: Stack) -> None:
    await complete_setup(stack, ADELE)
    await stack.say(BEN, "help")
    stack.connector.clear()
    answer = await stack.bot.execute(BEN, "proveAdmin", {"verb": "proveAdmin", "command": "status"},
                                     reply_to="activity-admin-only")

    page = await open_as(stack, BEN.aad_object_id, open_url_of(answer["value"]))

    assert page.status_code == 403
    [update] = _updates(stack)
    assert (update.conversation_id, update.activity_id) == (BEN.conversation_id, "activity-admin-only")
    assert "doesn't have the Rendezvous admin role" in card_text(update.cards[0])
    assert links_in(update.cards[0]) == []
