"""Query understanding: what the user asked → concepts, English search terms, filters and a query tree.

A question in Chinese ("阿尔茨海默病的脑脊液生物标志物") or English is cut into concepts (glossary terms,
MeSH entry terms, then CC-CEDICT as a last resort), filler words are dropped, and intents become filters
("近五年" → a year range, "随机对照试验" → publication type). Each concept becomes an OR-group of its MeSH
heading and English synonyms. The topical concepts (MeSH, glossary, typed symbols) are required: their
groups ANDed are the PubMed string shown to the user and exactly the query the engine runs; aspect words
("治疗", "why … fast") only rank the results. PubMed syntax is parsed as typed.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field, replace
from datetime import date
from typing import Literal, Sequence

from medbridge.llm.base import LLM, ChatMessage
from medbridge.search.query import And, Node, Not, Or, Term, YearRange, iter_terms, looks_like_pubmed_syntax, parse_pubmed, to_pubmed
from medbridge.terms import Terminology
from medbridge.terms.base import GlossaryEntry, MeshDescriptor
from medbridge.text import guess_language, is_cjk, zh_numeral_value

Language = Literal["zh", "en"]
Species = Literal["humans", "not_animals"]
Mode = Literal["pubmed", "natural"]
Origin = Literal["glossary", "mesh", "cedict", "word", "llm"]

MAX_SYNONYMS = 8
# Inverted ("Disease, Alzheimer"), annotated ("Dementia (ATD)") and chemical-name entry terms find nothing new.
_UNSEARCHABLE_SYNONYM = re.compile(r"[,()\[\]]|\d")
MAX_SYNONYM_WORDS = 4

# Words a Chinese question wraps around its concepts. Longest first, so 是什么 goes before 什么.
ZH_FILLERS = sorted(
    """的 地 得 了 吗 呢 吧 啊 是 是什么 是否 有 有没有 有哪些 有什么 哪些 什么 哪个 如何 怎么 怎样 怎么样 为什么 为何
    研究 研究进展 进展 最新 最近 近期 相关 关于 方面 问题 情况 现状 主要 一些 这些 那些 及其 以及 及 和 与 或 或者 跟 同
    对 对于 在 中 里 上 下 时 后 前 能 能否 可以 可否 会 会不会 应该 需要 吗 哪 患者 病人 人群 中的 之间 之 其 作用于
    请问 介绍 一下 文献 论文 证据 资料 综合 分析一下 比较 相比 目前 当前 现在 常见 一般 通常 应用 使用 用 用于""".split(),
    key=len,
    reverse=True,
)
EN_STOPWORDS = frozenset(
    """a an the of in on at to for from by with without and or not is are was were be been being do does did
    what which who whom whose why how when where whether there their this that these those it its as into than
    then about over under between among during after before can could should would may might will shall
    any all some most more less latest recent new evidence studies study research paper papers article articles
    patients patient people role effect effects use using used vs versus i we you me my our please find show""".split()
)

# Words naming which aspect of a topic is asked about. Kept here rather than in the glossary because their
# English is a search word, not a term to translate ("治疗" reads "treatment" in a query, "therapy" in a
# title); CC-CEDICT gets several wrong for medicine (机制 → "machine-processed").
ZH_ASPECTS = {
    "治疗": "treatment", "疗法": "therapy", "机制": "mechanism", "作用": "role", "影响": "effect", "表现": "findings",
    "方案": "regimen", "风险": "risk", "诊断": "diagnosis", "预后": "prognosis", "疗效": "efficacy",
    "副作用": "adverse effects", "不良反应": "adverse effects", "预防": "prevention", "病因": "etiology",
    "发病机制": "pathogenesis", "流行病学": "epidemiology", "危险因素": "risk factors", "并发症": "complications",
    "筛查": "screening", "管理": "management", "安全性": "safety", "有效性": "effectiveness", "剂量": "dose",
    "死亡率": "mortality", "发病率": "incidence", "患病率": "prevalence", "生存率": "survival", "复发": "recurrence",
}

# Publication-type intents: pattern → PubMed publication type. Longer phrases first (系统综述 before 综述).
PUBLICATION_TYPE_INTENTS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"随机对照试验|随机对照研究|随机临床试验|随机试验|(?<![A-Za-z])RCTs?(?![A-Za-z])|\brandomi[sz]ed controlled trials?\b|\brandomi[sz]ed trials?\b", re.I), "Randomized Controlled Trial"),
    (re.compile(r"荟萃分析|薈萃分析|[Mm]eta\s*分析|元分析|\bmeta-?analys[ie]s\b", re.I), "Meta-Analysis"),
    (re.compile(r"系统综述|系统评价|\bsystematic reviews?\b", re.I), "Systematic Review"),
    (re.compile(r"综述|文献回顾|\breviews?\b(?= *$)|^reviews? of\b", re.I), "Review"),
    (re.compile(r"临床试验|\bclinical trials?\b", re.I), "Clinical Trial"),
    (re.compile(r"病例报告|个案报道|\bcase reports?\b", re.I), "Case Reports"),
    (re.compile(r"临床指南|诊疗指南|指南|\b(?:practice )?guidelines?\b", re.I), "Guideline"),
]
# Who was studied, through MEDLINE's check tags (PubMed's idiom for leaving out animal-only studies).
ANIMAL_STUDIES_EXCLUDED = "NOT (animals[mh] NOT humans[mh])"
SPECIES_INTENTS: list[tuple[re.Pattern[str], Species]] = [
    (re.compile(r"(?:排除|不要|去掉|不含|除去|不看)\s*动物(?:实验|研究|模型)?|\b(?:exclud(?:e|ing)|without|no|not) animals?(?: studies| experiments| models)?\b", re.I), "not_animals"),
    (re.compile(r"(?:仅|只看|只要|只限|限于|仅限)\s*人(?:类|体)?(?:研究)?|人类研究|人体研究|\bhumans? only\b|\bonly (?:in )?humans?\b|\bhuman (?:studies|subjects)\b", re.I), "humans"),
]
_LAST_YEARS = re.compile(r"(?:近|最近|过去|近期)\s*([0-9]+|[一二两三四五六七八九十]+)\s*年(?:来|内|中|间)?|\b(?:in the )?(?:last|past) (\d+|two|three|five|ten) years\b", re.I)
_SINCE_YEAR = re.compile(r"((?:19|20)\d{2})\s*年?\s*(?:以来|以后|之后|后|至今)|\bsince ((?:19|20)\d{2})\b", re.I)
_YEAR_SPAN = re.compile(r"((?:19|20)\d{2})\s*(?:-|–|~|到|至)\s*((?:19|20)\d{2})\s*年?")
_EN_NUMBERS = {"two": 2, "three": 3, "five": 5, "ten": 10}


@dataclass(slots=True)
class Filters:
    year_from: int | None = None
    year_to: int | None = None
    publication_types: tuple[str, ...] = ()
    journals: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    has_abstract: bool | None = None
    species: Species | None = None  # "humans": Humans[mh]; "not_animals": PubMed's NOT (animals[mh] NOT humans[mh])
    question_types: tuple[str, ...] = ()  # types the question asked for, kept beside chosen ones (both must hold)

    def merged(self, other: "Filters") -> "Filters":
        """``other`` (explicit options) wins over intents read from the question; publication types chosen
        besides those the question asked for narrow them ("近五年的综述" then 随机对照试验: reviews that are RCTs),
        so a facet value's count is what choosing it finds."""
        both = bool(other.publication_types and self.publication_types)
        return Filters(
            year_from=other.year_from if other.year_from is not None else self.year_from,
            year_to=other.year_to if other.year_to is not None else self.year_to,
            publication_types=other.publication_types or self.publication_types,
            journals=other.journals or self.journals,
            languages=other.languages or self.languages,
            has_abstract=other.has_abstract if other.has_abstract is not None else self.has_abstract,
            species=other.species or self.species,
            question_types=self.publication_types if both and set(other.publication_types) != set(self.publication_types) else (),
        )

    def is_empty(self) -> bool:
        return self == Filters()

    def describe(self) -> list[str]:
        """PubMed-style clauses for the "searched for" line."""
        parts = []
        if self.year_from is not None or self.year_to is not None:
            parts.append(f"{self.year_from or 1800}:{self.year_to or 3000}[dp]")
        for types in (self.question_types, self.publication_types):
            if types:
                parts.append(_or_clause([f'"{p}"[pt]' for p in types]))
        if self.journals:
            parts.append(_or_clause([f'"{j}"[ta]' for j in self.journals]))
        if self.languages:
            parts.append(_or_clause([f"{code}[la]" for code in self.languages]))
        if self.has_abstract:
            parts.append("hasabstract")
        if self.species == "humans":
            parts.append("humans[mh]")
        elif self.species == "not_animals":
            parts.append(ANIMAL_STUDIES_EXCLUDED)
        return parts


def _or_clause(items: list[str]) -> str:
    return items[0] if len(items) == 1 else "(" + " OR ".join(items) + ")"


@dataclass(slots=True)
class Concept:
    source: str                        # the words as typed (Chinese or English)
    en: str                            # preferred English form
    origin: Origin
    mesh_ui: str | None = None
    mesh_name: str | None = None
    synonyms: tuple[str, ...] = ()     # English forms searched besides ``en``
    required: bool = True              # every result contains it; False: it only ranks (see _mark_required)

    @property
    def search_terms(self) -> tuple[str, ...]:
        return _dedupe((self.en, *self.synonyms))

    @property
    def recognised(self) -> bool:
        """Found in MeSH, the glossary, the dictionary or the LLM rewrite — not just a leftover word."""
        return self.mesh_ui is not None or self.origin != "word"

    @property
    def topical(self) -> bool:
        """Names what the question is about: a MeSH heading or glossary term, or a typed symbol (APOE4, BACE1).
        Aspect words ("治疗", "fast"), dictionary glosses without a heading ("起效" → "take effect") and the
        LLM's guesses say how the question is put, so they rank the results instead of restricting them."""
        if self.origin == "llm":
            return False
        if self.origin in ("glossary", "mesh") or self.mesh_ui is not None:
            return True
        return self.origin == "word" and _is_symbol(self.source)


def _is_symbol(word: str) -> bool:
    """A gene, protein or method name as typed: letters with digits or several capitals (APOE4, BACE1, PET)."""
    return word.isascii() and (any(ch.isdigit() for ch in word) or sum(ch.isupper() for ch in word) >= 2)


@dataclass(slots=True)
class Interpretation:
    query: str
    language: Language
    mode: Mode
    concepts: list[Concept]
    filters: Filters
    tree: Node | None                  # None: nothing left to match lexically (only filters)
    dense_text: str                    # what the embedding model is given (without the 'query: ' prefix)
    dropped: list[str] = field(default_factory=list)

    @property
    def pubmed_query(self) -> str:
        """The PubMed-style string shown as "searched for: …"."""
        tree_text = "" if self.tree is None else to_pubmed(self.tree)
        clauses = [c for c in self.filters.describe() if c not in tree_text]  # a [dp] typed in the query is there already
        parts = [f"({tree_text})" if clauses and isinstance(self.tree, Or) else tree_text] if tree_text else []
        return " ".join(parts[:1] + [c if c.startswith("NOT ") else f"AND {c}" for c in clauses]).removeprefix("AND ")

    @property
    def required_concepts(self) -> list[Concept]:
        return [c for c in self.concepts if c.required]

    @property
    def ranking_concepts(self) -> list[Concept]:
        """Concepts that order the results without restricting them (shown apart from the query)."""
        return [c for c in self.concepts if not c.required]

    @property
    def highlight_terms(self) -> list[str]:
        """English words/phrases to mark in snippets (also for Chinese questions)."""
        nodes = ([] if self.tree is None else [self.tree]) + [concept_node(c) for c in self.ranking_concepts]
        return _dedupe(
            t.text + ("*" if t.prefix else "") for node in nodes for t in iter_terms(node) if t.field not in ("pt", "la", "ta", "pmid", "au")
        )

    def to_dict(self) -> dict:
        return {
            "query": self.query,
            "language": self.language,
            "mode": self.mode,
            "concepts": [_plain(asdict(c)) for c in self.concepts],
            "mesh": [{"ui": c.mesh_ui, "name": c.mesh_name} for c in self.concepts if c.mesh_ui],
            "english_terms": _dedupe(term for c in self.concepts for term in c.search_terms),
            "ranking_terms": [c.en for c in self.ranking_concepts],
            "filters": _plain(asdict(self.filters)),
            "dropped": self.dropped,
            "searched_for": self.pubmed_query,
        }


def _plain(data: dict) -> dict:
    """Tuples as lists, so the dict equals its JSON round trip."""
    return {k: list(v) if isinstance(v, tuple) else v for k, v in data.items()}


def _dedupe(items) -> list[str]:
    """Case-insensitive, first spelling kept, order kept."""
    seen: dict[str, str] = {}
    for item in items:
        if item and item.lower() not in seen:
            seen[item.lower()] = item
    return list(seen.values())


# --- intents ------------------------------------------------------------------------------------
def _count(text: str) -> int | None:
    """A count as written in an intent: digits or a Chinese numeral; None for a run like 十十."""
    return int(text) if text.isdigit() else zh_numeral_value(text)


def extract_intents(text: str, today: date) -> tuple[str, Filters]:
    """Remove intent phrases from ``text`` and return them as filters.
    "Last N years" = the N calendar years ending with the current one (近五年 in 2026 → 2022–2026)."""
    filters = Filters()
    if match := _LAST_YEARS.search(text):
        raw = match.group(1) or match.group(2)
        years = _EN_NUMBERS.get(raw.lower()) or _count(raw)
        if years:
            filters.year_from, filters.year_to = today.year - years + 1, today.year
        text = text[: match.start()] + " " + text[match.end() :]
    elif match := _YEAR_SPAN.search(text):
        filters.year_from, filters.year_to = sorted((int(match.group(1)), int(match.group(2))))
        text = text[: match.start()] + " " + text[match.end() :]
    elif match := _SINCE_YEAR.search(text):
        filters.year_from = int(match.group(1) or match.group(2))
        text = text[: match.start()] + " " + text[match.end() :]
    types: list[str] = []
    for pattern, publication_type in PUBLICATION_TYPE_INTENTS:
        if pattern.search(text):
            types.append(publication_type)
            text = pattern.sub(" ", text)
    filters.publication_types = tuple(types)
    for pattern, species in SPECIES_INTENTS:
        if match := pattern.search(text):
            filters.species = species
            text = text[: match.start()] + " " + text[match.end() :]
            break
    return text, filters


# --- concepts -----------------------------------------------------------------------------------
def _mesh_synonyms(descriptor: MeshDescriptor) -> list[str]:
    """Entry terms worth searching: not the inverted 'Disease, Alzheimer' forms, not long phrases."""
    forms = [descriptor.name, *descriptor.entry_terms]
    return [f for f in forms if not _UNSEARCHABLE_SYNONYM.search(f) and len(f.split()) <= MAX_SYNONYM_WORDS]


def _concept_from_entry(source: str, entry: GlossaryEntry, terms: Terminology) -> Concept:
    descriptor = terms.mesh(entry.mesh_ui) if entry.mesh_ui else terms.mesh_by_term(entry.en)
    synonyms = [*entry.en_variants]
    if descriptor is not None:
        synonyms += _mesh_synonyms(descriptor)
    return Concept(
        source=source,
        en=entry.en,
        origin="glossary",
        mesh_ui=descriptor.ui if descriptor else None,
        mesh_name=descriptor.name if descriptor else None,
        synonyms=tuple(s for s in _dedupe(synonyms) if s.lower() != entry.en.lower())[:MAX_SYNONYMS],
    )


def _concept_from_mesh(source: str, descriptor: MeshDescriptor) -> Concept:
    synonyms = [s for s in _mesh_synonyms(descriptor) if s.lower() != source.lower()]
    return Concept(source, source, "mesh", descriptor.ui, descriptor.name, tuple(_dedupe(synonyms))[:MAX_SYNONYMS])


_CEDICT_NOISE = re.compile(r"\([^)]*\)|\[[^\]]*\]|\b(?:to|a|an|the|abbr\. for|CL:.*)\b", re.I)


def _cedict_gloss(glosses: list[str]) -> str | None:
    """The first short, plain gloss ('to take effect' → 'take effect'); None if every gloss is noise."""
    for gloss in glosses:
        cleaned = " ".join(_CEDICT_NOISE.sub(" ", gloss).split())
        if cleaned and len(cleaned.split()) <= 3 and not any(ch in cleaned for ch in "|;:"):
            return cleaned
    return None


def _english_concepts(text: str, terms: Terminology, dropped: list[str]) -> list[Concept]:
    """Glossary terms first (longest match), then MeSH entry terms over word n-grams, then plain words."""
    concepts: list[tuple[int, Concept]] = []
    covered: list[tuple[int, int]] = []
    for start, end, entry in terms.find_terms(text, "en"):
        concepts.append((start, _concept_from_entry(text[start:end], entry, terms)))
        covered.append((start, end))
    words = [(m.start(), m.end(), m.group()) for m in re.finditer(r"[A-Za-z0-9][A-Za-z0-9'+\-/.]*[A-Za-z0-9+]|[A-Za-z0-9]", text)]
    words = [w for w in words if not any(s <= w[0] < e for s, e in covered)]
    i = 0
    while i < len(words):
        matched = False
        for n in range(min(4, len(words) - i), 0, -1):
            span = words[i : i + n]
            if any(span[k + 1][0] - span[k][1] > 1 for k in range(n - 1)):
                continue  # not adjacent in the text
            phrase = " ".join(w[2] for w in span)
            if n == 1 and (len(phrase) < 5 or phrase.isupper() or phrase.lower() in EN_STOPWORDS):
                continue  # short words and acronyms map to the wrong MeSH entry too often (CSF → colony-stimulating factors)
            descriptor = terms.mesh_by_term(phrase)
            if descriptor is not None:
                concepts.append((span[0][0], _concept_from_mesh(phrase, descriptor)))
                i += n
                matched = True
                break
        if not matched:
            word = words[i][2]
            if word.lower() in EN_STOPWORDS:
                dropped.append(word)
            else:
                concepts.append((words[i][0], Concept(word, word.lower() if not word.isupper() else word, "word")))
            i += 1
    return [c for _, c in sorted(concepts, key=lambda item: item[0])]


def _chinese_concepts(text: str, terms: Terminology, dropped: list[str]) -> list[Concept]:
    concepts: list[tuple[int, Concept]] = []
    cursor = 0
    pieces: list[tuple[int, str]] = []  # text between glossary matches, to be segmented
    for start, end, entry in terms.find_terms(text, "zh"):
        pieces.append((cursor, text[cursor:start]))
        concepts.append((start, _concept_from_entry(text[start:end], entry, terms)))
        cursor = end
    pieces.append((cursor, text[cursor:]))
    for offset, piece in pieces:
        for ascii_run in re.finditer(r"[A-Za-z0-9][A-Za-z0-9'+\-/. ]*", piece):
            for concept in _english_concepts(ascii_run.group().strip(), terms, dropped):
                concepts.append((offset + ascii_run.start(), concept))
        position = offset
        for token in terms.segment(re.sub(r"[A-Za-z0-9'+\-/.]+", " ", piece)):
            token_start = text.find(token, position)
            position = token_start + len(token) if token_start >= 0 else position
            token = token.strip()
            if not token or not is_cjk(token):
                continue
            concept = _chinese_token_concept(token, terms)
            if concept is None:
                dropped.append(token)
            else:
                concepts.append((max(token_start, offset), concept))
    return [c for _, c in sorted(concepts, key=lambda item: item[0])]


def _chinese_token_concept(token: str, terms: Terminology) -> Concept | None:
    if token in ZH_FILLERS:
        return None
    if entries := terms.lookup_zh(token):
        return _concept_from_entry(token, entries[0], terms)
    if token in ZH_ASPECTS:
        return Concept(token, ZH_ASPECTS[token], "word")
    stripped = _strip_fillers(token)
    if stripped != token:
        return _chinese_token_concept(stripped, terms) if stripped else None
    if len(token) < 2:
        return None  # single characters are too ambiguous for the dictionary fallback
    gloss = _cedict_gloss(terms.cedict(token))
    if gloss is None:
        return None
    descriptor = terms.mesh_by_term(gloss)
    if descriptor is not None:
        return replace(_concept_from_mesh(gloss, descriptor), source=token, origin="cedict")
    return Concept(token, gloss, "cedict")


def _strip_fillers(token: str) -> str:
    for filler in ZH_FILLERS:
        if len(filler) > 1 and filler in token:
            token = token.replace(filler, "")
    return token


# --- trees --------------------------------------------------------------------------------------
def concept_node(concept: Concept) -> Node:
    """(Heading[mh] OR "synonym" OR …) for one concept."""
    options: list[Node] = []
    if concept.mesh_name:
        options.append(Term(concept.mesh_name, "mh"))
    for text in concept.search_terms:
        options.append(Term(text, "all", phrase=" " in text))
    return options[0] if len(options) == 1 else Or(tuple(options))


def _translate_cjk_terms(node: Node, terms: Terminology) -> Node:
    """PubMed syntax with Chinese words in it: each Chinese term becomes its concept's OR-group."""
    if isinstance(node, Term) and is_cjk(node.text):
        concepts = _chinese_concepts(terms.normalize_zh(node.text), terms, [])
        groups = [concept_node(c) for c in concepts]
        if not groups:
            return node
        return groups[0] if len(groups) == 1 else And(tuple(groups))
    if isinstance(node, (And, Or)):
        return type(node)(tuple(_translate_cjk_terms(c, terms) for c in node.children))
    if isinstance(node, Not):
        return Not(_translate_cjk_terms(node.include, terms), _translate_cjk_terms(node.exclude, terms))
    return node


def _filters_from_tree(node: Node) -> Filters:
    """A top-level year range in PubMed syntax is also reported as a filter (facets, JSON)."""
    if isinstance(node, YearRange):
        ranges = [node]
    elif isinstance(node, And):
        ranges = [child for child in node.children if isinstance(child, YearRange)]
    else:
        ranges = []
    if not ranges:
        return Filters()
    return Filters(year_from=max(r.start for r in ranges), year_to=min(r.end for r in ranges))


def interpret(
    query: str,
    *,
    terms: Terminology,
    today: date | None = None,
    llm: LLM | None = None,
) -> Interpretation:
    """Understand ``query``. PubMed syntax errors raise QuerySyntaxError; ``llm`` (optional) adds the
    concepts of an English rewrite of the question."""
    today = today or date.today()
    text = query.strip()
    language = guess_language(text)
    if looks_like_pubmed_syntax(text):
        tree = _translate_cjk_terms(parse_pubmed(text), terms) if language == "zh" else parse_pubmed(text)
        words = [t.text for t in iter_terms(tree) if t.field in ("all", "ti", "ab", "tiab", "mh", "majr")]
        return Interpretation(query, language, "pubmed", [], _filters_from_tree(tree), tree, " ".join(words))
    normalized = terms.normalize_zh(text) if language == "zh" else text
    remaining, filters = extract_intents(normalized, today)
    dropped: list[str] = []
    if language == "zh":
        concepts = _chinese_concepts(remaining, terms, dropped)
    else:
        concepts = _english_concepts(remaining, terms, dropped)
    if llm is not None:
        concepts += _llm_concepts(llm, query, terms, {c.en.lower() for c in concepts})
    concepts = _mark_required(_merge_duplicates(concepts))
    groups = [concept_node(c) for c in concepts if c.required]
    tree = None if not groups else groups[0] if len(groups) == 1 else And(tuple(groups))
    if language == "en":
        dense_text = " ".join(remaining.split()) or text
    else:
        dense_text = " ".join(c.en for c in concepts) or text
    return Interpretation(query, language, "natural", concepts, filters, tree, dense_text, dropped)


def _mark_required(concepts: list[Concept]) -> list[Concept]:
    """The topical concepts are the query; with none, every word typed is ("fast acting" finds both words)."""
    if any(c.topical for c in concepts):
        for concept in concepts:
            concept.required = concept.topical
    return concepts


def _merge_duplicates(concepts: Sequence[Concept]) -> list[Concept]:
    """One concept per MeSH descriptor / English form (a question may name it twice)."""
    seen: set[str] = set()
    kept = []
    for concept in concepts:
        key = concept.mesh_ui or concept.en.lower()
        if key not in seen:
            seen.add(key)
            kept.append(concept)
    return kept


_REWRITE_PROMPT = (
    "Rewrite the user's biomedical question as English PubMed search concepts. "
    "Reply with 1 to 6 short English terms separated by semicolons, nothing else."
)


def _llm_concepts(llm: LLM, question: str, terms: Terminology, known: set[str]) -> list[Concept]:
    reply = llm.complete(
        [ChatMessage("system", _REWRITE_PROMPT), ChatMessage("user", question)], max_tokens=64, temperature=0.0
    )
    concepts = []
    for part in reply.split(";"):
        part = part.strip().strip(".")
        if not part or part.lower() in known or is_cjk(part) or len(part) > 60:
            continue
        for concept in _english_concepts(part, terms, []):
            if concept.en.lower() not in known:
                concepts.append(replace(concept, origin="llm"))
                known.add(concept.en.lower())
    return concepts
