"""Who may do what: admin checks, the optional security-group restriction, and Graph failures in plain words.

Used by the admin and connect dialogs and by booking (`ensure_allowed`, `explain_graph_failure`).
Nothing here imports botbuilder: callers pass an Actor or an object id.
"""

from __future__ import annotations

import enum
import logging
import time
import weakref
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cards import texts
from cards.base import plain
from cards.texts import (
    ACCESS_POLICY_BLOCKS_MAILBOX,
    COLLEAGUE_NOT_IN_THE_GROUP,
    GROUP_CHECK_FAILED,
    NOT_SET_UP,
    UNKNOWN_PERSON,
    YOU_ARE_NOT_IN_THE_GROUP,
)
from dialogs.context import Actor, Services
from graph.calendar import Caller
from graph.errors import AccessDenied, AuthFailure, AuthProblem, GraphError, NotFound
from storage.database import Database
from storage.repositories import GraphCallRepository, MemberRepository, TenantRepository
from storage.state_store import ETagConflict, StateStore

log = logging.getLogger(__name__)

# Group membership changes rarely, but a removed person must lose access within minutes, not hours.
GROUP_CACHE_TTL_SECONDS = 300.0
_ADMIN_PROOFS_KEY = "rendezvous/admin-proofs/{tenant}"
# How old an admin sign-in may be: commands that change or turn off the setup, or show other people's
# data, need a fresh one, so that someone whose role was removed in the directory loses them quickly.
PROOF_FOR_CHANGES = timedelta(minutes=10)
PROOF_FOR_VIEWING = timedelta(hours=24)



class AdminStanding(enum.Enum):
    """What Rendezvous knows about someone's admin rights, for one command's freshness requirement."""

    ALLOWED = "allowed"  # in ADMIN_USER_IDS, or an admin sign-in recent enough
    STALE = "stale"  # proved it once, too long ago: sign in again
    NOT_KNOWN = "not_known"  # never proved it: told at once who can do this


@dataclass(frozen=True)
class _CachedMembership:
    allowed: bool
    expires_at: float


# One cache per running app (keyed by its Database), because every turn builds new dialog objects;
# entries map (tenant, group, oid) to the answer.
_membership_caches: weakref.WeakKeyDictionary[Database, dict[tuple[str, str, str], _CachedMembership]] = (
    weakref.WeakKeyDictionary()
)


def _membership_cache(services: Services) -> dict[tuple[str, str, str], _CachedMembership]:
    return _membership_caches.setdefault(services.db, {})


def forget_group_memberships(services: Services, tenant_id: str) -> None:
    """Drops the cached answers of one tenant, e.g. when its admin changes the group."""
    cache = _membership_cache(services)
    for key in [key for key in cache if key[0] == tenant_id]:
        del cache[key]


def admin_proofs_key(tenant_id: str) -> str:
    """Where a tenant's admin sign-ins are remembered (conversation-state storage, keyed per tenant)."""
    return _ADMIN_PROOFS_KEY.format(tenant=tenant_id.lower())


async def _change_proofs(services: Services, tenant_id: str, oid: str, proved_at: datetime | None) -> None:
    """Records (or, with None, removes) the moment this person last proved admin rights by signing in."""
    store = StateStore(services.db)
    key = admin_proofs_key(tenant_id)
    for _ in range(3):  # another admin signing in at the same moment only costs a retry
        current = (await store.read([key])).get(key)
        proofs = dict(current.document.get("proofs", {})) if current else {}
        if proved_at is None:
            if proofs.pop(oid, None) is None:
                return
        else:
            proofs[oid] = proved_at.isoformat()
        try:
            await store.write(key, {"proofs": proofs}, current.etag if current else None, tenant_id=tenant_id)
            return
        except ETagConflict:
            continue
    log.warning("could not record an admin sign-in for tenant %s after retries", tenant_id)


async def remember_admin_proof(services: Services, tenant_id: str, oid: str) -> None:
    """Someone's sign-in showed an admin role just now."""
    await _change_proofs(services, tenant_id, oid, datetime.now(UTC))


async def forget_admin_proof(services: Services, tenant_id: str, oid: str) -> None:
    """Someone's sign-in showed no admin role (any more): earlier proofs no longer count."""
    await _change_proofs(services, tenant_id, oid, None)


async def admin_standing(services: Services, tenant_id: str, oid: str, max_age: timedelta) -> AdminStanding:
    """Admin = listed in ADMIN_USER_IDS (a server-side list, always valid), or an admin sign-in in this same
    tenant no older than `max_age`. Having set the organization up does not by itself make someone an admin."""
    if oid in services.settings.admin_user_ids:
        return AdminStanding.ALLOWED
    key = admin_proofs_key(tenant_id)
    stored = (await StateStore(services.db).read([key])).get(key)
    proved_at = stored.document.get("proofs", {}).get(oid) if stored else None
    if not isinstance(proved_at, str):
        return AdminStanding.NOT_KNOWN
    try:
        age = datetime.now(UTC) - datetime.fromisoformat(proved_at)
    except ValueError:
        return AdminStanding.NOT_KNOWN
    return AdminStanding.ALLOWED if age <= max_age else AdminStanding.STALE


async def is_admin(services: Services, actor: Actor) -> bool:
    """An admin for viewing purposes right now (a proof up to 24 hours old, or ADMIN_USER_IDS)."""
    standing = await admin_standing(services, actor.tenant_id, actor.aad_object_id, PROOF_FOR_VIEWING)
    return standing is AdminStanding.ALLOWED


class Access(enum.Enum):
    """Whether Rendezvous may work with one person's calendar, by the organization's rules."""

    ALLOWED = "allowed"
    NOT_SET_UP = "not_set_up"  # the organization has not enabled the integration
    OUTSIDE_GROUP = "outside_group"  # the admin chose a security group and this person is not in it
    CHECK_FAILED = "check_failed"  # the group membership could not be read (the admin's status says why)


async def access_of(services: Services, tenant_id: str, oid: str) -> Access:
    """The organization's verdict on one person (same tenant assumed: the caller checked it)."""
    tenant_id, oid = tenant_id.lower(), oid.lower()
    tenant = await TenantRepository(services.db, tenant_id).get()
    if tenant is None or not tenant.enabled:
        return Access.NOT_SET_UP
    if not tenant.security_group_id:
        return Access.ALLOWED
    allowed = await _in_group(services, tenant_id, tenant.security_group_id, oid)
    if allowed is None:
        return Access.CHECK_FAILED
    return Access.ALLOWED if allowed else Access.OUTSIDE_GROUP


async def ensure_allowed(services: Services, actor_or_oid: Actor | str, tenant_id: str | None = None) -> str | None:
    """None when Rendezvous may work with this person's calendar, else the message to show instead.

    Checks that the organization has the integration enabled and, when the admin chose a security
    group, that the person is in it. An outsider is refused before any calendar call about them.
    Pass an Actor, or a colleague's object id together with the tenant id.
    """
    if isinstance(actor_or_oid, Actor):
        tenant_id, oid = actor_or_oid.tenant_id, actor_or_oid.aad_object_id
    else:
        if not tenant_id:
            raise ValueError("ensure_allowed needs the tenant id when given an object id")
        oid = actor_or_oid
    tenant_id, oid = tenant_id.lower(), oid.lower()
    access = await access_of(services, tenant_id, oid)
    if access is Access.ALLOWED:
        return None
    if access is Access.NOT_SET_UP:
        return NOT_SET_UP
    if access is Access.CHECK_FAILED:
        return GROUP_CHECK_FAILED
    if isinstance(actor_or_oid, Actor):
        return YOU_ARE_NOT_IN_THE_GROUP
    name = await _display_name(services, tenant_id, oid)
    return COLLEAGUE_NOT_IN_THE_GROUP.format(name=plain(name))


async def _in_group(services: Services, tenant_id: str, group_id: str, oid: str) -> bool | None:
    """Group membership through Graph checkMemberGroups, cached briefly; None when it cannot be checked."""
    cache = _membership_cache(services)
    key = (tenant_id, group_id.lower(), oid)
    cached = cache.get(key)
    now = time.monotonic()
    if cached is not None and cached.expires_at > now:
        return cached.allowed
    if services.calendar is None:
        log.error("group check impossible: no Graph client is configured")
        return None
    try:
        await GraphCallRepository(services.db, tenant_id).record(
            oid, "checkMemberGroups", texts.REASON_GROUP_CHECK
        )
        # Directory reads need the app's own token in both modes (GroupMember.Read.All application permission).
        groups = await services.calendar.check_member_groups(Caller.app(tenant_id, oid), oid, [group_id])
    except (GraphError, AuthProblem) as exc:
        await TenantRepository(services.db, tenant_id).record_error(
            texts.DIAGNOSTIC_GROUP_CHECK_FAILED.format(diagnostic=admin_diagnostic(exc))
        )
        return None
    allowed = group_id.lower() in groups
    cache[key] = _CachedMembership(allowed, now + GROUP_CACHE_TTL_SECONDS)
    return allowed


async def _display_name(services: Services, tenant_id: str, oid: str) -> str:
    member = await MemberRepository(services.db, tenant_id).get(oid)
    return (member.name if member and member.name else None) or UNKNOWN_PERSON


def admin_diagnostic(exc: BaseException) -> str:
    """One line for an administrator: what failed and how to fix it."""
    if isinstance(exc, AuthProblem):
        codes = ", ".join(f"AADSTS{code}" for code in exc.error_codes)
        return f"{exc.admin_hint}{f' ({codes})' if codes else ''}"
    if isinstance(exc, AccessDenied) and exc.access_policy:
        return texts.DIAGNOSTIC_ACCESS_POLICY.format(request_ids=_request_ids(exc))
    if isinstance(exc, AccessDenied):
        return texts.DIAGNOSTIC_PERMISSION_MISSING.format(request_ids=_request_ids(exc))
    if isinstance(exc, NotFound):
        return texts.DIAGNOSTIC_NOT_FOUND.format(request_ids=_request_ids(exc))
    if isinstance(exc, GraphError):
        return texts.DIAGNOSTIC_GRAPH_ERROR.format(status=exc.status, code=exc.code, request_ids=_request_ids(exc))
    return texts.DIAGNOSTIC_UNEXPECTED.format(error=type(exc).__name__)


def _request_ids(exc: GraphError) -> str:
    return texts.DIAGNOSTIC_REQUEST_ID.format(request_id=exc.request_id) if exc.request_id else ""


async def explain_graph_failure(services: Services, tenant_id: str, exc: GraphError | AuthProblem) -> str:
    """Records a diagnostic for the admin (shown by **status**) and returns what to tell the person."""
    await TenantRepository(services.db, tenant_id).record_error(admin_diagnostic(exc))
    if isinstance(exc, AuthProblem) and exc.kind is AuthFailure.RECONNECT_NEEDED:
        return exc.user_message
    if isinstance(exc, AccessDenied) and exc.access_policy:
        return ACCESS_POLICY_BLOCKS_MAILBOX
    return exc.user_message
