"""Evidence levels: what kind of study a record reports — human (with its design), animal (with its species),
in vitro / cell model, or other — and its sample size where the abstract states one.

Indexers' data decides first, the abstract only where that is silent: publication types (Randomized Controlled
Trial, Meta-Analysis, Review, Case Reports …), then MeSH design headings (Cohort Studies, Case-Control Studies
…) and check tags (Humans, Animals, Mice, Rats …, cell-culture headings), then words of the abstract (mice,
cultured neurons, patients, "randomised controlled trial"). ``basis`` records which of them decided, so a
reader of the evidence table can see why a record sits where it does.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Iterable, Sequence

from medbridge.corpus.models import Record
from medbridge.research.models import EvidenceField, EvidenceLevel
from medbridge.terms import Terminology

# Designs of human studies, strongest first: their order is the order the review presents evidence in.
HUMAN_DESIGNS = ("meta_analysis", "rct", "clinical_trial", "cohort", "case_control", "cross_sectional",
                 "observational", "case_series", "", "review")
KIND_ORDER = ("human", "animal", "in_vitro", "other")

# (design, pattern) as abstracts write them, most specific first: the first pattern with a match names the design.
DESIGN_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    (design, re.compile(r"\b" + pattern + r"\b", re.I))
    for design, pattern in [
        ("meta_analysis", r"systematic review and meta-analysis"), ("meta_analysis", r"meta-analys[ie]s"),
        ("meta_analysis", r"systematic review"),
        ("rct", r"randomi[sz]ed,? (?:double-blind,? )?(?:placebo-controlled,? )?(?:controlled )?(?:clinical )?trial"),
        ("rct", r"double-blind,? placebo-controlled (?:clinical )?(?:trial|study)"),
        ("rct", r"placebo-controlled (?:clinical )?(?:trial|study)"),
        ("cohort", r"(?:prospective|retrospective|longitudinal|population-based|community-based|multicent(?:er|re)) (?:cohort )?(?:study|cohort)"),
        ("cohort", r"cohort study"), ("case_control", r"case-control study"),
        ("cross_sectional", r"cross-sectional (?:study|analysis|survey)"), ("case_series", r"case series"),
        ("case_series", r"case report"), ("clinical_trial", r"open-label (?:trial|study)"), ("", r"pilot study"),
        ("observational", r"observational study"), ("", r"post[- ]hoc analysis"), ("", r"secondary analysis"),
        ("clinical_trial", r"clinical trial"), ("observational", r"genome-wide association study"),
        ("observational", r"mendelian randomi[sz]ation"),
    ]
]
_PUBLICATION_DESIGNS = {  # publication type → design; the first found in this order wins
    "Meta-Analysis": "meta_analysis", "Systematic Review": "meta_analysis", "Randomized Controlled Trial": "rct",
    "Pragmatic Clinical Trial": "rct", "Controlled Clinical Trial": "clinical_trial", "Clinical Trial, Phase I": "clinical_trial",
    "Clinical Trial, Phase II": "clinical_trial", "Clinical Trial, Phase III": "clinical_trial",
    "Clinical Trial, Phase IV": "clinical_trial", "Clinical Trial": "clinical_trial", "Case Reports": "case_series",
    "Observational Study": "observational", "Twin Study": "observational", "Review": "review",
}
_MESH_DESIGNS = {  # MeSH study-design headings, most specific first
    "Case-Control Studies": "case_control", "Cross-Sectional Studies": "cross_sectional", "Cohort Studies": "cohort",
    "Prospective Studies": "cohort", "Longitudinal Studies": "cohort", "Retrospective Studies": "cohort",
    "Follow-Up Studies": "cohort",
}
# Publication types that are no study at all, unless the abstract reports data of one.
_NOT_STUDIES = {"Comment", "Editorial", "Letter", "News", "Video-Audio Media", "Guideline", "Practice Guideline",
                "Biography", "Historical Article", "Interview", "Published Erratum", "Retraction Notice"}
_ANIMALS_TREE = "B01.050"
_HUMANS = "Humans"
_CELL_TREES = ("A11.251", "A11.872.700")   # Cells, Cultured (cell lines included); cultured stem cells
_CELL_HEADINGS = {"In Vitro Techniques", "Primary Cell Culture", "Coculture Techniques", "Organ Culture Techniques",
                  "Organoids", "Cell Culture Techniques", "Tissue Culture Techniques"}
SPECIES = {  # MeSH heading (before its comma: "Mice, Transgenic" → "Mice") → (English, Chinese)
    "Mice": ("mice", "小鼠"), "Rats": ("rats", "大鼠"), "Drosophila": ("Drosophila", "果蝇"),
    "Drosophila melanogaster": ("Drosophila", "果蝇"), "Caenorhabditis elegans": ("C. elegans", "秀丽隐杆线虫"),
    "Zebrafish": ("zebrafish", "斑马鱼"), "Macaca mulatta": ("rhesus monkeys", "恒河猴"), "Macaca": ("macaques", "猕猴"),
    "Macaca fascicularis": ("macaques", "食蟹猴"), "Callithrix": ("marmosets", "狨猴"), "Primates": ("primates", "灵长类动物"),
    "Haplorhini": ("monkeys", "猴"), "Dogs": ("dogs", "犬"), "Cats": ("cats", "猫"), "Rabbits": ("rabbits", "兔"),
    "Swine": ("pigs", "猪"), "Sheep": ("sheep", "羊"), "Guinea Pigs": ("guinea pigs", "豚鼠"),
    "Cricetinae": ("hamsters", "仓鼠"), "Mesocricetus": ("hamsters", "仓鼠"), "Chickens": ("chickens", "鸡"),
    "Xenopus laevis": ("Xenopus", "爪蟾"), "Octodon": ("degus", "八齿鼠"), "Cattle": ("cattle", "牛"),
}
_ANIMAL_WORDS = [  # abstract word → species (English)
    (re.compile(r"\b(?:mice|mouse|murine)\b", re.I), "mice"), (re.compile(r"\brats?\b", re.I), "rats"),
    (re.compile(r"\bdrosophila|fruit flies\b", re.I), "Drosophila"), (re.compile(r"\bC\. elegans|Caenorhabditis\b"), "C. elegans"),
    (re.compile(r"\bzebrafish\b", re.I), "zebrafish"), (re.compile(r"\b(?:monkeys?|macaques?|primates?)\b", re.I), "monkeys"),
    (re.compile(r"\bdogs?\b|\bcanine\b", re.I), "dogs"), (re.compile(r"\brabbits?\b", re.I), "rabbits"),
    (re.compile(r"\bhamsters?\b", re.I), "hamsters"), (re.compile(r"\b(?:pigs?|piglets?|swine)\b", re.I), "pigs"),
]
_ANIMAL_CUE = re.compile(r"\b(?:mice|mouse|murine|rats?|rodents?|transgenic|knock-?out|drosophila|flies|zebrafish|"
                         r"C\. elegans|monkeys?|macaques?|primates?|dogs?|rabbits?|hamsters?|piglets?|animals?)\b", re.I)
_IN_VIVO_CUE = re.compile(r"\b(?:in vivo|transgenic|knock-?out (?:mice|rats)|(?:mice|rats|animals) (?:were|received|treated)|"
                          r"injected|injection|water maze|behaviou?r(?:al)?|fed|intraperitoneal|brains? of (?:mice|rats))\b", re.I)
_CELL_CUE = re.compile(r"\b(?:in vitro|cultured|cultures?|cell lines?|cells? culture|primary (?:\w+ )?(?:neurons|astrocytes|"
                       r"microglia)|SH-SY5Y|HEK ?293|PC12|BV-?2|N2a|Neuro-?2a|CHO cells|HeLa|iPSCs?|induced pluripotent|"
                       r"organoids?|organotypic|slices?)\b", re.I)
_HUMAN_CUE = re.compile(r"\b(?:patients?|participants?|subjects|individuals|volunteers|women|men|children|adults|elderly|"
                        r"persons|people|residents|veterans|twins|caregivers|autopsy|post-?mortem|cohort|clinical|"
                        r"community-dwelling|humans?)\b", re.I)
# A stated sample: "n = 123", "123 patients", "a total of 1,234 older adults".
SAMPLE = re.compile(
    r"\b(?:n\s*=\s*(\d[\d,]*)|(?:a total of )?(\d[\d,]*)\s+(?:[A-Za-z-]+\s+){0,3}?"
    r"(patients|participants|subjects|individuals|persons|people|adults|women|men|children|volunteers|cases|"
    r"controls|residents|veterans|elders|twins|caregivers|mice|rats|studies|trials))\b",
    re.I,
)

LABELS = {
    "en": {
        "meta_analysis": "meta-analysis or systematic review", "rct": "randomised controlled trial",
        "clinical_trial": "non-randomised clinical trial", "cohort": "cohort study", "case_control": "case-control study",
        "cross_sectional": "cross-sectional study", "observational": "observational study",
        "case_series": "case series or case report", "": "human study", "review": "narrative review",
        "animal": "animal study", "in_vitro": "in vitro / cell model", "other": "other (comment, method or no data)",
    },
    "zh": {
        "meta_analysis": "荟萃分析/系统综述", "rct": "随机对照试验", "clinical_trial": "非随机临床试验", "cohort": "队列研究",
        "case_control": "病例对照研究", "cross_sectional": "横断面研究", "observational": "观察性研究",
        "case_series": "病例系列/病例报告", "": "人类研究", "review": "叙述性综述", "animal": "动物研究",
        "in_vitro": "体外/细胞模型研究", "other": "其他（评论、方法学或无数据）",
    },
}
KIND_LABELS = {"en": {"human": "human", "animal": "animal", "in_vitro": "in vitro / cell model", "other": "other"},
               "zh": {"human": "人类研究", "animal": "动物研究", "in_vitro": "体外/细胞模型研究", "other": "其他"}}


def design_in_text(text: str) -> tuple[str, re.Match[str]] | None:
    """The first design an abstract names, by the most specific pattern: (design, its match)."""
    for design, pattern in DESIGN_PATTERNS:
        if match := pattern.search(text):
            return design, match
    return None


def sample_size(field: EvidenceField | None) -> tuple[int | None, str]:
    """The number of a stated sample ("750 individuals" → 750) and the words as stated."""
    if field is None:
        return None, ""
    match = SAMPLE.search(field.value)
    if not match:
        return None, ""
    number = match.group(1) or match.group(2)
    return int(number.replace(",", "")), re.sub(r"^a total of\s+", "", match.group(0), flags=re.I)


class EvidenceClassifier:
    def __init__(self, terminology: Terminology):
        self.terms = terminology

    def classify(self, record: Record, population: EvidenceField | None = None, use_indexing: bool = True) -> EvidenceLevel:
        """``use_indexing=False`` reads the abstract alone (what a record without MeSH or publication types gets;
        the benchmark measures it against the indexers' tags)."""
        text = " ".join([record.title, *(s.text for s in record.abstract)])
        types = set(record.article_types) if use_indexing else set()
        headings = {h.descriptor for h in record.mesh} if use_indexing else set()
        basis: list[str] = []
        size, size_text = sample_size(population)

        def level(kind: str, design: str = "", species: Sequence[str] = ()) -> EvidenceLevel:
            return EvidenceLevel(kind, design, list(dict.fromkeys(species)), size, size_text, basis)

        published = next((d for t, d in _PUBLICATION_DESIGNS.items() if t in types), None)
        if published in ("meta_analysis", "rct", "clinical_trial", "case_series", "review"):
            basis.append(f"publication type: {next(t for t, d in _PUBLICATION_DESIGNS.items() if t in types and d == published)}")
            return level("human", self._refine(published, text))
        if types & _NOT_STUDIES and not (size or design_in_text(text)):  # a letter with data is still a study
            basis.append("publication type: " + ", ".join(sorted(types & _NOT_STUDIES)))
            return level("other")

        species_mesh = self._species_from_mesh(record) if use_indexing else []
        animals_tag = "Animals" in headings or bool(species_mesh)
        humans_tag = _HUMANS in headings
        cells_tag = use_indexing and self._cell_headings(record)
        counts = Counter(human=len(_HUMAN_CUE.findall(text)), animal=len(_ANIMAL_CUE.findall(text)),
                         cells=len(_CELL_CUE.findall(text)), in_vivo=len(_IN_VIVO_CUE.findall(text)))
        stated = design_in_text(text)
        mesh_design = next((d for h, d in _MESH_DESIGNS.items() if h in headings), None)

        if humans_tag or animals_tag or cells_tag:
            tags = [t for t, on in (("Humans", humans_tag), ("Animals", animals_tag), ("cell culture", cells_tag)) if on]
            basis.append("MeSH: " + ", ".join(tags + [s for s in species_mesh if s not in tags]))
            if humans_tag and (not animals_tag or mesh_design or published or counts["human"] > counts["animal"]):
                if cells_tag and not mesh_design and not published and counts["cells"] >= counts["human"]:
                    return level("in_vitro")
                return level("human", self._human_design(published, mesh_design, stated, basis))
            if cells_tag and not counts["in_vivo"]:
                return level("in_vitro", species=[])
            if animals_tag:
                return level("animal", species=species_mesh or self._species_from_text(text))
            return level("in_vitro")

        # No indexing to go by: the abstract decides.
        basis.append("abstract")
        if stated and stated[0] != "" and not counts["animal"] > counts["human"]:
            return level("human", self._human_design(published, None, stated, basis))
        if counts["animal"] and counts["animal"] >= counts["human"]:
            if counts["cells"] > counts["in_vivo"] and not counts["in_vivo"]:
                return level("in_vitro")
            return level("animal", species=self._species_from_text(text))
        if counts["cells"] and counts["cells"] > counts["human"]:
            return level("in_vitro")
        if counts["human"]:
            return level("human", self._human_design(published, None, stated, basis))
        return level("other")

    @staticmethod
    def _refine(design: str, text: str) -> str:
        """A 'Clinical Trial' the abstract calls randomised is a randomised trial."""
        if design == "clinical_trial" and (found := design_in_text(text)) and found[0] == "rct":
            return "rct"
        return design

    @staticmethod
    def _human_design(published: str | None, mesh_design: str | None, stated: tuple[str, re.Match[str]] | None,
                      basis: list[str]) -> str:
        if published:
            return published
        # The authors' own words name the design more precisely than MeSH, which often tags several
        # ("Cross-Sectional Studies" beside "Prospective Studies" for a cohort's baseline analysis).
        if stated and stated[0]:
            basis.append(f"abstract: “{stated[1].group(0)}”")
            return stated[0]
        if mesh_design:
            basis.append("MeSH design heading")
            return mesh_design
        return ""

    def _species_from_mesh(self, record: Record) -> list[str]:
        found = []
        for heading in record.mesh:
            name = heading.descriptor
            if name in (_HUMANS, "Animals"):
                continue
            base = name.split(",")[0]
            if base in SPECIES:
                found.append(SPECIES[base][0])
                continue
            descriptor = self.terms.mesh(heading.ui) if heading.ui else None
            # Any other organism of the Animals branch; "Animals, Newborn" and "Disease Models" are no species.
            if descriptor and any(t.startswith(_ANIMALS_TREE + ".") for t in descriptor.tree_numbers) and not name.startswith("Animals"):
                found.append(base)
        return list(dict.fromkeys(found))

    @staticmethod
    def _species_from_text(text: str) -> list[str]:
        return [species for pattern, species in _ANIMAL_WORDS if pattern.search(text)][:2]

    def _cell_headings(self, record: Record) -> bool:
        for heading in record.mesh:
            if heading.descriptor in _CELL_HEADINGS:
                return True
            descriptor = self.terms.mesh(heading.ui) if heading.ui else None
            if descriptor and any(t.startswith(_CELL_TREES) for t in descriptor.tree_numbers):
                return True
        return False


def rank(level: EvidenceLevel | None) -> int:
    """Position in the review's order of evidence: human designs strongest first, then animal, cell, other."""
    if level is None:
        return len(HUMAN_DESIGNS) + len(KIND_ORDER)
    if level.kind == "human":
        return HUMAN_DESIGNS.index(level.design) if level.design in HUMAN_DESIGNS else HUMAN_DESIGNS.index("")
    return len(HUMAN_DESIGNS) + KIND_ORDER.index(level.kind)


def species_label(species: str, lang: str) -> str:
    if lang == "en":
        return species
    return next((zh for en, zh in SPECIES.values() if en == species), "动物")


def describe(level: EvidenceLevel, lang: str, with_size: bool = True) -> str:
    """'cohort study, 750 individuals' / '动物研究（小鼠）' — the level as the review names it."""
    if level.kind == "human":
        text = LABELS[lang][level.design]
    elif level.kind == "animal":
        names = [species_label(s, lang) for s in level.species]
        if lang == "zh":
            text = "动物研究" + (f"（{'、'.join(names)}）" if names else "")
        else:
            text = f"animal study ({', '.join(names)})" if names else "animal study"
    else:
        text = LABELS[lang][level.kind]
    if with_size and level.sample_size:
        text += f"，n={level.sample_size}" if lang == "zh" else f", {level.sample_text}"
    return text


_EN_NOUNS = {"human": ("human study", "human studies"), "animal": ("animal study", "animal studies"),
             "in_vitro": ("in vitro / cell study", "in vitro / cell studies"), "other": ("other record", "other records")}


def support_counts(levels: Iterable[EvidenceLevel | None]) -> Counter[str]:
    """How many records of each kind (human, animal, in_vitro, other) back a statement."""
    return Counter(level.kind if level else "other" for level in levels)


def support_note(levels: Sequence[EvidenceLevel | None], lang: str) -> str:
    """'（2 项人类研究、1 项动物研究）' / '(2 human studies, 1 animal study)' after a statement; one record's
    level is named in full: '（队列研究，n=750）'."""
    if len(levels) == 1 and levels[0] is not None:
        return f"（{describe(levels[0], 'zh')}）" if lang == "zh" else f"({describe(levels[0], 'en')})"
    counts = support_counts(levels)
    parts = []
    for kind in KIND_ORDER:
        n = counts.get(kind, 0)
        if not n:
            continue
        if lang == "zh":
            parts.append(f"{n} 项{KIND_LABELS['zh'][kind]}")
        else:
            parts.append(f"{n} {_EN_NOUNS[kind][n > 1]}")
    if not parts:
        return ""
    return "（" + "、".join(parts) + "）" if lang == "zh" else "(" + ", ".join(parts) + ")"


def _plural(label: str) -> str:
    """'cohort study' → 'cohort studies', 'meta-analysis or systematic review' → '… analyses or … reviews'."""
    for singular, plural in (("study", "studies"), ("trial", "trials"), ("analysis", "analyses"), ("review", "reviews"),
                             ("report", "reports")):
        label = re.sub(rf"\b{singular}\b", plural, label)
    return label


def profile(levels: Sequence[EvidenceLevel], lang: str) -> str:
    """'6 human studies (2 cohort studies, …), 11 animal studies (9 in mice, …) and 3 in vitro / cell models' —
    the records of a review by level, strongest first."""
    parts = []
    for kind in KIND_ORDER:
        of_kind = [level for level in levels if level.kind == kind]
        if not of_kind:
            continue
        if kind == "human":
            unstated = "设计未说明" if lang == "zh" else "design not stated"
            details = Counter(LABELS[lang][level.design] if level.design else unstated for level in sorted(of_kind, key=rank))
        elif kind == "animal":
            details = Counter(species_label(level.species[0], lang) if level.species else ("未说明物种" if lang == "zh" else "species not stated")
                              for level in of_kind)
        else:
            details = Counter()
        inner = ("、" if lang == "zh" else ", ").join(
            f"{name} {n} 项" if lang == "zh" else f"{n} {'in ' if kind == 'animal' and name != 'species not stated' else ''}"
                                                  f"{_plural(name) if n > 1 and kind == 'human' else name}"
            for name, n in details.items()
        )
        head = f"{KIND_LABELS['zh'][kind]} {len(of_kind)} 项" if lang == "zh" else f"{len(of_kind)} {_EN_NOUNS[kind][len(of_kind) > 1]}"
        parts.append(f"{head}（{inner}）" if inner and lang == "zh" else f"{head} ({inner})" if inner else head)
    if lang == "zh":
        return "、".join(parts)
    return ", ".join(parts[:-1]) + (" and " if len(parts) > 1 else "") + parts[-1] if parts else ""
