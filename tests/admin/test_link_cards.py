"""A sign-in card whose link was used is replaced, in place, by what happened."""

from __future__ import annotations

from tests.admin.conftest import FIONA, KENJI, Stack, card_text, complete_setup, open_url_of


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
