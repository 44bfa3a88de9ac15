"""JSON API to bring a topic in from PubMed as a background job (what ``medbridge fetch`` does on the command line)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field, model_validator

from medbridge.corpus.eutils import parse_since
from medbridge.jobs import JobRunner
from medbridge.store.base import Job
from medbridge.web.auth import UserDep, owned
from medbridge.web.deps import get_services

router = APIRouter()


def runner_dep(request: Request) -> JobRunner:
    return get_services(request).fetch_runner


RunnerDep = Annotated[JobRunner, Depends(runner_dep)]


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


@router.get("/api/fetch/{job_id}")
def api_get(job_id: str, runner: RunnerDep, user: UserDep) -> dict:
    return job_public(owned(runner.get(job_id), user))


@router.post("/api/fetch/{job_id}/cancel")
def api_cancel(job_id: str, runner: RunnerDep, user: UserDep) -> dict:
    owned(runner.get(job_id), user)
    return job_public(runner.cancel(job_id))
