"""JSON API to bring records in and index them as background jobs: a topic from PubMed (what ``medbridge fetch``
does on the command line), NLM's files (``medbridge sync``; administrators), and the index updates that follow."""

from __future__ import annotations

from typing import Annotated, Any, Callable

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field, model_validator

from medbridge.corpus.eutils import parse_since
from medbridge.errors import Forbidden
from medbridge.jobs import JobRunner
from medbridge.store.base import Job
from medbridge.web.auth import UserDep, owned
from medbridge.web.deps import get_services

router = APIRouter()


def runner_dep(request: Request) -> JobRunner:
    return get_services(request).fetch_runner


RunnerDep = Annotated[JobRunner, Depends(runner_dep)]


def sync_runner_dep(request: Request) -> JobRunner:
    return get_services(request).sync_runner


def index_runner_dep(request: Request) -> JobRunner:
    return get_services(request).index_runner


SyncRunnerDep = Annotated[JobRunner, Depends(sync_runner_dep)]
IndexRunnerDep = Annotated[JobRunner, Depends(index_runner_dep)]


class FetchBody(BaseModel):
    query: str | None = Field(None, min_length=1, max_length=2000, description="PubMed query (PubMed syntax works).")
    max: int | None = Field(None, ge=1, le=10_000_000, description="Fetch at most this many records, newest first.")
    since: str | None = Field(None, description="Only records published on or after this date (YYYY, YYYY-MM, YYYY-MM-DD).")
    pmids: list[int] | None = Field(None, min_length=1, max_length=100_000, description="PMIDs to fetch instead of a query.")

    @model_validator(mode="after")
    def one_source(self) -> "FetchBody":
        if (self.query is None) == (self.pmids is None):
            raise ValueError("give a query or pmids (one of them)")
        return self


def job_public(job: Job) -> dict[str, Any]:
    return {"id": job.id, "state": job.state, "params": job.params, "done": job.progress_done,
            "total": job.progress_total, "message": job.message, "result": job.result,
            "created_at": job.created_at, "updated_at": job.updated_at}


@router.post("/api/fetch", status_code=201)
def api_fetch(body: FetchBody, runner: RunnerDep, user: UserDep) -> dict:
    """Start fetching; poll ``GET /api/fetch/{id}`` for progress."""
    if body.since:
        parse_since(body.since)  # a bad date is a 400 now, not a failed job later
    job = runner.submit(body.model_dump(exclude_none=True), user.owner)
    return job_public(runner.start(job.id))


@router.get("/api/fetch")
def api_list(runner: RunnerDep, user: UserDep, limit: int = 50) -> list[dict]:
    return [job_public(job) for job in runner.list(limit, user.list_owner)]


def _job_routes(prefix: str, dep: Callable[[Request], JobRunner]) -> None:
    """``GET prefix/{id}`` (progress) and ``POST prefix/{id}/cancel`` for one kind of job, owners only."""

    @router.get(f"{prefix}/{{job_id}}", name=f"{prefix}/get")
    def get_job(job_id: str, user: UserDep, runner: JobRunner = Depends(dep)) -> dict:
        return job_public(owned(runner.get(job_id), user))

    @router.post(f"{prefix}/{{job_id}}/cancel", name=f"{prefix}/cancel")
    def cancel_job(job_id: str, user: UserDep, runner: JobRunner = Depends(dep)) -> dict:
        owned(runner.get(job_id), user)
        return job_public(runner.cancel(job_id))


_job_routes("/api/fetch", runner_dep)


class SyncBody(BaseModel):
    baseline: bool = Field(True, description="Bring in the annual baseline files.")
    updates: bool = Field(True, description="Bring in the daily update files.")
    mirror: str | None = Field(None, max_length=2000, description="Folder holding baseline/ and updatefiles/ (URL or file:// path); default pubmed.mirror_url.")
    max_files: int | None = Field(None, ge=1, description="Bring in at most this many files in this job.")


@router.post("/api/sync", status_code=201)
def api_sync(body: SyncBody, runner: SyncRunnerDep, user: UserDep) -> dict:
    """Start a sync of NLM's PubMed files (administrators: it fills the shared corpus and its disk)."""
    if not user.is_admin:
        raise Forbidden("only administrators start a sync of PubMed's files", key="admin_only")
    job = runner.submit(body.model_dump(exclude_none=True), user.owner)
    return job_public(runner.start(job.id))


_job_routes("/api/sync", sync_runner_dep)


@router.get("/api/index")
def api_index_jobs(runner: IndexRunnerDep, limit: int = 20) -> list[dict]:
    """The index updates, newest first (they follow every fetch and sync; anyone may see how far the index is)."""
    return [job_public(job) for job in runner.list(limit)]


@router.get("/api/index/{job_id}")
def api_index_job(job_id: str, runner: IndexRunnerDep) -> dict:
    return job_public(runner.get(job_id))
