"""What the booking conversation remembers between turns, as plain dicts in ConversationState.

Cards only carry ids (a search id, a slot id, a booking id). Everything those ids stand for (who asked,
which colleague, which slots were offered, when) lives here on the server, so a card payload can only
point at something the bot itself offered to the same person, and only for SEARCH_TTL.

Subjects and notes are personal data at rest, kept only while they can still be used: a search's subject
and note are dropped once a time from it is booked, or once it is ABANDONED_AFTER old; at most MAX_SEARCHES
searches are kept per chat, and none beyond FORGET_AFTER. The group chat a request came from (its reference,
for the one line after the booking) is dropped at the same moments, and so is a form's: a form shown for a
group request keeps the chat under a form id of its own (the card carries only that id) for ABANDONED_AFTER.
"""

from __future__ import annotations

import secrets
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from cards import texts

SEARCH_TTL = timedelta(minutes=15)
# A search nobody has booked from for this long is abandoned: its subject and note are forgotten.
ABANDONED_AFTER = timedelta(hours=1)
# Old searches are kept a while so a late click gets "expired" rather than "unknown".
FORGET_AFTER = timedelta(hours=12)
MAX_SEARCHES = 10
STATE_PROPERTY = "booking"


class PayloadRefused(Exception):
    """A card payload that does not match what the bot offered; the message is for the user."""


@dataclass
class BookingOptions:
    """The person's choices on the form, kept as typed so the form can be shown again prefilled."""

    colleague_oid: str
    duration_minutes: int
    duration_choice: str
    custom_duration: str | None
    window_kind: str  # "this_week", "next_week" or "dates"
    from_date: str | None
    to_date: str | None
    subject: str | None
    note: str | None
    # The one time the person asked for ("tomorrow at 3pm"), ISO-8601 UTC: checked first, nearest times next.
    requested_start: str | None = None
    # Everyone required, in the organizer's order (the first is `colleague_oid`); empty in state kept before
    # meetings had several people, when `colleague_oid` is the one required colleague.
    colleague_oids: list[str] = field(default_factory=list)
    optional_oids: list[str] = field(default_factory=list)  # invited, but only ranking the times

    def required_oids(self) -> list[str]:
        return list(self.colleague_oids) or ([self.colleague_oid] if self.colleague_oid else [])


@dataclass
class OfferedSlot:
    slot_id: str
    start: str  # ISO-8601 UTC
    end: str
    verified: bool

    @property
    def start_utc(self) -> datetime:
        return datetime.fromisoformat(self.start)

    @property
    def end_utc(self) -> datetime:
        return datetime.fromisoformat(self.end)


@dataclass
class SearchRecord:
    """One suggestions card: who asked, about whom, for which window, and the slots it offered."""

    search_id: str
    tenant_id: str
    organizer_oid: str
    created_at: str
    options: BookingOptions
    window_start: str
    window_end: str
    window_label: str
    offset: int = 0
    slots: list[OfferedSlot] = field(default_factory=list)
    booked_slot_id: str | None = None  # set once a time from this search was booked
    # The group chat the request came from (its serialized ConversationReference under "reference", its name
    # under "name"): told in one neutral line once a time is booked. None for a request made in the 1:1 chat,
    # and once the time is booked or the search abandoned.
    group_origin: dict[str, Any] | None = None
    # Set when the times were asked for to move this booking: a click on one moves it instead of booking.
    moving_booking_id: str | None = None

    @property
    def created(self) -> datetime:
        return datetime.fromisoformat(self.created_at)

    def expired(self, now: datetime) -> bool:
        return now - self.created > SEARCH_TTL

    def slot(self, slot_id: str) -> OfferedSlot | None:
        return next((slot for slot in self.slots if slot.slot_id == slot_id), None)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> SearchRecord:
        values = dict(raw)
        values["options"] = BookingOptions(**values["options"])
        values["slots"] = [OfferedSlot(**slot) for slot in values.get("slots") or ()]
        return cls(**values)


@dataclass
class GroupForm:
    """A booking form shown for a request from a group chat: the chat it came from, kept here under the form's
    id (its Find times button carries only the id), so the suggestions it leads to still tell that chat."""

    form_id: str
    tenant_id: str
    organizer_oid: str
    created_at: str
    group_origin: dict[str, Any]


def slot_id_for(start: datetime) -> str:
    """A short, stable id for a start time: '20261125T1700Z'."""
    return start.astimezone(UTC).strftime("%Y%m%dT%H%MZ")


def new_search_id() -> str:
    return secrets.token_urlsafe(9)


def prune_document(document: dict[str, Any], now: datetime) -> bool:
    """Prunes the booking part of a stored conversation document in place; True when anything changed.
    For conversations nobody has written to for a while (dialogs/state_pruning.py)."""
    booking = document.get(STATE_PROPERTY)
    if not isinstance(booking, dict):
        return False
    before = repr(booking)
    BookingMemory(booking).prune(now)
    return repr(booking) != before


class BookingMemory:
    """The booking part of one conversation's state (a dict owned by ConversationState)."""

    def __init__(self, document: dict[str, Any]) -> None:
        self._document = document
        document.setdefault("searches", {})

    def remember(self, search: SearchRecord, now: datetime) -> None:
        searches: dict[str, Any] = self._document["searches"]
        searches[search.search_id] = search.to_dict()
        self.prune(now)

    def prune(self, now: datetime) -> None:
        """Forgets old searches, and the subject and note of abandoned ones; keeps at most MAX_SEARCHES.
        A booking left waiting for a sign-in is forgotten once abandoned too."""
        if self._document.get("pending"):
            waiting_since = self._document.get("pending_at")
            if not isinstance(waiting_since, str):
                self._document["pending_at"] = now.isoformat()  # kept before the clock was: start it now
            elif now - datetime.fromisoformat(waiting_since) > ABANDONED_AFTER:
                self.set_pending(None)
        searches: dict[str, Any] = self._document["searches"]
        for search_id, raw in list(searches.items()):
            age = now - datetime.fromisoformat(raw["created_at"])
            if age > FORGET_AFTER:
                del searches[search_id]
            elif age > ABANDONED_AFTER:
                _forget_personal_data(raw)
        _keep_newest(searches)
        forms: dict[str, Any] = self._document.get("forms") or {}
        for form_id, raw in list(forms.items()):
            if now - datetime.fromisoformat(raw["created_at"]) > ABANDONED_AFTER:
                del forms[form_id]
        _keep_newest(forms)

    def finish(self, search_id: str, slot_id: str) -> None:
        """A time from this search was booked: its subject and note are in Outlook now, and its group chat has
        been told (by the caller, from the record it read before): neither is needed here any more. That chat
        is forgotten everywhere else too (the form and the other searches of the same request)."""
        raw = self._document["searches"].get(search_id)
        if raw is not None:
            origin = raw.get("group_origin")
            _forget_personal_data(raw)
            raw["booked_slot_id"] = slot_id
            if origin is not None:
                self._forget_group_chat(origin)

    def _forget_group_chat(self, origin: dict[str, Any]) -> None:
        for search in self._document["searches"].values():
            if search.get("group_origin") == origin:
                search["group_origin"] = None
        forms: dict[str, Any] = self._document.get("forms") or {}
        for form_id in [form_id for form_id, form in forms.items() if form.get("group_origin") == origin]:
            del forms[form_id]

    def search(self, search_id: object, organizer_oid: str, tenant_id: str) -> SearchRecord:
        """The search a card points at, if it is this person's; raises PayloadRefused otherwise."""
        if not isinstance(search_id, str) or not search_id:
            raise PayloadRefused(texts.CARD_NAMES_NO_SEARCH)
        raw = self._document["searches"].get(search_id)
        if raw is None:
            raise PayloadRefused(texts.SEARCH_FORGOTTEN)
        search = SearchRecord.from_dict(raw)
        if search.organizer_oid != organizer_oid or search.tenant_id != tenant_id:
            raise PayloadRefused(texts.SEARCH_OF_SOMEONE_ELSE)
        return search

    def offered_slot(self, data: dict[str, Any], organizer_oid: str, tenant_id: str
                     ) -> tuple[SearchRecord, OfferedSlot]:
        """The search and slot a Book button points at, if this person was offered exactly that slot."""
        search = self.search(data.get("searchId"), organizer_oid, tenant_id)
        slot_id = data.get("slotId")
        if not isinstance(slot_id, str) or not slot_id:
            raise PayloadRefused(texts.CARD_NAMES_NO_TIME)
        if search.booked_slot_id not in (None, slot_id):
            raise PayloadRefused(texts.ALREADY_BOOKED_FROM_SEARCH)
        slot = search.slot(slot_id)
        if slot is None:
            raise PayloadRefused(texts.TIME_NOT_OFFERED)
        return search, slot

    # -- a form shown for a request from a group chat ------------------------------------------------------
    def remember_form(self, group_origin: dict[str, Any], organizer_oid: str, tenant_id: str, now: datetime) -> str:
        """Keeps the group chat a form was shown for; returns the id its Find times button carries."""
        form = GroupForm(new_search_id(), tenant_id, organizer_oid, now.isoformat(), group_origin)
        self._document.setdefault("forms", {})[form.form_id] = asdict(form)
        self.prune(now)
        return form.form_id

    def form_origin(self, form_id: object, organizer_oid: str, tenant_id: str) -> dict[str, Any] | None:
        """The group chat behind a form's id; None for a form of the 1:1 chat, and for an id that is unknown,
        forgotten, altered or someone else's (the form then simply books without telling any chat)."""
        forms = self._document.get("forms") or {}
        raw = forms.get(form_id) if isinstance(form_id, str) and form_id else None
        if not isinstance(raw, dict):
            return None
        form = GroupForm(**raw)
        if form.organizer_oid != organizer_oid or form.tenant_id != tenant_id:
            return None
        return form.group_origin

    # -- a booking waiting for the organizer to connect their calendar (individual mode) -----------
    def set_pending(self, options: BookingOptions | None, now: datetime | None = None,
                    group_origin: dict[str, Any] | None = None) -> None:
        """Remembers (or, with None, forgets) the options waiting for a sign-in, and the group chat they were
        asked from, if any."""
        self._document["pending"] = asdict(options) if options else None
        self._document["pending_at"] = (now or datetime.now(UTC)).isoformat() if options else None
        if group_origin is not None and options:
            self._document["pending_group_origin"] = group_origin
        else:
            self._document.pop("pending_group_origin", None)

    def pending(self) -> BookingOptions | None:
        raw = self._document.get("pending")
        return BookingOptions(**raw) if raw else None

    def pending_group_origin(self) -> dict[str, Any] | None:
        """The group chat the waiting options were asked from (None for the 1:1 chat, and in older state)."""
        origin = self._document.get("pending_group_origin") if self._document.get("pending") else None
        return origin if isinstance(origin, dict) else None

    # -- the word about a Teams zone that differs from the Outlook one (dialogs/clock.py) ------------
    def first_zone_notice(self, key: str) -> bool:
        """True the first time this conversation meets this difference of zones, and remembers it."""
        if self._document.get("zone_notice") == key:
            return False
        self._document["zone_notice"] = key
        return True


def _forget_personal_data(raw: dict[str, Any]) -> None:
    """A search booked or abandoned: its subject, note and group chat are no longer needed."""
    options = raw.get("options")
    if isinstance(options, dict):
        options["subject"] = None
        options["note"] = None
    if raw.get("group_origin") is not None:
        raw["group_origin"] = None


def _keep_newest(records: dict[str, Any]) -> None:
    """At most MAX_SEARCHES of these records (searches, forms): the oldest go first."""
    while len(records) > MAX_SEARCHES:
        oldest = min(records, key=lambda key: records[key]["created_at"])
        del records[oldest]


def refuse_if_expired(search: SearchRecord, now: datetime) -> None:
    """A Book click on times older than SEARCH_TTL books nothing: they may have been taken since."""
    if search.expired(now):
        raise PayloadRefused(texts.TIMES_TOO_OLD)
