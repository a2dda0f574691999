"""Exactly one scheduler enqueues: workers do not schedule, and a second `eplan scheduler` waits on the
Redis lease until the holder dies, then takes over without enqueueing a tick twice."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
import redis
from rq import Queue

from eplan_flow.jobs.schedule import LEASE_KEY, SchedulerLease
from tests.conftest import DATABASE_URL, REDIS_URL

ROOT = Path(__file__).resolve().parents[3]


def test_the_lease_is_held_by_one_renewed_by_its_holder_and_ended_only_by_it(app):
    connection = redis.Redis.from_url(REDIS_URL)
    first, second = SchedulerLease(connection, 30), SchedulerLease(connection, 30)

    assert first.acquire() and not second.acquire()
    assert first.renew() and connection.get(LEASE_KEY).decode() == first.token
    second.release()  # not its lease: nothing happens
    assert connection.get(LEASE_KEY).decode() == first.token

    connection.delete(LEASE_KEY)  # the holder stalled past its time and the lease ran out
    assert second.acquire()
    assert not first.renew() and not first.held  # it learns it lost the lease
    first.release()
    assert connection.get(LEASE_KEY).decode() == second.token
    second.release()
    assert connection.get(LEASE_KEY) is None


def wait_for(condition, what: str, processes, seconds: float = 180) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        dead = [p.args[-1] for p in processes if p.poll() is not None]
        assert not dead, f"{dead} stopped while waiting for {what}"
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.2)


# Due every TICK seconds (croniter's sixth field is seconds): a takeover (lease 2 s, retried every
# second) ends well inside one tick, and the test sees several ticks in well under a minute.
TICK = 10
EVERY_TICK = [{"job": "purge_expired", "queue": "default", "cron": f"* * * * * */{TICK}"}]
HISTORY = "rq:cron_job:purge_expired:jobs"


@pytest.mark.real_commits
def test_two_workers_and_two_schedulers_enqueue_each_tick_once_and_the_waiting_one_takes_over(db, tmp_path):
    env = {
        **os.environ,
        "EPLAN_ENV": "test",
        "EPLAN_DATABASE_URL": DATABASE_URL,
        "EPLAN_REDIS_URL": REDIS_URL,
        "EPLAN_SCHEDULER_LEASE_SECONDS": "2",
        "EPLAN_CRON_SCHEDULE": json.dumps(EVERY_TICK),
    }
    db.session.remove()
    connection = redis.Redis.from_url(REDIS_URL)
    finished = Queue("default", connection=connection).finished_job_registry
    processes: list[subprocess.Popen] = []

    def start(command: str) -> subprocess.Popen:
        with (tmp_path / f"{command}-{len(processes)}.log").open("w") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "flask", "--app", "wsgi", "eplan", command],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        processes.append(process)
        return process

    def holder() -> int | None:
        token = connection.get(LEASE_KEY)
        return int(token.decode().split(":")[1]) if token else None

    def enqueued() -> list[datetime]:
        return [datetime.fromtimestamp(t, UTC) for _, t in connection.zrange(HISTORY, 0, -1, withscores=True)]

    def ticks() -> list[int]:
        """The tick each enqueue belongs to (catching up at start counts for the tick it is in)."""
        return [int(at.timestamp()) // TICK for at in enqueued()]

    try:
        for command in ("worker", "worker", "scheduler", "scheduler"):
            start(command)
        schedulers = {p.pid: p for p in processes if p.args[-1] == "scheduler"}

        # The job never ran, so the first holder runs it at once, then on every tick.
        wait_for(lambda: len(enqueued()) >= 2, "a tick", processes)
        first = holder()
        assert first in schedulers
        time.sleep(4)  # the waiting scheduler tries every second: give it its chances
        assert holder() == first
        before = ticks()
        assert len(before) == len(set(before)), before  # never two enqueues in one tick

        # The holder dies; its lease runs out by itself and the waiting scheduler takes over.
        schedulers[first].send_signal(signal.SIGKILL)
        schedulers[first].wait()
        processes.remove(schedulers[first])
        assert 0 < connection.pttl(LEASE_KEY) <= 2000
        (other,) = set(schedulers) - {first}
        wait_for(lambda: holder() == other, "the waiting scheduler to take the lease", processes)
        taken_over = datetime.now(UTC)
        wait_for(lambda: enqueued()[-1] > taken_over, "the new holder's first tick", processes)
        time.sleep(4)

        after = ticks()
        assert after[: len(before)] == before  # what the first holder enqueued is not enqueued again
        assert len(after) == len(set(after)), after
        wait_for(lambda: finished.count == len(after), "the workers to run every enqueued job", processes)
        assert sorted(finished.get_job_ids()) == sorted(j.decode() for j in connection.zrange(HISTORY, 0, -1))
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
    logs = "\n".join(path.read_text()[-1500:] for path in sorted(tmp_path.glob("*.log")))
    assert all(p.returncode == 0 for p in processes), logs
    assert connection.get(LEASE_KEY) is None  # the last holder gave it back on SIGTERM
