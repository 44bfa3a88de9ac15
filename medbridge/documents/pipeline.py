"""The document pipeline: a named list of stages over one IR, typed progress events, resumable translation.

    PIPELINE = [Parse, FindParagraphs, Translate, CheckQuality, Typeset, Render]

Each stage has a ``name`` and one ``process(run)``; with ``debug_dir`` the IR is written after every stage, so
a bad page can be traced to the stage that broke it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Callable, ClassVar, Protocol

from medbridge.documents.errors import DocumentError, JobCancelled
from medbridge.documents.intake import DocumentLimits, check_file
from medbridge.documents.ir import Document
from medbridge.documents.languages import same_script, target_share
from medbridge.documents.segments import runs_to_markup, skip_reason, uses_markup
from medbridge.progress import ProgressEvent, ProgressSink
from medbridge.terms.base import GlossaryEntry
from medbridge.translate.base import QAProblem, TextTranslator
from medbridge.translate.languages import get_language

BATCH_SIZE = 8  # segments per translator call: the granularity of checkpoints and cancellation
MAX_FINDINGS = 500  # QA findings kept on a job's result; the count by check (``qa``) covers them all
_PROBLEM_FIELDS = {f.name for f in fields(QAProblem)}


def problem_to_dict(problem: QAProblem) -> dict:
    """A finding as checkpoints and job results keep it (its message id and values, for the reader's language)."""
    return {k: v for k, v in asdict(problem).items() if v not in (None, "", {}) and k != "segment"}


def problem_from_dict(data: dict) -> QAProblem:
    return QAProblem(**{k: v for k, v in data.items() if k in _PROBLEM_FIELDS})




@dataclass(slots=True)
class SegmentResult:
    """A finished translation as the checkpoint keeps it, keyed by the source markup."""

    target: str
    problems: list[dict] = field(default_factory=list)
    flagged: bool = False

    def to_dict(self) -> dict:
        return {"target": self.target, "problems": self.problems, "flagged": self.flagged}

    @classmethod
    def from_dict(cls, data: dict) -> SegmentResult:
        return cls(data["target"], list(data.get("problems", [])), bool(data.get("flagged", False)))


@dataclass(slots=True)
class DocumentTask:
    source: Path
    target_lang: str
    output: Path
    source_lang: str = "auto"
    dual_output: Path | None = None
    glossary: list[GlossaryEntry] = field(default_factory=list)  # the user's entries; they win over built-ins
    debug_dir: Path | None = None


@dataclass(slots=True)
class DocumentResult:
    output: Path
    dual_output: Path | None
    format: str
    parts: int
    segments: int                 # distinct texts sent for translation
    reused: int                   # of those, taken from the checkpoint of an interrupted run
    skipped: dict[str, int]       # untouched blocks by reason (formula, number, url, ...)
    ocr_parts: list[int]          # 0-based pages read by OCR
    qa: dict[str, int]            # QA problems by check
    flagged: int                  # segments still failing QA after retries
    findings: list[dict] = field(default_factory=list)  # QA errors with their part (page, slide) and block, in order
    findings_total: int = 0       # before the list was cut at MAX_FINDINGS
    document: Document | None = field(default=None, repr=False)  # the final IR, for fidelity measures

    def to_dict(self) -> dict:
        return {
            "output": str(self.output),
            "dual_output": str(self.dual_output) if self.dual_output else None,
            "format": self.format,
            "parts": self.parts,
            "segments": self.segments,
            "reused": self.reused,
            "skipped": self.skipped,
            "ocr_parts": self.ocr_parts,
            "qa": self.qa,
            "flagged": self.flagged,
            "findings": self.findings,
            "findings_total": self.findings_total,
        }


class FormatAdapter(Protocol):
    format: str

    def parse(self, source_lang: str, target_lang: str) -> Document: ...
    def group_paragraphs(self, document: Document) -> None: ...
    def typeset(self, document: Document) -> None: ...
    def render(self, document: Document, out: Path, dual_out: Path | None) -> None: ...


def open_adapter(path: Path, limits: DocumentLimits) -> FormatAdapter:
    fmt = check_file(path, limits)
    if fmt == "pdf":
        from medbridge.documents.pdf import PdfAdapter

        return PdfAdapter(path, limits)
    if fmt == "docx":
        from medbridge.documents.docx import DocxAdapter

        return DocxAdapter(path, limits)
    from medbridge.documents.pptx import PptxAdapter

    return PptxAdapter(path, limits)


@dataclass(slots=True)
class PipelineRun:
    """What the stages share: the task, the IR they refine, and the hooks to the outside (events, checkpoint)."""

    task: DocumentTask
    adapter: FormatAdapter
    translator: TextTranslator
    emit: ProgressSink
    checkpoint: dict[str, SegmentResult] = field(default_factory=dict)
    save_checkpoint: Callable[[dict[str, SegmentResult]], None] = lambda _: None
    cancelled: Callable[[], bool] = lambda: False
    document: Document | None = None
    reused: int = 0

    @property
    def doc(self) -> Document:
        if self.document is None:
            raise RuntimeError("Parse has not run")
        return self.document


class Stage(Protocol):
    name: ClassVar[str]

    def process(self, run: PipelineRun) -> None: ...


class Parse:
    name = "parse"

    def process(self, run: PipelineRun) -> None:
        run.document = run.adapter.parse(run.task.source_lang, run.task.target_lang)
        if run.doc.source_lang == "auto":
            run.doc.source_lang = detect_source_lang(block.text for block in run.doc.blocks())


class FindParagraphs:
    name = "find_paragraphs"

    def process(self, run: PipelineRun) -> None:
        run.adapter.group_paragraphs(run.doc)
        doc = run.doc
        other_script = not same_script(doc.source_lang, doc.target_lang)
        for block in doc.blocks():
            block.skip = skip_reason(block.text, (block.font,) if block.font else ())
            if block.skip is None and other_script and target_share(block.text, doc.target_lang) > 0.9:
                block.skip = "already_target_language"
        if not doc.translatable_blocks():
            raise DocumentError(f"{run.task.source.name}: nothing to translate (no text outside formulas, numbers and links)")


class Translate:
    """Distinct texts in batches; each finished batch goes to the checkpoint before cancellation is checked.

    Blocks with mixed styles travel as HTML fragments (``markup=True``), so bold/italic/superscript land on the
    translated words."""

    name = "translate"

    def process(self, run: PipelineRun) -> None:
        styled = {runs_to_markup(b.runs) for b in run.doc.translatable_blocks() if uses_markup(b.runs)}
        sources = list(dict.fromkeys(runs_to_markup(block.runs) for block in run.doc.translatable_blocks()))
        pending = [text for text in sources if text not in run.checkpoint]
        run.reused = len(sources) - len(pending)
        done = run.reused
        run.emit(ProgressEvent(self.name, done, len(sources), "resumed" if run.reused else ""))
        for start in range(0, len(pending), BATCH_SIZE):
            if run.cancelled():
                raise JobCancelled("cancelled")
            batch = pending[start : start + BATCH_SIZE]
            for is_markup in (False, True):
                texts = [text for text in batch if (text in styled) == is_markup]
                if texts:
                    self._translate(run, texts, is_markup, done, len(sources))
                    done += len(texts)
            run.save_checkpoint(run.checkpoint)
            run.emit(ProgressEvent(self.name, done, len(sources)))
        for block in run.doc.translatable_blocks():
            segment = run.checkpoint[runs_to_markup(block.runs)]
            block.translation = segment.target
            block.flagged = segment.flagged
            block.problems = [problem_from_dict(p) for p in segment.problems]

    def _translate(self, run: PipelineRun, texts: list[str], is_markup: bool, offset: int, total: int) -> None:
        def progress(event: ProgressEvent) -> None:  # the batch's progress, as the document's
            run.emit(ProgressEvent(self.name, offset + event.done, total))

        results = run.translator.translate_batch(
            texts,
            source=run.doc.source_lang,
            target=run.doc.target_lang,
            glossary=run.task.glossary or None,
            progress=progress,
            markup=is_markup,
        )
        for text, result in zip(texts, results, strict=True):
            run.checkpoint[text] = SegmentResult(
                result.target,
                [problem_to_dict(p) for p in result.problems],
                result.flagged,
            )


class CheckQuality:
    """The translator checks each segment; here the document adds what only it can see: empty output."""

    name = "check_quality"

    def process(self, run: PipelineRun) -> None:
        for block in run.doc.translatable_blocks():
            if block.translation is not None and not block.translation.strip():
                block.problems.append(QAProblem("omission", "the translation is empty; the original is kept", key="empty_kept"))
                block.translation = None


class Typeset:
    name = "typeset"

    def process(self, run: PipelineRun) -> None:
        run.adapter.typeset(run.doc)


class Render:
    name = "render"

    def process(self, run: PipelineRun) -> None:
        run.adapter.render(run.doc, run.task.output, run.task.dual_output)


PIPELINE: list[Stage] = [Parse(), FindParagraphs(), Translate(), CheckQuality(), Typeset(), Render()]


def translate_document(
    task: DocumentTask,
    translator: TextTranslator,
    limits: DocumentLimits,
    *,
    on_event: ProgressSink | None = None,
    checkpoint: dict[str, SegmentResult] | None = None,
    save_checkpoint: Callable[[dict[str, SegmentResult]], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> DocumentResult:
    """Run every stage; raises DocumentError for unusable input and JobCancelled when ``cancelled()`` turns true."""
    task.target_lang = get_language(task.target_lang).code  # raises UnsupportedLanguageError, one line
    run = PipelineRun(
        task=task,
        adapter=open_adapter(task.source, limits),
        translator=translator,
        emit=on_event or (lambda _: None),
        checkpoint=dict(checkpoint or {}),
        save_checkpoint=save_checkpoint or (lambda _: None),
        cancelled=cancelled or (lambda: False),
    )
    for index, stage in enumerate(PIPELINE):
        if stage.name != Translate.name:
            run.emit(ProgressEvent(stage.name, 0, 1))
        stage.process(run)
        if stage.name != Translate.name:
            run.emit(ProgressEvent(stage.name, 1, 1))
        if task.debug_dir is not None:
            task.debug_dir.mkdir(parents=True, exist_ok=True)
            (task.debug_dir / f"{index + 1:02d}-{stage.name}.json").write_text(run.doc.to_json(), encoding="utf-8")
    doc = run.doc
    blocks = doc.blocks()
    findings = findings_by_part(doc)
    return DocumentResult(
        output=task.output,
        dual_output=task.dual_output,
        format=doc.format,
        parts=len(doc.parts),
        segments=len({runs_to_markup(b.runs) for b in blocks if b.translatable}),
        reused=run.reused,
        skipped=dict(Counter(b.skip for b in blocks if b.skip and b.skip != "empty")),
        ocr_parts=doc.ocr_parts,
        qa=dict(Counter(p.check for b in blocks for p in b.problems)),
        flagged=sum(1 for b in blocks if b.flagged),
        findings=findings[:MAX_FINDINGS],
        findings_total=len(findings),
        document=doc,
    )


def findings_by_part(doc: Document) -> list[dict]:
    """Each QA error of the document with where it is: the part (page, slide) numbered from 1 as a reader counts,
    its kind, the block and the start of its source text."""
    found = []
    for part in doc.parts:
        for block in part.blocks:
            for problem in block.problems:
                if problem.severity == "error":
                    found.append({"part": part.index + 1, "kind": part.kind, "block": block.id, "source": block.text[:160],
                                  "flagged": block.flagged, **problem_to_dict(problem)})
    return found


def detect_source_lang(texts) -> str:
    """zh when Chinese characters make up a third of the letters, else en (the two languages sources come in)."""
    sample = " ".join(text for _, text in zip(range(200), texts))
    return "zh" if target_share(sample, "zh") > 0.33 else "en"
