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
# What Teams shows for a card button whose work ended without a card or a message of its own.
DONE = "Done."

# --- dialogs/access.py: who may do what ---------------------------------------------------------------------------
WHO_IS_AN_ADMIN = (
    "someone your organization gave the Rendezvous.Admin role (Microsoft Entra admin center, Enterprise "
    "applications, Rendezvous, Users and groups)"
)
ADMIN_ONLY = (
    f"Only a Rendezvous admin can do that: {WHO_IS_AN_ADMIN}. Ask one of them, or ask a Global Administrator "
    "to give you that role."
)
NOT_SET_UP = (
    "Rendezvous isn't connected to your organization's Outlook calendars yet. "
    "Ask an administrator to type **setup** in a chat with me."
)
GROUP_CHECK_FAILED = (
    "I couldn't check whether Rendezvous is allowed for this person in your organization, so I "
    "stopped here. Please try again in a few minutes; an admin can see the reason with **status**."
)
YOU_ARE_NOT_IN_THE_GROUP = (
    "Your organization has limited Rendezvous to the members of one security group, and you're not "
    "in it. Ask your Teams administrator to add you if you need it."
)
COLLEAGUE_NOT_IN_THE_GROUP = (
    "Your organization has limited Rendezvous to the members of one security group, and {name} isn't "
    "in it, so I can't look at their calendar or book them."
)
UNKNOWN_PERSON = "that person"
# Why Rendezvous asked Microsoft Graph about someone: listed on their `privacy` card.
REASON_GROUP_CHECK = "checking your organization's security-group restriction for Rendezvous"
ACCESS_POLICY_BLOCKS_MAILBOX = (
    "Your organization's Exchange settings don't let Rendezvous read this calendar. I've left a note "
    "for your administrator, who can add the mailbox to Rendezvous's application access policy."
)

# --- dialogs/connect.py: a member's own calendar connection -------------------------------------------------------
DOMAIN_WIDE_NOTE = (
    "There's nothing to connect: your organization connected everyone's calendars at once (domain-wide mode). "
    "Just type **book** to book a meeting."
)
CONNECT_TITLE = "Connect your Outlook calendar"
CONNECT_EXPLAINED = (
    "Sign in with your work account so I can see when you're free and add meetings to your calendar. "
    "I'll message you here when it's done."
)
CONNECT_BUTTON = "Connect calendar"
LINK_IS_PERSONAL = "The link is for you only, works once and expires in 10 minutes."
SIGNED_IN_TITLE = "Signed in ✓"
SIGNED_IN = (
    "Your Outlook calendar is connected to Rendezvous. This card's link has "
    "been used; type **connect** if you ever need a new one."
)
ALREADY_CONNECTED = "Your calendar is already connected. Use the button below only if you want to sign in again."
DISCONNECT_TITLE = "Disconnect"
NO_CONNECTION_TO_REMOVE = "You have no calendar connection stored with Rendezvous, so there was nothing to remove."
DISCONNECTED = (
    "Done: I deleted your stored sign-in, so Rendezvous can no longer use your calendar. Meetings already "
    "booked stay in your calendar. Type **connect** whenever you want to connect again."
)

# --- dialogs/clock.py: said once per conversation when Teams and Outlook disagree ---------------------------------
ZONE_NOTICE = "You appear to be in {place} right now; times are shown in your Outlook time zone, {title}."
ZONE_NOTICE_UTC = "Teams says your device is set to UTC; times are shown in your Outlook time zone, {title}."

# --- dialogs/deadlines.py: a turn that takes longer than Teams waits ----------------------------------------------
STILL_WORKING_MESSAGE = "Still working on it; I'll answer here as soon as it's done."
STILL_WORKING_SUBMIT = "Still working on it; I'll update the card as soon as it's done."

# --- dialogs/privacy.py: the labels of what is stored about the reader --------------------------------------------
STORED_OBJECT_ID = "Microsoft Entra object ID"
STORED_NAME = "Name"
STORED_EMAIL = "Email"
STORED_UPN = "User principal name"
STORED_OUTLOOK_ZONE = "Time zone of your Outlook working hours"
STORED_TEAMS_ZONE = "Time zone Teams reports"
STORED_LOCALE = "Locale Teams reports"
STORED_TEAMS_ID = "Teams user ID"
STORED_CHAT = "Chat to reach you in"
STORED = "stored"
STORED_FIRST_SEEN = "First seen"

# --- dialogs/booking_people.py: which colleague is meant ----------------------------------------------------------
INVITE_HINT = "ask them to open Rendezvous in Teams once"
# The organizer's name on their own cards when neither Teams nor our records know it.
ORGANIZER_WITHOUT_NAME = "You"
YOUR_COLLEAGUE = "your colleague"
YOURSELF = "You can't book a meeting with yourself. Tell me which colleague you want to meet."
COLLEAGUE_EMAIL_UNKNOWN = (
    "Teams hasn't shared {name}'s work email address with me yet, so I can't look at their "
    "calendar. Ask them to send me any message in Teams, then try again."
)
OWN_EMAIL_UNKNOWN = (
    "Teams hasn't shared your work email address with me yet, so I can't look at your calendar. "
    "Please send me any message (for example help) and try again in a minute."
)
PICK_A_COLLEAGUE = "Please pick the colleague you want to meet."
COLLEAGUE_NEVER_USED_RENDEZVOUS = (
    "I can only book colleagues in your organization who have used Rendezvous, and that person "
    f"isn't one of them yet. To book them, {INVITE_HINT}."
)
SEVERAL_COLLEAGUES_MATCH = 'Several colleagues match "{needle}" ({names}). Pick the right one below.'
OUTSIDE_THE_ORGANIZATION = (
    "{needle} is not in your organization. Rendezvous only books colleagues of your own "
    "organization."
)
NO_SUCH_COLLEAGUE = (
    'I don\'t know anyone called "{needle}" among the colleagues who use Rendezvous. '
    f"Only people who have opened Rendezvous can be booked: {INVITE_HINT}."
)

# --- dialogs/booking_recovery.py: a booking an interrupted turn left unfinished -----------------------------------
REASON_RECOVERY_LOOK = "check whether an interrupted booking reached Outlook"
STILL_UNSETTLED = ("I was interrupted while booking this meeting, and I can't reach your Outlook calendar right now "
                   "to see whether it went through. I'll keep checking and tell you here.")
RECOVERED_BOOKING = ("Your meeting with {colleague} ({when}) went "
                     "through, though I was interrupted before I could confirm it.")
INTERRUPTED_BOOKING = "I couldn't finish booking your meeting with {colleague} ({when}): I was interrupted"
INTERRUPTED_NOTHING_CREATED = (
    "{opening}, and nothing was created in Outlook. Press **Book this time** again to retry, "
    "or type **book** to pick another time."
)
INTERRUPTED_COULD_NOT_CHECK = (
    "{opening}, and I couldn't reach your Outlook calendar to see whether the meeting was created. "
    "If it is in your calendar, it stands; if not, type **book** to pick a time again."
)
REASON_MOVE_RECOVERY_LOOK = "check whether an interrupted move of a meeting reached Outlook"
REASON_MOVE_RECOVERY_FINISH = "finish moving a meeting to the time its organizer picked, after an interruption"
RECOVERED_MOVE = ("Your meeting with {with_names} is now at {when}: the move went through, though I was "
                  "interrupted before I could confirm it.")
MEETING_MOVED_BY = "{organizer} moved your meeting to {when}."
INTERRUPTED_MOVE = ("I couldn't finish moving your meeting with {with_names}: I was interrupted, and the meeting "
                    "keeps its time ({when}). Check your Outlook calendar, and use **my meetings** to move it again.")

# --- dialogs/booking/: finding a time, booking it, and the meetings afterwards ---------------------------------------
THROTTLED = "Outlook is busy, try again in a minute."
TELL_ME_THE_REST = "Tell me the rest and I'll find times that suit you both."
PICK_A_LENGTH = "Please pick how long the meeting should be."
NO_LATER_WINDOW = "I can only look 8 weeks ahead, and there is no later window to try."
WINDOW_PASSED = "That window has already passed. Pick a later one."
HEADS_UP = "Heads up: {change}."
NO_MORE_TIMES = "There are no more times in this window."
NOTHING_FITS = "Nothing fits in this window."
CALENDAR_UNREAD = ("I couldn't read {name}'s calendar ({reason}), so "
                  "times marked unverified only fit their working hours.")
ASKED_TIME_NOT_FREE = "{asked} doesn't work: {why_not}. Here are the nearest times."
CALENDARS_NOT_READ = "{names}'s calendar could not be read"
NO_ROOM_IN_WORKING_HOURS = "Your working hours leave no room for a {length} meeting in this window."
YOUR = "your"
POSSESSIVE = "{name}'s"
AVAILABILITY_UNCONFIRMED = "Outlook could not confirm {whose} availability"
ONLY_BUSY_SUGGESTIONS = ("Outlook only suggested times when you or {colleague} are "
                         "tentative, busy or away, and I don't offer those.")
OUTLOOK_DOES_NOT_SUGGEST_ASKED = "Outlook doesn't suggest {label} for you both. Here are the nearest times it does."
TIME_TAKEN = "That time was taken in the meantime. Here are fresh times."
BOOKED_BY = "Booked by {organizer} with Rendezvous in Microsoft Teams."
STILL_BOOKING = "I'm still booking this meeting. It will appear in **my meetings** in a moment."
BOOKING_FAILED_RETRY = "Booking this time failed a moment ago. Press **Book this time** again to retry."
CARD_NAMES_NO_MEETING = "That card did not say which meeting you mean. Type **my meetings** to see them."
NOT_YOUR_MEETING = "I can't find that meeting among yours. Type **my meetings** to see them."
PARTICIPANT_UNKNOWN = "One of the people in that meeting is no longer known to Rendezvous."
THEIR_RESPONSE = "{name}: {response}"
YOUR_RESPONSE = "You: {response}"
RESPONSE_EVENT_GONE = "the meeting is no longer in Outlook"
RESPONSE_NOT_OURS = "unknown (the Outlook item is not Rendezvous's)"
RESPONSE_NONE_YET = "none yet"
# A meeting's length ("30 min", "1 h", "1 h 30 min"); a custom length is prefilled with it and read back by
# scheduling/durations.py, so a translation keeps words that parser knows.
DURATION_MINUTES = "{minutes} min"
DURATION_HOURS = "{hours} h"
DURATION_HOURS_MINUTES = "{hours} h {minutes} min"
# Why each Graph call was made: recorded with it for every person it concerns, and listed by **privacy**.
# Names are filled in as text (the privacy card escapes what it shows).
CALL_REASON_FIND_TIMES = "free/busy to find times for {organizer} and {colleague}"
CALL_REASON_SUGGEST_TIMES = "suggest times for {organizer} and {colleague}"
CALL_REASON_WORKING_HOURS = "read {organizer}'s working hours to suggest times"
CALL_REASON_RECHECK = "re-check a time before booking for {organizer}"
CALL_REASON_BOOK = "book a meeting {organizer} asked for"
CALL_REASON_READ_REPLY = "read back the reply to a meeting booked with Rendezvous"
CALL_REASON_FIND_COPY = "find your copy of a meeting booked with Rendezvous"
CALL_REASON_CANCEL = "cancel a meeting booked with Rendezvous, at {name}'s request"
CALL_REASON_DECLINE = "decline a meeting booked with Rendezvous, at {name}'s request"
RESPONSE_NEEDS_CONNECT = "unknown (type **connect** to let me read your calendar)"
RESPONSE_NOT_ASKED = "unknown (Outlook could not be asked just now)"
RESPONSE_NOT_IN_CALENDAR = "not in your Outlook calendar any more (declined or removed)"
NEVER_CREATED = "That meeting was never created in Outlook, so there is nothing to cancel."
INVITATION_GONE = ("That meeting is no longer in your Outlook calendar: you may have declined or "
                   "deleted it there already.")
ALREADY_CANCELLED_BY = "{organizer} has already cancelled that meeting in Outlook."
GRAPH_NOT_CONFIGURED = "Rendezvous itself isn't configured to reach Microsoft yet. Please tell the people who run it."
NO_EMAIL_FROM_TEAMS = ("Teams didn't tell me your email address, so I can't find your calendar. "
                       "Please try again in a minute.")
ORGANIZATION_NOT_CONNECTED = ("Your organization hasn't connected Rendezvous to Outlook yet. "
                              "Ask a Teams admin to type **setup** here.")
ACCESS_POLICY_BLOCKS_CALENDAR = ("Your organization's Exchange settings don't let Rendezvous read {whose} calendar; "
                                 "your admin can check the application access policy.")
COLLEAGUE_BUSY_THROUGHOUT = "{colleague} is busy at every time that fits both your working hours in this window."
COLLEAGUE_BUSY_OR_UNREAD = ("Outlook couldn't read {colleague}'s free/busy, or {first_name} is "
                            "busy at every time that fits in this window.")
NO_ROOM_FREE = "Outlook found no meeting room free at any time that fits in this window."
ORGANIZER_BUSY_THROUGHOUT = "Your calendar has no free time long enough in this window."
NO_SUGGESTION_NO_REASON = "Outlook couldn't suggest a time and didn't say why. Try another window, or book in Outlook."
PERMISSION_NEEDED = "I need your permission to use your Outlook calendar."
WINDOW_NEEDS_BOTH_DATES = "Please give both dates of the window (From and To)."
WINDOW_DATES_UNREADABLE = "Dates must be real calendar dates written like 2026-12-01."
PICK_A_WINDOW = "Please pick when: this week, next week, or between two dates."

# --- dialogs/admin.py: setup, status, disconnect and the self-test --------------------------------------------------
REASON_SELF_TEST_FREE_BUSY = "setup self-test: reading your own free/busy for the next hour"
REASON_SELF_TEST_GROUP = "setup self-test: reading the security group"
NOT_CONFIGURED = (
    "Rendezvous itself can't reach Microsoft yet: the server running it has no Microsoft app credentials. "
    "Please tell the person who runs Rendezvous."
)
NOT_A_TENANT_ID = (
    "“{value}” isn't a tenant ID. It is a GUID such as 72f988bf-86f1-41af-91ab-2d7cd011db47; "
    "you'll find it on the Overview page of Microsoft Entra admin center."
)
OTHER_TENANT = (
    "That tenant ID belongs to a different organization than the Teams organization you're chatting "
    "from ({tenant_id}). Rendezvous can only be set up for the organization you're in."
)
CHOOSE_A_MODE = "Please choose an integration mode: domain-wide or individual."
NOT_A_GROUP_ID = (
    "“{value}” isn't a group object ID. Copy the Object ID (a GUID) from the group's page in "
    "Microsoft Entra admin center, or leave the field empty."
)
LINK_NOTE = "The link works once and expires in 10 minutes."
ADMIN_SIGN_IN_NOTE = (
    "Sign in with the work account you use in Teams. I only read which roles your account has: this sign-in "
    "gives Rendezvous no access to your calendar."
)
CONSENT_DOMAIN_WIDE = (
    "Domain-wide mode needs application permissions, which only a Global Administrator or Privileged Role "
    "Administrator of your organization can grant."
)
CONSENT_INDIVIDUAL = (
    "Individual mode asks only for delegated permissions (each member later connects their own "
    "calendar); a Global Administrator, Privileged Role Administrator, Cloud Application Administrator or "
    "Application Administrator can grant them."
)
CONSENT_GROUP_NEEDS_MORE = (
    " Limiting Rendezvous to a security group also needs the application permissions "
    "GroupMember.Read.All and User.Read.All, which this link doesn't ask for: a Global Administrator "
    "or Privileged Role Administrator grants them under Enterprise applications, Rendezvous, "
    "Permissions (Microsoft grants an app's application permissions all together). Without them the "
    "self-test fails and Rendezvous stays off."
)
CONSENT_WHO = (
    "{who} If that's you, open the link and sign in with your admin account. If not, send the link to one "
    "of them: it works in any browser, for your organization only. I'll tell you here as soon as it's done "
    "and tested."
)
STILL_ADMIN_TITLE = "Confirm you're still an admin"
ADMIN_PROOF_TOO_OLD = (
    "Your last admin sign-in is too old for **{command}**. Sign in again and I'll continue right after."
)
NOT_AVAILABLE_TITLE = "Not available"
SIGN_IN_UNAVAILABLE_TITLE = "Sign-in unavailable"
SIGN_IN_BUTTON = "Sign in"
CONFIRM_ADMIN_TITLE = "Confirm you're a Rendezvous admin"
CONTINUE_AFTER_SIGN_IN = "Sign in and I'll continue with **{command}** right after."
SETUP_TITLE = "Rendezvous setup"
CONFIRM_ADMIN_FIRST_TITLE = "First, confirm you're a Rendezvous admin"
ALREADY_CONSENTED = (
    "Your organization has already granted Rendezvous its permissions, so I need to see that "
    f"you may set it up: {WHO_IS_AN_ADMIN}. Sign in and I'll finish the setup right after."
)
GRANT_PERMISSIONS = "Grant permissions"
CONSENT_NEXT = "Next, Microsoft's consent page approves Rendezvous for your organization ({mode}). {explanation}"
STATUS_TITLE = "Rendezvous status"
NOT_SET_UP_YET = "Not set up yet. Type **setup** to begin."
TURNED_OFF_TITLE = "Rendezvous is turned off"
TURNED_OFF = (
    "Calendar access is off for your organization and {removed} stored sign-in(s) were deleted. "
    "Existing meetings stay in everyone's calendar. Type **setup** to turn it on again. To remove "
    "the app's permissions entirely, delete Rendezvous under Enterprise applications in "
    "Microsoft Entra admin center."
)
SELF_TEST_FAILED = "Setup self-test failed. {failed}"
CHECK_CONFIGURATION = "Configuration"
CHECK_TOKEN = "Access token"
TOKEN_ISSUED = "Microsoft issued Rendezvous a token."
CHECK_OWN_CALENDAR = "Your calendar"
FREE_BUSY_SKIPPED = "Not connected yet, so I skipped the free/busy test. Type **connect** to connect it."
CHECK_FREE_BUSY = "Free/busy test"
MAILBOX_UNKNOWN = "I don't know your mailbox address yet."
FREE_BUSY_READ = "I could read your own free/busy."
NO_FREE_BUSY = "Outlook returned no free/busy."
CHECK_GROUP = "Security group"
GROUP_READ = "I can read the group's members"
GROUP_HAS_YOU = "; you are in it."
GROUP_LACKS_YOU = "; note that you are not in it yourself."
GROUP_UNREADABLE = (
    "I couldn't check the group: {diagnostic} Restricting to a group needs the "
    "GroupMember.Read.All and User.Read.All application permissions."
)
INTEGRATION_ENABLED = "Calendar integration is now enabled, {mode}."
EACH_MEMBER_CONNECTS = " Each member types **connect** once to connect their own calendar."
SELF_TEST_BLOCKED = "The permissions were granted, but the self-test failed, so Rendezvous is not enabled yet:"
FIX_AND_RETRY = "Fix the problem above, then type **setup** to try again."

# --- dialogs/booking_state.py: clicks on suggestions that can no longer be honoured ---------------------------------
CARD_NAMES_NO_SEARCH = (
    "That card is missing what I need to know which times you mean. "
    "Type **book** to start again."
)
SEARCH_FORGOTTEN = (
    "I don't know those times any more (or they were not offered to you). "
    "Type **book** to find fresh ones."
)
SEARCH_OF_SOMEONE_ELSE = (
    "Those times were offered to someone else, so only they can book them. "
    "Type **book** to find times of your own."
)
CARD_NAMES_NO_TIME = (
    "That card did not say which time you picked. Please pick a time again."
)
ALREADY_BOOKED_FROM_SEARCH = (
    "You already booked a time from these suggestions. "
    "Type **book** to book another meeting."
)
TIME_NOT_OFFERED = (
    "That time was not one I offered, so I did not book it. "
    "Please pick one of the times on the card."
)
TIMES_TOO_OLD = (
    "These times are more than 15 minutes old and may have been taken since. "
    "Press **Change options** or type **book** to get fresh ones."
)

# --- dialogs/access.py: one line for an administrator (shown by **status**), then the Graph request ids ------------
DIAGNOSTIC_ACCESS_POLICY = (
    "Exchange's application access policy blocked the mailbox (403 ErrorAccessDenied). Add the "
    "mailbox to the policy's mail-enabled security group, or widen the policy "
    "(New-ApplicationAccessPolicy / Test-ApplicationAccessPolicy).{request_ids}"
)
DIAGNOSTIC_PERMISSION_MISSING = (
    "Microsoft Graph answered 403: the app lacks a permission it needs (Calendars.ReadWrite; "
    "GroupMember.Read.All and User.Read.All for the security group). Grant admin consent again "
    "with **setup**.{request_ids}"
)
DIAGNOSTIC_NOT_FOUND = "Microsoft Graph answered 404: the mailbox or group does not exist.{request_ids}"
DIAGNOSTIC_GRAPH_ERROR = "Microsoft Graph answered {status} {code}.{request_ids}"
DIAGNOSTIC_UNEXPECTED = "Unexpected failure: {error}."
DIAGNOSTIC_REQUEST_ID = " (request-id {request_id})"
DIAGNOSTIC_GROUP_CHECK_FAILED = "Security group check failed: {diagnostic}"

# --- web/auth_routes.py: the pages after a sign-in or consent link, and what Teams is told --------------------------
GO_BACK = "You can close this window and go back to Teams."
LINK_USED = "This card's link has been used."
CONNECTED = "Rendezvous is connected ✓"
CONNECTED_NOTE = "Calendar integration is enabled for your organization."
DID_NOT_WORK = "That didn't work"
LINK_NOT_OURS = "This link wasn't issued by Rendezvous, or it was changed on the way. Start again from Teams."
LINK_EXPIRED = "This link has expired (links work for 10 minutes). Start again from Teams."
LINK_REPLAYED = "This link was already used. Each link works once; start again from Teams if you need to."
PAGE_TITLE = "{title} - Rendezvous"
LINK_WITHOUT_STATE = "The link is missing its state value. Start again from Teams."
SIGN_IN_IS_A_FORM = (
    "Microsoft sends sign-in answers to Rendezvous as a form, so this address can't be opened as a link. "
    "Start again from Teams."
)
SIGN_IN_NOT_CONFIGURED = "Rendezvous isn't configured to sign people in yet. Tell the person who runs it."
SIGN_IN_FAILED = "The sign-in didn't work: {problem}"
SOMEONE_ELSE_SIGNED_IN = (
    "Someone signed in with a different account than yours, so I ignored that sign-in. "
    "Please sign in with your own work account."
)
WRONG_ACCOUNT = (
    "You signed in with a different account than the one that asked in Teams, so nothing changed. "
    "Sign in with the same work account you use in Teams, from a new link."
)
NOT_AN_ADMIN = (
    "Your account doesn't have the Rendezvous admin role, so I changed nothing. A Rendezvous admin "
    f"is {WHO_IS_AN_ADMIN}."
)
ADMIN_CONFIRMED = "You're confirmed as a Rendezvous admin."
ADMIN_CONFIRMED_PAGE = "You're confirmed as an admin"
CONNECTED_PAGE = "Rendezvous is connected"
ENABLED_PAGE = "Calendar integration is now enabled. {go_back}"
SELF_TEST_FAILED_SEE_TEAMS = "The self-test failed, so Rendezvous is not enabled yet. The details are in Teams."
APP_CREDENTIALS_MISSING = "Rendezvous isn't configured with its Microsoft app credentials yet."
MEMBER_CONNECTED = "Connected: Rendezvous can now use your Outlook calendar. Type **book** to book."
CALENDAR_CONNECTED_PAGE = "Your calendar is connected"
PERMISSIONS_NOT_GRANTED = "Permissions were not granted. {problem}"
CONSENT_IN_OTHER_TENANT = (
    "The permissions were granted in a different organization than the one you're setting up in "
    "Teams. Sign in with an admin account of your own organization and try setup again."
)
CONSENT_NOT_CONFIRMED = "Microsoft didn't confirm the consent. Start setup again from Teams."
SET_UP_MEANWHILE = (
    "Rendezvous was set up for your organization in the meantime, so this approval changed nothing. "
    f"To change the setup, a Rendezvous admin types **setup**: {WHO_IS_AN_ADMIN}."
)
NOTHING_CHANGED = "Nothing changed"
BECOME_AN_ADMIN = (
    "\nTo use **status** and **audit** or to change the setup later, you need to be a Rendezvous "
    f"admin: {WHO_IS_AN_ADMIN}."
)
PERMISSIONS_GRANTED_TEST_FAILED = "The permissions were granted, but the self-test failed. The details are in Teams."
SETTLED = "{text} {link_used}"
SELF_TEST_FAILED_SEE_BELOW = (
    "The self-test failed, so Rendezvous is not enabled yet: the details are in the message below."
)
SOMETHING_WENT_WRONG = "Something went wrong"
PROBLEM_ON_OUR_SIDE = (
    "Rendezvous couldn't finish this step because of a problem on its side. Please start again "
    "from Teams in a few minutes."
)

# --- cards/common.py and cards/group_chat.py: welcome, help, and the "still working" card -------------------------
WELCOME_HEADING = "Hi {first_name}, I'm Rendezvous"
WELCOME_NO_NAME = "there"
WELCOME_WHAT_I_DO = (
    "I find times that suit you and a colleague on both Outlook calendars, in both time zones, "
    "and put the meeting (with a Teams link) in both calendars."
)
TRY_TYPING = "Try typing: {example}"
ONLY_FREE_BUSY = "I only ever look at free/busy of the people you pick, never the content of their meetings."
BOOK_A_MEETING_BUTTON = "Book a meeting"
HELP_BUTTON = "Help"
HELP_HEADING = "What I can do"
STILL_WORKING_HEADING = "Still working on it"
STILL_WORKING_CARD = (
    "Microsoft's services are slow to answer right now. I'll update this card as soon as it's done; "
    "there's no need to click again."
)
CHECK_AGAIN_BUTTON = "Check again"
TRY_AGAIN_BUTTON = "Try again"
GROUP_WELCOME_HEADING = "Hi everyone, I'm Rendezvous"
GROUP_WELCOME_WHAT_I_DO = (
    "I find times that suit two colleagues on both Outlook calendars and book the meeting, with a "
    "Teams link, in both."
)
GROUP_WELCOME_PRIVACY = (
    "Your calendar stays between you and me: book in a 1:1 chat with me. Anyone here can open one "
    "with the button below."
)
CHAT_WITH_RENDEZVOUS_BUTTON = "Chat with Rendezvous"
MOVE_TO_PERSONAL_CHAT = (
    "Let's do that in our 1:1 chat, so your calendar and your data stay between us. Open it, then type "
    "your request there."
)
OPEN_PERSONAL_CHAT_BUTTON = "Open our 1:1 chat"
# The booking example of the welcome and help cards: a request the booking parser understands as typed.
BOOK_EXAMPLE = "book 30 min with {colleague} tomorrow at 3pm"
# Stands for the colleague in the example where none of the reader's can be named.
COLLEAGUE_PLACEHOLDER = "<colleague>"
# The help card's list, one line per command (cards/common.py COMMANDS); {example} is BOOK_EXAMPLE filled in.
COMMAND_BOOK = "Book a meeting with a colleague (try: {example})"
COMMAND_FIND_A_TIME = ("In a group chat: find a time with the chat's members who use Rendezvous (the times come "
                       "to your 1:1 chat with me)")
COMMAND_MY_MEETINGS = "List the meetings you booked here, and cancel one"
COMMAND_CONNECT = "Connect your own Outlook calendar (individual mode)"
COMMAND_DISCONNECT = "Remove your calendar connection (admins: turn the integration off)"
COMMAND_PRIVACY = "What Rendezvous stores about you and every calendar look-up it made"
COMMAND_SETUP = "Admins: connect your organization's Outlook calendars"
COMMAND_STATUS = "Admins: how the integration is doing"
COMMAND_AUDIT = "Admins: bookings made through Rendezvous in your organization"
COMMAND_HELP = "This list"

# --- cards/admin.py: the setup form, status, audit and privacy cards -------------------------------------------------
MODE_DOMAIN_WIDE = "Domain-wide (recommended)"
MODE_DELEGATED = "Individual / delegated"
MODE_DOMAIN_WIDE_IN_A_SENTENCE = "domain-wide for the whole organization"
MODE_DELEGATED_IN_A_SENTENCE = "in individual mode: each member connects their own calendar with connect"
CALL_GET_SCHEDULE = "read free/busy (getSchedule)"
CALL_FIND_MEETING_TIMES = "asked Outlook for meeting times (findMeetingTimes)"
CALL_CREATE_EVENT = "created a meeting"
CALL_GET_EVENT = "checked a meeting it created"
CALL_FIND_INTERRUPTED = "looked for a meeting it was creating when it was interrupted"
CALL_CANCEL = "cancelled a meeting it created"
CALL_MOVE = "moved a meeting it created to a new time"
CALL_FIND_INVITATION = "looked for your copy of a meeting"
CALL_DECLINE = "declined a meeting at your request"
CALL_CHECK_GROUPS = "checked security-group membership"
STATUS_NOT_ENABLED = "Not enabled"
STATUS_ENABLED = "Enabled"
STATUS_INTEGRATION = "Integration"
STATUS_MODE = "Mode"
# A moment that has not happened (no error yet, never enabled).
NEVER = "never"
SETUP_HEADING = "Connect your organization's Outlook calendars"
SETUP_INTRO = "Choose how Rendezvous reaches calendars. You'll approve it in a Microsoft sign-in window next."
SETUP_TENANT_LABEL = "Entra tenant ID (the directory ID of your organization)"
SETUP_TENANT_ERROR = "Enter your organization's tenant ID (a GUID)."
SETUP_MODE_LABEL = "Integration mode"
SETUP_DOMAIN_WIDE_EXPLAINED = (
    "**Domain-wide (recommended):** one admin consent covers the whole organization, and Rendezvous "
    "reads free/busy with getSchedule."
)
SETUP_DELEGATED_EXPLAINED = (
    "**Individual / delegated:** each member signs in once with **connect**, and Rendezvous uses "
    "that person's own access (findMeetingTimes)."
)
SETUP_GROUP_LABEL = "Optional: security group object ID (only its members may use Rendezvous)"
SETUP_GROUP_PLACEHOLDER = "leave empty for everyone"
SETUP_WHO_CAN_APPROVE = (
    "Who can approve: domain-wide mode needs application permissions, which only a Global Administrator "
    "or Privileged Role Administrator can grant. Individual mode asks only for delegated permissions, "
    "which a Cloud Application Administrator or Application Administrator can also grant. A security "
    "group needs two application permissions (GroupMember.Read.All, User.Read.All) in either mode, so "
    "a Global Administrator or Privileged Role Administrator. It doesn't have to be you: you can send "
    "them the link I give you next."
)
STATUS_ENABLED_SINCE = "Enabled since"
STATUS_SET_UP_BY = "Set up by"
STATUS_MEMBERS = "Members seen"
STATUS_BOOKINGS = "Bookings made"
TURN_OFF_BUTTON = "Turn off for the whole organization"
AUDIT_HEADING = "Bookings made through Rendezvous"
AUDIT_EMPTY = "No bookings have been made through Rendezvous yet."
PRIVACY_HEADING = "What Rendezvous stores about you"
PRIVACY_WHAT_IS_KEPT = "What Rendezvous keeps, and for how long"
PRIVACY_LOOK_UPS = "Calendar look-ups about you"
SETUP_SAVE_BUTTON = "Save and continue"
ADMIN_ONLY_HEADING = "Only for Rendezvous admins"
ADMIN_PROVE_BUTTON = "I have that role: confirm with a Microsoft sign-in"
STATUS_MODE_NOT_CHOSEN = "not chosen yet"
STATUS_NO_ERRORS = "No calendar errors recorded."
CHANGE_SETUP_BUTTON = "Change setup"
REMOVE_OWN_CONNECTION_BUTTON = "Remove only my calendar connection"
TURN_OFF_EXPLAINED = (
    "Turning Rendezvous off for the organization stops all calendar access and deletes every stored "
    "sign-in. Members keep their existing meetings. You can run **setup** again at any time."
)
PRIVACY_NO_LOOK_UPS = "None so far."
STATUS_NO_GROUP = "none (everyone in the organization)"
PRIVACY_BOOKINGS = "Bookings involving you"
PRIVACY_SIGN_IN = "Calendar sign-in stored"
PRIVACY_SIGN_IN_STORED = "yes (encrypted)"
PRIVACY_SIGN_IN_NOT_STORED = "no"
DISCONNECT_CHOICE_HEADING = "Disconnect"
STATUS_LAST_PROBLEM = "Last problem ({when}): {error}"
AUDIT_MOST_RECENT = "The {shown} most recent of {total}."
AUDIT_ROW = "{organizer} booked {attendee} for {when} ({status})"

# --- cards/booking.py: the booking form, suggestions, Booked, cancel and my meetings cards ----------------------------
LENGTH_15 = "15 minutes"
LENGTH_30 = "30 minutes"
LENGTH_45 = "45 minutes"
LENGTH_60 = "1 hour"
LENGTH_OTHER = "Another length"
WINDOW_THIS_WEEK = "This week"
WINDOW_NEXT_WEEK = "Next week"
WINDOW_BETWEEN = "Between two dates"
CONFIRM_DECLINE_HEADING = "Decline this meeting?"
CONFIRM_CANCEL_HEADING = "Cancel this meeting?"
DECLINE_CONSEQUENCE = "Outlook will tell the organizer and remove it from your calendar."
CANCEL_CONSEQUENCE = "Outlook will send the cancellation to both of you."
FORM_COLLEAGUE_PLACEHOLDER = "Type a colleague's name"
FORM_COLLEAGUE_ERROR = "Pick a colleague"
FORM_HOW_LONG = "How long?"
FORM_OTHER_LENGTH = "Another length (up to 8 hours)"
FORM_OTHER_LENGTH_PLACEHOLDER = "e.g. 90 min or 2h"
FORM_WHEN = "When?"
FORM_SUBJECT = "Subject (optional)"
FORM_SUBJECT_PLACEHOLDER = "What is it about?"
FORM_NOTE = "Note for your colleague (optional)"
FORM_NOTE_PLACEHOLDER = "Anything they should know"
CHANGE_OPTIONS_BUTTON = "Change options"
KEEP_IT_BUTTON = "Keep it"
MY_MEETINGS_HEADING = "Your meetings booked with Rendezvous"
FORM_WHO_CAN_BE_BOOKED = "Only colleagues who have opened Rendezvous in Teams can be booked."
FIND_TIMES_BUTTON = "Find times"
MORE_TIMES_BUTTON = "More times"
NO_TEAMS_LINK = "Outlook did not add a Teams link to this meeting."
JOIN_BUTTON = "Join on Teams"
CANCEL_MEETING_BUTTON = "Cancel meeting"
# The shorter buttons and fact titles of one row of `my meetings`.
JOIN_ROW_BUTTON = "Join"
CANCEL_ROW_BUTTON = "Cancel"
DECLINE_BUTTON = "Decline"
MEETING_STATUS = "Status"
MEETING_RESPONSE = "Response"
MEETING_WITH = "{subject} — with {colleague}"
# The title of the Booked card's automatic refresh (Teams refreshes it itself; the title is shown rarely).
REFRESH_BUTTON = "Refresh"
YES_DECLINE_BUTTON = "Yes, decline"
YES_CANCEL_BUTTON = "Yes, cancel"
MY_MEETINGS_EMPTY = "You have no upcoming meetings booked here. Type **book** to book one."
CONNECT_FIRST_HEADING = "Connect your calendar first"
CONNECT_FIRST = "Type **connect** to sign in with your work account. I'll pick up this booking where it stopped."
BOOK_THIS_TIME_BUTTON = "Book this time"
FORM_FROM = "From"
FORM_TO = "To"
SUGGESTIONS_HEADING = "Times for you and {colleague}"
SUGGESTIONS_INTRO = "{length}, {window}. Pick one to book it."
UNVERIFIED = "Unverified: {note}"
NO_SLOT_HEADING = "No time found with {colleague}"
NO_SLOT_REASON = "{window}: {reason}"
TRY_NEXT_WINDOW_BUTTON = "Try {window}"
BOOKED_HEADING = "Booked: {subject}"
BOOKED = "{organizer} with {colleague}. The invitation is in both Outlook calendars."
CANCELLED_BY = "cancelled by {name}"
CANCELLED = "cancelled"
# A booking's other states, as `audit` lists them (a cancellation reads CANCELLED_BY).
BOOKING_RESERVED = "reserved"
BOOKING_CONFIRMED = "confirmed"
BOOKING_FAILED = "failed"
CANCELLED_HEADING = "Cancelled: {subject}"
CANCELLATION_SENT = "The meeting with {colleague} was {what}. Outlook has sent the cancellation."
DECLINED_HEADING = "Declined: {subject}"
COLLEAGUE_DECLINED = (
    "{attendee} declined your meeting. It is still in your Outlook calendar: "
    "cancel it from **my meetings** if it is no longer needed."
)
YOU_DECLINED = (
    "You declined the meeting with {organizer}. Outlook has told them, and the "
    "meeting is no longer in your calendar."
)
MY_MEETINGS_MORE = "The next {shown} of {total}; the other {hidden} are in your Outlook calendar."

# --- web/public_pages.py: the public landing, privacy and terms pages (what is stored: cards/stored_data.py) -------
HOME_TITLE = "Rendezvous"
HOME = (
    "Rendezvous is a Microsoft Teams bot that books meetings between colleagues on their Outlook calendars.",
    "Add it to Teams from your organization's app catalog, then type \"help\" in a chat with it.",
)
PRIVACY_STATEMENT_TITLE = "Rendezvous privacy statement"
PRIVACY_STATEMENT_OPENING = (
    "Rendezvous reads only free/busy information of the people you choose to meet, and reads back only "
    "the meetings it booked itself.",
    "It touches only the calendars of people who use it. Each organization's data is kept apart from every "
    "other organization's.",
)
STORED_ITEM = "{what}: {kept}"
PRIVACY_STATEMENT_CLOSING = (
    "The \"privacy\" command shows what is stored about you and every calendar look-up about you.",
    "An admin's \"disconnect\" command deletes the organization's tokens; yours deletes your own.",
)
TERMS_TITLE = "Rendezvous terms of use"
TERMS = (
    "Rendezvous is provided by your organization for booking meetings with colleagues. Use it only for "
    "meetings you are entitled to arrange. Your organization's policies on calendars and meetings apply.",
)

# --- dialogs/booking/: what part of a typed request was not understood ("I understood *Ben*, but not *x*: why.")
LIST_AND = " and "
UNDERSTOOD_BUT_NOT = "I understood {known}, but not"
DID_NOT_UNDERSTAND = "I didn't understand"
NOT_UNDERSTOOD = "{opening} {part}{reason}{more}."
NOR = ", nor {part}"

# --- several colleagues: the form, typed requests, suggestions, the Booked card and the group chat (issue 11) --
OPTIONAL_NAME = "{name} (optional)"
FORM_WHO_REQUIRED = "Who do you want to meet? (up to {limit})"
FORM_OPTIONAL = "Optional: who else may come"
FORM_OPTIONAL_PLACEHOLDER = "Type a colleague's name (optional)"
TOO_MANY_INVITEES = ("A meeting can have at most {limit} colleagues (Outlook compares at most {calendars} calendars "
                     "at once, yours included); you picked {count}.")
INVITED_TWICE = "You picked {name} twice. Pick each colleague once, as required or as optional."
UNKNOWN_AMONG_SEVERAL = ("I understood {known}, but I don't know anyone called {unknown}. Only people who have "
                         f"opened Rendezvous can be booked: {INVITE_HINT}.")
SEVERAL_CALENDARS_NOT_READ = "the calendars of {names} could not be read"
SLOT_BUSY = "Busy: {names}"
SLOT_UNREADABLE = "Calendar not read: {names}"
SLOT_CANNOT_COME = "Outside working hours: {names}"
BOOKED_SEVERAL = "{organizer} with {colleague}. The invitation is in everyone's Outlook calendar."
CALL_REASON_FIND_TIMES_SEVERAL = "free/busy to find times for {organizer} and {count} colleagues"
CALL_REASON_SUGGEST_TIMES_SEVERAL = "suggest times for {organizer} and {count} colleagues"
GROUP_NOT_INCLUDED = "From the group chat{chat}, I left out: {people}."
GROUP_CHAT_NAME = " *{name}*"
GROUP_NOT_INCLUDED_ONE = "{name} {reason}"
GROUP_NOBODY_BOOKABLE = "Nobody else in that chat can be booked with Rendezvous yet."
GROUP_BOOKED_LINE = "{organizer} booked *{subject}*, {when} – invitations sent."
# --- moving a meeting (dialogs/booking/reschedule.py, cards/booking.py) ----------------------------------------------
FIND_ANOTHER_TIME_BUTTON = "Find another time"
MOVE_HERE_BUTTON = "Move here"
MOVE_SUGGESTIONS_HEADING = "Move your meeting with {colleague}"
ONLY_ORGANIZER_MOVES = ("Only {organizer}, who organized this meeting, can move it. To suggest another time, open "
                        "it in Outlook and choose **Propose new time**, or ask {organizer}.")
MOVE_CANCELLED = "This meeting was cancelled, so it cannot be moved. Type **book** to book a new one."
MOVE_PAST = "This meeting has already started or is over, so it can no longer be moved."
MOVE_NEVER_CREATED = "That meeting was never created in Outlook, so there is nothing to move."
MOVE_FOR_ANOTHER_MEETING = "Those times were found for another meeting; nothing was moved."
MOVE_TIMES_NOT_FOR_BOOKING = "Those times were found to move a meeting, not to book a new one; nothing was booked."
MOVE_SAME_TIME = "The meeting is already at that time."
MOVE_FAILED = "{reason} The meeting keeps its time: nothing was changed."
MOVE_FAILED_BEFORE = ("Moving the meeting to that time failed a moment ago, and it kept its time. "
                      "Press **Find another time** on the meeting to try again.")
MOVE_EVENT_GONE = "The meeting is no longer in Outlook, so it cannot be moved."
MOVE_BOOKING_CHANGED = ("The meeting changed while it was being moved (it may have been cancelled). "
                        "Type **my meetings** to see it as it is now.")
STILL_MOVING = "I'm still moving this meeting. Type **my meetings** in a moment to see its time."
MOVED_NOTE_ORGANIZER = "Moved. Outlook has sent {colleague} the new time."
MOVED_NOTE_ATTENDEE = "{organizer} moved this meeting to the time above. Outlook has sent you the update."
# A new message after an attendee's earlier card was updated in place, so the change still notifies them.
MOVED_NOTICE_ATTENDEE = "{organizer} moved \"{subject}\": its card in this chat now shows the new time."
CANCELLED_NOTICE_ATTENDEE = "{organizer} cancelled \"{subject}\": its card in this chat now shows it."
CALL_REASON_MOVE = "move a meeting booked with Rendezvous, at {name}'s request"
CALL_REASON_RECHECK_MOVE = "re-check a time before moving a meeting for {organizer}"
MOVE_UNSETTLED = ("Outlook didn't answer in time, so I can't tell yet whether the meeting moved. I'll settle it "
                  "shortly: type **my meetings** in a minute to see its time.")

# --- group chats (dialogs/group_chat.py): why a member of the chat is not in the meeting, told to the requester only
NOT_BOOKABLE_NEVER_USED = "has never used Rendezvous"
NOT_BOOKABLE_OUTSIDE_GROUP = "is outside the security group your organization allows"
NOT_BOOKABLE_OTHER_ORGANIZATION = "is in another organization"
NOT_BOOKABLE_NO_MAILBOX = "has no mailbox Rendezvous knows of"
NOT_BOOKABLE_GROUP_NOT_CHECKED = "their security group could not be checked just now"
NOT_BOOKABLE_NOT_SET_UP = "their organization has not set up Rendezvous"
NOT_BOOKABLE_OVER_LIMIT = "over the limit of {limit} colleagues in one meeting"
ROSTER_UNAVAILABLE = "Teams did not tell me who is in this chat just now. Please try again in a minute."
