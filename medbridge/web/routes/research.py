"""Research pages (ask, watch the stages, read the review with citations linked to record pages) and JSON API."""

from __future__ import annotations

from typing import Annotated, Any, Optional

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import FileResponse, RedirectResponse
from markupsafe import Markup
from pydantic import BaseModel, Field

from medbridge.errors import NotFoundError
from medbridge.jobs import JobRunner
from medbridge.research import STAGES, ResearchRequest, output_path, review_of, to_html_fragment
from medbridge.store.base import Job
from medbridge.web.auth import UserDep, owned
from medbridge.web.deps import ServicesDep, SettingsDep, get_services
from medbridge.web.i18n import strings_for
from medbridge.web.templating import render

router = APIRouter()



def runner_dep(request: Request) -> JobRunner:
    return get_services(request).research_runner


RunnerDep = Annotated[JobRunner, Depends(runner_dep)]


def _ui(request: Request):
    return strings_for(request, "research")


def job_public(job: Job, runner: JobRunner, *, with_review: bool = False) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": job.id,
        "question": job.params.get("question"),
        "lang": job.params.get("lang"),
        "max_sources": job.params.get("max_sources"),
        "state": job.state,
        "stage": job.stage,
        "stage_number": STAGES.index(job.stage) + 1 if job.stage in STAGES else 0,
        "stages": len(STAGES),
        "done": job.progress_done,
        "total": job.progress_total,
        "message": job.message,
        "interrupted": runner.is_interrupted(job),
        "created_at": job.created_at,
        "updated_at": job.updated_at,
        "files": {},
    }
    if job.state == "done":
        data["files"] = {fmt: f"/research/{job.id}/download/{fmt}" for fmt in ("md", "html", "docx", "csv")}
        review = job.result.get("review", {})
        data["word_count"] = review.get("word_count")
        data["supported_share"] = review.get("verification", {}).get("supported_share")
        if with_review:
            data["review"] = review
    return data


# -- pages -------------------------------------------------------------------------------------------
@router.get("/research")
def research_page(request: Request, runner: RunnerDep, settings: SettingsDep, user: UserDep):
    return render(request, "research/index.html", {
        "ui": _ui(request),
        "jobs": [job_public(job, runner) for job in runner.list(20, user.list_owner)],
        "default_sources": settings.research.max_sources,
    })


@router.post("/research")
def research_submit(
    services: ServicesDep,
    runner: RunnerDep,
    user: UserDep,
    q: Annotated[str, Form()],
    lang: Annotated[str, Form()] = "",
    max_sources: Annotated[Optional[int], Form()] = None,
):
    asked = ResearchRequest.create(q, services.settings, lang or None, max_sources)
    services.usage_limits.job(user)
    job = runner.submit(asked.params(), user.owner)
    runner.start(job.id)
    return RedirectResponse(f"/research/{job.id}", status_code=303)


@router.get("/research/{job_id}")
def research_job_page(request: Request, job_id: str, runner: RunnerDep, user: UserDep):
    job = owned(runner.get(job_id), user)
    review_html = Markup(to_html_fragment(review_of(job))) if job.state == "done" else None
    return render(request, "research/job.html", {"ui": _ui(request), "job": job_public(job, runner), "review_html": review_html})


@router.post("/research/{job_id}/cancel")
def research_cancel_form(job_id: str, runner: RunnerDep, user: UserDep):
    owned(runner.get(job_id), user)
    runner.cancel(job_id)
    return RedirectResponse(f"/research/{job_id}", status_code=303)


@router.post("/research/{job_id}/resume")
def research_resume_form(job_id: str, runner: RunnerDep, user: UserDep):
    owned(runner.get(job_id), user)
    runner.resume(job_id, background=True)
    return RedirectResponse(f"/research/{job_id}", status_code=303)


@router.get("/research/{job_id}/download/{fmt}")
def research_download(settings: SettingsDep, job_id: str, fmt: str, runner: RunnerDep, user: UserDep) -> FileResponse:
    path = output_path(settings, owned(runner.get(job_id), user), fmt)
    if not path.exists():
        raise NotFoundError(f"research job {job_id} has no {fmt} file")
    return FileResponse(path, filename=f"review-{job_id}{path.suffix}")


# -- JSON API ----------------------------------------------------------------------------------------
class ResearchBody(BaseModel):
    question: str = Field(min_length=1)
    lang: Optional[str] = None
    max_sources: Optional[int] = Field(None, ge=1, le=200)


@router.post("/api/research", status_code=201)
def api_create(services: ServicesDep, body: ResearchBody, runner: RunnerDep, user: UserDep) -> dict:
    asked = ResearchRequest.create(body.question, services.settings, body.lang, body.max_sources)
    services.usage_limits.job(user)
    job = runner.submit(asked.params(), user.owner)
    return job_public(runner.start(job.id), runner)


@router.get("/api/research")
def api_list(runner: RunnerDep, user: UserDep, limit: int = 50) -> list[dict]:
    return [job_public(job, runner) for job in runner.list(limit, user.list_owner)]


@router.get("/api/research/{job_id}")
def api_get(job_id: str, runner: RunnerDep, user: UserDep) -> dict:
    return job_public(owned(runner.get(job_id), user), runner, with_review=True)


@router.post("/api/research/{job_id}/cancel")
def api_cancel(job_id: str, runner: RunnerDep, user: UserDep) -> dict:
    owned(runner.get(job_id), user)
    return job_public(runner.cancel(job_id), runner)


@router.post("/api/research/{job_id}/resume")
def api_resume(job_id: str, runner: RunnerDep, user: UserDep) -> dict:
    owned(runner.get(job_id), user)
    return job_public(runner.resume(job_id, background=True), runner)
