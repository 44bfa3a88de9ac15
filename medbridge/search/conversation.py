"""Conversations: a thread of turns refining one search, each turn understood against the current state,
without a model.

The state is what the user sees as chips: concepts (ANDed), excluded concepts (NOT), filters (years, study
types, humans / no animal studies, language, abstract, journal), the sort, or "similar to record n". A turn is
read by rules, in order: undo and start over; references to shown results ("第3篇的类似文章", "what is #2
about"); sort; chip-clearing phrases (不限年份); language, abstract and journal filters; concept operations
(replace, drop, exclude, add); then the rest goes through query understanding (``understand.interpret``),
whose intents (近五年, RCT, 排除动物实验) become filters and whose concepts are added. Every state-changing
turn pushes a state, so undo pops one; the thread is JSON in the store, reopened by its id.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import asdict, dataclass, field, replace
from datetime import date, datetime, timezone
from typing import Literal

import msgspec

from medbridge.corpus.names import LANGUAGE_NAMES, PUBLICATION_TYPES_ZH
from medbridge.errors import MedbridgeError, NotFoundError
from medbridge.i18n import translator_for
from medbridge.search.engine import Hit, SearchEngine, SearchOptions, SearchResult, Sort, TitleTranslations
from medbridge.search.query import And, Node, Not, Or
from medbridge.search.recommend import AbstractTranslations, Recommendation, Recommender, summarize
from medbridge.search.similar import find_similar
from medbridge.search.snippets import highlight, make_snippet, term_patterns
from medbridge.search.understand import (
    PUBLICATION_TYPE_INTENTS,
    SPECIES_INTENTS,
    Concept,
    Filters,
    Interpretation,
    Language,
    concept_node,
    interpret,
)
from medbridge.store.base import Store
from medbridge.text import guess_language, zh_numeral_value

ChipKind = Literal["concept", "excluded", "years", "type", "species", "language", "abstract", "journal", "sort", "similar"]
SIMILAR_CANDIDATES = 200
RECOMMENDED = 10  # hits of a turn that get reasons and a quoted sentence
MAX_TEXT = 500



def text_for(lang: str, key: str, **values) -> str:
    """A conversation reply or chip label in ``lang`` from the string table."""
    return translator_for(lang, "conversation")(key, **values)


# --- state ----------------------------------------------------------------------------------------
@dataclass(slots=True)
class Chip:
    kind: ChipKind
    value: str        # what identifies it for removal ("concept:0", "type:Review")
    label: str


@dataclass(slots=True)
class SearchState:
    concepts: list[Concept] = field(default_factory=list)
    excluded: list[Concept] = field(default_factory=list)
    filters: Filters = field(default_factory=Filters)
    sort: Sort = "relevance"
    similar_to: int | None = None
    language: Language = "zh"

    def interpretation(self) -> Interpretation:
        groups = [concept_node(c) for c in self.concepts if c.required]  # aspect words only rank
        tree: Node | None = None if not groups else groups[0] if len(groups) == 1 else And(tuple(groups))
        if tree is not None and self.excluded:
            excluded = [concept_node(c) for c in self.excluded]
            tree = Not(tree, excluded[0] if len(excluded) == 1 else Or(tuple(excluded)))
        dense_text = " ".join(c.en for c in self.concepts)
        return Interpretation(dense_text, self.language, "natural", list(self.concepts), replace(self.filters), tree, dense_text)

    @property
    def query(self) -> str:
        """The PubMed query actually searched (a similar-records state names its record)."""
        if self.similar_to is not None:
            return " AND ".join([f"similar[{self.similar_to}]", *self.filters.describe()])
        return self.interpretation().pubmed_query

    def chips(self, lang: str) -> list[Chip]:
        chips = [Chip("concept", f"concept:{i}", concept_label(c)) for i, c in enumerate(self.concepts)]
        chips += [Chip("excluded", f"excluded:{i}", text_for(lang, "chip_excluded", label=concept_label(c))) for i, c in enumerate(self.excluded)]
        f = self.filters
        if f.year_from is not None and f.year_to is not None:
            chips.append(Chip("years", "years", text_for(lang, "chip_years", start=f.year_from, end=f.year_to)))
        elif f.year_from is not None:
            chips.append(Chip("years", "years", text_for(lang, "chip_since", start=f.year_from)))
        elif f.year_to is not None:
            chips.append(Chip("years", "years", text_for(lang, "chip_until", end=f.year_to)))
        chips += [Chip("type", f"type:{t}", type_label(t, lang)) for t in f.publication_types]
        if f.species:
            chips.append(Chip("species", "species", text_for(lang, f"chip_{f.species}")))
        chips += [Chip("language", f"language:{code}", text_for(lang, "chip_language", value=language_label(code, lang))) for code in f.languages]
        if f.has_abstract:
            chips.append(Chip("abstract", "abstract", text_for(lang, "chip_abstract")))
        chips += [Chip("journal", f"journal:{j}", text_for(lang, "chip_journal", value=j)) for j in f.journals]
        if self.sort != "relevance":
            chips.append(Chip("sort", "sort", text_for(lang, "chip_sort", sort=text_for(lang, self.sort))))
        if self.similar_to is not None:
            chips.append(Chip("similar", "similar", text_for(lang, "chip_similar", pmid=self.similar_to)))
        return chips

    def without(self, chip: str) -> "SearchState":
        """The state with one chip removed; an unknown chip is a one-line error."""
        if chip not in {c.value for c in self.chips("en")}:
            raise MedbridgeError(f"no chip {chip!r} in this conversation's current state")
        kind, _, value = chip.partition(":")
        state = self.copy()
        f = state.filters
        if kind in ("concept", "excluded"):
            del getattr(state, "concepts" if kind == "concept" else "excluded")[int(value)]
        elif kind == "years":
            f.year_from = f.year_to = None
        elif kind == "type":
            f.publication_types = tuple(v for v in f.publication_types if v != value)
        elif kind == "species":
            f.species = None
        elif kind == "language":
            f.languages = tuple(v for v in f.languages if v != value)
        elif kind == "abstract":
            f.has_abstract = None
        elif kind == "journal":
            f.journals = tuple(v for v in f.journals if v != value)
        elif kind == "sort":
            state.sort = "relevance"
        else:  # similar
            state.similar_to = None
        return state

    def copy(self) -> "SearchState":
        return SearchState(list(self.concepts), list(self.excluded), replace(self.filters), self.sort, self.similar_to, self.language)

    def to_dict(self) -> dict:
        return msgspec.to_builtins(self)  # every turn saves the whole undo stack: asdict() took most of a turn's time

    @classmethod
    def from_dict(cls, data: dict) -> "SearchState":
        return msgspec.convert(data, cls)


def concept_label(concept: Concept) -> str:
    english = concept.mesh_name or concept.en
    return concept.source if concept.source.lower() == english.lower() else f"{concept.source} → {english}"


def type_label(publication_type: str, lang: str) -> str:
    return PUBLICATION_TYPES_ZH.get(publication_type, publication_type) if lang == "zh" else publication_type


def language_label(code: str, lang: str) -> str:
    names = LANGUAGE_NAMES.get(code)
    return code if names is None else names[0] if lang == "zh" else names[1]


# --- reading a turn ---------------------------------------------------------------------------------
_UNDO = re.compile(r"^\s*(?:撤销|撤回|回退|返回上一步|回到上一步|上一步|undo|go back|back)\s*[。.!！]?\s*$", re.I)
_RESET = re.compile(r"^\s*(?:重新开始|重来|清空|清除全部|start over|reset|new search|clear all)\s*[。.!！]?\s*$", re.I)
_ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8, "ninth": 9, "tenth": 10}
_RESULT_REF = re.compile(
    r"第\s*([0-9]+|[一二两三四五六七八九十]+)\s*(?:篇|条|个|项)"
    r"|(?:#|no\.\s*|number\s+|result\s+|article\s+|paper\s+|record\s+)([0-9]+)"
    r"|\b(?:the\s+)?(first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|[0-9]+(?:st|nd|rd|th))\s+(?:one|result|article|paper|record|hit)\b",
    re.I,
)
_SIMILAR_ASK = re.compile(r"类似|相似|相近|差不多|similar|like\b|related|more like", re.I)
_SUMMARY_ASK = re.compile(r"讲了什么|讲什么|说了什么|讲的是什么|内容|总结|概括|摘要|主要发现|结论|what.*about|summar|what does .* say|tell me about|findings|conclusion", re.I)
_SORT_RULES: list[tuple[re.Pattern[str], Sort]] = [
    (re.compile(r"(?:按|依|根据)?\s*(?:被引|引用|被引用)(?:次数|数|量)?(?:最多|从高到低|降序)?\s*(?:排序|排列|排)|引用最多的?|被引最多的?|"
                r"\b(?:sort(?:ed)?|order(?:ed)?|rank(?:ed)?) by (?:citations?|cited[- ]by(?: count)?|times cited|citation count)\b|\bmost (?:cited|citations)\b", re.I), "cited_by"),
    (re.compile(r"(?:按|依|根据)\s*(?:时间|日期|年份|发表时间|出版时间)(?:排序|排列|排)?|最新的在前|最新在前|由新到旧|"
                r"\b(?:sort(?:ed)?|order(?:ed)?) by (?:date|year|recency)\b|\bnewest first\b|\bmost recent first\b", re.I), "date"),
    (re.compile(r"(?:按|依|根据)\s*相关(?:性|度)(?:排序|排列|排)?|\b(?:sort(?:ed)?|order(?:ed)?) by relevance\b|\bbest match\b", re.I), "relevance"),
]
_CLEAR_RULES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"不限(?:年份|时间|年代)|所有年份|任何年份|\bany (?:year|date)s?\b|\ball years\b|\bno (?:year|date) (?:limit|filter)\b", re.I), "years"),
    (re.compile(r"不限(?:文献)?类型|所有类型|任何类型|\bany (?:study |article |publication )?types?\b|\ball (?:study |article )?types\b", re.I), "types"),
    (re.compile(r"不限语种|不限语言|所有语种|\bany language\b|\ball languages\b", re.I), "languages"),
    (re.compile(r"不限期刊|所有期刊|\bany journal\b|\ball journals\b", re.I), "journals"),
    (re.compile(r"包括动物实验|包含动物(?:实验|研究)|不限物种|\binclude animal(?: studies)?\b|\bany species\b", re.I), "species"),
]
_LANGUAGE_RULES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"(?:只看|只要|仅|限)?\s*英文(?:文献|文章|发表的?)?|\b(?:in |only )?english(?: only| articles| papers| language)?\b", re.I), "eng"),
    (re.compile(r"(?:只看|只要|仅|限)?\s*中文(?:文献|文章|发表的?)|\b(?:in |only )?chinese(?: only| articles| papers| language)\b", re.I), "chi"),
]
_ABSTRACT = re.compile(r"(?:只看|只要|仅|要)?\s*有摘要(?:的)?|\bwith (?:an )?abstracts?\b|\bhas abstract\b|\bhaving (?:an )?abstract\b", re.I)
_JOURNAL = re.compile(r"(?:发表在|发表于|刊登在|只看|仅看)?\s*[《“\"]?(?P<name>[A-Za-z][A-Za-z0-9 .&:'-]{1,80}?)[》”\"]?\s*(?:杂志|期刊)(?:上)?(?:的|发表的)?"
                      r"|\b(?:in|from|published in) the journal\s+(?P<name2>[A-Za-z][A-Za-z0-9 .&:'-]{1,80})"
                      r"|\bjournal[:：]?\s+(?P<name3>[A-Za-z][A-Za-z0-9 .&:'-]{1,80})", re.I)
_REPLACE = [
    re.compile(r"把\s*(?P<old>.+?)\s*(?:换成|改成|替换成|替换为|换为|改为)\s*(?P<new>.+)"),
    re.compile(r"(?:不要|去掉|删掉|删除|去除|移除|不看)\s*(?P<old>.+?)\s*[，,、;；]?\s*(?:换成|改成|替换成|替换为|换为|改为|改看|换)\s*(?P<new>.+)"),
    re.compile(r"(?P<old>.+?)\s*(?:换成|改成|替换成|替换为|换为|改为)\s*(?P<new>.+)"),
    re.compile(r"\breplace\s+(?P<old>.+?)\s+(?:with|by)\s+(?P<new>.+)", re.I),
    re.compile(r"\bswap\s+(?P<old>.+?)\s+for\s+(?P<new>.+)", re.I),
    re.compile(r"\binstead of\s+(?P<old>.+?)\s*,\s*(?:use\s+|search\s+|look at\s+)?(?P<new>.+)", re.I),
    re.compile(r"(?P<new>.+?)\s+instead of\s+(?P<old>.+)", re.I),
]
_DROP = re.compile(r"^(?:不要|去掉|删掉|删除|去除|移除|不看|取消)\s*(?P<x>.+)$|^\b(?:remove|drop|forget|no more|no longer)\s+(?P<x2>.+)$", re.I)
_EXCLUDE = re.compile(r"^(?:排除|除去|除了|不包括|不含|不涉及)\s*(?P<x>.+)$|^\b(?:exclude|excluding|except|not|without)\s+(?P<x2>.+)$", re.I)
_ADD = re.compile(r"^(?:再加上|再加|加上|添加|增加|加入|还要|还有|同时|以及|并且|和|与|再看)\s*(?P<x>.+)$|^\b(?:add|also|plus|and|with|including|include)\s+(?P<x2>.+)$", re.I)
_ALSO = re.compile(r"也要|还要|也看|以及|\balso\b|\bor\b", re.I)
# Words that frame a follow-up without adding meaning (只看近五年的 → 近五年); single characters are left to
# query understanding, which knows 再生 from 再.
_FRAMING = re.compile(
    r"只看|只要|仅看|只限|仅限|请问|帮我|给我|我想要?|看看|看一下|一下|那么|文献|文章|论文|结果|"
    r"\b(?:show me|only|just|please|now|then|the|ones?|papers?|articles?|studies|results|records|give me|i want|let's|filter(?: to| by)?|limit(?: to)?|restrict(?: to)?)\b",
    re.I,
)
_PUNCTUATION = re.compile(r"[，,。.!！?？；;：:、\s]+")


def _first(match: re.Match[str], *names: str) -> str:
    return next(match.group(n) for n in names if match.group(n) is not None)


def _blank(text: str, match: re.Match[str]) -> str:
    return text[: match.start()] + " " + text[match.end() :]


def _unframed(text: str) -> str:
    return _PUNCTUATION.sub(" ", _FRAMING.sub(" ", text)).strip()


def _meaningful(text: str) -> str:
    """What is left once framing words, punctuation and particles are gone ('' for "只看…的吧")."""
    return re.sub(r"[的了吗呢吧再只仅那还也]", "", _unframed(text)).strip()


@dataclass(slots=True)
class ResultReference:
    kind: Literal["similar", "summary"]
    position: int   # 1-based, as the user counts


@dataclass(slots=True)
class Reading:
    """What one turn asks for: a new state, a reference to a shown result, or nothing understood."""

    state: SearchState
    undo: bool = False
    reference: ResultReference | None = None
    understood: bool = True


class TurnReader:
    def __init__(self, engine: SearchEngine, today: date | None = None):
        self.engine = engine
        self.terms = engine.index.terms
        self.today = today

    def read(self, text: str, state: SearchState) -> Reading:
        text = self.terms.normalize_zh(text.strip()) if guess_language(text) == "zh" else text.strip()
        if _UNDO.match(text):
            return Reading(state, undo=True)
        if _RESET.match(text):
            return Reading(SearchState(language=guess_language(text)))
        new = state.copy()
        if not state.concepts:
            new.language = guess_language(text)
        if (match := _RESULT_REF.search(text)) and (_SIMILAR_ASK.search(text) or _SUMMARY_ASK.search(text)):
            raw = match.group(1) or match.group(2) or match.group(3)
            position = _ORDINALS.get(raw.lower()) or (int(re.sub(r"\D", "", raw)) if re.search(r"\d", raw) else zh_numeral_value(raw) or 0)
            kind = "similar" if _SIMILAR_ASK.search(text) else "summary"
            return Reading(new, reference=ResultReference(kind, position))
        for pattern, sort in _SORT_RULES:
            if match := pattern.search(text):
                new.sort = sort
                text = _blank(text, match)
                break
        for pattern, what in _CLEAR_RULES:
            if match := pattern.search(text):
                _clear(new.filters, what)
                text = _blank(text, match)
        for pattern, code in _LANGUAGE_RULES:
            if match := pattern.search(text):
                new.filters.languages = (code,)
                text = _blank(text, match)
        for pattern, species in SPECIES_INTENTS:  # before concepts: "exclude animal studies" is no concept
            if match := pattern.search(text):
                new.filters.species = species
                text = _blank(text, match)
                break
        if match := _ABSTRACT.search(text):
            new.filters.has_abstract = True
            text = _blank(text, match)
        if match := _JOURNAL.search(text):
            new.filters.journals = (_first(match, "name", "name2", "name3").strip(),)
            text = _blank(text, match)
        text = self._concept_operations(text, state, new)
        return Reading(new, understood=new.to_dict() != state.to_dict())

    def _concept_operations(self, text: str, old: SearchState, new: SearchState) -> str:
        """Replace / drop / exclude / add, clause by clause; returns what none of them consumed."""
        clauses = [c.strip() for c in re.split(r"[。；;!！?？]|(?<=[，,])\s*(?=(?:再|还|也|不要|排除|去掉|加上|按|只|仅|and |also |but |exclude |remove |add ))", text) if c.strip()]
        rest: list[str] = []
        for clause in clauses:
            clause = clause.strip(" ，,")
            for pattern in _REPLACE:
                if match := pattern.search(clause):
                    new_concepts = self._concepts(match.group("new"), new)
                    if new_concepts:
                        self._remove(new, self._concepts(match.group("old"), new))
                        self._add(new, new_concepts)
                        clause = clause[: match.start()]
                        break
            if match := _DROP.match(clause):
                target = _first(match, "x", "x2")
                if self._drop_types(new, target):
                    clause = ""
                else:
                    concepts = self._concepts(target, new)
                    if concepts and not self._remove(new, concepts):
                        new.excluded += [c for c in concepts if not _contains(new.excluded, c)]
                    clause = "" if concepts else clause
            elif match := _EXCLUDE.match(clause):
                target = _first(match, "x", "x2")
                if self._drop_types(new, target):
                    clause = ""
                elif concepts := self._concepts(target, new):
                    self._remove(new, concepts)
                    new.excluded += [c for c in concepts if not _contains(new.excluded, c)]
                    clause = ""
            elif match := _ADD.match(clause):
                clause = _first(match, "x", "x2")
            rest.append(clause)
        remaining = " ".join(rest)
        if _meaningful(remaining):
            self._absorb(remaining, old, new)
        return remaining

    def _absorb(self, text: str, old: SearchState, new: SearchState) -> None:
        """Intents (years, types, species) and concepts of the rest of the turn."""
        interpretation = interpret(_unframed(text), terms=self.terms, today=self.today or date.today())
        found = interpretation.filters
        f = new.filters
        if found.year_from is not None or found.year_to is not None:
            f.year_from, f.year_to = found.year_from, found.year_to
        if found.publication_types:
            also = _ALSO.search(text)
            f.publication_types = tuple(dict.fromkeys((*f.publication_types, *found.publication_types))) if also else found.publication_types
        if found.species:
            f.species = found.species
        if interpretation.mode == "pubmed":
            return  # PubMed syntax is for the search page; a conversation keeps to its chips
        concepts = self._kept(interpretation.concepts, first_turn=not old.concepts)
        self._add(new, concepts)
        new.similar_to = None if concepts else new.similar_to

    def _concepts(self, text: str, state: SearchState) -> list[Concept]:
        meaningful = _meaningful(text)
        if not meaningful:
            return []
        current = [c for c in (*state.concepts, *state.excluded) if c.source == meaningful or c.en.lower() == meaningful.lower()]
        if current:
            return current[:1]
        interpretation = interpret(_unframed(text), terms=self.terms, today=self.today or date.today())
        return self._kept(interpretation.concepts, first_turn=False)

    @staticmethod
    def _kept(concepts: list[Concept], *, first_turn: bool) -> list[Concept]:
        """A follow-up adds only concepts of MeSH or the glossary: a leftover word, or one only the general
        dictionary knows ("谢谢" → thank), is chatter more often than a topic."""
        return list(concepts) if first_turn else [c for c in concepts if c.mesh_ui or c.origin in ("glossary", "mesh")]

    @staticmethod
    def _add(state: SearchState, concepts: list[Concept]) -> None:
        for concept in concepts:
            state.excluded = [c for c in state.excluded if not _same(c, concept)]
            if not _contains(state.concepts, concept):
                state.concepts.append(concept)

    @staticmethod
    def _remove(state: SearchState, concepts: list[Concept]) -> bool:
        before = len(state.concepts) + len(state.excluded)
        state.concepts = [c for c in state.concepts if not any(_same(c, other) for other in concepts)]
        state.excluded = [c for c in state.excluded if not any(_same(c, other) for other in concepts)]
        return len(state.concepts) + len(state.excluded) < before

    @staticmethod
    def _drop_types(state: SearchState, text: str) -> bool:
        """不要综述 / no reviews: a study type named in a drop leaves the type filter."""
        named = [t for pattern, t in PUBLICATION_TYPE_INTENTS if pattern.search(text)]
        if not named or _meaningful(re.sub("|".join(p.pattern for p, _ in PUBLICATION_TYPE_INTENTS), " ", text, flags=re.I)):
            return False
        state.filters.publication_types = tuple(t for t in state.filters.publication_types if t not in named)
        return True


def _same(a: Concept, b: Concept) -> bool:
    return (a.mesh_ui is not None and a.mesh_ui == b.mesh_ui) or a.en.lower() == b.en.lower() or a.source == b.source


def _contains(concepts: list[Concept], concept: Concept) -> bool:
    return any(_same(c, concept) for c in concepts)


def _clear(filters: Filters, what: str) -> None:
    if what == "years":
        filters.year_from = filters.year_to = None
    elif what == "types":
        filters.publication_types = ()
    elif what == "languages":
        filters.languages = ()
    elif what == "journals":
        filters.journals = ()
    elif what == "species":
        filters.species = None


# --- what changed, in words ---------------------------------------------------------------------------
def describe_change(old: SearchState, new: SearchState, lang: str) -> str:
    parts = []
    added = [concept_label(c) for c in new.concepts if not _contains(old.concepts, c)]
    removed = [concept_label(c) for c in old.concepts if not _contains(new.concepts, c) and not _contains(new.excluded, c)]
    excluded = [concept_label(c) for c in new.excluded if not _contains(old.excluded, c)]
    if added:
        parts.append(text_for(lang, "added", items="、".join(added) if lang == "zh" else ", ".join(added)))
    if removed:
        parts.append(text_for(lang, "removed", items="、".join(removed) if lang == "zh" else ", ".join(removed)))
    if excluded:
        parts.append(text_for(lang, "excluded", items="、".join(excluded) if lang == "zh" else ", ".join(excluded)))
    filter_kinds = ("years", "type", "species", "language", "abstract", "journal")
    old_chips = {c.value: c.label for c in old.chips(lang) if c.kind in filter_kinds}
    new_chips = {c.value: c.label for c in new.chips(lang) if c.kind in filter_kinds}
    set_labels = [label for value, label in new_chips.items() if old_chips.get(value) != label]
    cleared = [label for value, label in old_chips.items() if value not in new_chips]
    separator = "、" if lang == "zh" else ", "
    if set_labels:
        parts.append(text_for(lang, "filters_set", items=separator.join(set_labels)))
    if cleared:
        parts.append(text_for(lang, "filters_cleared", items=separator.join(cleared)))
    if old.sort != new.sort:
        parts.append(text_for(lang, "sorted", sort=text_for(lang, new.sort)))
    if old.similar_to is not None and new.similar_to is None:
        parts.append(text_for(lang, "similar_off"))
    return ("；" if lang == "zh" else "; ").join(parts)


# --- the thread -------------------------------------------------------------------------------------
@dataclass(slots=True)
class Turn:
    text: str
    reply: str
    language: Language
    state: SearchState       # after the turn
    shown: list[int]         # pmids shown after the turn, in order ("第3篇" counts these)
    summary: dict | None = None  # for "第2篇讲了什么": see recommend.summarize

    def to_dict(self) -> dict:
        return {"text": self.text, "reply": self.reply, "language": self.language, "state": self.state.to_dict(),
                "shown": self.shown, "summary": self.summary}

    @classmethod
    def from_dict(cls, data: dict) -> "Turn":
        return cls(data["text"], data["reply"], data["language"], SearchState.from_dict(data["state"]), data["shown"], data.get("summary"))


@dataclass(slots=True)
class Conversation:
    id: str
    turns: list[Turn] = field(default_factory=list)
    stack: list[SearchState] = field(default_factory=lambda: [SearchState()])  # states undo returns to
    created_at: str = ""

    @property
    def state(self) -> SearchState:
        return self.stack[-1]

    @property
    def question(self) -> str:
        """What the thread asks now, for the answer writer: the first question and the current concepts."""
        concepts = ", ".join(c.mesh_name or c.en for c in self.state.concepts)
        return f"{self.turns[0].text} ({concepts})" if self.turns else concepts

    @property
    def shown(self) -> list[int]:
        return self.turns[-1].shown if self.turns else []

    def to_dict(self) -> dict:
        return {"id": self.id, "created_at": self.created_at, "turns": [t.to_dict() for t in self.turns],
                "stack": [s.to_dict() for s in self.stack]}

    @classmethod
    def from_dict(cls, data: dict) -> "Conversation":
        return cls(data["id"], [Turn.from_dict(t) for t in data["turns"]], [SearchState.from_dict(s) for s in data["stack"]], data["created_at"])


@dataclass(slots=True)
class TurnResult:
    conversation: Conversation
    turn: Turn
    hits: list[Hit]
    total: int
    recommendations: dict[int, Recommendation]
    search: SearchResult | None = None  # the concept search behind the hits (None for similar-to and empty states)

    def to_dict(self, lang: str | None = None) -> dict:
        lang = lang or self.turn.language
        state = self.conversation.state
        return {
            "conversation": self.conversation.id,
            "turn": len(self.conversation.turns),
            "text": self.turn.text,
            "reply": self.turn.reply,
            "summary": self.turn.summary,
            **state_dict(state, lang),
            "total": self.total,
            "hits": [self._hit(hit, lang) for hit in self.hits],
            "can_undo": len(self.conversation.stack) > 1,
            # a short set, as on the search page: related records apart, and how to fetch what the corpus lacks
            **({k: v for k, v in self.search.to_dict().items() if k in ("relaxed", "absent", "fetch")} if self.search else
               {"relaxed": [], "absent": [], "fetch": None}),
        }

    def _hit(self, hit: Hit, lang: str) -> dict:
        data = hit.to_dict()
        recommendation = self.recommendations.get(hit.pmid)
        if recommendation is not None:
            data["recommendation"] = {**recommendation.to_dict(), "reasons": recommendation.reasons(lang, date.today().year)}
        return data


def state_dict(state: SearchState, lang: str) -> dict:
    return {
        "query": state.query,
        "concepts": [{"source": c.source, "en": c.en, "mesh_ui": c.mesh_ui, "mesh_name": c.mesh_name} for c in state.concepts],
        "excluded": [{"source": c.source, "en": c.en, "mesh_ui": c.mesh_ui, "mesh_name": c.mesh_name} for c in state.excluded],
        "filters": {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(state.filters).items()},
        "sort": state.sort,
        "similar_to": state.similar_to,
        "chips": [asdict(c) for c in state.chips(lang)],
    }


class Conversations:
    """Runs turns against the search engine and keeps threads in the store."""

    def __init__(self, store: Store, engine: SearchEngine, *, page_size: int = 20, today: date | None = None,
                 title_translations: TitleTranslations | None = None, abstract_translations: AbstractTranslations | None = None):
        self.store = store
        self.engine = engine
        self.reader = TurnReader(engine, today)
        self.page_size = page_size
        self.title_translations = title_translations
        self.abstract_translations = abstract_translations
        self.recommender = Recommender(engine.index.terms, engine.index.lexical.analyzer)

    def start(self, owner: str | None = None) -> Conversation:
        conversation = Conversation(uuid.uuid4().hex[:12], created_at=datetime.now(timezone.utc).isoformat(timespec="seconds"))
        self.store.save_conversation(conversation.id, conversation.to_dict(), owner)
        return conversation

    def get(self, conversation_id: str) -> Conversation:
        data = self.store.get_conversation(conversation_id)
        if data is None:
            raise NotFoundError(f"no conversation {conversation_id}")
        return Conversation.from_dict(data)

    def say(self, conversation: Conversation, text: str) -> TurnResult:
        text = text.strip()
        if not text:
            raise MedbridgeError("a turn needs some text")
        if len(text) > MAX_TEXT:
            raise MedbridgeError(f"a turn is at most {MAX_TEXT} characters")
        lang = guess_language(text)
        old = conversation.state
        reading = self.reader.read(text, old)
        summary = None
        if reading.undo:
            if len(conversation.stack) > 1:
                conversation.stack.pop()
                reply = text_for(lang, "undone")
            else:
                reply = text_for(lang, "nothing_to_undo")
        elif reading.reference is not None:
            reply, summary = self._refer(conversation, reading.reference, lang)
        elif reading.understood:
            conversation.stack.append(reading.state)
            reply = describe_change(old, reading.state, lang) or text_for(lang, "reset")
        else:
            reply = text_for(lang, "not_understood", text=text)
        return self._finish(conversation, text, reply, lang, summary)

    def remove_chip(self, conversation: Conversation, chip: str, lang: str) -> TurnResult:
        old = conversation.state
        new = old.without(chip)
        conversation.stack.append(new)
        label = next((c.label for c in old.chips(lang) if c.value == chip), chip)
        return self._finish(conversation, f"✕ {label}", describe_change(old, new, lang) or text_for(lang, "similar_off"), lang, None)

    def undo(self, conversation: Conversation, lang: str) -> TurnResult:
        return self.say(conversation, "撤销" if lang == "zh" else "undo")

    def results(self, conversation: Conversation) -> TurnResult:
        """The current state's results (reopening a thread)."""
        hits, total, found = self.search(conversation.state)
        turn = conversation.turns[-1] if conversation.turns else Turn("", "", "zh", conversation.state, [])
        return TurnResult(conversation, turn, hits, total, self.recommend(conversation.state, hits), found)

    def _refer(self, conversation: Conversation, reference: ResultReference, lang: str) -> tuple[str, dict | None]:
        shown = conversation.shown
        if not 1 <= reference.position <= len(shown):
            return text_for(lang, "no_such_result", n=reference.position), None
        pmid = shown[reference.position - 1]
        if reference.kind == "similar":
            new = conversation.state.copy()
            new.similar_to = pmid
            conversation.stack.append(new)
            return text_for(lang, "similar", n=reference.position, pmid=pmid), None
        record = self.store.get_record(pmid)
        if record is None:
            raise NotFoundError(f"PMID {pmid} is not in the corpus")
        summary = {"position": reference.position,
                   **summarize(record, lang, self.recommender.evidence(record), self.abstract_translations)}
        return text_for(lang, "summary_of", n=reference.position, pmid=pmid), summary

    def _finish(self, conversation: Conversation, text: str, reply: str, lang: Language, summary: dict | None) -> TurnResult:
        hits, total, found = self.search(conversation.state)
        turn = Turn(text, reply, lang, conversation.state, [h.pmid for h in hits], summary)
        conversation.turns.append(turn)
        self.store.save_conversation(conversation.id, conversation.to_dict())
        return TurnResult(conversation, turn, hits, total, self.recommend(conversation.state, hits), found)

    def recommend(self, state: SearchState, hits: list[Hit]) -> dict[int, Recommendation]:
        top = hits[:RECOMMENDED]
        records = self.store.get_records(h.pmid for h in top)
        found = self.recommender.recommend(list(records.values()), state.concepts, {h.pmid: h.cited_by for h in top})
        return {r.pmid: r for r in found}

    def search(self, state: SearchState) -> tuple[list[Hit], int, SearchResult | None]:
        """The state's hits and total, with the concept search behind them (for its related records and absent
        concepts when the set is short)."""
        if state.similar_to is not None:
            return (*self._similar(state), None)
        if not state.concepts and state.filters.is_empty():
            return [], 0, None
        result = self.engine.run(state.interpretation(), SearchOptions(limit=self.page_size, sort=state.sort),
                                 title_translations=self.title_translations)
        return result.hits, result.total, result

    def _similar(self, state: SearchState) -> tuple[list[Hit], int]:
        """Similar records of one record (e5, MeSH, citations), within the state's filters and exclusions."""
        lexical = self.engine.index.lexical
        similar = find_similar(self.engine.index, state.similar_to, SIMILAR_CANDIDATES)  # type: ignore[arg-type]
        allowed = lexical.restrict([a.pmid for a in similar], state.filters)
        if state.excluded:
            nodes = [concept_node(c) for c in state.excluded]
            allowed = {p: y for p, y in allowed.items() if p not in lexical.matching(nodes[0] if len(nodes) == 1 else Or(tuple(nodes)), list(allowed))}
        kept = [a for a in similar if a.pmid in allowed]
        cited_by = self.store.cited_by_counts(a.pmid for a in kept)
        if state.sort == "date":
            kept.sort(key=lambda a: -(a.year or 0))
        elif state.sort == "cited_by":
            kept.sort(key=lambda a: -cited_by.get(a.pmid, 0))
        page = kept[: self.page_size]
        records = self.store.get_records(a.pmid for a in page)
        translations = self.title_translations(self.store, list(records.values())) if self.title_translations else {}
        patterns = term_patterns(state.interpretation().highlight_terms, lexical.analyzer)
        hits = [
            Hit(pmid=a.pmid, title=r.title, year=r.year, journal=a.journal, score=a.score,
                snippet=make_snippet(" ".join(s.text for s in r.abstract), patterns), title_highlighted=highlight(r.title, patterns),
                matched_by=("similar",), title_translation=translations.get(a.pmid), publication_types=tuple(r.article_types),
                cited_by=cited_by.get(a.pmid, 0))
            for a in page if (r := records.get(a.pmid)) is not None
        ]
        return hits, len(kept)
