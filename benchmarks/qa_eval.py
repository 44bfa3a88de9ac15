"""Translation-QA evaluation: careful human Chinese translations of real abstracts (clean) and corrupted copies
of them, one labelled error each, made programmatically for every error kind QA must catch.

Reports, per error kind, the recall of the check(s) made for it (a finding of that check, new against the clean
run, in the damaged text and — when the finding carries offsets — overlapping the damage), per check its
precision (findings in damaged texts that point at the damage, against findings on clean texts), and the false
errors per 20 sentences on the clean human translations. The set: benchmarks/data/qa_eval/ (see its README).

    python benchmarks/qa_eval.py              # figures against the targets
    python benchmarks/qa_eval.py --show KIND  # the cases of one kind that were missed, and clean false errors
    python benchmarks/qa_eval.py --data benchmarks/data/qa_eval/heldout.jsonl  # the held-out abstracts alone
    python benchmarks/qa_eval.py --every-swap  # number_moved with every swap, not one sampled per sentence
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from medbridge.terms.glossary import read_glossary_dir  # noqa: E402
from medbridge.terms.terminology import GLOSSARY_DIR, Terminology  # noqa: E402
from medbridge.text import HAN, is_cjk, split_sentences  # noqa: E402
from medbridge.translate.protect import is_symbol  # noqa: E402
from medbridge.translate.qa import QAContext, run_checks  # noqa: E402

DATA = [REPO / "benchmarks" / "data" / "qa_eval" / name for name in ("clean.jsonl", "heldout.jsonl")]
PER_DOCUMENT = 4          # corrupted copies per error kind and abstract (where the kind applies)
RECALL_TARGET = 0.95
HARD_KINDS = {"reversed_direction": 0.8, "renamed_statistic": 0.8}
FALSE_ERRORS_TARGET = 1.0  # per 20 sentences of clean human translation


@dataclass(slots=True)
class Document:
    id: str
    labels: list[str | None]
    sources: list[str]
    targets: list[str]


@dataclass(slots=True)
class Case:
    kind: str
    document: Document
    segment: int
    target: str               # the damaged target of ``segment``
    span: tuple[int, int]     # where the damage is in it
    note: str

    @property
    def targets(self) -> list[str]:
        targets = list(self.document.targets)
        targets[self.segment] = self.target
        return targets


def load_documents(paths: list[Path] = DATA) -> list[Document]:
    documents = []
    for line in (line for path in paths for line in path.read_text(encoding="utf-8").splitlines()):
        doc = json.loads(line)
        texts = doc["texts"]
        documents.append(Document(doc["id"], [t["label"] for t in texts], [t["en"] for t in texts], [t["zh"] for t in texts]))
    return documents


# ---- corruptions ---------------------------------------------------------------------------------------------
# Each generator yields (segment, damaged target, (start, end) of the damage, note) for one document.

Generated = Iterator[tuple[int, str, tuple[int, int], str]]


def _replace(text: str, start: int, end: int, new: str) -> tuple[str, tuple[int, int]]:
    return text[:start] + new + text[end:], (start, start + len(new))


def _insert(text: str, at: int, new: str) -> tuple[str, tuple[int, int]]:
    return _replace(text, at, at, new)


def _zh_sentence_bounds(text: str) -> list[tuple[int, int]]:
    bounds, pos = [], 0
    for piece in split_sentences(text, "zh", clause_marks=False):
        bounds.append((pos, pos + len(piece)))
        pos += len(piece)
    return bounds


def _aligned_sentences(doc: Document, seg: int) -> list[tuple[str, tuple[int, int]]]:
    """(English sentence, bounds of its Chinese sentence) where both sides have as many sentences."""
    en = [s.strip() for s in split_sentences(doc.sources[seg], "en") if s.strip()]
    zh = _zh_sentence_bounds(doc.targets[seg])
    return list(zip(en, zh)) if len(en) == len(zh) else []


def _terms(doc: Document, seg: int, ctx: QAContext):
    """Glossary terms of the source whose approved Chinese form the target has (position in the target)."""
    target = doc.targets[seg]
    found = []
    for start, end, entry in ctx.terms(doc.sources[seg]):
        at = target.find(entry.zh)
        if at >= 0 and is_cjk(entry.zh):
            found.append((doc.sources[seg][start:end], entry, at))
    return found


def untranslated_clause(doc: Document, ctx: QAContext, rng: random.Random) -> Generated:
    for seg in range(len(doc.sources)):
        for en, (s, e) in _aligned_sentences(doc, seg):
            words = en.rstrip(".").split()
            comma = doc.targets[seg].find("，", s, e)
            if len(words) >= 8 and comma > 0:
                english = " ".join(words[len(words) // 2:])
                yield (seg, *_replace(doc.targets[seg], comma + 1, e - 1, english), english)
                break


def untranslated_word(doc: Document, ctx: QAContext, rng: random.Random) -> Generated:
    for seg in range(len(doc.sources)):
        for surface, entry, at in _terms(doc, seg, ctx):
            if surface.islower() and len(surface) >= 5:
                yield (seg, *_replace(doc.targets[seg], at, at + len(entry.zh), surface), f"{entry.zh} → {surface}")
                break


def untranslated_half_word(doc: Document, ctx: QAContext, rng: random.Random) -> Generated:
    for seg in range(len(doc.sources)):
        for surface, entry, at in _terms(doc, seg, ctx):
            word = max(surface.split(), key=len)
            if word.islower() and len(word) >= 7 and len(entry.zh) >= 2:
                half = word[len(word) // 2:]
                new = entry.zh[0] + half
                text, (start, end) = _replace(doc.targets[seg], at, at + len(entry.zh), new)
                yield seg, text, (start + 1, end), f"{entry.zh} → {new}"
                break


# Held apart from the checks' own vocabulary: phrases seen in scraped, garbled translations and spam.
SPAM = ["万博手机客户端", "澳门金沙娱乐城", "bet365体育投注", "加微信领取优惠", "皇冠体育官网", "扫码关注公众号", "真人百家乐", "注册就送88元", "葡京娱乐场", "下载APP立享折扣"]
URLS = ["www.vip8888.com", "https://bit.ly/3xYq9Zt", "http://www.am-jinsha.net", "www.365bet.cc/zh"]
PHONES = ["13812345678", "400-820-8820", "+86 21 5555 1234", "021-64135790"]
UNRELATED = ["今天天气很好，我们一起去公园散步吧。", "之前的研究发现，每天喝咖啡可以延长寿命。", "本产品由专业团队研发，质量可靠。", "欢迎大家踊跃投稿，稿件一经录用即付稿酬。"]


def _insertion_points(text: str) -> list[int]:
    return [m.end() for m in re.finditer(r"[，。；]", text)][:-1] or [len(text)]


def _injected(pool: list[str]) -> Callable[[Document, QAContext, random.Random], Generated]:
    def generate(doc: Document, ctx: QAContext, rng: random.Random) -> Generated:
        for seg in rng.sample(range(len(doc.targets)), len(doc.targets)):
            if not is_cjk(doc.targets[seg]):
                continue
            new = rng.choice(pool)
            yield (seg, *_insert(doc.targets[seg], rng.choice(_insertion_points(doc.targets[seg])), new), new)
    return generate


def injected_sentence(doc: Document, ctx: QAContext, rng: random.Random) -> Generated:
    for seg in rng.sample(range(len(doc.targets)), len(doc.targets)):
        ends = [m.end() for m in re.finditer("。", doc.targets[seg])]
        if len(ends) >= 2:
            new = rng.choice(UNRELATED)
            yield (seg, *_insert(doc.targets[seg], rng.choice(ends[:-1]), new), new)


def injected_inside_word(doc: Document, ctx: QAContext, rng: random.Random) -> Generated:
    for seg in range(len(doc.targets)):
        for match in re.finditer(r"(?<![A-Za-z])[A-Za-z]{4,}(?![A-Za-z])", doc.targets[seg]):
            if match.group() in doc.sources[seg]:
                new = rng.choice(SPAM)
                at = match.start() + len(match.group()) - 1
                yield (seg, *_insert(doc.targets[seg], at, new), f"{match.group()} → {match.group()[:-1]}{new}{match.group()[-1]}")
                break


def _misspell(word: str, rng: random.Random) -> str:
    i = rng.randrange(1, len(word) - 1)
    letters = "aeioulmnrst"
    return word[:i] + rng.choice([c for c in letters if c != word[i].lower()]) + word[i + 1:]


def variant_term_capitalised(doc: Document, ctx: QAContext, rng: random.Random) -> Generated:
    # "Esketamine" → "ESKALAMINE": the term left in English, in capitals, misspelt, in place of its rendering.
    for seg in range(len(doc.sources)):
        for surface, entry, at in _terms(doc, seg, ctx):
            if surface.isalpha() and len(surface) >= 6:
                new = _misspell(surface, rng).upper()
                yield (seg, *_replace(doc.targets[seg], at, at + len(entry.zh), new), f"{entry.zh} → {new}")
                break


def variant_term_letter(doc: Document, ctx: QAContext, rng: random.Random) -> Generated:
    # A symbol or name the target keeps ("Abeta42", "Mattsson") with one letter changed.
    for seg in range(len(doc.sources)):
        for match in re.finditer(r"(?<![A-Za-z])[A-Za-z][A-Za-z\-]{3,}[A-Za-z0-9]*", doc.targets[seg]):
            if match.group() in doc.sources[seg] and sum(c.isalpha() for c in match.group()) >= 4:
                new = _misspell(match.group(), rng)
                yield (seg, *_replace(doc.targets[seg], match.start(), match.end(), new), f"{match.group()} → {new}")
                break


# Sound-alike transliterations a model invents for drugs instead of the approved name.
TRANSLITERATIONS = {"西酞普兰": "西塔洛普兰", "多奈哌齐": "多尼佩齐", "氯胺酮": "凯他敏", "文拉法辛": "温拉法新", "胆碱酯酶抑制剂": "胆碱依斯特酶抑制剂",
                    "质子泵抑制剂": "普罗顿泵抑制剂", "安慰剂": "普拉塞波", "阿尔茨海默病": "阿尔扎海默病", "海马": "希波坎帕斯", "艾司氯胺酮": "艾斯凯他明"}


def variant_term_transliteration(doc: Document, ctx: QAContext, rng: random.Random) -> Generated:
    for seg in range(len(doc.sources)):
        for surface, entry, at in _terms(doc, seg, ctx):
            if entry.zh in TRANSLITERATIONS:
                new = TRANSLITERATIONS[entry.zh]
                yield (seg, *_replace(doc.targets[seg], at, at + len(entry.zh), new), f"{entry.zh} → {new}")
                break


def _number_matches(text: str) -> list[re.Match[str]]:
    # Data numbers: not digits glued to letters or hyphen-joined chemical locants.
    return list(re.finditer(r"(?<![A-Za-z0-9_.\-α-ωΑ-Ω])\d+(?:\.\d+)?(?![A-Za-z0-9_\-]|\.\d)", text))


def changed_number(doc: Document, ctx: QAContext, rng: random.Random) -> Generated:
    for seg in rng.sample(range(len(doc.targets)), len(doc.targets)):
        for m in rng.sample(_number_matches(doc.targets[seg]), len(_number_matches(doc.targets[seg]))):
            digits = [i for i, c in enumerate(m.group()) if c.isdigit()]
            i = rng.choice(digits)
            new = m.group()[:i] + str((int(m.group()[i]) + rng.randint(1, 8)) % 10) + m.group()[i + 1:]
            yield (seg, *_replace(doc.targets[seg], m.start(), m.end(), new), f"{m.group()} → {new}")


UNIT_SWAPS = {"ng/L": "mg/L", "mg": "g", "Hz": "kHz", "%": "‰", "周": "个月"}


def changed_unit(doc: Document, ctx: QAContext, rng: random.Random) -> Generated:
    for seg in range(len(doc.targets)):
        for m in re.finditer(r"(\d)(\s?)(ng/L|mg|Hz|%|周)(?![A-Za-z])", doc.targets[seg]):
            new = UNIT_SWAPS[m.group(3)]
            yield (seg, *_replace(doc.targets[seg], m.start(3), m.end(3), new), f"{m.group(3)} → {new}")
            break


def changed_sign(doc: Document, ctx: QAContext, rng: random.Random) -> Generated:
    for seg in range(len(doc.targets)):
        for m in re.finditer(r"[<>＜＞≤≥=＝]", doc.targets[seg]):
            new = {"<": ">", ">": "<", "＜": "＞", "＞": "＜", "≤": "≥", "≥": "≤", "=": "<", "＝": "＞"}[m.group()]
            yield (seg, *_replace(doc.targets[seg], m.start(), m.end(), new), f"{m.group()} → {new}")


NEGATION_REMOVED = [("并不会", "会"), ("不支持", "支持"), ("无关", "相关"), ("均未", "均"), ("均无", "均有"), ("尚无", "已有"), ("尚未", "已"), ("未影响", "影响")]
NEGATION_ADDED = [("导致", "未导致"), ("降低了", "未降低"), ("显著", "不显著"), ("相关", "不相关"), ("可", "不可"), ("发现", "未发现"), ("有关", "无关"), ("为", "不为")]


def changed_negation(doc: Document, ctx: QAContext, rng: random.Random) -> Generated:
    for seg in range(len(doc.targets)):
        target = doc.targets[seg]
        for old, new in NEGATION_REMOVED + NEGATION_ADDED:
            at = target.find(old)
            if at >= 0 and is_cjk(target):
                yield (seg, *_replace(target, at, at + len(old), new), f"{old} → {new or '∅'}")
                break


DIRECTION_SWAPS = [("升高", "降低"), ("降低", "升高"), ("增加", "减少"), ("减少", "增加"), ("较高", "较低"), ("较低", "较高"), ("高于", "低于"), ("低于", "高于"),
                   ("更多", "更少"), ("增强", "减弱"), ("改善", "恶化"), ("恶化", "改善"), ("正相关", "负相关"), ("负相关", "正相关"), ("下降", "上升"),
                   ("减慢", "加快"), ("促进", "抑制"), ("增多", "减少"), ("不良影响", "有益影响"), ("提高", "降低")]


def reversed_direction(doc: Document, ctx: QAContext, rng: random.Random) -> Generated:
    for seg in range(len(doc.targets)):
        target = doc.targets[seg]
        found = [(m.start(), old, new) for old, new in DIRECTION_SWAPS for m in re.finditer(old, target)]
        found = [f for f in found if not re.search(r"长时程|突触$", target[max(0, f[0] - 3):f[0]])]
        for at, old, new in rng.sample(found, len(found)):
            yield (seg, *_replace(target, at, at + len(old), new), f"{old} → {new}")


STATISTIC_SWAPS = [("似然比", "预测值"), ("预测值", "似然比"), ("比值比", "风险比"), ("风险比", "比值比"), ("敏感性", "特异性"), ("特异性", "敏感性"),
                   ("中位", "平均"), ("曲线下面积", "相关系数"), ("置信区间", "标准差"), ("阳性LR", "阳性灵敏度"), ("阴性LR", "阴性灵敏度")]


def renamed_statistic(doc: Document, ctx: QAContext, rng: random.Random) -> Generated:
    for seg in range(len(doc.targets)):
        target = doc.targets[seg]
        found = [(m.start(), old, new) for old, new in STATISTIC_SWAPS for m in re.finditer(re.escape(old), target)]
        for at, old, new in rng.sample(found, len(found)):
            yield (seg, *_replace(target, at, at + len(old), new), f"{old} → {new}")


def _number_swaps(target: str) -> Iterator[list[tuple[str, tuple[int, int], str]]]:
    """Per sentence, every swap of two different values of it (damaged text, span, note)."""
    for s, e in _zh_sentence_bounds(target):
        matches = [m for m in _number_matches(target) if s <= m.start() < e]
        yield [(target[:a.start()] + b.group() + target[a.end():b.start()] + a.group() + target[b.end():], (a.start(), b.end()),
                f"{a.group()} ⇄ {b.group()}")
               for i, a in enumerate(matches) for b in matches[i + 1:]
               if a.group() != b.group() and 5 < b.start() - a.end() < 40 and "95" not in (a.group(), b.group())]


def number_moved(doc: Document, ctx: QAContext, rng: random.Random) -> Generated:
    # Two values of one sentence swapped: each number now belongs to the other quantity (one case per sentence).
    for seg in range(len(doc.targets)):
        for swaps in _number_swaps(doc.targets[seg]):
            if swaps:
                yield seg, *rng.choice(swaps)


def every_number_swap(doc: Document, ctx: QAContext, rng: random.Random) -> Generated:
    # number_moved without sampling (--every-swap): every swap of every sentence, to see what the sample hides.
    for seg in range(len(doc.targets)):
        for swaps in _number_swaps(doc.targets[seg]):
            yield from ((seg, *swap) for swap in swaps)


def dropped_dose(doc: Document, ctx: QAContext, rng: random.Random) -> Generated:
    for seg in range(len(doc.targets)):
        target = doc.targets[seg]
        for m in re.finditer(r"(?:每日)?\d+(?:\.\d+)?(?:-\d+(?:\.\d+)?)?\s?(?:mg/kg|mg|ng/L|Hz|μg|g)(?![A-Za-z])", target):
            text, _ = _replace(target, m.start(), m.end(), "")
            yield seg, text, (max(0, m.start() - 1), m.start() + 1), f"dropped {m.group()!r}"
            break


def dropped_qualifier(doc: Document, ctx: QAContext, rng: random.Random) -> Generated:
    # "APOE ε4 homozygotes" → "纯合子": a qualifying symbol (APOE, ε4, Aβ, MCI, PPM…) before a word vanishes.
    for seg in range(len(doc.targets)):
        target = doc.targets[seg]
        for m in re.finditer(r"(?<![A-Za-z0-9\-])[A-Za-zα-ω][A-Za-z0-9α-ω\-/]*[A-Za-z0-9α-ω](?=[" + HAN + "])", target):
            whole_in_source = re.search(rf"(?<![\w\-]){re.escape(m.group())}(?![\w\-])", doc.sources[seg])
            if whole_in_source and (is_symbol(m.group()) or re.search("[α-ω]", m.group())):
                text, _ = _replace(target, m.start(), m.end(), "")
                yield seg, text, (max(0, m.start() - 1), m.start() + 1), f"dropped {m.group()!r}"
                break


def dropped_protected_span(doc: Document, ctx: QAContext, rng: random.Random) -> Generated:
    for seg in range(len(doc.targets)):
        target = doc.targets[seg]
        spans = [m for m in re.finditer(r"https?://\S+?(?=[；;)）]|$)|NCT\d+|(?<![A-Za-z])[A-Z][A-Za-z]*[A-Z0-9][A-Za-z0-9\-/]*(?![A-Za-z])", target) if m.group() in doc.sources[seg]]
        if spans:
            m = rng.choice(spans)
            text, _ = _replace(target, m.start(), m.end(), "")
            yield seg, text, (max(0, m.start() - 1), m.start() + 1), f"dropped {m.group()!r}"


JOURNALS_ZH = {"JAMA": "美国医学会杂志", "Science": "科学", "Neuron": "神经元", "Sci Transl Med": "科学转化医学", "Proc Natl Acad Sci U S A": "美国国家科学院院刊",
               "Am J Geriatr Psychiatry": "美国老年精神病学杂志", "Cell Rep": "细胞报告", "J Am Geriatr Soc": "美国老年医学会杂志"}


def renamed_journal(doc: Document, ctx: QAContext, rng: random.Random) -> Generated:
    for seg, label in enumerate(doc.labels):
        if label == "CITATION":
            target = doc.targets[seg]
            journal = target.rstrip(".").rsplit(". ", 1)[-1]
            if journal in JOURNALS_ZH:
                at = target.rfind(journal)
                yield (seg, *_replace(target, at, at + len(journal), JOURNALS_ZH[journal]), f"{journal} → {JOURNALS_ZH[journal]}")


_SYLLABLES = "马斯森特伯格汉布罗迪利洪谢尔沃什卡拉达维奇安德"


def translated_name(doc: Document, ctx: QAContext, rng: random.Random) -> Generated:
    for seg, label in enumerate(doc.labels):
        if label == "CITATION":
            target = doc.targets[seg]
            names = [m for m in re.finditer(r"(?<![A-Za-z])([A-Z][a-z'’]+(?:[ -][A-Z][a-z'’]+)*) [A-Z]{1,3}(?=,)", target)]
            if names:
                m = rng.choice(names)
                new = "".join(rng.choice(_SYLLABLES) for _ in range(3))
                yield (seg, *_replace(target, m.start(1), m.end(1), new), f"{m.group(1)} → {new}")


def dropped_clause(doc: Document, ctx: QAContext, rng: random.Random) -> Generated:
    for seg in range(len(doc.targets)):
        target = doc.targets[seg]
        clauses = [(m.start(), m.end()) for m in re.finditer(r"(?<=，)[^，。；]{8,}(?=[，。；])", target)]
        if clauses:
            s, e = rng.choice(clauses)
            end = e + 1 if target[e] == "，" else e
            start = s if target[e] == "，" else s - 1
            yield seg, target[:start] + target[end:], (max(0, start - 1), start + 1), f"dropped {target[start:end]!r}"


def duplicated_text(doc: Document, ctx: QAContext, rng: random.Random) -> Generated:
    for seg in range(len(doc.targets)):
        target = doc.targets[seg]
        bounds = [(s, e) for s, e in _zh_sentence_bounds(target) if e - s >= 10]
        if bounds:
            s, e = rng.choice(bounds)
            if rng.random() < 0.5:
                yield (seg, *_insert(target, e, target[s:e]), "sentence repeated")
            else:
                phrase = target[s:s + 6]
                yield (seg, *_insert(target, s + 6, phrase * 4), f"{phrase!r} looped")


def wrong_glossary_term(doc: Document, ctx: QAContext, rng: random.Random) -> Generated:
    by_category = defaultdict(list)
    for entry in read_glossary_dir(GLOSSARY_DIR):
        if entry.category:
            by_category[entry.category].append(entry.zh)
    for seg in range(len(doc.sources)):
        for surface, entry, at in _terms(doc, seg, ctx):
            others = [z for z in by_category.get(entry.category, []) if z != entry.zh and entry.zh not in z and z not in entry.zh and z not in doc.targets[seg]]
            if others:
                new = rng.choice(sorted(others))
                yield (seg, *_replace(doc.targets[seg], at, at + len(entry.zh), new), f"{entry.zh} → {new}")
                break


JAPANESE = ["本研究では、アミロイドβの濃度が睡眠不足の後に増加することを示した。", "これらの結果は、アルツハイマー病の予防戦略として重要である。"]
KOREAN = ["이 연구는 수면 부족 후 아밀로이드 베타 농도가 증가함을 보여준다."]


def wrong_language(doc: Document, ctx: QAContext, rng: random.Random) -> Generated:
    for seg in range(len(doc.targets)):
        target = doc.targets[seg]
        bounds = _zh_sentence_bounds(target)
        if not is_cjk(target) or not bounds:
            continue
        s, e = rng.choice(bounds)
        choice = rng.random()
        if choice < 0.34:
            new = doc.sources[seg]  # the model answered in the source language
            yield seg, new, (0, len(new)), "target is the English source"
        else:
            new = rng.choice(JAPANESE if choice < 0.67 else KOREAN)
            yield (seg, *_replace(target, s, e, new), f"sentence in {'Japanese' if choice < 0.67 else 'Korean'}")


GENERATORS: dict[str, Callable[[Document, QAContext, random.Random], Generated]] = {
    "untranslated_clause": untranslated_clause,
    "untranslated_word": untranslated_word,
    "untranslated_half_word": untranslated_half_word,
    "injected_spam": _injected(SPAM),
    "injected_url": _injected(URLS),
    "injected_phone": _injected(PHONES),
    "injected_sentence": injected_sentence,
    "injected_inside_word": injected_inside_word,
    "variant_term_capitalised": variant_term_capitalised,
    "variant_term_letter": variant_term_letter,
    "variant_term_transliteration": variant_term_transliteration,
    "changed_number": changed_number,
    "changed_unit": changed_unit,
    "changed_sign": changed_sign,
    "changed_negation": changed_negation,
    "reversed_direction": reversed_direction,
    "renamed_statistic": renamed_statistic,
    "number_moved": number_moved,
    "dropped_dose": dropped_dose,
    "dropped_qualifier": dropped_qualifier,
    "renamed_journal": renamed_journal,
    "translated_name": translated_name,
    "dropped_clause": dropped_clause,
    "dropped_protected_span": dropped_protected_span,
    "duplicated_text": duplicated_text,
    "wrong_glossary_term": wrong_glossary_term,
    "wrong_language": wrong_language,
}

# The check(s) made to catch each kind.
EXPECTED: dict[str, set[str]] = {
    "untranslated_clause": {"untranslated"},
    "untranslated_word": {"untranslated"},
    "untranslated_half_word": {"untranslated"},
    "injected_spam": {"foreign_content"},
    "injected_url": {"foreign_content"},
    "injected_phone": {"foreign_content"},
    "injected_sentence": {"addition"},
    "injected_inside_word": {"foreign_content"},
    "variant_term_capitalised": {"variant_term"},
    "variant_term_letter": {"variant_term"},
    "variant_term_transliteration": {"glossary"},
    "changed_number": {"numbers"},
    "changed_unit": {"units"},
    "changed_sign": {"units", "numbers"},
    "changed_negation": {"negation"},
    "reversed_direction": {"direction"},
    "renamed_statistic": {"statistic"},
    "number_moved": {"number_attachment", "units"},  # moved onto another unit ("57岁" → "4岁"): the unit check names it
    "dropped_dose": {"numbers", "units", "dropped_span"},
    "dropped_qualifier": {"dropped_span"},
    "renamed_journal": {"names"},
    "translated_name": {"names"},
    "dropped_clause": {"omission", "numbers", "dropped_span"},  # each says what of the source is missing
    "dropped_protected_span": {"dropped_span"},
    "duplicated_text": {"repetition"},
    "wrong_glossary_term": {"glossary"},
    "wrong_language": {"wrong_language", "untranslated"},
}


def make_cases(documents: list[Document], ctx: QAContext, seed: int = 14, kinds: list[str] | None = None,
               generators: dict[str, Callable[[Document, QAContext, random.Random], Generated]] = GENERATORS,
               per_document: int = PER_DOCUMENT) -> list[Case]:
    cases = []
    for kind, generate in generators.items():
        if kinds and kind not in kinds:
            continue
        for doc in documents:
            rng = random.Random(f"{seed}:{kind}:{doc.id}")
            made = 0
            for seg, target, span, note in generate(doc, ctx, rng):
                if target == doc.targets[seg]:
                    continue
                cases.append(Case(kind, doc, seg, target, span, note))
                made += 1
                if made >= per_document:
                    break
    return cases


# ---- evaluation -----------------------------------------------------------------------------------------------


def _key(problem) -> tuple:
    return problem.check, problem.segment, problem.message


def _errors(problems) -> list:
    return [p for p in problems if p.severity == "error"]


def _overlaps(problem, span: tuple[int, int]) -> bool:
    start, end = getattr(problem, "target_start", None), getattr(problem, "target_end", None)
    if start is None or end is None:
        return True
    return start <= span[1] + 1 and end >= span[0] - 1


def sentence_count(doc: Document) -> int:
    return sum(len([s for s in split_sentences(text, "en") if s.strip()]) for text in doc.sources)


def evaluate(documents: list[Document], show: str | None = None, kinds: list[str] | None = None, every_swap: bool = False) -> dict:
    ctx = QAContext.create("en", "zh", Terminology.from_files())
    clean: dict[str, list] = {}
    for doc in documents:
        clean[doc.id] = _errors(run_checks(doc.sources, doc.targets, ctx))
    sentences = sum(sentence_count(d) for d in documents)
    false_errors = sum(len(v) for v in clean.values())
    if every_swap:  # the number_moved kind, every swap rather than one sampled per sentence
        kinds = ["number_moved"]
        cases = make_cases(documents, ctx, kinds=kinds, generators={"number_moved": every_number_swap}, per_document=sys.maxsize)
    else:
        cases = make_cases(documents, ctx, kinds=kinds)

    caught: Counter[str] = Counter()
    flagged: Counter[str] = Counter()
    total: Counter[str] = Counter()
    true_by_check: Counter[str] = Counter()
    false_by_check: Counter[str] = Counter(p.check for found in clean.values() for p in found)
    missed: dict[str, list[tuple[Case, list]]] = defaultdict(list)
    for case in cases:
        clean_keys = {_key(p) for p in clean[case.document.id]}
        found = _errors(run_checks(case.document.sources, case.targets, ctx))
        here = [p for p in found if p.segment == case.segment]
        new = [p for p in here if _key(p) not in clean_keys]
        hits = [p for p in new if p.check in EXPECTED[case.kind] and _overlaps(p, case.span)]
        total[case.kind] += 1
        caught[case.kind] += bool(hits)
        flagged[case.kind] += bool(new)
        for p in new:
            true_by_check[p.check] += 1
        for p in here:
            if _key(p) in clean_keys:
                false_by_check[p.check] += 1
        if not hits:
            missed[case.kind].append((case, new))

    print(f"clean human translations: {len(documents)} abstracts/sets, {sum(len(d.sources) for d in documents)} texts, {sentences} sentences")
    per20 = false_errors / sentences * 20
    print(f"false errors on clean translations: {false_errors} ({per20:.2f} per 20 sentences; target ≤ {FALSE_ERRORS_TARGET:g})")
    for check, count in Counter(p.check for found in clean.values() for p in found).most_common():
        print(f"    {check:18} {count}")
    print()
    print(f"{'error kind':30} {'cases':>5} {'recall':>7} {'target':>6}  {'flagged':>7}  checks")
    below = []
    for kind in GENERATORS:
        if kinds and kind not in kinds:
            continue
        if not total[kind]:
            print(f"{kind:30} {0:5}   (no case in the set)")
            below.append(kind)
            continue
        recall = caught[kind] / total[kind]
        target = HARD_KINDS.get(kind, RECALL_TARGET)
        mark = "" if recall >= target else "  ✗"
        if recall < target:
            below.append(kind)
        print(f"{kind:30} {total[kind]:5} {recall:7.2f} {target:6.2f}  {flagged[kind] / total[kind]:7.2f}  {', '.join(sorted(EXPECTED[kind]))}{mark}")
    print()
    print(f"{'check':18} {'true':>5} {'false':>5} {'precision':>9}")
    for check in sorted(set(true_by_check) | set(false_by_check)):
        t, f = true_by_check[check], false_by_check[check]
        print(f"{check:18} {t:5} {f:5} {t / (t + f) if t + f else 0:9.2f}")
    print()
    print(f"kinds below target: {', '.join(below) if below else 'none'}; clean false errors per 20 sentences {per20:.2f}")

    if show:
        if show == "clean":
            for doc in documents:
                for p in clean[doc.id]:
                    print(f"[{doc.id} #{p.segment}] {p.check}: {p.message}")
        for case, new in missed.get(show, []):
            print(f"--- {case.document.id} #{case.segment}: {case.note}")
            print(f"    {case.target[max(0, case.span[0] - 30):case.span[1] + 30]!r}")
            for p in new:
                print(f"    found: {p.check}: {p.message}")
    return {"recall": {k: caught[k] / total[k] for k in total}, "false_per_20": per20, "below": below}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--show", help="print the missed cases of one error kind ('clean': the clean false errors)")
    parser.add_argument("--kinds", nargs="+", choices=sorted(GENERATORS), help="evaluate only these error kinds")
    parser.add_argument("--data", nargs="+", type=Path, default=DATA, help="clean sets (default: clean.jsonl and the held-out heldout.jsonl)")
    parser.add_argument("--every-swap", action="store_true",
                        help="number_moved only, with every swap of two numbers of a sentence instead of one sampled per sentence")
    args = parser.parse_args()
    evaluate(load_documents(args.data), args.show, args.kinds, args.every_swap)


if __name__ == "__main__":
    main()
