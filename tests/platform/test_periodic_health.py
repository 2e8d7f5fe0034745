"""Operators see whether the background jobs (SLA checker, retention, senders) are alive: each service's
`/readyz` detail names its periodic tasks with their last success, a task that stopped succeeding reads
"stale", and `/metrics` carries the last success as a timestamp an alert can compare with time()."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from shared.periodic import PeriodicTask, started_tasks
from tests.conftest import eventually


def _ticket_tasks(ready: dict[str, Any]) -> str:
    detail = ready["services"]["ticket"]["checks"]["periodic_tasks"]
    assert detail["ok"] is True  # shown, never a reason to take the replica out of the load balancer
    return str(detail["detail"])


async def test_readyz_and_metrics_show_the_sla_checkers_last_success(client):
    detail = _ticket_tasks((await client.get("/readyz")).json())
    for task in ("sla-checker", "personal-data-retention", "absent-owner-sweep"):
        assert f"{task}: last success" in detail, detail
    assert "every 30 s" in detail.split("sla-checker:")[1]

    samples = [
        sample
        for family in text_string_to_metric_families((await client.get("/metrics")).text)
        for sample in family.samples
    ]
    last = [
        s
        for s in samples
        if s.name == "doorstep_periodic_last_success_timestamp_seconds"
        and s.labels == {"service": "ticket", "task": "sla-checker"}
    ]
    assert len(last) == 1 and abs(last[0].value - time.time()) < 120
    interval = [
        s
        for s in samples
        if s.name == "doorstep_periodic_interval_seconds" and s.labels == {"service": "ticket", "task": "sla-checker"}
    ]
    assert [s.value for s in interval] == [30.0]


async def test_a_checker_that_keeps_failing_reads_stale_in_readyz(client, embedded):
    checker = embedded.services["ticket"].state.sla_checker
    task = checker.periodic

    async def first_pass_done() -> bool:
        return task.last_success is not None

    await eventually(first_pass_done)  # the next pass is 30 s away: nothing races the lines below

    async def failing() -> None:
        raise RuntimeError("database gone")

    task.work = failing
    task.last_success = time.time() - 100  # 100 s ago, more than three 30 s intervals

    async def ticket_service_answers() -> bool:
        # Under a loaded machine the gateway's probe of a service can time out once; that is not this test.
        return "checks" in (await client.get("/readyz")).json()["services"]["ticket"]

    await eventually(ticket_service_answers)
    detail = _ticket_tasks((await client.get("/readyz")).json())
    assert "sla-checker: stale: last success 100 s ago, every 30 s" in detail, detail


async def test_a_failing_pass_does_not_advance_the_last_success_and_a_stopped_task_leaves_readyz():
    passes: list[bool] = []

    async def work() -> None:
        passes.append(True)
        if len(passes) > 1:
            raise RuntimeError("second pass fails")

    async def four_passes() -> bool:
        return len(passes) >= 4

    task = PeriodicTask("probe-job", work, interval_seconds=0.05, service="probe-service")
    task.start()
    try:
        await eventually(four_passes)
        assert task.last_success is not None
        first_success = task.last_success
        await asyncio.sleep(0.3)
        assert task.last_success == first_success  # only the first pass succeeded
        healthy, detail = task.state(time.time())
        assert not healthy and detail.startswith("stale: last success"), detail
        assert started_tasks("probe-service") == [task]
    finally:
        await task.stop()
    assert started_tasks("probe-service") == []
