"""Suggestions a person can scan: a page in time order, grouped under day headings, no overlapping times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from scheduling.display import day_label
from tests.booking.conftest import ADELE, BEN, PACIFIC, BookingWorld, book_buttons, card_of, day_form, meeting_day


def _starts(card: dict) -> list[datetime]:  # type: ignore[type-arg]
    return [datetime.strptime(data["slotId"], "%Y%m%dT%H%MZ").replace(tzinfo=UTC) for data in book_buttons(card)]


def _day_headings_and_times(card: dict) -> list[tuple[str, int]]:  # type: ignore[type-arg]
    """(day heading, how many times follow it) in card order."""
    grouped: list[tuple[str, int]] = []
    for element in card["body"][2:]:
        if element.get("type") == "TextBlock" and element.get("weight") == "Bolder":
            grouped.append((element["text"], 0))
        elif element.get("type") == "Container" and grouped:
            grouped[-1] = (grouped[-1][0], grouped[-1][1] + 1)
    return grouped


async def test_every_page_lists_its_times_in_order_under_day_headings(world: BookingWorld) -> None:
    await world.set_up_tenant()
    await world.meet(ADELE, BEN)
    first_day = meeting_day()
    last_day = first_day + timedelta(days=2)
    form = {**day_form(BEN, first_day, duration="60"), "toDate": last_day.isoformat()}

    card = await world.find_times(ADELE, form)
    pages = [card]
    while any(a.get("verb") == "moreTimes" for a in card.get("actions", [])) and len(pages) < 3:
        more = next(a for a in card["actions"] if a.get("verb") == "moreTimes")
        card = card_of(await world.bot.execute(ADELE, "moreTimes", more["data"]))
        pages.append(card)

    assert len(pages) >= 2
    for page in pages:
        starts = _starts(page)
        assert starts == sorted(starts), "times are listed in time order"
        assert all(later - earlier >= timedelta(hours=1) for earlier, later in zip(starts, starts[1:], strict=False)), \
            "no two times on a page overlap while separate times remain"
        days = [day_label(start.astimezone(PACIFIC).date()) for start in starts]
        expected = [(day, days.count(day)) for day in dict.fromkeys(days)]
        assert _day_headings_and_times(page) == expected
    first_page_days = {heading for heading, _ in _day_headings_and_times(pages[0])}
    assert len(first_page_days) >= 2, "the first page spreads over the days rather than filling the first one"
