from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select

from storage.crypto import TokenCipher, TokenDecryptError
from storage.database import Database
from storage.models import ConsentRequest, TokenCache
from storage.repositories import (
    BookingRepository,
    BookingStateError,
    ConsentRepository,
    ConsentStateError,
    GraphCallRepository,
    MemberRecord,
    MemberRepository,
    RecordNotFound,
    TenantRepository,
    TokenCacheRepository,
)

TENANT_A = "aaaaaaaa-0000-0000-0000-00000000000a"
TENANT_B = "bbbbbbbb-0000-0000-0000-00000000000b"
ALICE = "11111111-1111-1111-1111-111111111111"
BOB = "22222222-2222-2222-2222-222222222222"
CAROL = "33333333-3333-3333-3333-333333333333"
NOW = datetime.now(UTC).replace(microsecond=0)


def _member(oid: str, tenant: str = TENANT_A, **fields: object) -> MemberRecord:
    return MemberRecord(tenant_id=tenant, aad_object_id=oid, **fields)  # type: ignore[arg-type]


async def _reserve(repo: BookingRepository, key: str, start: datetime, organizer: str = ALICE,
                   attendee: str = BOB):
    return await repo.reserve(organizer, attendee, start, start + timedelta(minutes=30), "Sync", key)


# --- tenants -----------------------------------------------------------------------------------


async def test_tenant_unknown_until_setup_then_enabled_and_disabled(db: Database) -> None:
    tenants = TenantRepository(db, TENANT_A)
    assert await tenants.get() is None

    setup = await tenants.save_setup("domain_wide", "group-1", admin_oid=ALICE)
    assert (setup.mode, setup.security_group_id, setup.admin_oid, setup.enabled) == (
        "domain_wide", "group-1", ALICE, False)

    enabled = await tenants.enable(consented_by_oid=ALICE, consented_by_name="Alice Admin")
    assert enabled.enabled and enabled.consented_by_name == "Alice Admin"
    assert enabled.enabled_at is not None and enabled.enabled_at.tzinfo is not None
    assert enabled.mode == "domain_wide"  # enabling keeps the setup
    assert enabled.created_at == setup.created_at

    disabled = await tenants.disable()
    assert disabled.enabled is False
    assert (await tenants.get()) == disabled


async def test_tenant_rejects_unknown_mode(db: Database) -> None:
    with pytest.raises(ValueError, match="domain_wide, delegated"):
        await TenantRepository(db, TENANT_A).save_setup("everything", None, ALICE)


async def test_tenant_error_is_recorded_bounded(db: Database) -> None:
    tenants = TenantRepository(db, TENANT_A)
    record = await tenants.record_error("AADSTS65001: consent missing " + "x" * 5000)
    assert record.last_error is not None and record.last_error.startswith("AADSTS65001")
    assert len(record.last_error) <= 2000
    assert record.last_error_at is not None


async def test_tenant_id_spelling_does_not_split_a_tenant(db: Database) -> None:
    await TenantRepository(db, TENANT_A.upper()).save_setup("delegated", None, ALICE)
    found = await TenantRepository(db, TENANT_A).get()
    assert found is not None and found.mode == "delegated"


async def test_tenant_counts_only_its_own_rows(db: Database) -> None:
    await MemberRepository(db, TENANT_A).upsert(_member(ALICE))
    await MemberRepository(db, TENANT_A).upsert(_member(BOB))
    await MemberRepository(db, TENANT_B).upsert(_member(CAROL, TENANT_B))
    await _reserve(BookingRepository(db, TENANT_A), "k1", NOW + timedelta(days=1))
    assert await TenantRepository(db, TENANT_A).counts() == (2, 1)
    assert await TenantRepository(db, TENANT_B).counts() == (1, 0)


# --- members -----------------------------------------------------------------------------------


async def test_member_upsert_keeps_first_seen_and_known_fields(db: Database) -> None:
    members = MemberRepository(db, TENANT_A)
    first = await members.upsert(
        _member(ALICE, teams_user_id="29:alice", name="Alice", email="alice@contoso.com",
                time_zone="Europe/Paris", conversation_reference={"conversation": {"id": "a:1"}})
    )
    second = await members.upsert(_member(ALICE, name="Alice Martin"))
    assert second.first_seen_at == first.first_seen_at
    assert second.last_seen_at is not None and first.last_seen_at is not None
    assert second.last_seen_at >= first.last_seen_at
    assert second.name == "Alice Martin"
    # Fields not given the second time are kept, not wiped.
    assert (second.email, second.time_zone, second.teams_user_id) == (
        "alice@contoso.com", "Europe/Paris", "29:alice")
    assert second.conversation_reference == {"conversation": {"id": "a:1"}}
    assert await members.get(ALICE) == second
    assert await members.get_by_teams_id("29:alice") == second


async def test_member_upsert_refuses_a_record_of_another_tenant(db: Database) -> None:
    with pytest.raises(ValueError):
        await MemberRepository(db, TENANT_A).upsert(_member(ALICE, TENANT_B))


async def test_member_search_is_case_insensitive_over_name_email_upn(db: Database) -> None:
    members = MemberRepository(db, TENANT_A)
    await members.upsert(_member(ALICE, name="Alice Martin", email="alice@contoso.com"))
    await members.upsert(_member(BOB, name="Bob Stone", user_principal_name="bob.stone@contoso.onmicrosoft.com"))
    await members.upsert(_member(CAROL, name="Carol 100%", email="carol@fabrikam.com"))

    assert [m.aad_object_id for m in await members.search("MARTIN")] == [ALICE]
    assert [m.aad_object_id for m in await members.search("onmicrosoft")] == [BOB]
    assert [m.aad_object_id for m in await members.search("contoso")] == [ALICE, BOB]
    assert [m.aad_object_id for m in await members.search("fabrikam")] == [CAROL]
    # LIKE wildcards in the query are literal text.
    assert [m.aad_object_id for m in await members.search("%")] == [CAROL]
    assert await members.search("nobody") == []
    assert len(await members.search("o", limit=2)) == 2
    assert [m.name for m in await members.list_all()] == ["Alice Martin", "Bob Stone", "Carol 100%"]


# --- bookings ----------------------------------------------------------------------------------


async def test_reserve_twice_with_same_key_returns_the_first_booking(db: Database) -> None:
    bookings = BookingRepository(db, TENANT_A)
    first, created = await _reserve(bookings, "click-1", NOW + timedelta(hours=2))
    again, created_again = await _reserve(bookings, "click-1", NOW + timedelta(hours=5))
    assert created is True and created_again is False
    assert again == first
    assert first.status == "reserved"
    assert len(await bookings.list_all()) == 1


async def test_a_booking_is_found_by_its_key_in_its_own_tenant_only(db: Database) -> None:
    first, _ = await _reserve(BookingRepository(db, TENANT_A), "click-7", NOW + timedelta(hours=2))

    assert await BookingRepository(db, TENANT_A).get_by_key("click-7") == first
    assert await BookingRepository(db, TENANT_A).get_by_key("click-8") is None
    assert await BookingRepository(db, TENANT_B).get_by_key("click-7") is None


async def test_concurrent_reserves_with_same_key_make_one_row(database_url: str, db: Database) -> None:
    other_process = Database(database_url)
    try:
        repos = [BookingRepository(db, TENANT_A), BookingRepository(other_process, TENANT_A)] * 3
        results = await asyncio.gather(*(_reserve(r, "double-click", NOW + timedelta(hours=1)) for r in repos))
        assert sum(created for _, created in results) == 1
        assert len({booking.id for booking, _ in results}) == 1
        assert len(await BookingRepository(db, TENANT_A).list_all()) == 1
    finally:
        await other_process.dispose()


async def test_same_key_in_two_tenants_is_two_bookings(db: Database) -> None:
    a, created_a = await _reserve(BookingRepository(db, TENANT_A), "k", NOW + timedelta(hours=1))
    b, created_b = await _reserve(BookingRepository(db, TENANT_B), "k", NOW + timedelta(hours=1))
    assert created_a and created_b and a.id != b.id


async def test_reserve_validates_times(db: Database) -> None:
    bookings = BookingRepository(db, TENANT_A)
    with pytest.raises(ValueError, match="end after it starts"):
        await bookings.reserve(ALICE, BOB, NOW, NOW, "x", "k")
    with pytest.raises(ValueError, match="timezone-aware"):
        await bookings.reserve(ALICE, BOB, datetime(2030, 1, 1), datetime(2030, 1, 2), "x", "k")


async def test_booking_lifecycle(db: Database) -> None:
    bookings = BookingRepository(db, TENANT_A)
    booking, _ = await _reserve(bookings, "k", NOW + timedelta(days=1))

    failed = await bookings.mark_failed(booking.id, "429 throttled")
    assert (failed.status, failed.failure_reason) == ("failed", "429 throttled")

    confirmed = await bookings.confirm(booking.id, "AAMk-event", "https://teams/join", "https://outlook/x")
    assert (confirmed.status, confirmed.event_id, confirmed.join_url, confirmed.web_link) == (
        "confirmed", "AAMk-event", "https://teams/join", "https://outlook/x")
    assert confirmed.failure_reason is None

    with pytest.raises(BookingStateError):
        await bookings.mark_failed(booking.id, "late error")  # a confirmed meeting is not "failed"

    carded = await bookings.set_card_activity(booking.id, "activity-7", "a:conv")
    assert (carded.card_activity_id, carded.conversation_id, carded.status) == (
        "activity-7", "a:conv", "confirmed")

    cancelled = await bookings.cancel(booking.id)
    assert cancelled.status == "cancelled"
    with pytest.raises(BookingStateError):
        await bookings.confirm(booking.id, "other", None, None)
    assert await bookings.get(booking.id) == cancelled


async def test_unknown_booking_is_record_not_found(db: Database) -> None:
    with pytest.raises(RecordNotFound):
        await BookingRepository(db, TENANT_A).confirm("no-such-id", "e", None, None)


async def test_list_for_member_upcoming_first(db: Database) -> None:
    bookings = BookingRepository(db, TENANT_A)
    later, _ = await _reserve(bookings, "later", NOW + timedelta(days=3))
    soon, _ = await _reserve(bookings, "soon", NOW + timedelta(hours=1), organizer=CAROL, attendee=ALICE)
    past, _ = await _reserve(bookings, "past", NOW - timedelta(days=2))
    older, _ = await _reserve(bookings, "older", NOW - timedelta(days=9))
    cancelled, _ = await _reserve(bookings, "cancelled", NOW + timedelta(days=1))
    await bookings.cancel(cancelled.id)
    await _reserve(bookings, "not-alice", NOW + timedelta(days=1), organizer=BOB, attendee=CAROL)

    upcoming = await bookings.list_for_member(ALICE, upcoming_only=True, now=NOW)
    assert [b.id for b in upcoming] == [soon.id, later.id]

    everything = await bookings.list_for_member(ALICE, upcoming_only=False, now=NOW)
    assert [b.id for b in everything] == [soon.id, cancelled.id, later.id, past.id, older.id]


# --- consent state -----------------------------------------------------------------------------


async def test_consent_state_is_single_use(db: Database) -> None:
    consents = ConsentRepository(db)
    state = await consents.create(TENANT_A, "29:alice", ALICE, "admin_consent", {"mode": "domain_wide"})
    assert len(state) >= 40  # 32 random bytes, URL-safe base64

    record = await consents.consume(state)
    assert (record.tenant_id, record.purpose, record.payload, record.aad_object_id) == (
        TENANT_A, "admin_consent", {"mode": "domain_wide"}, ALICE)
    assert record.consumed_at is not None

    with pytest.raises(ConsentStateError) as replay:
        await consents.consume(state)
    assert replay.value.reason == "replayed"


async def test_concurrent_consumes_only_one_succeeds(database_url: str, db: Database) -> None:
    other_process = Database(database_url)
    try:
        state = await ConsentRepository(db).create(TENANT_A, None, ALICE, "member_signin")
        repos = [ConsentRepository(db), ConsentRepository(other_process)] * 2
        results = await asyncio.gather(*(r.consume(state) for r in repos), return_exceptions=True)
        assert sum(not isinstance(r, BaseException) for r in results) == 1, results
        assert all(r.reason == "replayed" for r in results if isinstance(r, ConsentStateError))
    finally:
        await other_process.dispose()


async def test_consent_state_expires(db: Database) -> None:
    consents = ConsentRepository(db)
    state = await consents.create(TENANT_A, None, None, "admin_signin", now=NOW)
    with pytest.raises(ConsentStateError) as expired:
        await consents.consume(state, now=NOW + timedelta(minutes=10, seconds=1))
    assert expired.value.reason == "expired"
    # Still usable inside its ten minutes (an expired attempt does not burn it).
    assert (await consents.consume(state, now=NOW + timedelta(minutes=9))).state == state


async def test_unknown_consent_state(db: Database) -> None:
    with pytest.raises(ConsentStateError) as unknown:
        await ConsentRepository(db).consume("forged-state")
    assert unknown.value.reason == "unknown"


async def test_consent_states_are_unique_and_purpose_checked(db: Database) -> None:
    consents = ConsentRepository(db)
    states = {await consents.create(TENANT_A, None, None, "member_signin") for _ in range(5)}
    assert len(states) == 5
    with pytest.raises(ValueError, match="purpose"):
        await consents.create(TENANT_A, None, None, "steal_tokens")


async def test_expired_consent_requests_are_purged(db: Database) -> None:
    consents = ConsentRepository(db)
    old = await consents.create(TENANT_A, None, None, "member_signin", now=NOW - timedelta(hours=1))
    assert await consents.delete_expired(now=NOW) == 1  # what start-up does
    older = await consents.create(TENANT_A, None, None, "member_signin", now=NOW - timedelta(hours=1))
    fresh = await consents.create(TENANT_A, None, None, "member_signin", now=NOW)  # sweeps as it goes
    assert await consents.delete_expired(now=NOW) == 0
    for gone_state in (old, older):
        with pytest.raises(ConsentStateError) as gone:
            await consents.consume(gone_state, now=NOW)
        assert gone.value.reason == "unknown"
    assert (await consents.consume(fresh, now=NOW)).state == fresh


async def test_a_used_state_keeps_no_payload_but_still_reports_the_replay(db: Database) -> None:
    consents = ConsentRepository(db)
    state = await consents.create(TENANT_A, None, None, "member_signin", {"flow": {"code_verifier": "v"}}, now=NOW)
    assert (await consents.consume(state, now=NOW)).payload == {"flow": {"code_verifier": "v"}}
    with pytest.raises(ConsentStateError) as replayed:
        await consents.consume(state, now=NOW)
    assert replayed.value.reason == "replayed"
    async with db.session() as session:
        row = await session.get(ConsentRequest, state)
    assert row is not None and row.payload == {}


# --- token caches ------------------------------------------------------------------------------

MSAL_CACHE = '{"RefreshToken": {"k": {"secret": "0.ARwA-refresh-token-value"}}, "AccessToken": {}}'


async def test_token_cache_round_trip_and_encrypted_at_rest(db: Database, cipher: TokenCipher) -> None:
    tokens = TokenCacheRepository(db, cipher, TENANT_A)
    assert await tokens.load(ALICE) is None
    await tokens.save(ALICE, MSAL_CACHE)
    assert await tokens.load(ALICE) == MSAL_CACHE

    async with db.session() as session:
        raw = await session.scalar(select(TokenCache.ciphertext))
    assert raw is not None
    assert b"refresh-token-value" not in raw
    assert MSAL_CACHE.encode() not in raw

    await tokens.save(ALICE, '{"replaced": true}')
    assert await tokens.load(ALICE) == '{"replaced": true}'


async def test_token_cache_with_wrong_key_raises(db: Database, cipher: TokenCipher) -> None:
    await TokenCacheRepository(db, cipher, TENANT_A).save(ALICE, MSAL_CACHE)
    other_key = TokenCipher(Fernet.generate_key())
    with pytest.raises(TokenDecryptError):
        await TokenCacheRepository(db, other_key, TENANT_A).load(ALICE)


async def test_token_cache_delete_and_delete_all(db: Database, cipher: TokenCipher) -> None:
    tokens_a = TokenCacheRepository(db, cipher, TENANT_A)
    tokens_b = TokenCacheRepository(db, cipher, TENANT_B)
    for oid in (ALICE, BOB, CAROL):
        await tokens_a.save(oid, MSAL_CACHE)
    await tokens_b.save(ALICE, MSAL_CACHE)

    await tokens_a.delete(ALICE)
    assert await tokens_a.load(ALICE) is None
    assert await tokens_a.load(BOB) == MSAL_CACHE
    assert await tokens_a.delete_all() == 2
    assert await tokens_a.load(CAROL) is None
    assert await tokens_b.load(ALICE) == MSAL_CACHE


# --- Graph call log ----------------------------------------------------------------------------


async def test_graph_calls_listed_newest_first_and_limited(db: Database) -> None:
    calls = GraphCallRepository(db, TENANT_A)
    for n in range(4):
        await calls.record(BOB, "getSchedule", f"booking by alice #{n}")
    await calls.record(CAROL, "createEvent", None)

    listed = await calls.list_for(BOB, limit=3)
    assert [c.reason for c in listed] == ["booking by alice #3", "booking by alice #2", "booking by alice #1"]
    assert all(c.subject_oid == BOB and c.kind == "getSchedule" for c in listed)
    assert listed[0].at.tzinfo is not None


# --- tenant isolation --------------------------------------------------------------------------


async def test_tenant_b_cannot_see_or_change_tenant_a_rows(db: Database, cipher: TokenCipher) -> None:
    await TenantRepository(db, TENANT_A).save_setup("delegated", None, ALICE)
    await MemberRepository(db, TENANT_A).upsert(_member(ALICE, name="Alice", teams_user_id="29:alice"))
    booking, _ = await _reserve(BookingRepository(db, TENANT_A), "k", NOW + timedelta(days=1))
    await TokenCacheRepository(db, cipher, TENANT_A).save(ALICE, MSAL_CACHE)
    await GraphCallRepository(db, TENANT_A).record(ALICE, "getSchedule", "why")

    assert await TenantRepository(db, TENANT_B).get() is None

    members_b = MemberRepository(db, TENANT_B)
    assert await members_b.get(ALICE) is None
    assert await members_b.get_by_teams_id("29:alice") is None
    assert await members_b.search("alice") == []
    assert await members_b.list_all() == []

    bookings_b = BookingRepository(db, TENANT_B)
    assert await bookings_b.get(booking.id) is None
    assert await bookings_b.list_all() == []
    assert await bookings_b.list_for_member(ALICE, upcoming_only=False) == []
    with pytest.raises(RecordNotFound):
        await bookings_b.cancel(booking.id)
    assert (await BookingRepository(db, TENANT_A).get(booking.id)) == booking

    tokens_b = TokenCacheRepository(db, cipher, TENANT_B)
    assert await tokens_b.load(ALICE) is None
    await tokens_b.delete(ALICE)
    assert await tokens_b.delete_all() == 0
    assert await TokenCacheRepository(db, cipher, TENANT_A).load(ALICE) == MSAL_CACHE

    assert await GraphCallRepository(db, TENANT_B).list_for(ALICE) == []
    assert len(await GraphCallRepository(db, TENANT_A).list_for(ALICE)) == 1
