"""What every dialog is handed: who is talking (Actor), the app's services, and what a card action returns.

bot.py builds an Actor from each Teams activity and routes to a dialog method by command or card verb.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from dialogs.clock import reader_clock, shown_time_zone
from scheduling.display import Clock

if TYPE_CHECKING:
    from botbuilder.core import BotAdapter, ConversationState, TurnContext
    from botbuilder.schema import Activity

    from config import Settings
    from graph.calendar import CalendarClient
    from graph.tokens import AppTokenProvider, DelegatedAuth
    from storage.crypto import TokenCipher
    from storage.database import Database


@dataclass(frozen=True)
class Actor:
    """The person behind the current activity, as Teams identifies them."""

    tenant_id: str
    aad_object_id: str
    teams_user_id: str
    name: str
    conversation_id: str
    conversation_type: str  # "personal", "groupChat" or "channel"
    email: str | None = None
    time_zone: str | None = None  # IANA name from Teams' clientInfo, when the client sent one
    outlook_time_zone: str | None = None  # their Outlook working-hours zone, once Outlook has told us
    locale: str | None = None  # BCP 47 tag from the activity ("en-US"): how they read dates and times

    @property
    def is_personal_chat(self) -> bool:
        return self.conversation_type == "personal"

    @property
    def shown_time_zone(self) -> str | None:
        """The zone this person's times are shown in (dialogs/clock.py: Outlook's, else Teams')."""
        return shown_time_zone(self.outlook_time_zone, self.time_zone)

    @property
    def clock(self) -> Clock:
        """How this person reads timestamps: in their shown zone and their locale."""
        return reader_clock(self.outlook_time_zone, self.time_zone, self.locale)


@dataclass
class ActionResult:
    """What a card action produces: a card that replaces the clicked one, and/or a short text."""

    card: dict[str, Any] | None = None
    text: str | None = None


@dataclass
class Services:
    """Long-lived collaborators, created once in app.py and shared by every turn."""

    settings: Settings
    db: Database
    cipher: TokenCipher
    conversation_state: ConversationState
    adapter: BotAdapter
    calendar: CalendarClient | None = None
    app_tokens: AppTokenProvider | None = None
    delegated_auth: DelegatedAuth | None = None


CommandHandler = Callable[["TurnContext", Actor, str], Awaitable[None]]
ActionHandler = Callable[["TurnContext", Actor, dict[str, Any]], Awaitable[ActionResult]]
SearchHandler = Callable[["TurnContext", Actor, str], Awaitable[list[dict[str, str]]]]


def tenant_of(activity: Activity) -> str | None:
    """The Entra tenant of an activity: Teams' channelData.tenant.id, else conversation.tenantId.

    A shape Teams never sends (a tenant that is a bare string, channelData that is a list) counts as no
    tenant, so the turn is refused politely rather than failing.
    """
    channel_data = activity.channel_data
    tenant = channel_data.get("tenant") if isinstance(channel_data, dict) else None
    tenant_id = (tenant.get("id") if isinstance(tenant, dict) else None) or getattr(
        activity.conversation, "tenant_id", None
    )
    return str(tenant_id).lower() if tenant_id else None
