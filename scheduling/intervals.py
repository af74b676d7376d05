"""Half-open UTC intervals [start, end) as sorted lists of pairs: intersect, subtract, merge.

Lists given to `intersect` and `subtract` must be sorted and non-overlapping (touching is fine).
Touching pieces are deliberately not joined by `intersect` or `subtract`: the slot finder keeps
one person's consecutive working days apart so that no slot crosses a working-day boundary.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

Interval = tuple[datetime, datetime]


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    """Sorts and joins overlapping or touching intervals; empty ones are dropped."""
    merged: list[Interval] = []
    for start, end in sorted(pair for pair in intervals if pair[1] > pair[0]):
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def intersect(first: list[Interval], second: list[Interval]) -> list[Interval]:
    """The parts covered by both lists."""
    result: list[Interval] = []
    i = j = 0
    while i < len(first) and j < len(second):
        start = max(first[i][0], second[j][0])
        end = min(first[i][1], second[j][1])
        if end > start:
            result.append((start, end))
        if first[i][1] <= second[j][1]:
            i += 1
        else:
            j += 1
    return result


def subtract(base: list[Interval], removed: list[Interval]) -> list[Interval]:
    """The parts of `base` that `removed` (sorted, merged) does not cover."""
    result: list[Interval] = []
    j = 0
    for start, end in base:
        while j < len(removed) and removed[j][1] <= start:
            j += 1
        cursor = start
        k = j
        while k < len(removed) and removed[k][0] < end:
            if removed[k][0] > cursor:
                result.append((cursor, removed[k][0]))
            cursor = max(cursor, removed[k][1])
            k += 1
        if cursor < end:
            result.append((cursor, end))
    return result


def has_stretch(intervals: Iterable[Interval], length: timedelta) -> bool:
    """True when some interval is at least `length` long."""
    return any(end - start >= length for start, end in intervals)
