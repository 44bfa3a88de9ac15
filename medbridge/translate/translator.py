"""The translator: cache → split → protect spans → prompt (with glossary) → restore → enforce terms → QA →
retry stricter → flag.

Speed on a CPU comes from generating fewer tokens and generating them together: cached texts never reach the
model, all sentences of a batch (and their retries) are decoded side by side, prompts are short, the system
prompt is shared, and ``max_tokens`` follows the input length.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
from dataclasses import asdict, dataclass, field
from typing import Callable, Sequence

from opencc import OpenCC

from medbridge.llm.base import LLM, ChatRequest
from medbridge.progress import ProgressEvent, ProgressSink
from medbridge.store.base import Store
from medbridge.terms import GlossaryEntry, Terminology
from medbridge.translate.base import QAProblem, TranslatedText
from medbridge.translate.languages import Language, get_language, is_chinese
from medbridge.translate.prompt import PROMPT_VERSION, build_messages, clean_answer, parse_numbered
from medbridge.translate.labels import localise_label
from medbridge.translate.protect import DEFAULT_STYLE, PlaceholderStyle, ProtectedText, defined_abbreviations, protect
from medbridge.translate.qa import (
    AdditionCheck,
    DirectionCheck,
    ForeignContentCheck,
    GlossaryCheck,
    InconsistentTermCheck,
    NamesCheck,
    NegationCheck,
    NumbersCheck,
    NumberAttachmentCheck,
    OmissionCheck,
    QAContext,
    RepetitionCheck,
    StatisticCheck,
    UnitsCheck,
    UntranslatedCheck,
    VariantTermCheck,
    WrongLanguageCheck,
    forms_used,
    renderings,
    run_checks,
)
from medbridge.text import split_sentences
from medbridge.translate.segment import split_markup_sentences

CACHE_NAMESPACE = "translation"
MAX_SHARED_TERMS = 40
# Every check of a sentence but the kept-span one: a dropped protected span is a dropped marker, reported by protect.
_UNIT_CHECKS = (
    UntranslatedCheck(), GlossaryCheck(), NumbersCheck(), UnitsCheck(), OmissionCheck(), AdditionCheck(), RepetitionCheck(),
    ForeignContentCheck(), VariantTermCheck(), NamesCheck(), WrongLanguageCheck(), DirectionCheck(), NegationCheck(), StatisticCheck(),
    NumberAttachmentCheck(),
)
_BATCH_CHECKS = (InconsistentTermCheck(),)
_STRAY_NUMBER = re.compile(r"^\d{1,3}[.、:：)）](?!\d)\s*")  # digits of the text itself are markers: never a match
_TAGS = re.compile(r"</?(?:i|b|u|em|strong|sup|sub)>", re.IGNORECASE)
_s2twp = OpenCC("s2twp")
_t2s = OpenCC("t2s")


@dataclass(slots=True)
class _Unit:
    """One piece the model translates: a sentence of a line of a text."""

    text_index: int
    source: str                      # as given (markup fragment in markup mode)
    protected: ProtectedText
    terms: list[GlossaryEntry]
    target: str = ""                 # restored translation (markup fragment in markup mode)
    answer: str = ""                 # the model's last answer, markers and all: a retry's draft
    problems: list[QAProblem] = field(default_factory=list)

    @property
    def plain_source(self) -> str:
        return _plain(self.source) if self.protected.markup else self.source

    @property
    def plain_target(self) -> str:
        return _plain(self.target) if self.protected.markup else self.target


def _plain(fragment: str) -> str:
    return html.unescape(_TAGS.sub("", fragment))


@dataclass(slots=True)
class Retry:
    """A sentence sent back to the model: its source, the translation that failed and the errors that failed it."""

    source: str
    target: str
    errors: list[QAProblem]


@dataclass(slots=True)
class _Text:
    """A text of the batch, cut into lines (kept verbatim when blank) and sentences."""

    source: str
    lines: list[list[_Unit] | str]   # units of a line, or a blank line passed through

    @property
    def units(self) -> list[_Unit]:
        return [u for line in self.lines if isinstance(line, list) for u in line]


class Translator:
    """Implements :class:`~medbridge.translate.base.TextTranslator` over any :class:`~medbridge.llm.base.LLM`."""

    def __init__(
        self,
        llm: LLM,
        store: Store | None = None,
        *,
        terminology: Terminology,
        max_retries: int = 1,
        style: PlaceholderStyle = DEFAULT_STYLE,
        inject_glossary: bool = True,
    ) -> None:
        self.llm = llm
        self.store = store
        self.terminology = terminology
        self.max_retries = max_retries
        self.style = style
        self.inject_glossary = inject_glossary  # off only to measure what the glossary in the prompt buys
        self.calls = 0                          # model calls made; benchmarks and tests read it
        self.retries: list[Retry] = []          # each retry and what caused it, so a benchmark can tell true findings from false

    # ---- public API ------------------------------------------------------------------------------

    def translate(self, text: str, *, source: str, target: str, glossary: Sequence[GlossaryEntry] | None = None, markup: bool = False) -> TranslatedText:
        return self.translate_batch([text], source=source, target=target, glossary=glossary, markup=markup)[0]

    def translate_batch(
        self,
        texts: Sequence[str],
        *,
        source: str,
        target: str,
        glossary: Sequence[GlossaryEntry] | None = None,
        progress: ProgressSink | None = None,
        markup: bool = False,
        on_text: Callable[[int, TranslatedText], None] | None = None,
    ) -> list[TranslatedText]:
        """Translate each text (title, abstract section, paragraph, table cell). With ``markup=True`` texts are
        safe HTML fragments with inline tags (<i>, <sup>, …) and so are the translations. The texts are
        translated together; ``on_text(index, translation)`` is told each one the model had to translate as soon
        as it is final (a page can show it), before the batch-wide consistency check, whose findings only
        the returned (and cached) translations carry."""
        src, tgt = get_language(source), get_language(target)
        terms = self.terminology.with_user_entries(glossary) if glossary else self.terminology
        total = len(texts)
        results: list[TranslatedText | None] = [None] * total
        keys = [self.cache_key(t, src, tgt, terms, markup) for t in texts]
        cached = self.store.cache_get_many(CACHE_NAMESPACE, keys) if self.store else {}
        for i, (text, key) in enumerate(zip(texts, keys)):
            if key in cached:
                results[i] = _from_cache(text, cached[key])
            elif not text.strip() or _same_language(src, tgt):
                results[i] = TranslatedText(text, _convert_chinese(text, src, tgt))
        done = sum(r is not None for r in results)
        if progress:
            progress(ProgressEvent("translating", done, total))

        pending = [i for i, r in enumerate(results) if r is None]
        if pending:
            work_src = get_language("zh") if src.code == "zh-Hant" else src
            work_tgt = get_language("zh") if tgt.code == "zh-Hant" else tgt
            ctx = QAContext(work_src, work_tgt, terms)
            prepared = {i: self._prepare(i, texts[i], src, ctx, markup) for i in pending}
            units = [u for i in pending for u in prepared[i].units]
            remaining = {i: len(prepared[i].units) for i in pending}
            # One term list for the whole batch keeps the system prompt identical across its requests, so the
            # local model evaluates it once for all of them; a very long list would cost more than it saves.
            shared_terms = self._prompt_terms(units, ctx)
            shared = shared_terms if len(shared_terms) <= MAX_SHARED_TERMS else None
            finished: dict[int, TranslatedText] = {}

            def settled(unit: _Unit) -> None:
                index = unit.text_index
                remaining[index] -= 1
                if remaining[index]:
                    return
                finished[index] = self._assemble(prepared[index], work_tgt)
                if progress:
                    progress(ProgressEvent("translating", done + len(finished), total))
                if on_text:
                    on_text(index, _deliverable(finished[index], texts[index], tgt))

            self._translate_units(units, ctx, shared, settled)
            fresh = [finished[i] for i in pending]
            self._check_consistency(fresh, ctx, markup)
            for i, result in zip(pending, fresh):
                results[i] = _deliverable(result, texts[i], tgt)
                if self.store:
                    self.store.cache_put(CACHE_NAMESPACE, keys[i], _to_cache(results[i]))
        return [r for r in results if r is not None]

    def cache_key(self, text: str, source: Language, target: Language, terminology: Terminology, markup: bool = False) -> str:
        """sha256 of what determines a translation: text, languages, model, glossary (with user entries), prompt."""
        parts = [PROMPT_VERSION, text, source.code, target.code, self.llm.model_id, terminology.version, markup, self.style.open, self.inject_glossary]
        return hashlib.sha256(json.dumps(parts, ensure_ascii=False).encode()).hexdigest()

    def _cache_keys(self, texts: Sequence[str], source: str, target: str, glossary: Sequence[GlossaryEntry] | None, markup: bool) -> list[str]:
        src, tgt = get_language(source), get_language(target)
        terms = self.terminology.with_user_entries(glossary) if glossary else self.terminology
        return [self.cache_key(t, src, tgt, terms, markup) for t in texts]

    def cache_entries(self, texts: Sequence[str], results: Sequence[TranslatedText], *, source: str, target: str,
                      glossary: Sequence[GlossaryEntry] | None = None, markup: bool = False) -> list[tuple[str, str]]:
        """(cache key, cache value) of each translation the model made, as ``translate_batch`` caches them: a
        cluster worker without the store hands these to the process that writes them."""
        keys = self._cache_keys(texts, source, target, glossary, markup)
        same = _same_language(get_language(source), get_language(target))
        return [(key, _to_cache(result)) for key, text, result in zip(keys, texts, results)
                if not result.from_cache and text.strip() and not same]

    def lookup(self, texts: Sequence[str], *, source: str, target: str, glossary: Sequence[GlossaryEntry] | None = None, markup: bool = False) -> list[TranslatedText | None]:
        """The cached translation of each text, or None (article pages show what is ready, then stream the rest)."""
        if not self.store:
            return [None] * len(texts)
        keys = self._cache_keys(texts, source, target, glossary, markup)
        hits = self.store.cache_get_many(CACHE_NAMESPACE, keys)
        return [_from_cache(t, hits[k]) if k in hits else None for t, k in zip(texts, keys)]

    def cached(self, texts: Sequence[str], *, source: str, target: str, glossary: Sequence[GlossaryEntry] | None = None, markup: bool = False) -> list[bool]:
        """Which texts already have a cached translation (a resumed corpus run skips them)."""
        return [r is not None for r in self.lookup(texts, source=source, target=target, glossary=glossary, markup=markup)]

    # ---- preparation -----------------------------------------------------------------------------

    def _prepare(self, index: int, text: str, src: Language, ctx: QAContext, markup: bool) -> _Text:
        if src.code == "zh-Hant":
            text = _t2s.convert(text)
        lines: list[list[_Unit] | str] = []
        # Sentences are translated apart, but an abbreviation defined in one stays protected in the others.
        defined = defined_abbreviations(_plain(text) if markup else text)
        ctx.abbreviations |= defined
        for line in text.split("\n"):
            if not line.strip():
                lines.append(line)
                continue
            # One unit per sentence: a failing sentence is retried alone, and a 1.5B model keeps numbered
            # sentences apart where it drops or merges parts of a long paragraph. Markup is cut only between tags.
            pieces = split_markup_sentences(line, ctx.source_lang) if markup else split_sentences(line, ctx.source_lang)
            units = []
            for piece in (p for p in pieces if p.strip()):
                plain = _plain(piece) if markup else piece
                found = ctx.terms(plain)
                keep = {plain[s:e] for s, e, _ in found} | {word for s, e, _ in found for word in _abbreviations_in_phrase(plain[s:e])}
                protected = protect(piece.strip(), markup=markup, style=self.style, keep=keep, defined=defined)
                units.append(_Unit(index, piece.strip(), protected, list(dict.fromkeys(e for _, _, e in found))))
            lines.append(units)
        return _Text(text, lines)

    # ---- model calls -----------------------------------------------------------------------------

    def _translate_units(
        self, units: list[_Unit], ctx: QAContext, shared_terms: list[tuple[str, str]] | None, settled: Callable[[_Unit], None]
    ) -> None:
        """Every unit through the model in one batched run, a request each (the backend decodes them together;
        a 1.5B model also translates a lone sentence more faithfully than numbered lines). A unit failing QA
        comes back as a stricter retry, up to ``max_retries`` times, joining the running batch, which so stays
        full. ``settled`` is told each unit as its translation becomes final."""
        jobs: list[tuple[_Unit, int]] = []  # per request: its unit and attempt (0 = first translation)

        def queue(pending: list[_Unit], attempt: int) -> list[ChatRequest]:
            jobs.extend((unit, attempt) for unit in pending)
            self.calls += len(pending)
            # A retry mostly repeats the first answer: given as a draft, the local backend verifies those stretches
            # several tokens a step.
            return [
                self._request(unit, ctx, shared_terms, _retry_problems(unit), unit.answer) if attempt else self._request(unit, ctx, shared_terms)
                for unit in pending
            ]

        def answered(index: int, answer: str) -> list[ChatRequest]:
            unit, attempt = jobs[index]
            unit.answer = answer
            previous = (unit.target, unit.problems)
            self._accept(unit, _parse(answer), ctx)
            if attempt and len(_errors(unit.problems)) > len(_errors(previous[1])):
                unit.target, unit.problems = previous  # a retry that made things worse is dropped
            if _errors(unit.problems) and attempt < self.max_retries:
                self.retries.append(Retry(unit.plain_source, unit.plain_target, _errors(unit.problems)))
                return queue([unit], attempt + 1)
            settled(unit)
            return []

        self.llm.complete_many(queue(units, 0), temperature=0.0, on_done=answered)

    def _request(
        self, unit: _Unit, ctx: QAContext, shared_terms: list[tuple[str, str]] | None, problems: Sequence[QAProblem] = (), draft: str = ""
    ) -> ChatRequest:
        terms = shared_terms if shared_terms is not None else self._prompt_terms([unit], ctx)
        text = unit.protected.text
        messages = build_messages([text], ctx.source_lang, ctx.target_lang, self.style, terms, problems)
        return ChatRequest(messages, self._max_tokens(text, ctx), draft)

    def _prompt_terms(self, units: Sequence[_Unit], ctx: QAContext) -> list[tuple[str, str]]:
        """Glossary pairs for the prompt, in order of first use."""
        pair = ctx.glossary_pair
        if pair is None or not self.inject_glossary:
            return []
        items = ((e.en, e.zh) if pair == ("en", "zh") else (e.zh, e.en) for u in units for e in u.terms)
        return list(dict.fromkeys(items))

    def _max_tokens(self, text: str, ctx: QAContext) -> int:
        """Room for the expected translation and half again, so a generation loop stops early. A Chinese
        translation takes about as many tokens as its English source (digits and markers cost the same on both
        sides); other scripts take more."""
        source_tokens = self.llm.count_tokens(text)
        ratio = 1.0 if ctx.target_lang.code in ("en", "zh") else 1.4
        return int(source_tokens * ratio * 1.5) + 32

    def _accept(self, unit: _Unit, answer: str, ctx: QAContext) -> None:
        """Restore spans, enforce approved terms, run the unit's QA."""
        answer = answer.replace("\n", " ").strip()
        problems = unit.protected.marker_problems(answer)
        target = unit.protected.restore(answer)
        if ctx.glossary_pair == ("en", "zh"):
            target = localise_label(_enforce_terms(target, unit.terms), unit.plain_source)
        unit.target = target
        unit.problems = problems + run_checks([unit.plain_source], [unit.plain_target], ctx, _UNIT_CHECKS)
        for problem in unit.problems:
            problem.segment = None  # a unit is one piece of its text; the segment index is the caller's business

    # ---- assembly --------------------------------------------------------------------------------

    def _assemble(self, text: _Text, target: Language) -> TranslatedText:
        joiner = "" if target.pysbd_code is None else " "
        out_lines: list[str] = []
        problems: list[QAProblem] = []
        for line in text.lines:
            if isinstance(line, str):
                out_lines.append(line)
                continue
            out_lines.append(joiner.join(u.target for u in line))
            for unit in line:
                problems.extend(unit.problems)
        return TranslatedText(text.source, "\n".join(out_lines), problems)

    def _check_consistency(self, results: list[TranslatedText], ctx: QAContext, markup: bool) -> None:
        """One term, one rendering across the whole batch."""
        sources = [_plain(r.source) if markup else r.source for r in results]
        targets = [_plain(r.target) if markup else r.target for r in results]
        for problem in run_checks(sources, targets, ctx, _BATCH_CHECKS):
            index = problem.segment or 0
            problem.segment = None
            results[index].problems.append(problem)


def _parse(answer: str) -> str:
    """The translation in the answer to a one-line numbered request, which may come back without its number or
    with a wrong one ("2. …")."""
    parsed = parse_numbered(answer, 1)
    return parsed[0] if parsed else _STRAY_NUMBER.sub("", clean_answer(answer), count=1)


def _retry_problems(unit: _Unit) -> list[QAProblem]:
    """The unit's problems as a retry is told them: a number inside a dropped marker is the marker's problem
    (the model never saw "356", only ⟦1⟧)."""
    hidden = {number for span in unit.protected.spans for number in re.findall(r"\d+(?:\.\d+)?", span.text)}
    return [p for p in unit.problems if not (p.check == "numbers" and p.source_span in hidden)]


def _abbreviations_in_phrase(term: str) -> list[str]:
    """Abbreviations of a glossary phrase that also has English words ("CSF" of "CSF biomarkers"): the phrase is
    translated as a whole (脑脊液生物标志物), so a marker for "CSF" would only ask the model to keep it. A term
    that is all symbols ("APOE ε4") stays protected."""
    words = term.split()
    if not any(re.fullmatch(r"[a-z]{3,}", w) for w in words):
        return []
    return [w for w in words if not re.fullmatch(r"[a-z]+", w)]


def _errors(problems: Sequence[QAProblem]) -> list[QAProblem]:
    return [p for p in problems if p.severity == "error"]


def _enforce_terms(target: str, entries: Sequence[GlossaryEntry]) -> str:
    """Known variants of a term the source uses become the approved form, so a drug is never spelled two ways.
    Other source terms' renderings are left whole, whether a variant holds one (微管相关蛋白tau keeps 微管 when
    "microtubule" is in the source too) or one holds a variant (随机对照试验 holds 对照 of "controls")."""
    for entry in entries:
        # Another term's approved form, or a sense of one (抗抑郁 of "antidepressant effect" holds 抑郁), stays whole.
        others = [o.zh for o in entries if o.zh not in entry.zh]
        others += [z for o in entries if o != entry for _, z in o.senses if z not in entry.zh]
        forms = sorted((f for f in renderings(entry, "zh") if not any(o in f for o in others)), key=len, reverse=True)
        if len(forms) < 2 or not forms_used(entry, target, "zh"):
            continue
        shielded = sorted((o for o in others if any(f in o for f in forms)), key=len, reverse=True)
        pattern = re.compile("|".join(re.escape(t) for t in [*shielded, *forms]))
        target = pattern.sub(lambda m: m.group() if m.group() in shielded else entry.zh, target)
    return target


def _same_language(src: Language, tgt: Language) -> bool:
    return src.code == tgt.code or (is_chinese(src) and is_chinese(tgt))


def _convert_chinese(text: str, src: Language, tgt: Language) -> str:
    if src.code == "zh" and tgt.code == "zh-Hant":
        return _s2twp.convert(text)
    if src.code == "zh-Hant" and tgt.code == "zh":
        return _t2s.convert(text)
    return text


def _deliverable(result: TranslatedText, source: str, target: Language) -> TranslatedText:
    """The translation as handed out: the source as given, the target in the requested script, flagged when
    errors remain."""
    text = _s2twp.convert(result.target) if target.code == "zh-Hant" else result.target
    return TranslatedText(source, text, list(result.problems), flagged=any(p.severity == "error" for p in result.problems))


def _to_cache(result: TranslatedText) -> str:
    return json.dumps({"target": result.target, "problems": [asdict(p) for p in result.problems], "flagged": result.flagged}, ensure_ascii=False)


def _from_cache(source: str, value: str) -> TranslatedText:
    data = json.loads(value)
    return TranslatedText(source, data["target"], [QAProblem(**p) for p in data["problems"]], from_cache=True, flagged=data["flagged"])
