"""Individual (delegated) mode: sign-in with the auth-code flow, stored msal caches, silent refresh."""

from __future__ import annotations

import json
from datetime import UTC, datetime, time, timedelta
from urllib.parse import parse_qsl, urlsplit

import pytest

from emulator.testing import EmulatorHandle
from graph.calendar import CalendarClient, Caller, EmptySuggestionsReason, EventAttendee
from graph.errors import AuthFailure, AuthProblem
from graph.tokens import DelegatedAuth
from scheduling.model import FreeBusyStatus
from tests.graph.conftest import (
    CONTOSO,
    FABRIKAM,
    FIONA_OID,
    KENJI_OID,
    REDIRECT_URI,
    ZOE,
    InMemoryTokenCacheStore,
    browse,
    sign_in,
)

FIONA = Caller.user(FABRIKAM, FIONA_OID)


def _token_requests(emu: EmulatorHandle) -> int:
    return len([c for c in emu.calls_to(f"/{FABRIKAM}/oauth2/v2.0/token") if c.method == "POST"])


async def test_sign_in_stores_the_users_cache(
    emu: EmulatorHandle, delegated: DelegatedAuth, token_store: InMemoryTokenCacheStore
) -> None:
    emu.sign_in_as(FIONA_OID)
    start = await delegated.start_sign_in(FABRIKAM, REDIRECT_URI)
    query = dict(parse_qsl(urlsplit(start.auth_url).query))
    assert query["code_challenge_method"] == "S256" and query["code_challenge"]
    assert query["state"] == start.state
    assert "Calendars.ReadWrite" in query["scope"]

    user = await delegated.finish_sign_in(start.flow, await browse(emu, start.auth_url))

    assert (user.tenant_id, user.oid) == (FABRIKAM, FIONA_OID)
    # Fiona is a Global Administrator, but at Entra's defaults her id token names no role.
    assert not user.is_admin and not user.app_roles and not user.directory_roles
    assert user.preferred_username == "fiona.gallagher@fabrikam.example"
    stored = json.loads(token_store.blobs[(FABRIKAM, FIONA_OID)])
    assert stored["RefreshToken"], "the refresh token must be kept for silent renewal"


async def test_an_admin_is_recognised_by_the_app_role_or_by_wids_once_issued(
    emu: EmulatorHandle, delegated: DelegatedAuth
) -> None:
    assert not (await sign_in(emu, delegated, FABRIKAM, KENJI_OID)).is_admin
    emu.assign_app_role(KENJI_OID)  # Fabrikam names Kenji a Rendezvous admin in Enterprise applications
    kenji = await sign_in(emu, delegated, FABRIKAM, KENJI_OID)
    assert kenji.is_admin and kenji.app_roles == {"Rendezvous.Admin"}

    emu.set_group_membership_claims("DirectoryRole")  # the app registration now shares directory roles
    assert (await sign_in(emu, delegated, FABRIKAM, FIONA_OID)).is_admin


async def test_a_sign_in_that_only_proves_a_role_asks_for_no_calendar_and_keeps_nothing(
    emu: EmulatorHandle, delegated: DelegatedAuth, token_store: InMemoryTokenCacheStore
) -> None:
    emu.sign_in_as(FIONA_OID)
    start = await delegated.start_sign_in(FABRIKAM, REDIRECT_URI, scopes=[])
    assert set(dict(parse_qsl(urlsplit(start.auth_url).query))["scope"].split()) == {
        "openid", "profile", "offline_access"}

    user = await delegated.finish_sign_in(start.flow, await browse(emu, start.auth_url), keep_tokens=False)

    assert user.oid == FIONA_OID
    assert token_store.blobs == {}


async def test_someone_else_finishing_a_sign_in_leaves_every_stored_sign_in_alone(
    emu: EmulatorHandle, delegated: DelegatedAuth, token_store: InMemoryTokenCacheStore
) -> None:
    await sign_in(emu, delegated, FABRIKAM, FIONA_OID)
    fionas_own = token_store.blobs[(FABRIKAM, FIONA_OID)]
    emu.sign_in_as(FIONA_OID)  # Fiona opens the link Kenji forwarded to her
    start = await delegated.start_sign_in(FABRIKAM, REDIRECT_URI)

    user = await delegated.finish_sign_in(start.flow, await browse(emu, start.auth_url),
                                          expected_user=(FABRIKAM, KENJI_OID))

    assert user.oid == FIONA_OID  # the caller sees who it was and refuses
    assert token_store.blobs == {(FABRIKAM, FIONA_OID): fionas_own}


async def test_tampered_state_is_refused(emu: EmulatorHandle, delegated: DelegatedAuth) -> None:
    emu.sign_in_as(FIONA_OID)
    start = await delegated.start_sign_in(FABRIKAM, REDIRECT_URI)
    query = await browse(emu, start.auth_url)
    with pytest.raises(AuthProblem) as caught:
        await delegated.finish_sign_in(start.flow, {**query, "state": "forged"})
    assert caught.value.kind is AuthFailure.RECONNECT_NEEDED


async def test_token_comes_from_the_cache_then_refreshes_after_expiry(
    emu: EmulatorHandle, delegated: DelegatedAuth, calendar: CalendarClient
) -> None:
    await sign_in(emu, delegated, FABRIKAM, FIONA_OID)
    requests_after_sign_in = _token_requests(emu)
    first = await delegated.token(FABRIKAM, FIONA_OID)
    assert _token_requests(emu) == requests_after_sign_in  # straight from the stored cache

    # Entra invalidates every access token; Graph answers 401 and the refresh token gets a new one.
    emu.expire_tokens()
    start = datetime.now(UTC)
    result = await calendar.get_schedule(FIONA, [ZOE], start, start + timedelta(hours=8))
    assert result[ZOE].known
    assert _token_requests(emu) == requests_after_sign_in + 1
    assert [c.status for c in emu.calls_to("/me/calendar/getSchedule")] == [401, 200]
    assert await delegated.token(FABRIKAM, FIONA_OID) != first


async def test_short_lived_token_is_refreshed_silently(
    emu: EmulatorHandle, delegated: DelegatedAuth, token_store: InMemoryTokenCacheStore
) -> None:
    emu.token_lifetime = 60  # msal renews tokens with less than five minutes left
    await sign_in(emu, delegated, FABRIKAM, FIONA_OID)
    saves = token_store.saves
    first = await delegated.token(FABRIKAM, FIONA_OID)
    assert first != await delegated.token(FABRIKAM, FIONA_OID)
    assert token_store.saves > saves  # the refreshed cache was persisted


async def test_revoked_refresh_token_means_reconnect(
    emu: EmulatorHandle, delegated: DelegatedAuth, calendar: CalendarClient
) -> None:
    await sign_in(emu, delegated, FABRIKAM, FIONA_OID)
    emu.revoke_refresh_tokens(FABRIKAM, FIONA_OID)
    emu.expire_tokens()
    start = datetime.now(UTC)
    with pytest.raises(AuthProblem) as caught:
        await calendar.get_schedule(FIONA, [ZOE], start, start + timedelta(hours=8))
    assert caught.value.kind is AuthFailure.RECONNECT_NEEDED
    assert "connect" in caught.value.user_message


async def test_mfa_requirement_means_reconnect(emu: EmulatorHandle, delegated: DelegatedAuth) -> None:
    emu.token_lifetime = 60
    await sign_in(emu, delegated, FABRIKAM, FIONA_OID)
    emu.require_mfa(FABRIKAM, FIONA_OID)
    with pytest.raises(AuthProblem) as caught:
        await delegated.token(FABRIKAM, FIONA_OID)
    assert caught.value.kind is AuthFailure.RECONNECT_NEEDED
    assert 50076 in caught.value.error_codes


async def test_never_connected_and_forgotten_users_must_connect(
    emu: EmulatorHandle, delegated: DelegatedAuth, token_store: InMemoryTokenCacheStore
) -> None:
    with pytest.raises(AuthProblem) as caught:
        await delegated.token(FABRIKAM, FIONA_OID)
    assert caught.value.kind is AuthFailure.RECONNECT_NEEDED

    await sign_in(emu, delegated, FABRIKAM, FIONA_OID)
    await delegated.forget(FABRIKAM, FIONA_OID)
    assert token_store.blobs == {}
    with pytest.raises(AuthProblem):
        await delegated.token(FABRIKAM, FIONA_OID)


async def test_user_consent_not_allowed(emu: EmulatorHandle, delegated: DelegatedAuth) -> None:
    emu.tenant(FABRIKAM).allow_user_consent = False
    with pytest.raises(AuthProblem) as caught:
        await sign_in(emu, delegated, FABRIKAM, KENJI_OID)
    assert caught.value.kind is AuthFailure.NOT_CONSENTED


async def test_declined_consent(emu: EmulatorHandle, delegated: DelegatedAuth) -> None:
    emu.sign_in_as(KENJI_OID, decline=True)
    start = await delegated.start_sign_in(FABRIKAM, REDIRECT_URI)
    with pytest.raises(AuthProblem) as caught:
        await delegated.finish_sign_in(start.flow, await browse(emu, start.auth_url))
    assert caught.value.kind is AuthFailure.NOT_CONSENTED
    assert 65004 in caught.value.error_codes


async def test_account_from_another_tenant(emu: EmulatorHandle, delegated: DelegatedAuth) -> None:
    with pytest.raises(AuthProblem) as caught:
        await sign_in(emu, delegated, CONTOSO, FIONA_OID)
    assert caught.value.kind is AuthFailure.WRONG_TENANT


ZOE_ATTENDEE = EventAttendee(ZOE, "Zoe Adams")


async def test_find_meeting_times_inside_the_given_slots(
    emu: EmulatorHandle, delegated: DelegatedAuth, calendar: CalendarClient
) -> None:
    await sign_in(emu, delegated, FABRIKAM, FIONA_OID)
    day = datetime.now(UTC).date() + timedelta(days=7 - datetime.now(UTC).weekday() + 1)  # next Tuesday
    # Fiona (08:00-17:00 Eastern) and Zoe (07:30-16:00 Pacific) both work 16:00-21:00 UTC all year.
    slot = (datetime.combine(day, time(16, 0), tzinfo=UTC), datetime.combine(day, time(21, 0), tzinfo=UTC))
    emu.clear_calendar(ZOE)
    emu.clear_calendar("fiona.gallagher@fabrikam.example")

    found = await calendar.find_meeting_times(FIONA, [ZOE_ATTENDEE], timedelta(minutes=30), [slot], max_candidates=5)

    assert found.slots and found.empty_reason is None
    assert len(found.slots) <= 5
    for suggested in found.slots:
        assert slot[0] <= suggested.start and suggested.end <= slot[1]
        assert suggested.end - suggested.start == timedelta(minutes=30)
        assert suggested.confidence == 100
        assert suggested.organizer_availability is FreeBusyStatus.FREE
        assert suggested.availability_of(ZOE) is FreeBusyStatus.FREE
    [call] = emu.calls_to("/me/findMeetingTimes")
    assert call.body["meetingDuration"] == "PT30M"
    assert call.body["timeConstraint"]["timeSlots"][0]["start"]["timeZone"] == "UTC"


async def test_find_meeting_times_explains_an_empty_answer(
    emu: EmulatorHandle, delegated: DelegatedAuth, calendar: CalendarClient
) -> None:
    await sign_in(emu, delegated, FABRIKAM, FIONA_OID)
    day = datetime.now(UTC).date() + timedelta(days=7 - datetime.now(UTC).weekday() + 1)
    slot = (datetime.combine(day, time(16, 0), tzinfo=UTC), datetime.combine(day, time(21, 0), tzinfo=UTC))
    emu.clear_calendar("fiona.gallagher@fabrikam.example")
    emu.add_busy(ZOE, slot[0] - timedelta(hours=1), slot[1] + timedelta(hours=1))

    found = await calendar.find_meeting_times(FIONA, [ZOE_ATTENDEE], timedelta(minutes=30), [slot])

    assert found.slots == ()
    assert found.empty_reason is EmptySuggestionsReason.ATTENDEES_UNAVAILABLE


async def test_find_meeting_times_needs_a_signed_in_user(calendar: CalendarClient) -> None:
    start = datetime.now(UTC)
    with pytest.raises(ValueError, match="signed-in user"):
        await calendar.find_meeting_times(
            Caller.app(CONTOSO, "adele.vance@contoso.example"),
            [ZOE_ATTENDEE],
            timedelta(minutes=30),
            [(start, start + timedelta(hours=2))],
        )
