"""Malformed Teams activities at /api/messages: a clear HTTP status or a clear message, never a crash.

One running bot (and emulator) per test; hypothesis draws its examples against it, and after every example
the server must still be healthy and still answer a plain `help`.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app import BOT_KEY
from tests.booking.conftest import ADELE, BookingWorld
from tests.fault.checks import (
    ACCEPTABLE_STATUSES,
    assert_no_apology,
    assert_still_serving,
    internals_shown,
    said_in,
    said_in_invoke,
    strings_in,
)
from tests.fault.strategies import broken_activities, json_junk

FUZZ = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                        HealthCheck.too_slow,
                                                                        HealthCheck.data_too_large])


async def _post_raw(world: BookingWorld, data: bytes, content_type: str = "application/json"
                    ) -> tuple[int, bytes]:
    async with world.bot.session.post(f"{world.bot.url}/api/messages", data=data,
                                      headers={"Content-Type": content_type}) as response:
        return response.status, await response.read()


async def _hit(world: BookingWorld, activity: Any) -> None:
    """Posts one activity and checks everything the promise says about the answer."""
    mark = len(world.connector.sent)
    status, raw = await _post_raw(world, json.dumps(activity).encode())
    assert status in ACCEPTABLE_STATUSES, (status, raw[:500])
    replies = world.connector.sent[mark:]
    said = said_in(replies)
    if raw:
        try:
            said += said_in_invoke(json.loads(raw)) + list(strings_in(json.loads(raw).get("error")))
        except (ValueError, AttributeError):
            said.append(raw.decode(errors="replace"))
    assert not internals_shown(said, activity), internals_shown(said, activity)
    assert_no_apology(replies)
    await assert_still_serving(world)


@FUZZ
@given(data=st.data())
async def test_broken_activities_get_a_clear_status_and_leave_the_bot_serving(connected: BookingWorld,
                                                                             data: st.DataObject) -> None:
    world = connected
    base = ADELE.activity(world.connector.url, "message", text="help")
    verbs = sorted(world.bot.app[BOT_KEY].actions)
    await _hit(world, data.draw(broken_activities(base, verbs)))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=json_junk)
async def test_any_json_body_gets_a_clear_status(connected: BookingWorld, body: Any) -> None:
    await _hit(connected, body)


async def test_bodies_that_are_not_activities_get_clear_http_errors(connected: BookingWorld) -> None:
    world = connected
    activity = json.dumps(ADELE.activity(world.connector.url, "message", text="help")).encode()
    cases = [
        (activity, "text/plain", 415),
        (b"{not json", "application/json", 400),
        (b"\xff\xfe\x00", "application/json", 400),
        (b"", "application/json", 400),
        (b"[1, 2, 3]", "application/json", 400),
        (json.dumps({"type": "message", "text": "x" * (1024 * 1024 + 10)}).encode(), "application/json", 413),
    ]
    for body, content_type, expected in cases:
        status, raw = await _post_raw(world, body, content_type)
        assert status == expected, (content_type, body[:40], status, raw[:300])
        assert b"Traceback" not in raw
    await assert_still_serving(world)


async def test_a_junk_turn_leaves_no_trace_in_the_next_one(connected: BookingWorld) -> None:
    """A message from a stranger with a broken shape, then the real person: the real person is unaffected."""
    world = connected
    await _hit(world, {**ADELE.activity(world.connector.url, "message", text="book"),
                       "from": {"id": 7, "aadObjectId": ["x"]}, "entities": "clientInfo"})
    mark = len(world.connector.sent)
    await world.bot.say(ADELE, "book")
    assert any(reply.cards for reply in world.connector.sent[mark:])


def _group_mention(world: BookingWorld, mention_text: str) -> dict[str, Any]:
    group = ADELE.in_group_chat("19:fuzz-group@thread.v2")
    return group.activity(world.connector.url, "message", text=f"{mention_text} help", entities=[
        {"type": "mention", "text": mention_text, "mentioned": {"id": "28:rendezvous-bot", "name": "Rendezvous"}},
    ])


# Shapes the fuzzer found failing the turn (each once answered with the "something went wrong" apology).
FOUND = {
    "tenant-as-string": lambda world: {**ADELE.activity(world.connector.url, "conversationUpdate"),
                                       "channelData": {"tenant": ""}},
    "entity-without-type": lambda world: {**ADELE.activity(world.connector.url, "message", text="help"),
                                          "entities": [{"type": None}]},
    "mention-without-mentioned": lambda world: {**ADELE.activity(world.connector.url, "message", text="help"),
                                                "entities": [{"type": "mention", "text": "<at>x</at>"}]},
    "mention-name-is-a-bad-regex": lambda world: _group_mention(world, "<at>Rendez(vous</at>"),
}


async def test_shapes_the_fuzzer_found_get_a_clear_answer(connected: BookingWorld) -> None:
    for build in FOUND.values():
        await _hit(connected, build(connected))


async def test_help_after_a_mention_in_a_group_chat_gets_the_help_card(connected: BookingWorld) -> None:
    world = connected
    for mention in ("<at>Rendezvous</at>", "<at>Rendez(vous</at>"):
        mark = len(world.connector.sent)
        status, _ = await _post_raw(world, json.dumps(_group_mention(world, mention)).encode())
        assert status == 201
        [reply] = world.connector.sent[mark:]
        assert reply.cards and "What I can do" in json.dumps(reply.cards), reply.body


async def test_a_search_for_an_unknown_dataset_names_no_python_value(connected: BookingWorld) -> None:
    world = connected
    activity = ADELE.activity(world.connector.url, "invoke", name="application/search",
                              value={"dataset": ["colleagues"], "queryText": {"q": 1}})
    status, raw = await _post_raw(world, json.dumps(activity).encode())
    assert status == 200
    answer = json.loads(raw)
    assert answer["value"]["code"] == "NotFound"
    assert "[" not in answer["value"]["message"]
