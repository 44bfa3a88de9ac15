"""Document translation pages (upload, pick the language, watch progress, download) and their JSON API."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import FileResponse, RedirectResponse

from medbridge.accounts import Principal
from medbridge.documents.errors import UploadTooLarge
from medbridge.documents.jobs import DocumentJobs
from medbridge.documents.pipeline import PIPELINE, problem_from_dict
from medbridge.store import Job
from medbridge.translate.languages import LANGUAGES
from medbridge.translate.qa_messages import localise
from medbridge.web.auth import UserDep, owned
from medbridge.web.deps import ServicesDep, get_services
from medbridge.web.i18n import strings_for, ui_lang
from medbridge.web.templating import render

router = APIRouter()
CHUNK = 1 << 20



def document_jobs(request: Request) -> DocumentJobs:
    return get_services(request).document_jobs


JobsDep = Annotated[DocumentJobs, Depends(document_jobs)]


def _ui(request: Request):
    return strings_for(request, "documents")


def job_public(job: Job) -> dict:
    """What the API shows of a job: no file-system paths."""
    result = dict(job.result)
    files = {}
    if job.state == "done":
        files["mono"] = f"/api/documents/jobs/{job.id}/files/mono"
        if result.get("dual_output"):
            files["dual"] = f"/api/documents/jobs/{job.id}/files/dual"
    return {
        "id": job.id,
        "name": job.params.get("name"),
        "target": job.params.get("target"),
        "dual": bool(job.params.get("dual")),
        "state": job.state,
        "stage": job.stage,
        "done": job.progress_done,
        "total": job.progress_total,
        "message": job.message,
        "qa": result.get("qa", {}),
        "findings": result.get("findings", []),  # QA errors, each with its part (page, slide) numbered from 1
        "findings_total": result.get("findings_total", len(result.get("findings", []))),
        "source": job.params.get("source"),
        "ocr_pages": [p + 1 for p in result.get("ocr_parts", [])],
        "skipped": result.get("skipped", {}),
        "files": files,
        "created_at": job.created_at,
        "updated_at": job.updated_at,
    }


async def _submit(services: ServicesDep, user: Principal, file: UploadFile, target: str, dual: bool,
                  glossary: UploadFile | None) -> Job:
    """Stream the upload to a temporary file (refusing it once over the size limit) and queue the job as the user's."""
    jobs = services.document_jobs
    with tempfile.TemporaryDirectory(prefix="medbridge-upload-") as folder:
        upload = Path(folder) / "upload"
        size = 0
        with upload.open("wb") as handle:
            while chunk := await file.read(CHUNK):
                size += len(chunk)
                if size > jobs.limits.max_file_bytes:
                    raise UploadTooLarge(f"{file.filename}: over the {services.settings.documents.max_file_mb:g} MB limit",
                                         limit_mb=services.settings.documents.max_file_mb)
                handle.write(chunk)
        glossary_path = None
        if glossary is not None and glossary.filename:
            glossary_path = Path(folder) / "glossary.csv"
            glossary_path.write_bytes(await glossary.read(CHUNK))
        services.usage_limits.job(user)  # counted once the file is in and within the size limit
        job = jobs.submit(upload, target=target, dual=dual, glossary_csv=glossary_path, original_name=file.filename or "upload",
                          owner=user.owner)
    jobs.start(job.id)
    return job


# -- pages -------------------------------------------------------------------------------------------
@router.get("/documents")
def documents_page(request: Request, jobs: JobsDep, user: UserDep):
    return render(request, "documents/index.html", {
        "ui": _ui(request),
        "languages": [(lang.code, lang.name) for lang in LANGUAGES.values()],
        "jobs": [job_public(job) for job in jobs.list(20, user.list_owner)],
    })


@router.post("/documents")
async def documents_upload(
    services: ServicesDep,
    user: UserDep,
    file: Annotated[UploadFile, File()],
    target: Annotated[str, Form()] = "zh",
    dual: Annotated[bool, Form()] = False,
    glossary: Annotated[UploadFile | None, File()] = None,
):
    job = await _submit(services, user, file, target, dual, glossary)
    return RedirectResponse(f"/documents/{job.id}", status_code=303)


@router.get("/documents/{job_id}")
def job_page(request: Request, job_id: str, jobs: JobsDep, user: UserDep):
    ui = _ui(request)
    stage_labels = {stage.name: ui(stage.name) for stage in PIPELINE}
    job = owned(jobs.get(job_id), user)
    return render(request, "documents/job.html", {
        "ui": ui, "job": job_public(job), "stage_labels": stage_labels, "pages": findings_by_page(job, ui_lang(request)),
    })


def findings_by_page(job: Job, lang: str) -> list[dict]:
    """The job's QA findings grouped by page (slide, part), each in the reader's language with the text it is in."""
    pages: dict[int, dict] = {}
    for finding in job.result.get("findings", []):
        page = pages.setdefault(finding["part"], {"number": finding["part"], "kind": finding.get("kind", "page"), "findings": []})
        problem = problem_from_dict(finding)
        page["findings"].append({"message": localise(problem, lang), "check": problem.check, "flagged": finding.get("flagged", False),
                                 "sentence": problem.target_sentence or "", "source": problem.source_sentence or finding.get("source", "")})
    return [pages[n] for n in sorted(pages)]


@router.post("/documents/{job_id}/cancel")
def job_cancel_form(job_id: str, jobs: JobsDep, user: UserDep):
    owned(jobs.get(job_id), user)
    jobs.cancel(job_id)
    return RedirectResponse(f"/documents/{job_id}", status_code=303)


@router.post("/documents/{job_id}/resume")
def job_resume_form(job_id: str, jobs: JobsDep, user: UserDep):
    owned(jobs.get(job_id), user)
    jobs.resume(job_id, background=True)
    return RedirectResponse(f"/documents/{job_id}", status_code=303)


# -- JSON API ----------------------------------------------------------------------------------------
@router.post("/api/documents/jobs", status_code=201)
async def api_create(
    services: ServicesDep,
    user: UserDep,
    file: Annotated[UploadFile, File()],
    target: Annotated[str, Form()] = "zh",
    dual: Annotated[bool, Form()] = False,
    glossary: Annotated[UploadFile | None, File()] = None,
) -> dict:
    return job_public(await _submit(services, user, file, target, dual, glossary))


@router.get("/api/documents/jobs")
def api_list(jobs: JobsDep, user: UserDep, limit: int = 50) -> list[dict]:
    return [job_public(job) for job in jobs.list(limit, user.list_owner)]


@router.get("/api/documents/jobs/{job_id}")
def api_get(job_id: str, jobs: JobsDep, user: UserDep) -> dict:
    return job_public(owned(jobs.get(job_id), user))


@router.post("/api/documents/jobs/{job_id}/cancel")
def api_cancel(job_id: str, jobs: JobsDep, user: UserDep) -> dict:
    owned(jobs.get(job_id), user)
    return job_public(jobs.cancel(job_id))


@router.post("/api/documents/jobs/{job_id}/resume")
def api_resume(job_id: str, jobs: JobsDep, user: UserDep) -> dict:
    owned(jobs.get(job_id), user)
    return job_public(jobs.resume(job_id, background=True))


@router.get("/api/documents/jobs/{job_id}/files/{which}")
def api_file(job_id: str, which: str, jobs: JobsDep, user: UserDep) -> FileResponse:
    owned(jobs.get(job_id), user)
    path = jobs.result_path(job_id, which)
    return FileResponse(path, filename=path.name)
