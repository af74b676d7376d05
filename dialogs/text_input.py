"""Every value a client sends is made safe once, where it enters (bot.py's turn pipeline), before any of it
is stored, searched for or shown to someone else.

Why each rule:
* lone surrogates ("\\ud800" is valid JSON) cannot be encoded as UTF-8: PostgreSQL, SQLite and every reply
  would fail on them. They become U+FFFD, the replacement character.
* NUL is refused by PostgreSQL in any text column; it and the other control characters (C0 but tab and
  newline, DEL, C1) carry no meaning in a name, a subject or a note. They are removed.
* NFC, so that "é" typed two ways is one name to the colleague search.
* Lengths are capped: names at 256 (an Entra displayName's limit, and our column's), e-mail addresses at 320,
  any other string at MAX_FIELD. Subjects and notes get their own, shorter caps where the booking reads them.
* A client's time zone must be a real IANA zone key (Teams sends e.g. "America/Los_Angeles"); a locale must
  look like a BCP 47 tag; identifiers must fit the columns they key. A bad value is dropped with a log line
  that names its kind and length only, never its content.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

log = logging.getLogger(__name__)

MAX_NAME = 256
MAX_EMAIL = 320
MAX_FIELD = 4000  # any string in a card payload or a search; notes, the longest, are capped lower
MAX_MESSAGE_TEXT = 28 * 1024  # Teams refuses longer messages; the booking shortcut caps far lower
MAX_TIME_ZONE = 64  # the members.time_zone column; the longest IANA key is about 30 characters
# Identifiers that key rows: Entra ids are GUIDs, Teams user ids "29:..." (members.teams_user_id is 256), and a
# conversation id must leave room in the 512-character state key ("msteams/tenants/<id>/conversations/<id>").
MAX_OBJECT_ID = 64
MAX_TEAMS_USER_ID = 256
MAX_CONVERSATION_ID = 400
MAX_ACTIVITY_ID = 256  # a card's activity id is kept with its booking (bookings.card_activity_id)

_SURROGATES = re.compile("[\ud800-\udfff]")
_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f]")
_LINE_BREAKS = re.compile("\r\n?|[\x85\u2028\u2029]")
_LOCALE = re.compile(r"[A-Za-z]{2,8}(?:-[A-Za-z0-9]{1,8}){0,6}")
_EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]{1,255}")


def clean_text(value: str, limit: int, *, multiline: bool = True) -> str:
    """`value` without lone surrogates or control characters, in NFC, at most `limit` characters.

    Multi-line text keeps its newlines (as "\\n") and tabs; single-line text has every run of whitespace
    turned into one space and is stripped.
    """
    text = _SURROGATES.sub("\ufffd", value)
    text = unicodedata.normalize("NFC", text)
    text = _LINE_BREAKS.sub("\n", text)
    text = _CONTROLS.sub("", text)
    if not multiline:
        # Stripped after the cut too: cutting "ab cd" at 3 must not leave "ab ".
        return " ".join(text.split())[:limit].rstrip()
    return text[:limit]


def one_line(value: object, limit: int) -> str | None:
    """A single-line value (a name, a subject), or None when it is not a string or nothing is left."""
    if not isinstance(value, str):
        return None
    return clean_text(value, limit, multiline=False) or None


def clean_payload(value: Any) -> Any:
    """A copy of a card payload (Action.Execute data, a search) with every string cleaned and capped.

    Walked with an explicit stack rather than recursion: the depth of what arrives is not ours to choose.
    """
    root: list[Any] = [None]
    stack: list[tuple[Any, Any, Any]] = [(value, root, 0)]
    while stack:
        node, parent, slot = stack.pop()
        if isinstance(node, str):
            parent[slot] = clean_text(node, MAX_FIELD)
        elif isinstance(node, dict):
            copy: dict[Any, Any] = {}
            for key, item in node.items():
                name = clean_text(key, MAX_FIELD) if isinstance(key, str) else key
                copy[name] = None
                stack.append((item, copy, name))
            parent[slot] = copy
        elif isinstance(node, list):
            items: list[Any] = [None] * len(node)
            stack.extend((item, items, index) for index, item in enumerate(node))
            parent[slot] = items
        else:
            parent[slot] = node
    return root[0]


@cache
def _zone_keys() -> frozenset[str]:
    return frozenset(available_timezones())


def valid_time_zone(value: object) -> str | None:
    """`value` when it names a real IANA zone that loads (never a directory such as "America"), else None."""
    if not isinstance(value, str) or not value or len(value) > MAX_TIME_ZONE or value not in _zone_keys():
        return None
    try:
        ZoneInfo(value)
    except (OSError, ValueError):  # a key listed but unreadable (a broken tzdata install)
        return None
    return value


def client_time_zone(value: object) -> str | None:
    """A time zone a client sent: the value if valid; otherwise None, and a log line without the value."""
    zone = valid_time_zone(value)
    if zone is None and value not in (None, ""):
        size = len(value) if isinstance(value, str) else 0
        log.info("ignored a client time zone that is not an IANA zone (%s, %d characters)",
                 type(value).__name__, size)
    return zone


def valid_locale(value: object) -> str | None:
    if isinstance(value, str) and len(value) <= 35 and _LOCALE.fullmatch(value):
        return value
    return None


def valid_email(value: object) -> str | None:
    """An address (or UPN) of a sane shape and length, or None: it is a mailbox path in every Graph call."""
    if not isinstance(value, str):
        return None
    address = value.strip()
    if len(address) > MAX_EMAIL or not _EMAIL.fullmatch(address) or _CONTROLS.search(address):
        return None
    return address


def _id_fits(value: object, limit: int) -> bool:
    return value is None or (isinstance(value, str) and len(value) <= limit and not _CONTROLS.search(value)
                             and not _SURROGATES.search(value))


def identifiers_fit(activity: Any) -> bool:
    """Whether the ids that key this activity's rows fit their columns (Teams' always do)."""
    sender, conversation = activity.from_property, activity.conversation
    channel_data = activity.channel_data if isinstance(activity.channel_data, dict) else {}
    tenant = channel_data.get("tenant")
    tenant_id = tenant.get("id") if isinstance(tenant, dict) else None
    return (
        _id_fits(getattr(sender, "aad_object_id", None), MAX_OBJECT_ID)
        and _id_fits(getattr(sender, "id", None), MAX_TEAMS_USER_ID)
        and _id_fits(getattr(conversation, "id", None), MAX_CONVERSATION_ID)
        and _id_fits(activity.reply_to_id, MAX_ACTIVITY_ID)
        and _id_fits(getattr(conversation, "tenant_id", None), MAX_OBJECT_ID)
        and _id_fits(tenant_id if isinstance(tenant_id, str) else None, MAX_OBJECT_ID)
    )


def normalize_activity(activity: Any) -> None:
    """Cleans, in place, what a person typed or a client filled in, before the turn reads any of it."""
    if isinstance(activity.text, str):
        activity.text = clean_text(activity.text, MAX_MESSAGE_TEXT)
    if activity.value is not None:
        activity.value = clean_payload(activity.value)
    sender = activity.from_property
    if sender is not None and sender.name is not None:
        sender.name = one_line(sender.name, MAX_NAME)
    if activity.local_timezone is not None:
        activity.local_timezone = client_time_zone(activity.local_timezone)
    if activity.locale is not None:
        activity.locale = valid_locale(activity.locale)
    for entity in activity.entities or []:
        properties = getattr(entity, "additional_properties", None)
        if getattr(entity, "type", None) != "clientInfo" or not isinstance(properties, dict):
            continue
        if "timezone" in properties:
            properties["timezone"] = client_time_zone(properties["timezone"])
        if "locale" in properties:
            properties["locale"] = valid_locale(properties["locale"])


def member_fields(name: object, email: object, upn: object) -> tuple[str, str | None, str | None]:
    """A member's name, address and UPN as they may be stored (from the activity or Teams' member API)."""
    return one_line(name, MAX_NAME) or "", valid_email(email), valid_email(upn)
