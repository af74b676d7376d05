"""The booking form's colleague picker, through the Agents Playground.

Teams fills the picker as the person types (an `application/search` invoke to the bot); the Playground
cannot, so it shows the picker's static choices, which the bot fills with the colleagues who have used
Rendezvous. A pick is submitted with the form's "Find times" button (Action.Execute `findTimes`).
"""

from __future__ import annotations

import re

from e2e.playground import Stack, card_actions, card_facts, card_input, card_text
from tests.e2e.steps import introduce, served, set_up_organization

COLLEAGUE_DATASET = "rendezvous.colleagues"  # the typeahead dataset Teams would query


async def test_the_picker_lists_colleagues_who_used_the_bot_and_a_pick_finds_times(stack: Stack) -> None:
    playground = stack.playground
    org = playground.org
    ben, chloe, priya = org.user("Ben"), org.user("Chloe"), org.user("Priya")
    await set_up_organization(stack, "domain_wide")
    # Ben and Chloe talk to the bot once; Priya, also in the Playground's org, never does.
    await introduce(stack, ben, "America/New_York")
    await introduce(stack, chloe, "Europe/London")

    since = playground.mark()
    await playground.say("book")
    form = await playground.wait_for_text("Book a meeting", since=since)
    picker = card_input(form.card, "colleague")
    assert picker["type"] == "Input.ChoiceSet"
    assert picker["choices.data"] == {"type": "Data.Query", "dataset": COLLEAGUE_DATASET}
    # The static fallback: exactly the colleagues who used the bot, by name, never Adele herself.
    offered = {choice["title"]: choice["value"] for choice in picker["choices"]}
    assert sorted(offered) == [ben.name, chloe.name], picker["choices"]
    assert offered[chloe.name] == chloe.aad_object_id

    [find_times] = card_actions(form.card, "findTimes")
    schedules_before = len(await served(stack, "POST", "/getSchedule"))  # setup's self-test read one
    inputs = {"colleague": offered[chloe.name], "duration": "30", "window": "next_week"}
    found = await playground.invoke("findTimes", {**find_times["data"], **inputs}, reply_to=form.message_id,
                                    title=find_times["title"])
    suggestions = found["value"]
    assert isinstance(suggestions, dict), found
    assert "Times for you and Chloe Martin" in card_text(suggestions)
    slots = card_facts(suggestions)
    assert slots, card_text(suggestions)
    for slot in slots:
        assert set(slot) == {"Adele Vance", "Chloe Martin"}
        assert re.search(r" P[SD]T$", slot["Adele Vance"]), slot
        assert re.search(r" (GMT|BST)$", slot["Chloe Martin"]), slot
    [schedule] = (await served(stack, "POST", "/getSchedule"))[schedules_before:]
    assert schedule["body"]["schedules"] == [org.current_user.email, chloe.email], schedule["body"]

    # A person the picker did not offer (an altered card, or someone who never used the bot) is refused on
    # the form itself, and nothing about them is read from Outlook.
    refused = await playground.invoke("findTimes", {**find_times["data"], **inputs, "colleague": priya.aad_object_id},
                                      reply_to=form.message_id, title=find_times["title"])
    refused_text = card_text(refused["value"])
    assert "Book a meeting" in refused_text
    assert "isn't one of them yet" in refused_text, refused_text
    assert len(await served(stack, "POST", "/getSchedule")) == schedules_before + 1
