"""The load generator counts what it was asked to, reports wrong answers as failures, and stops by itself."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from bench.load import TurnFailed, percentile, run_load


@dataclass
class EveryThirdAnswerIsWrong:
    prepared_by: list[int] = field(default_factory=list)
    answers: int = 0

    async def prepare(self, worker: int) -> int:
        self.prepared_by.append(worker)
        return worker

    async def turn(self, worker: int, prepared: int) -> int:
        await asyncio.sleep(0)  # as a request would: the other workers get their go meanwhile
        self.answers += 1
        return self.answers

    async def check(self, worker: int, prepared: int, answer: Any) -> None:
        if answer % 3 == 0:
            raise TurnFailed(f"answer {answer} was wrong")


async def test_runs_exactly_the_requested_turns_over_the_workers_and_counts_wrong_answers() -> None:
    workload = EveryThirdAnswerIsWrong()

    result = await run_load("row", workload, turns=10, concurrency=4, time_limit=60)

    assert workload.answers == 10
    assert set(workload.prepared_by) == {0, 1, 2, 3}
    assert result.failures == 3 and result.turns == 7
    assert result.failure_examples == ["answer 3 was wrong", "answer 6 was wrong", "answer 9 was wrong"]
    assert result.per_second > 0 and not result.stopped_by_time_limit


async def test_a_spent_time_budget_starts_no_turn() -> None:
    workload = EveryThirdAnswerIsWrong()

    result = await run_load("row", workload, turns=10, concurrency=2, time_limit=0)

    assert workload.answers == 0
    assert result.turns == 0 and result.stopped_by_time_limit


def test_percentiles_are_nearest_rank() -> None:
    samples = [float(value) for value in range(100, 0, -1)]  # 100 .. 1, unsorted on purpose

    assert (percentile(samples, 0.50), percentile(samples, 0.95), percentile(samples, 0.99)) == (50.0, 95.0, 99.0)
    assert percentile([7.0], 0.99) == 7.0
    assert percentile([], 0.5) == 0.0
