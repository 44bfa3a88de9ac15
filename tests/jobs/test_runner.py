"""The generic job runner on a real SQLite store: transitions, progress, cancellation, crashes, resume."""

from __future__ import annotations

import threading
import time

import pytest

from medbridge.errors import MedbridgeError, NotFoundError
from medbridge.jobs import JobCancelled, JobContext, JobRunner

STEPS = 5


def wait_for(condition, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def counting_handler(log: list[int], *, crash_at: int | None = None, gate: threading.Event | None = None):
    """Does STEPS steps, checkpointing each; records which steps ran so resume can be checked."""

    def handler(ctx: JobContext):
        start = ctx.checkpoint.get("next", 0)
        for step in range(start, STEPS):
            ctx.step("counting", step, STEPS)
            if gate is not None and step == 2:
                gate.wait(10)
            if crash_at == step:
                raise RuntimeError("disk on fire\nsecond line")
            log.append(step)
            ctx.save(next=step + 1)
        return {"steps": len(log)}, f"{STEPS} steps"

    return handler


def test_run_reports_progress_and_result(store):
    log: list[int] = []
    runner = JobRunner(store, "count", counting_handler(log))
    seen = []
    job = runner.run(runner.submit({"n": STEPS}).id, listener=lambda j: seen.append((j.state, j.stage, j.progress_done)))
    assert job.state == "done" and job.message == "5 steps" and job.result == {"steps": 5}
    assert log == [0, 1, 2, 3, 4]
    assert seen[0] == ("running", "counting", 0) and seen[-1][0] == "done"
    assert store.get_job(job.id).checkpoint == {"next": 5}


def test_crash_marks_failed_with_one_line_and_resume_continues(store):
    log: list[int] = []
    runner = JobRunner(store, "count", counting_handler(log, crash_at=3))
    job = runner.run(runner.submit({}).id)
    assert job.state == "failed"
    assert job.message == "internal error: RuntimeError: disk on fire second line"
    assert log == [0, 1, 2]
    runner.handler = counting_handler(log)  # the "restart": a fresh handler, same store
    job = runner.resume(job.id)
    assert job.state == "done"
    assert log == [0, 1, 2, 3, 4]  # steps 0–2 were not run again


def test_user_error_message_is_kept(store):
    def handler(ctx):
        raise MedbridgeError("nothing matches the question")

    runner = JobRunner(store, "count", handler)
    assert runner.run(runner.submit({}).id).message == "nothing matches the question"


def test_cancel_stops_a_background_job_between_steps(settings, store):
    """A job handed to the queue runs in a consumer thread; cancelling it stops it at its next step."""
    from medbridge.jobs.queue import HueyJobQueue

    log: list[int] = []
    gate = threading.Event()
    queue = HueyJobQueue(settings)
    runner = JobRunner(store, "count", counting_handler(log, gate=gate), queue=queue)
    consumer = queue.consumer(runner.run, 1, in_process=True)
    consumer.start()
    try:
        job = runner.start(runner.submit({}).id).id
        wait_for(lambda: store.get_job(job).progress_done == 2)
        assert store.get_job(job).state == "running"
        runner.cancel(job)
        gate.set()
        wait_for(lambda: "resume" in runner.get(job).message)
    finally:
        consumer.stop()
    final = runner.get(job)
    assert final.state == "cancelled"
    assert log == [0, 1, 2]  # step 2 finished, step 3 never started
    assert runner.resume(job).state == "done" and log == [0, 1, 2, 3, 4]


def test_a_job_left_running_is_resumed_once_its_lease_expires(store):
    log: list[int] = []
    runner = JobRunner(store, "count", counting_handler(log), lease_s=1)
    job = runner.submit({})
    assert store.claim_job(job.id, "dead-worker", 1) is not None  # as a process killed mid-run leaves it
    store.update_job(job.id, checkpoint={"next": 3})
    assert not runner.is_interrupted(runner.get(job.id))
    assert runner.run(job.id).state == "running" and log == []  # its lease is still live: left to its holder
    time.sleep(2.1)  # the store keeps whole seconds
    assert runner.is_interrupted(runner.get(job.id))
    assert runner.resume(job.id).state == "done"
    assert log == [3, 4]  # from the checkpoint


def test_a_stalled_worker_whose_job_was_taken_over_stops_and_writes_nothing(store):
    """Two claims of one job: only one wins; a run that lost its lease stops at its next step."""
    job = JobRunner(store, "count", counting_handler([])).submit({})
    first = store.claim_job(job.id, "first", 60)
    assert first is not None and store.claim_job(job.id, "second", 60) is None
    assert store.heartbeat_job(job.id, "first") and not store.heartbeat_job(job.id, "second")
    taken = store.claim_job(job.id, "second", 0)  # "first" stalled past a (zero) lease
    assert taken is not None and taken.worker == "second"
    assert not store.heartbeat_job(job.id, "first")
    with pytest.raises(JobCancelled):
        JobContext(store, first).step("counting")


def test_other_kinds_are_not_found(store):
    other = JobRunner(store, "other", counting_handler([]))
    job = other.submit({})
    with pytest.raises(NotFoundError):
        JobRunner(store, "count", counting_handler([])).get(job.id)


def test_progress_inside_a_unit_is_no_cancellation_point(store):
    """ctx.progress reports from inside a unit of work that must finish; the next ctx.step then stops the job."""
    units: list[str] = []

    def handler(ctx: JobContext):
        ctx.step("unit", 0, 2)
        runner.cancel(ctx.job.id)
        ctx.progress("unit", 1, 2)  # still inside the first unit: no exception
        units.append("first finished")
        assert ctx.cancelled()
        ctx.step("unit", 1, 2)
        units.append("second started")
        return {}, ""

    runner = JobRunner(store, "count", handler, label="counting")
    job = runner.run(runner.submit({}).id)
    assert job.state == "cancelled" and units == ["first finished"]
    assert (job.stage, job.progress_done) == ("unit", 1)
    with pytest.raises(NotFoundError, match="no counting job nope"):
        runner.get("nope")
