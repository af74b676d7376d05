"""What Rendezvous stores, said once for the `privacy` card and the /privacy page alike.

Each entry is one kind of stored data (storage/models.py: members, bookings with their booking_attendees and
booking_moves, token_caches, graph_calls, bot_state, consent_requests, tenants, mailbox_pauses) and how long it is
kept. Change it together with the tables
(tests/booking/test_privacy_statement.py maps every table to an entry).
"""

from __future__ import annotations

STORED_DATA: tuple[tuple[str, str], ...] = (
    ("About you",
     "your Microsoft Entra and Teams ids, name, email address and user principal name, the time zone and "
     "locale Teams reports, the time zone of your Outlook working hours, when you first "
     "and last used Rendezvous, a reference to your 1:1 chat with it so it can message you there, and, once you "
     "have used it from Teams on a phone, whether you last did, so its buttons work there."),
    ("Meetings booked here",
     "for each meeting booked through Rendezvous that you organize or are invited to: its subject, time, every "
     "colleague invited and whether each is optional, its state (booked, cancelled, failed), Outlook's event id "
     "and Teams link, and which chat message shows it. For each time it was moved: its old and new times, whether "
     "the move went through, and why, if it failed. The note for your colleagues is not kept with it: it goes "
     "into the invitation."),
    ("Searches in progress",
     "who asked and when, what you chose on the booking form or typed (the colleagues invited and which of them "
     "are optional, the length, the days, the time you asked for, the subject and note), the times offered and "
     "which one you booked, and, when the times were for moving a meeting, which meeting. A search asked for from "
     "a group chat also keeps that chat's reference (its Teams conversation id, name and type, your "
     "organization's id, the Teams service URL, the bot's and your Teams ids and names, and your message's id "
     "and language), so that the chat can be told once you book. The subject, the note and the group chat's "
     "reference are kept until you book one of the times or for an hour at most, also while a search waits for "
     "you to sign in; the rest is forgotten after 12 hours."),
    ("Calendar look-ups",
     "each time Rendezvous read or changed a calendar about you: when, what it did and why."),
    ("Your sign-in",
     "in individual mode only: your sign-in tokens, encrypted, until you type disconnect. For each sign-in link "
     "it also keeps who asked and what to continue afterwards, such as the booking you were making; the link "
     "works for 10 minutes and that record is deleted a day later."),
    ("When Outlook asks Rendezvous to wait",
     "with several Rendezvous servers: a SHA-256 digest of your organization's id and your mailbox address (not "
     "the address itself) and the time until which Outlook asked for no more requests about your calendar; "
     "deleted an hour after that time."),
    ("If you set Rendezvous up",
     "your organization's settings record who set it up and who granted consent (id and name)."),
)

NEVER_STORED = (
    "Of the rest of your calendar Rendezvous reads only when you are busy: never the subject, body, location "
    "or attendees of meetings it did not book, and it stores none of them."
)
