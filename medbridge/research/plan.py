"""Plan: the question → concepts (glossary/MeSH), facets to search, and the question in both languages."""

from __future__ import annotations

import itertools
import re

from medbridge.llm.base import LLM, ChatMessage, LLMError
from medbridge.research.models import Facet, Lang, Plan
from medbridge.search.understand import Concept, interpret
from medbridge.terms import Terminology
from medbridge.text import is_cjk

MAX_PAIR_FACETS = 4
MAX_LLM_FACETS = 3
_SUBQUESTION_PROMPT = (
    "You plan a biomedical literature review. Write 3 short English sub-questions the review should answer, "
    "one per line, no numbering, nothing else."
)
_NUMBERING = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s*")


class Planner:
    """Terminology/MeSH facets always; sub-questions from the model when one is configured."""

    def __init__(self, terminology: Terminology, llm: LLM | None = None):
        self.terms = terminology
        self.llm = llm

    def process(self, question: str, lang: Lang) -> Plan:
        interpretation = interpret(question, terms=self.terms)
        concepts = [c for c in interpretation.concepts if c.origin != "word" or len(interpretation.concepts) == 1]
        concepts = concepts or interpretation.concepts
        question_en = question if interpretation.language == "en" else " ".join(c.en for c in concepts) or question
        question_zh = question if interpretation.language == "zh" else " ".join(self._zh(c) for c in concepts)
        main = Facet(
            label=question,
            query_en=question_en,
            query_zh=question_zh,
            origin="question",
            mesh=[c.mesh_name for c in concepts if c.mesh_name],
        )
        facets = [main]
        # Pairs of the question's concepts: records about two of its aspects that the full AND misses.
        central = [c for c in concepts if c.origin in ("glossary", "mesh", "cedict")]
        if len(central) > 2:
            for a, b in itertools.islice(itertools.combinations(central, 2), MAX_PAIR_FACETS):
                facets.append(self._pair_facet(a, b, lang))
        if self.llm is not None:
            facets.extend(self._llm_facets(question))
        return Plan(
            question=question,
            lang=lang,
            question_en=question_en,
            question_zh=question_zh,
            concepts=[f"{c.en} [{c.mesh_name}]" if c.mesh_name else c.en for c in concepts],
            mesh=[c.mesh_name for c in concepts if c.mesh_name],
            facets=facets,
            pubmed_query=interpretation.pubmed_query,
        )

    def _zh(self, concept: Concept) -> str:
        if is_cjk(concept.source):
            return concept.source
        entries = self.terms.lookup_en(concept.en)
        return entries[0].zh if entries else concept.en

    def _pair_facet(self, a: Concept, b: Concept, lang: Lang) -> Facet:
        query_en = f"{a.en} {b.en}"
        query_zh = f"{self._zh(a)} {self._zh(b)}"
        return Facet(
            label=query_zh if lang == "zh" else query_en,
            query_en=query_en,
            query_zh=query_zh,
            origin="terms",
            mesh=[c.mesh_name for c in (a, b) if c.mesh_name],
        )

    def _llm_facets(self, question: str) -> list[Facet]:
        try:
            reply = self.llm.complete(  # type: ignore[union-attr]
                [ChatMessage("system", _SUBQUESTION_PROMPT), ChatMessage("user", question)], max_tokens=96, temperature=0.0
            )
        except LLMError:
            return []  # planning without the model still has the terminology facets
        facets = []
        for line in reply.splitlines():
            text = _NUMBERING.sub("", line).strip()
            # Only plain English questions of a sensible length: a small model sometimes echoes or rambles.
            if 10 <= len(text) <= 160 and text.isascii() and text.lower() != question.lower():
                facets.append(Facet(label=text, query_en=text, origin="llm"))
            if len(facets) == MAX_LLM_FACETS:
                break
        return facets
