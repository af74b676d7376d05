"""Cards every user meets: the welcome on install and the help list."""

from __future__ import annotations

from typing import Any

from cards import texts
from cards.base import Card, card, execute, facts, heading, plain, text

# Where no colleague of the reader's can be named (the manifest, a group chat, nobody else uses the bot yet).
COLLEAGUE_PLACEHOLDER = texts.COLLEAGUE_PLACEHOLDER
# Each command with what it does; "{example}" in a description stands for the booking example.
COMMANDS: list[tuple[str, str]] = [
    ("book", texts.COMMAND_BOOK),
    ("find a time", texts.COMMAND_FIND_A_TIME),
    ("my meetings", texts.COMMAND_MY_MEETINGS),
    ("connect", texts.COMMAND_CONNECT),
    ("disconnect", texts.COMMAND_DISCONNECT),
    ("privacy", texts.COMMAND_PRIVACY),
    ("setup", texts.COMMAND_SETUP),
    ("status", texts.COMMAND_STATUS),
    ("audit", texts.COMMAND_AUDIT),
    ("help", texts.COMMAND_HELP),
]


def book_example(colleague: str | None = None) -> str:
    """ "book 30 min with Ben Walters tomorrow at 3pm" with a colleague the reader has, else the placeholder."""
    return texts.BOOK_EXAMPLE.format(colleague=colleague or COLLEAGUE_PLACEHOLDER)


def _commands(colleague: str | None) -> list[tuple[str, str]]:
    example = plain(book_example(colleague))  # the name is the reader's text; "<colleague>" must stay visible
    return [(command, description.format(example=example)) for command, description in COMMANDS]


def welcome_card(name: str, colleague: str | None = None) -> Card:
    first_name = name.split(" ")[0] if name else texts.WELCOME_NO_NAME
    return card(
        [
            heading(texts.WELCOME_HEADING.format(first_name=plain(first_name))),
            text(texts.WELCOME_WHAT_I_DO),
            text(texts.TRY_TYPING.format(example=plain(book_example(colleague)))),
            text(texts.ONLY_FREE_BUSY, subtle=True),
        ],
        [execute(texts.BOOK_A_MEETING_BUTTON, "startBooking", style="positive"), execute(texts.HELP_BUTTON, "help")],
    )


def help_card(colleague: str | None = None) -> Card:
    """The command list; the booking example names `colleague` (one the reader has) or the placeholder."""
    return card(
        [heading(texts.HELP_HEADING), facts(_commands(colleague))],
        [execute(texts.BOOK_A_MEETING_BUTTON, "startBooking", style="positive")],
    )


def still_working_card(verb: str, data: dict[str, Any]) -> Card:
    """The answer to a button whose work outlasts Teams' wait; the bot replaces this card when the work is done.

    Its one button repeats the original action: pressed meanwhile, it joins the work in progress.
    """
    return card(
        [
            heading(texts.STILL_WORKING_HEADING),
            text(texts.STILL_WORKING_CARD),
        ],
        [execute(texts.CHECK_AGAIN_BUTTON, verb, data)],
    )


def late_answer_card(message: str, verb: str, data: dict[str, Any]) -> Card:
    """What a "still working" card becomes when the work ended with a message rather than a card."""
    return card([text(message)], [execute(texts.TRY_AGAIN_BUTTON, verb, data)])
