"""Generic persisted jobs: ``JobRunner(store, kind, handler)`` with progress, cancellation and resume.

    runner = JobRunner(store, "research", handler)   # handler(ctx) -> (result dict, summary line)
    job = runner.submit({"question": "..."})
    runner.start(job.id)          # background thread (web)   or   runner.run(job.id)  (CLI, foreground)
    runner.cancel(job.id); runner.resume(job.id)
"""

from medbridge.jobs.runner import ACTIVE, FINISHED, JobCancelled, JobContext, JobHandler, JobRunner, ProgressListener

__all__ = ["ACTIVE", "FINISHED", "JobCancelled", "JobContext", "JobHandler", "JobRunner", "ProgressListener"]
