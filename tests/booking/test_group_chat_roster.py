"""Who in a group chat can be booked (the roster comes from the Bot Connector, page by page), and the one line the
group gets afterwards, through a turn the bot starts in the group chat as it would after a booking."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import pytest
from botbuilder.core import TurnContext
from botbuilder.schema import ChannelAccount, ConversationAccount, ConversationReference

from dialogs.context import Actor
from dialogs.group_chat import (
    ChatRoster,
    RosterUnavailable,
    bookable_chat_members,
    group_chat_name,
    group_origin_of,
    post_group_line,
)
from storage.repositories import MemberRecord, MemberRepository
from tests.booking.conftest import ADELE, BEN, CHLOE, CONTOSO, FIONA, MATEO, PRODUCT_TEAM, BookingWorld
from tests.harness import BOT_ID, TeamsUser

GROUP_CHAT = "19:project-sync@thread.v2"
BOT_MEMBER = {"id": BOT_ID, "name": "Rendezvous"}
T = TypeVar("T")


def _group_reference(world: BookingWorld, conversation_id: str = GROUP_CHAT) -> ConversationReference:
    """What Teams' activities in the group chat carry, as a continuation starts from it."""
    return ConversationReference(
        channel_id="msteams", service_url=world.connector.url,
        conversation=ConversationAccount(id=conversation_id, conversation_type="groupChat", is_group=True,
                                         tenant_id=CONTOSO, name="Project sync"),
        bot=ChannelAccount(id=BOT_ID, name="Rendezvous"),
        user=ChannelAccount(id=ADELE.teams_user_id, name=ADELE.name, aad_object_id=ADELE.aad_object_id),
    )


def _actor(user: TeamsUser) -> Actor:
    return Actor(tenant_id=user.tenant_id, aad_object_id=user.aad_object_id, teams_user_id=user.teams_user_id,
                 name=user.name, conversation_id=GROUP_CHAT, conversation_type="groupChat", email=user.email)


async def _in_group_chat(world: BookingWorld, work: Callable[[TurnContext], Awaitable[T]]) -> T:
    """Runs `work` in a turn of the group chat (the bot's connector client points at the stub)."""
    results: list[T] = []
    failures: list[Exception] = []

    async def logic(turn_context: TurnContext) -> None:
        turn_context.activity.channel_data = {"tenant": {"id": CONTOSO}}  # as on every activity from Teams
        try:
            results.append(await work(turn_context))
        except Exception as exc:  # raised to the test, not to the adapter's error handler
            failures.append(exc)

    services = world.services
    await services.adapter.continue_conversation(_group_reference(world), logic, services.settings.app_id or None)
    if failures:
        raise failures[0]
    return results[0]


async def _roster_for(world: BookingWorld, requester: TeamsUser) -> ChatRoster:
    return await _in_group_chat(world, lambda turn: bookable_chat_members(world.services, turn, _actor(requester)))


def _member(user: TeamsUser, **changes: Any) -> dict[str, Any]:
    return {**user.member_info(), **changes}


@pytest.fixture
async def group_world(world: BookingWorld) -> BookingWorld:
    await world.set_up_tenant(security_group_id=PRODUCT_TEAM)
    return world


async def test_only_colleagues_who_can_be_booked_are_offered_and_the_others_are_named_with_the_reason(
    group_world: BookingWorld,
) -> None:
    world = group_world
    await world.meet(ADELE, BEN, MATEO)  # Chloe is in the chat but never wrote to Rendezvous
    no_mailbox = MemberRecord(tenant_id=CONTOSO, aad_object_id="664dd7be-13bc-44c8-80a8-f7533d084c7c",
                              teams_user_id="29:nomail", name="Nadia Mailless")
    await MemberRepository(world.db, CONTOSO).upsert(no_mailbox)
    world.connector.rosters[GROUP_CHAT] = [
        _member(ADELE), BOT_MEMBER, _member(BEN), _member(CHLOE), _member(FIONA), _member(MATEO),
        {"id": "29:nomail", "name": "Nadia Mailless", "aadObjectId": no_mailbox.aad_object_id, "tenantId": CONTOSO},
    ]
    world.connector.roster_page_size = 2  # several pages, as Teams sends a large chat

    roster = await _roster_for(world, ADELE)

    assert [person.email for person in roster.bookable] == [BEN.email]
    assert sorted(roster.not_bookable) == sorted([
        (CHLOE.name, "has never used Rendezvous"),
        (FIONA.name, "is in another organization"),
        (MATEO.name, "is outside the security group your organization allows"),
        ("Nadia Mailless", "has no mailbox Rendezvous knows of"),
    ])
    assert len(world.connector.roster_requests) == 4  # seven members, two a page
    assert world.connector.roster_requests[1]["continuationToken"] == "2"


async def test_the_requester_is_never_in_their_own_list(group_world: BookingWorld) -> None:
    world = group_world
    await world.meet(ADELE, BEN)
    world.connector.rosters[GROUP_CHAT] = [_member(BEN), _member(ADELE)]

    roster = await _roster_for(world, BEN)

    assert [person.oid for person in roster.bookable] == [ADELE.aad_object_id]
    assert roster.not_bookable == []


async def test_a_member_whose_first_message_had_no_address_is_booked_at_the_address_teams_lists(
    world: BookingWorld,
) -> None:
    await world.set_up_tenant()
    await world.meet(ADELE)
    await MemberRepository(world.db, CONTOSO).upsert(
        MemberRecord(tenant_id=CONTOSO, aad_object_id=BEN.aad_object_id, name=BEN.name))
    world.connector.rosters[GROUP_CHAT] = [_member(ADELE), _member(BEN)]

    roster = await _roster_for(world, ADELE)

    assert [person.email for person in roster.bookable] == [BEN.email]


async def test_more_than_nineteen_colleagues_are_over_the_limit(world: BookingWorld) -> None:
    await world.set_up_tenant()  # no security group: everyone who used Rendezvous may be booked
    members = MemberRepository(world.db, CONTOSO)
    colleagues = [TeamsUser(CONTOSO, f"00000000-0000-0000-0000-{n:012d}", f"Colleague {n:02d}",
                            f"colleague{n:02d}@contoso.example") for n in range(1, 22)]
    for colleague in colleagues:
        await members.upsert(MemberRecord(tenant_id=CONTOSO, aad_object_id=colleague.aad_object_id,
                                          teams_user_id=colleague.teams_user_id, name=colleague.name,
                                          email=colleague.email))
    world.connector.rosters[GROUP_CHAT] = [_member(ADELE), *(_member(c) for c in colleagues)]

    roster = await _roster_for(world, ADELE)

    assert [person.name for person in roster.bookable] == [c.name for c in colleagues[:19]]
    assert roster.not_bookable == [(c.name, "over the limit of 19 colleagues in one meeting") for c in colleagues[19:]]


async def test_a_roster_teams_does_not_give_is_a_message_to_try_again(world: BookingWorld) -> None:
    await world.set_up_tenant()  # the stub knows no roster for this chat: it answers 404

    with pytest.raises(RosterUnavailable, match="try again"):
        await _roster_for(world, ADELE)


async def test_the_group_line_reaches_the_group_chat_it_was_asked_from(world: BookingWorld) -> None:
    origin = await _in_group_chat(world, _origin)
    line = "Adele Vance booked Sync, Wed 10:00 - invitations sent."

    assert await post_group_line(world.services, origin, line)

    [sent] = world.connector.messages(GROUP_CHAT)
    assert sent.text == line
    assert group_chat_name(origin) == "Project sync"


async def test_a_group_line_without_a_chat_to_go_to_is_not_sent(world: BookingWorld) -> None:
    assert not await post_group_line(world.services, {}, "Adele Vance booked Sync.")
    assert not await post_group_line(world.services, {"reference": {"serviceUrl": world.connector.url}}, "x")
    assert world.connector.sent == []


async def test_a_group_line_the_bot_connector_refuses_is_reported_as_not_sent(world: BookingWorld) -> None:
    origin = await _in_group_chat(world, _origin)
    origin["reference"]["serviceUrl"] = "http://127.0.0.1:9"  # nothing listens there

    assert not await post_group_line(world.services, origin, "Adele Vance booked Sync.")


async def _origin(turn_context: TurnContext) -> dict[str, Any]:
    return group_origin_of(turn_context)
