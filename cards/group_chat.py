"""Cards for group chats and channels, where everyone reads along: nobody's calendar, only the way to a 1:1 chat."""

from __future__ import annotations

from datetime import UTC, datetime

from cards import texts
from cards.base import Card, card, execute, heading, open_url, text

# Teams' deep link to a chat with a bot: the bot's id ("28:" and its Microsoft App ID) as the one user.
# learn.microsoft.com/microsoftteams/platform/concepts/build-and-test/deep-link-application
_CHAT_LINK = "https://teams.microsoft.com/l/chat/0/0?users={user}"
BOT_ID_PREFIX = "28:"


def bot_chat_link(bot_id: str) -> str:
    """The link that opens the reader's own 1:1 chat with the bot (Teams creates it if it does not exist)."""
    # A bot's id is "28:" and a GUID: nothing in it needs escaping in a query string.
    user = bot_id if bot_id.startswith(BOT_ID_PREFIX) else BOT_ID_PREFIX + bot_id
    return _CHAT_LINK.format(user=user)


def group_welcome_card(chat_link: str) -> Card:
    """The install welcome in a group chat or channel: addressed to everyone there."""
    return card(
        [
            heading(texts.GROUP_WELCOME_HEADING),
            text(texts.GROUP_WELCOME_WHAT_I_DO),
            text(texts.GROUP_WELCOME_PRIVACY, subtle=True),
        ],
        [open_url(texts.CHAT_WITH_RENDEZVOUS_BUTTON, chat_link), execute(texts.HELP_BUTTON, "help")],
    )


def personal_chat_card(chat_link: str) -> Card:
    """The answer to a personal command typed where others read along, when the bot has no 1:1 chat yet."""
    return card(
        [text(texts.MOVE_TO_PERSONAL_CHAT)],
        [open_url(texts.OPEN_PERSONAL_CHAT_BUTTON, chat_link)],
    )


def _reader_time(moment: datetime, function: str, style: str = "") -> str:
    """Teams' date/time function for a TextBlock: each reader sees the moment in their own zone and locale.
    learn.microsoft.com/microsoftteams/platform/task-modules-and-cards/cards/cards-format#date-and-time-formatting"""
    stamp = moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return "{{" + function + "(" + stamp + (", " + style if style else "") + ")}}"


def group_booked_card(organizer: str, subject: str, start_utc: datetime, end_utc: datetime) -> Card:
    """The one line a group chat reads after a meeting asked for there is booked: who booked what, and when in
    each reader's own clock. Nobody's free/busy, nobody's other meetings."""
    when = (f"{_reader_time(start_utc, 'DATE', 'SHORT')}, {_reader_time(start_utc, 'TIME')}"
            f"–{_reader_time(end_utc, 'TIME')}")
    return card([text(texts.GROUP_BOOKED_LINE.format(organizer=organizer, subject=subject, when=when))])
