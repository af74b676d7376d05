"""Cards for group chats and channels, where everyone reads along: nobody's calendar, only the way to a 1:1 chat."""

from __future__ import annotations

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
            heading("Hi everyone, I'm Rendezvous"),
            text("I find times that suit two colleagues on both Outlook calendars and book the meeting, with a "
                 "Teams link, in both."),
            text("Your calendar stays between you and me: book in a 1:1 chat with me. Anyone here can open one "
                 "with the button below.", subtle=True),
        ],
        [open_url("Chat with Rendezvous", chat_link), execute("Help", "help")],
    )


def personal_chat_card(chat_link: str) -> Card:
    """The answer to a personal command typed where others read along, when the bot has no 1:1 chat yet."""
    return card(
        [text("Let's do that in our 1:1 chat, so your calendar and your data stay between us. Open it, then type "
              "your request there.")],
        [open_url("Open our 1:1 chat", chat_link)],
    )
