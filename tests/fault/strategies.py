"""Hypothesis strategies for what can arrive at /api/messages: Teams-shaped activities with any part gone wrong."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import strategies as st

HUGE = 200_000  # characters: far beyond anything Teams sends, still under the 1 MB body limit

# Any JSON value, nested a little: the wrong type for every field.
json_scalars = (
    st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=40)
)
json_junk = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)
odd_strings = st.sampled_from([
    "", " ", "\u0000", "\u202e\u2066evil", "🗓️" * 50, "x" * HUGE, "null", "undefined", "<at>Rendezvous</at>",
    "' OR 1=1 --", "../../etc/passwd", "%00", "\\", "{\"a\": 1}", "29:", "a:", "msteams",
    # issue 9: a lone surrogate, a zone that is a directory, Markdown, a length too big for timedelta
    "\ud800", "x\udfff\x00y", "America", "[Your session expired](https://evil.example)", "99999999999h",
])
anything = json_junk | odd_strings | st.text(min_size=1, max_size=300)

ACTIVITY_TYPES = st.sampled_from([
    "message", "invoke", "conversationUpdate", "installationUpdate", "messageReaction", "event", "typing",
    "endOfConversation", "messageUpdate", "messageDelete", "contactRelationUpdate", "deleteUserData",
    "suggestion", "trace", "handoff", "command", "commandResult", "invokeResponse",
])
INVOKE_NAMES = st.sampled_from([
    "adaptiveCard/action", "application/search", "composeExtension/query", "composeExtension/fetchTask",
    "task/fetch", "task/submit", "signin/verifyState", "signin/tokenExchange", "fileConsent/invoke",
    "actionableMessage/executeAction", "config/fetch", "tab/fetch", "healthCheck", "handoff/action",
])
TOP_LEVEL_FIELDS = [  # "type" last: hypothesis leans towards the first entries
    "text", "value", "id", "name", "from", "recipient", "conversation", "channelData", "entities",
    "serviceUrl", "channelId", "locale", "localTimezone", "timestamp", "replyToId", "attachments",
    "membersAdded", "membersRemoved", "reactionsAdded", "textFormat", "action", "label", "valueType", "type",
]
# Paths into the activity that the bot actually reads, each replaced by junk on its own.
NESTED_FIELDS = [
    ("from", "id"), ("from", "aadObjectId"), ("from", "name"), ("conversation", "id"),
    ("conversation", "conversationType"), ("conversation", "tenantId"), ("conversation", "isGroup"),
    ("channelData", "tenant"), ("channelData", "eventType"), ("channelData", "team"), ("channelData", "channel"),
    ("recipient", "id"), ("value", "action"), ("value", "verb"), ("value", "dataset"), ("value", "queryText"),
]


def _put(activity: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    node = activity
    for key in path[:-1]:
        child = node.get(key)
        if not isinstance(child, dict):
            child = node[key] = {}
        node = child
    node[path[-1]] = value


# Values a card field may arrive with: junk, plus the plausible-but-wrong (dates, durations, ids).
def _iso(days: int) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).date().isoformat()


dates = st.sampled_from([_iso(-400), _iso(-1), _iso(0), _iso(3), _iso(55), _iso(70), _iso(3650),
                         "0001-01-01", "9999-12-31", "2026-02-30", "2026-13-01", "tomorrow", "20261201"])
durations = st.sampled_from(["15", "30", "45", "60", "custom", "-30", "0", "1", "90000", "1e9", "NaN", " 30 ",
                             "-1 h", "0 min", "25 h", "3 weeks", "99999999999999999999 min", "1.5 h"])
windows = st.sampled_from(["this_week", "next_week", "dates", "last_week", "", "DATES"])
slot_ids = st.sampled_from(["20300101T0900Z", "19700101T0000Z", "20261125T1700Z", "not-a-slot", ""])
modes = st.sampled_from(["domain_wide", "delegated", "individual", "", "DOMAIN_WIDE"])
CARD_FIELDS = ["colleague", "duration", "customDuration", "window", "fromDate", "toDate", "subject", "note",
               "searchId", "slotId", "bookingId", "tenantId", "mode", "securityGroupId", "verb"]


def card_payloads(ids: st.SearchStrategy[str] | None = None) -> st.SearchStrategy[dict[str, Any]]:
    """What a card button may send: each known field missing, plausible, wrong, or junk.

    `ids` adds real values from the running world (people's ids, search ids, booking ids, tenant ids).
    """
    plausible = ids if ids is not None else st.nothing()
    field = anything | plausible | plausible  # real ids twice as likely as junk
    return st.fixed_dictionaries({}, optional={
        "colleague": field, "duration": durations | field, "customDuration": durations | field,
        "window": windows | field, "fromDate": dates | field, "toDate": dates | field,
        "subject": field, "note": field, "searchId": field, "slotId": slot_ids | field, "bookingId": field,
        "tenantId": field, "mode": modes | field, "securityGroupId": field,
    })


card_data = card_payloads()
_FIELD_VALUES = {"duration": durations, "customDuration": durations, "window": windows, "fromDate": dates,
                 "toDate": dates, "slotId": slot_ids, "mode": modes}


@st.composite
def altered(draw: st.DrawFn, valid: dict[str, Any], ids: st.SearchStrategy[str]) -> dict[str, Any]:
    """A payload the bot itself would send (`valid`), with up to three fields dropped or changed."""
    payload = dict(valid)
    for name in draw(st.lists(st.sampled_from(CARD_FIELDS), max_size=3, unique=True)):
        if draw(st.integers(0, 3)) == 0:
            payload.pop(name, None)
        else:
            payload[name] = draw(_FIELD_VALUES.get(name, st.nothing()) | ids | anything)
    return payload


@st.composite
def broken_activities(draw: st.DrawFn, base: dict[str, Any], verbs: list[str]) -> dict[str, Any]:
    """`base` (a valid activity) with a plausible type and name, then some fields replaced, nested or dropped.

    Most examples keep the activity readable enough to reach the bot's own code (a message or an invoke with
    one or two things wrong); a few break the envelope itself.
    """
    activity = {key: (dict(value) if isinstance(value, dict) else value) for key, value in base.items()}
    kind = draw(st.integers(0, 9))
    if kind < 4:
        activity["type"] = "message"
    elif kind < 7:
        activity["type"] = "invoke"
    elif kind < 9:
        activity["type"] = draw(ACTIVITY_TYPES)
    else:
        activity["type"] = draw(anything)
    which = draw(st.integers(0, 9))
    if activity["type"] == "invoke" and which < 5:
        activity["name"] = "adaptiveCard/action"
        activity["value"] = {"action": draw(st.fixed_dictionaries(
            {"type": st.sampled_from(["Action.Execute", "Action.Submit"]) | anything},
            optional={"verb": st.sampled_from(verbs) | anything, "data": json_junk | card_data},
        ) | anything), "trigger": "manual"}
    elif activity["type"] == "invoke" and which < 7:
        activity["name"] = "application/search"
        activity["value"] = draw(st.fixed_dictionaries({}, optional={
            "dataset": st.just("colleagues") | anything, "queryText": anything, "queryOptions": anything}))
    elif activity["type"] == "invoke" or which < 2:
        activity["name"] = draw(INVOKE_NAMES | st.text(max_size=30))
    if activity["type"] == "message" and which >= 7:  # the Action.Submit fallback: a message with a value
        activity["value"] = draw(card_data | json_junk)
    elif draw(st.integers(0, 3)) == 0:
        activity["value"] = draw(anything)
    for path in draw(st.lists(st.sampled_from(NESTED_FIELDS), max_size=3, unique=True)):
        _put(activity, path, draw(anything))
    if draw(st.booleans()):
        mention_of_bot = st.fixed_dictionaries({"id": st.just(activity["recipient"]["id"])},
                                               optional={"name": anything})
        activity["entities"] = draw(st.lists(
            st.fixed_dictionaries({"type": st.sampled_from(["clientInfo", "mention"]) | anything},
                                  optional={"timezone": anything, "locale": anything,
                                            "mentioned": mention_of_bot | anything, "text": anything}),
            max_size=3,
        ))
    if draw(st.integers(0, 3)) == 0:  # now and then, the envelope itself
        for name in draw(st.lists(st.sampled_from(TOP_LEVEL_FIELDS), min_size=1, max_size=3, unique=True)):
            activity[name] = draw(anything)
        for name in draw(st.lists(st.sampled_from(TOP_LEVEL_FIELDS), max_size=2, unique=True)):
            activity.pop(name, None)
    elif draw(st.booleans()):  # or just the fields a message carries
        for name in draw(st.lists(st.sampled_from(["text", "value", "replyToId", "locale", "localTimezone",
                                                   "attachments", "textFormat", "membersAdded"]),
                                  min_size=1, max_size=2, unique=True)):
            activity[name] = draw(anything)
    return activity
