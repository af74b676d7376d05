"""`privacy`: what Rendezvous keeps about the person asking, and every Graph call it made about them."""

from __future__ import annotations

from botbuilder.core import TurnContext

from cards.admin import GraphCallView, PrivacyView, privacy_card
from dialogs.context import Actor, Services
from dialogs.replies import card_message
from storage.crypto import TokenDecryptError
from storage.repositories import BookingRepository, GraphCallRepository, MemberRepository, TokenCacheRepository

GRAPH_CALLS_SHOWN = 50


async def privacy_view(services: Services, actor: Actor) -> PrivacyView:
    member = await MemberRepository(services.db, actor.tenant_id).get(actor.aad_object_id)
    fields: list[tuple[str, str]] = [("Microsoft Entra object ID", actor.aad_object_id)]
    if member is not None:
        fields += [
            ("Name", member.name or "-"),
            ("Email", member.email or "-"),
            ("User principal name", member.user_principal_name or "-"),
            ("Time zone of your Outlook working hours", member.outlook_time_zone or "-"),
            ("Time zone Teams reports", member.time_zone or "-"),
            ("Locale Teams reports", member.locale or "-"),
            ("Teams user ID", member.teams_user_id or "-"),
            ("Chat to reach you in", "stored" if member.conversation_reference else "-"),
            ("First seen", actor.clock.moment(member.first_seen_at) if member.first_seen_at else "-"),
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
