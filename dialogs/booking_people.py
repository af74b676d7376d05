"""Who takes part in a booking: the organizer (from the Teams activity) and the colleague (from the members
table, the only people Rendezvous may ever book), with their zones and how to address their mailbox.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import tzinfo

from cards import texts
from cards.base import plain
from dialogs.clock import shown_time_zone, zone_or_utc
from dialogs.context import Actor
from storage.repositories import MemberRecord, MemberRepository

_SEARCH_LIMIT = 20


@dataclass(frozen=True)
class Person:
    oid: str
    name: str
    email: str | None
    teams_user_id: str | None
    time_zone: str | None  # as Teams reported it
    outlook_time_zone: str | None = None  # as Outlook's working hours gave it; wins (dialogs/clock.py)
    locale: str | None = None  # how this person reads dates, for what is sent to them

    @property
    def first_name(self) -> str:
        return self.name.split(" ")[0] if self.name else texts.YOUR_COLLEAGUE

    @property
    def shown_time_zone(self) -> str | None:
        return shown_time_zone(self.outlook_time_zone, self.time_zone)

    def zone(self) -> tzinfo:
        """The zone this person's times are shown in, to them and to anyone else."""
        return zone_or_utc(self.shown_time_zone)


def organizer_of(actor: Actor, record: MemberRecord | None = None) -> Person:
    email = actor.email or (record.email or record.user_principal_name if record else None)
    name = actor.name or (record.name if record and record.name else texts.ORGANIZER_WITHOUT_NAME)
    return Person(actor.aad_object_id, name,
                  email, actor.teams_user_id, actor.time_zone or (record.time_zone if record else None),
                  outlook_time_zone=actor.outlook_time_zone or (record.outlook_time_zone if record else None),
                  locale=actor.locale or (record.locale if record else None))


def person_of(record: MemberRecord) -> Person:
    return Person(
        oid=record.aad_object_id,
        name=record.name or record.email or texts.YOUR_COLLEAGUE,
        email=record.email or record.user_principal_name,
        teams_user_id=record.teams_user_id,
        time_zone=record.time_zone,
        outlook_time_zone=record.outlook_time_zone,
        locale=record.locale,
    )


class ColleagueRefused(Exception):
    """The picked or typed colleague cannot be booked; the message says why and what to do."""


class NoSuchColleague(ColleagueRefused):
    """Nobody who uses Rendezvous goes by the typed name."""


def bookable(record: MemberRecord) -> Person:
    """The colleague as a Person, refused when Teams never told us their work address (no mailbox to ask)."""
    person = person_of(record)
    if not person.email:
        raise ColleagueRefused(texts.COLLEAGUE_EMAIL_UNKNOWN.format(name=plain(person.name)))
    return person


def require_own_mailbox(organizer: Person) -> None:
    if not organizer.email:
        raise ColleagueRefused(texts.OWN_EMAIL_UNKNOWN)


def _domain(address: str | None) -> str | None:
    if not address or "@" not in address:
        return None
    return address.rsplit("@", 1)[1].strip().lower()


class Colleagues:
    """The people of the organizer's tenant who use the bot, and nobody else."""

    def __init__(self, members: MemberRepository, actor: Actor) -> None:
        self._members = members
        self._actor = actor

    async def choices(self, text: str = "") -> list[tuple[str, str]]:
        """(name, object id) of colleagues matching `text`, never the person asking."""
        found = await self._members.search(text, limit=_SEARCH_LIMIT + 1)
        return [
            (member.name or member.email or member.aad_object_id, member.aad_object_id)
            for member in found
            if member.aad_object_id != self._actor.aad_object_id
        ][:_SEARCH_LIMIT]

    async def by_id(self, value: object) -> Person:
        """The colleague a card's picker chose (an object id, or an address typed by hand)."""
        if not isinstance(value, str) or not value.strip():
            raise ColleagueRefused(texts.PICK_A_COLLEAGUE)
        wanted = value.strip().lower()
        if "@" in wanted:
            return await self.by_name(wanted)
        if wanted == self._actor.aad_object_id:
            raise ColleagueRefused(texts.YOURSELF)
        record = await self._members.get(wanted)
        if record is None:
            raise ColleagueRefused(texts.COLLEAGUE_NEVER_USED_RENDEZVOUS)
        return bookable(record)

    async def by_name(self, query: str) -> Person:
        """The one colleague a typed name or address means; refuses none, several, or the asker."""
        needle = query.strip()
        lowered = needle.lower()
        if lowered in ("me", "myself", "yourself") or lowered in {
            (self._actor.email or "").lower(), (self._actor.name or "").lower()
        }:
            raise ColleagueRefused(texts.YOURSELF)
        found = [m for m in await self._members.search(needle, limit=_SEARCH_LIMIT)
                 if m.aad_object_id != self._actor.aad_object_id]
        exact = [m for m in found if lowered in {(m.email or "").lower(), (m.user_principal_name or "").lower(),
                                                 (m.name or "").lower()}]
        if len(exact) == 1:
            return bookable(exact[0])
        if len(found) == 1:
            return bookable(found[0])
        if len(found) > 1:
            names = ", ".join(plain(m.name or m.email or "?") for m in found[:5])
            raise ColleagueRefused(texts.SEVERAL_COLLEAGUES_MATCH.format(needle=plain(needle), names=names))
        if not found and lowered == (self._actor.name or "").split(" ")[0].lower():
            raise ColleagueRefused(texts.YOURSELF)  # their own first name, and no colleague has it
        their_domain, own_domain = _domain(needle), _domain(self._actor.email)
        if their_domain and own_domain and their_domain != own_domain:
            raise ColleagueRefused(texts.OUTSIDE_THE_ORGANIZATION.format(needle=plain(needle)))
        raise NoSuchColleague(texts.NO_SUCH_COLLEAGUE.format(needle=plain(needle)))
