"""What this process last wrote to each member row, so a turn that changes nothing about its sender writes nothing.

Every turn records its sender (bot.py `_record_member`): name, address, time zone, the 1:1 chat for proactive
messages. Those rarely change, and reading then rewriting the row cost two database round trips on every turn,
most of a `help` turn's price. This cache keeps the row as this process last wrote it:

* within `refresh_seconds` of that write, the row is not read again, and not written when nothing differs (the
  chat's latest activity id does not count: any activity of the chat serves proactive messages);
* after `refresh_seconds` the row is read and written as before, so `last_seen_at` is at most that much behind;
* with several processes, each keeps its own. Only turns write member rows, and nothing deletes them, so a stale
  entry can only mean another process wrote a newer change of the same person's own details; this process then
  leaves that change in place until its entry expires. At most `capacity` people are remembered (least recent
  go first).
"""

from __future__ import annotations

import time
import weakref
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from storage.database import Database
from storage.repositories import MemberRecord

MEMBER_REFRESH_SECONDS = 300.0
MEMBERS_REMEMBERED = 10_000
_COMPARED_FIELDS = ("teams_user_id", "name", "email", "user_principal_name", "time_zone", "locale")


class RecentMembers:
    def __init__(self, refresh_seconds: float = MEMBER_REFRESH_SECONDS, capacity: int = MEMBERS_REMEMBERED,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._refresh_seconds = refresh_seconds
        self._capacity = capacity
        self._clock = clock
        self._written: OrderedDict[tuple[str, str], tuple[float, MemberRecord]] = OrderedDict()

    def get(self, tenant_id: str, aad_object_id: str) -> MemberRecord | None:
        """The row as this process wrote it, while that is recent enough to stand for the database's."""
        key = (tenant_id, aad_object_id)
        entry = self._written.get(key)
        if entry is None:
            return None
        if self._clock() - entry[0] > self._refresh_seconds:
            del self._written[key]
            return None
        self._written.move_to_end(key)
        return entry[1]

    def forget(self, tenant_id: str, aad_object_id: str) -> None:
        """The row was changed elsewhere in this process (e.g. the Outlook zone a look at Outlook learnt)."""
        self._written.pop((tenant_id, aad_object_id), None)

    def remember(self, written: MemberRecord) -> None:
        key = (written.tenant_id, written.aad_object_id)
        self._written[key] = (self._clock(), written)
        self._written.move_to_end(key)
        while len(self._written) > self._capacity:
            self._written.popitem(last=False)

    @staticmethod
    def unchanged(written: MemberRecord, wanted: MemberRecord) -> bool:
        """True when writing `wanted` would leave the row as `written` (None fields are not written)."""
        for name in _COMPARED_FIELDS:
            value = getattr(wanted, name)
            if value is not None and value != getattr(written, name):
                return False
        if wanted.conversation_reference is None:
            return True
        return _without_activity(wanted.conversation_reference) == _without_activity(written.conversation_reference)

    def __len__(self) -> int:
        return len(self._written)


def _without_activity(reference: dict[str, Any] | None) -> dict[str, Any] | None:
    return None if reference is None else {k: v for k, v in reference.items() if k != "activityId"}


# One cache per running app (keyed by its Database), shared by the bot's turns and the dialogs that change a
# member row outside a turn's own record (the booking dialog learning someone's Outlook zone).
_per_database: weakref.WeakKeyDictionary[Database, RecentMembers] = weakref.WeakKeyDictionary()


def recent_members_for(db: Database) -> RecentMembers:
    return _per_database.setdefault(db, RecentMembers())
