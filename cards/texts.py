"""Every sentence Rendezvous says to a person, in English: the one place a translation starts from.

Names are constants; sentences with a blank are str.format templates with named fields, filled at the call site
with text that is already escaped there (people's names go through cards.base.plain before they are inserted).
Log lines are not here: they are for the operator, not the reader. docs/ARCHITECTURE.md ("Wording") says how a
second language would be added.
"""

from __future__ import annotations

# --- bot.py: routing and refusals ---------------------------------------------------------------------------------
UNKNOWN_COMMAND = "I didn't understand that. Type **help** to see what I can do."
UNREADABLE_ACTION = "I didn't understand that button. Type **help** to start again."
UNREADABLE_ACTIVITY = "I couldn't read that message: it didn't come in the shape Teams uses. Please try again."
ONE_TO_ONE_ONLY = (
    "Let's do that in our 1:1 chat, so your calendar and your data stay between us. "
    "Open Rendezvous from the Teams app bar (or message me directly) and try there."
)
ANSWERED_IN_PERSONAL_CHAT = "I've answered you in our 1:1 chat, so your calendar and your data stay between us."
TEAMS_ONLY = "Rendezvous works inside Microsoft Teams only. Please open it from Teams."
NO_TENANT = "I can only help inside a Microsoft Teams organization (this chat has no tenant)."
MEMBERS_ONLY = "I can only help members of an organization; guests and anonymous users can't book here."
BUTTON_NO_LONGER_SUPPORTED = "That button is no longer supported. Type **help** to start again."
UNKNOWN_DATASET = "Unknown dataset “{dataset}”"
