"""Booking a meeting with a colleague in chat: form -> suggestions -> book -> confirmation; my meetings; cancel.

Flow and safety rules (issue 4):
* Only colleagues of the same tenant who have used the bot can be booked; only their free/busy is read.
* Cards carry ids only; each id is checked against this conversation's state (dialogs/booking_state.py).
* Booking is idempotent: the reservation row's unique key (search id + slot) decides double clicks and
  concurrent clicks, and the Graph transactionId stays the same for every attempt at one booking.
* In individual ('delegated') mode findMeetingTimes suggests times, one working-hours slot per day.
* Outlook's roles in both modes: the organizer cancels, the invited colleague declines their own copy.
  Every call runs as the person acting: their own sign-in (individual mode) or the app in their own
  mailbox (domain-wide), never someone else's token.
"""

# Re-exported (the "as" form): bot.py, web/ and the tests import these from dialogs.booking.
from dialogs.booking.common import BookingStopped as BookingStopped
from dialogs.booking.common import duration_label as duration_label
from dialogs.booking.dialog import BookingDialog as BookingDialog
from dialogs.booking.dialog import resume_after_sign_in as resume_after_sign_in
