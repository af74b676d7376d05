"""`privacy`: what Rendezvous keeps about the person asking, and every Graph call it made about them."""

from __future__ import annotations

from botbuilder.core import TurnContext

from cards import texts
from cards.admin import GraphCallView, PrivacyView, privacy_card
from dialogs.context import Actor, Services
from dialogs.replies import card_message
from storage.crypto import TokenDecryptError
from storage.repositories import BookingRepository, GraphCallRepository, MemberRepository, TokenCacheRepository

GRAPH_CALLS_SHOWN = 50


async def privacy_view(services: Services, actor: Actor) -> PrivacyView:
    member = await MemberRepository(services.db, actor.tenant_id).get(actor.aad_object_id)
    fields: list[tuple[str, str]] = [(texts.STORED_OBJECT_ID, actor.aad_object_id)]
    if member is not None:
        fields += [
            (texts.STORED_NAME, member.name or "-"),
            (texts.STORED_EMAIL, member.email or "-"),
            (texts.STORED_UPN, member.user_principal_name or "-"),
            (texts.STORED_OUTLOOK_ZONE, member.outlook_time_zone or "-"),
            (texts.STORED_TEAMS_ZONE, member.time_zone or "-"),
            (texts.STORED_LOCALE, member.locale or "-"),
            (texts.STORED_TEAMS_ID, member.teams_user_id or "-"),
            (texts.STORED_CHAT, texts.STORED if member.conversation_reference else "-"),
            (texts.STORED_FIRST_SEEN, actor.clock.moment(member.first_seen_at) if member.first_seen_at else "-"),
        ]
    bookings = await BookingRepository(services.db, actor.tenant_id).list_for_member(
        actor.aad_object_id, upcoming_only=False
    )
    try:
        token_stored = (
            await TokenCacheRepository(services.db, services.cipher, actor.tenant_id).load(actor.aad_object_id)
        ) is not None
    except TokenDecryptError:  # a sign-in stored under an old key still counts as stored
        token_stored = True
    calls = await GraphCallRepository(services.db, actor.tenant_id).list_for(actor.aad_object_id, GRAPH_CALLS_SHOWN)
    return PrivacyView(
        stored_fields=fields,
        bookings=len(bookings),
        token_stored=token_stored,
        graph_calls=[GraphCallView(call.at, call.kind, call.reason) for call in calls],
        clock=actor.clock,
    )


class PrivacyDialogs:
    def __init__(self, services: Services) -> None:
        self.services = services

    async def privacy(self, turn_context: TurnContext, actor: Actor, argument: str) -> None:
        await turn_context.send_activity(card_message(privacy_card(await privacy_view(self.services, actor))))
