"""Cards every user meets: the welcome on install and the help list."""

from __future__ import annotations

from typing import Any

from cards.base import Card, card, execute, facts, heading, plain, text

# Where no colleague of the reader's can be named (the manifest, a group chat, nobody else uses the bot yet).
COLLEAGUE_PLACEHOLDER = "<colleague>"
BOOK_EXAMPLE = "book 30 min with {colleague} tomorrow at 3pm"
COMMANDS: list[tuple[str, str]] = [
    ("book", "Book a meeting with a colleague (try: " + BOOK_EXAMPLE + ")"),
    ("my meetings", "List the meetings you booked here, and cancel one"),
    ("connect", "Connect your own Outlook calendar (individual mode)"),
    ("disconnect", "Remove your calendar connection (admins: turn the integration off)"),
    ("privacy", "What Rendezvous stores about you and every calendar look-up it made"),
    ("setup", "Admins: connect your organization's Outlook calendars"),
    ("status", "Admins: how the integration is doing"),
    ("audit", "Admins: bookings made through Rendezvous in your organization"),
    ("help", "This list"),
]


def book_example(colleague: str | None = None) -> str:
    """ "book 30 min with Ben Walters tomorrow at 3pm" with a colleague the reader has, else the placeholder."""
    return BOOK_EXAMPLE.format(colleague=colleague or COLLEAGUE_PLACEHOLDER)


def _commands(colleague: str | None) -> list[tuple[str, str]]:
    example = plain(book_example(colleague))  # the name is the reader's text; "<colleague>" must stay visible
    return [(command, description.replace(BOOK_EXAMPLE, example)) for command, description in COMMANDS]


def welcome_card(name: str, colleague: str | None = None) -> Card:
    first_name = name.split(" ")[0] if name else "there"
    return card(
        [
            heading(f"Hi {plain(first_name)}, I'm Rendezvous"),
            text(
                "I find times that suit you and a colleague on both Outlook calendars, in both time zones, "
                "and put the meeting (with a Teams link) in both calendars."
            ),
            text(f"Try typing: {plain(book_example(colleague))}"),
            text(
                "I only ever look at free/busy of the people you pick, never the content of their meetings.",
                subtle=True,
            ),
        ],
        [execute("Book a meeting", "startBooking", style="positive"), execute("Help", "help")],
    )


def help_card(colleague: str | None = None) -> Card:
    """The command list; the booking example names `colleague` (one the reader has) or the placeholder."""
    return card(
        [heading("What I can do"), facts(_commands(colleague))],
        [execute("Book a meeting", "startBooking", style="positive")],
    )


def still_working_card(verb: str, data: dict[str, Any]) -> Card:
    """The answer to a button whose work outlasts Teams' wait; the bot replaces this card when the work is done.

    Its one button repeats the original action: pressed meanwhile, it joins the work in progress.
    """
    return card(
        [
            heading("Still working on it"),
            text("Microsoft's services are slow to answer right now. I'll update this card as soon as it's done; "
                 "there's no need to click again."),
        ],
        [execute("Check again", verb, data)],
    )


def late_answer_card(message: str, verb: str, data: dict[str, Any]) -> Card:
    """What a "still working" card becomes when the work ended with a message rather than a card."""
    return card([text(message)], [execute("Try again", verb, data)])
