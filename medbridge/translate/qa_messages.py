"""The string table of QA findings: each message in English (what a retry tells the model, the CLI's default) and
Chinese (the web UI's default). ``localise(problem, lang)`` gives a finding in the reader's language."""

from __future__ import annotations

from medbridge.translate.base import QAProblem, Severity

MESSAGES: dict[str, dict[str, str]] = {
    "source_script_left": {"en": "source-script text left untranslated: {text!r}", "zh": "原文文字未翻译：“{text}”"},
    "english_left": {"en": "English left untranslated: {text!r}", "zh": "英文未翻译：“{text}”"},
    "english_word_left": {"en": "English word left untranslated: {text!r}", "zh": "英文单词未翻译：“{text}”"},
    "half_word_left": {"en": "part of an English word left untranslated: {text!r}", "zh": "半个英文单词未翻译：“{text}”"},
    "source_copied": {"en": "source text copied untranslated: {text!r}…", "zh": "原文被原样照抄：“{text}”…"},
    "glossary_missing": {"en": "{term!r} should be rendered {approved!r}", "zh": "“{term}”应译为“{approved}”"},
    "glossary_variant": {"en": "{term!r}: the glossary prefers {approved!r} to {variant!r}", "zh": "“{term}”：术语表推荐“{approved}”，而非“{variant}”"},
    "inconsistent_term": {"en": "{term!r} rendered inconsistently: {forms}; use {approved!r}", "zh": "“{term}”译法不一致：{forms}；建议统一为“{approved}”"},
    "number_missing": {"en": "number {number} of the source is missing", "zh": "原文中的数字 {number} 在译文中缺失"},
    "number_added": {"en": "number {number} is not in the source", "zh": "译文中的数字 {number} 不在原文中"},
    "unit_changed": {"en": "{number} {unit} of the source has another unit in the translation", "zh": "原文的 {number} {unit} 在译文中单位不同"},
    "sign_changed": {"en": "comparison changed: the source has {expected!r}, the translation {found!r}", "zh": "比较符号被改动：原文为“{expected}”，译文为“{found}”"},
    "date_changed": {"en": "the date {date!r} of the source is written {found!r} in the translation", "zh": "原文日期“{date}”在译文中写成了“{found}”"},
    "empty": {"en": "translation is empty", "zh": "译文为空"},
    "marker_dropped": {"en": "protected span {span!r} was dropped", "zh": "受保护的内容“{span}”在译文中丢失"},
    "marker_repeated": {"en": "protected span {span!r} appears {count} times, source has {expected}", "zh": "受保护的内容“{span}”出现了 {count} 次，原文只有 {expected} 次"},
    "marker_invented": {"en": "invented marker {marker}", "zh": "译文中出现了原文没有的占位标记 {marker}"},
    "empty_kept": {"en": "the translation is empty; the original is kept", "zh": "译文为空，保留原文"},
    "sentence_omitted": {"en": "sentence not translated: {sentence!r}", "zh": "句子未翻译：“{sentence}”"},
    "too_short": {"en": "translation is {ratio} of the expected length: part is missing", "zh": "译文长度仅为预期的 {ratio}：有内容缺失"},
    "sentence_short": {"en": "translation of a sentence is {ratio} of the expected length: a clause is missing? {sentence!r}",
                       "zh": "该句译文长度仅为预期的 {ratio}，可能漏译了分句：“{sentence}”"},
    "sentence_added": {"en": "sentence not in the source: {sentence!r}", "zh": "原文中没有这句话：“{sentence}”"},
    "sentence_unrelated": {"en": "sentence unrelated to the source: {sentence!r}", "zh": "该句与原文无关：“{sentence}”"},
    "too_long": {"en": "translation is {ratio} of the expected length: text was added", "zh": "译文长度为预期的 {ratio}：有多余内容"},
    "phrase_repeated": {"en": "{unit!r} repeated: {text!r}…", "zh": "“{unit}”重复出现：“{text}”…"},
    "sentence_repeated": {"en": "sentence repeated {count} times: {sentence!r}", "zh": "句子重复了 {count} 次：“{sentence}”"},
    "injected_text": {"en": "injected content not in the source: {text!r}", "zh": "混入了原文没有的内容：“{text}”"},
    "injected_contact": {"en": "injected link or contact not in the source: {text!r}", "zh": "混入了原文没有的链接或联系方式：“{text}”"},
    "injected_in_word": {"en": "injected content {text!r} spliced inside the word {word!r}", "zh": "单词“{word}”中间被插入了“{text}”"},
    "name_changed": {"en": "the name {name!r} is not kept as written (transliterated or dropped?)", "zh": "人名“{name}”未按原文保留（被音译或遗漏？）"},
    "journal_renamed": {"en": "the journal {name!r} is not kept as written (renamed or translated?)", "zh": "期刊名“{name}”未按原文保留（被改名或翻译？）"},
    "variant_term": {"en": "{word} looks like a misspelling of {term}", "zh": "“{word}”疑似“{term}”的错误拼写"},
    "span_dropped": {"en": "{span!r} of the source is missing from the translation", "zh": "原文中的“{span}”在译文中缺失"},
    "wrong_language": {"en": "text in {language}, not the target language: {text!r}", "zh": "出现了{language}文字，而非目标语言：“{text}”"},
    "not_target_language": {"en": "the translation is not in {language}", "zh": "译文不是{language}"},
    "direction_reversed": {"en": "direction reversed? the source says {source_cues}, the translation {target_cues}",
                           "zh": "方向可能被颠倒：原文为“{source_cues}”，译文为“{target_cues}”"},
    "negation_added": {"en": "negation added: the translation says {cues} where the source has no negation", "zh": "译文增加了否定（“{cues}”），原文并无否定"},
    "negation_lost": {"en": "negation lost: the source says {cues}, the translation has no negation", "zh": "否定丢失：原文有“{cues}”，译文没有否定"},
    "statistic_renamed": {"en": "statistic renamed: the translation names the {statistic} where the source has the {source_statistic}",
                          "zh": "统计量被改名：原文为 {source_statistic}，译文写成了 {statistic}"},
    "number_moved": {"en": "number attached to another quantity? the source gives {number} for {quantity!r} and {other} for {other_quantity!r}; the translation has them the other way round",
                     "zh": "数字可能对应到了别的量：原文中 {number} 对应“{quantity}”，{other} 对应“{other_quantity}”，译文将两者对调了"},
    "statistic_added": {"en": "the translation names the {statistic}, which this sentence of the source does not",
                        "zh": "译文提到了原句没有的统计量：{statistic}"},
}

# Names a Chinese reader sees in place of the English ones inside messages.
_ZH_NAMES = {"Japanese": "日文", "Korean": "韩文", "Simplified Chinese": "简体中文", "Traditional Chinese": "繁体中文"}


def message(key: str, lang: str, params: dict[str, str]) -> str:
    table = MESSAGES[key]
    template = table.get(lang) or table["en"]
    if lang != "en":
        params = {k: _ZH_NAMES.get(v, v) for k, v in params.items()}
    return template.format(**params)


def problem(check: str, key: str, *, severity: Severity = "error", source_span: str | None = None, target_span: str | None = None,
            start: int | None = None, end: int | None = None, **params: object) -> QAProblem:
    """A finding whose message comes from the string table (English on the problem; ``localise`` for the UI)."""
    values = {k: str(v) for k, v in params.items()}
    return QAProblem(check, message(key, "en", values), source_span=source_span, target_span=target_span, severity=severity,
                     target_start=start, target_end=end, key=key, params=values)


def localise(problem: QAProblem, lang: str) -> str:
    """The finding's message in ``lang`` (zh or en); findings without a table entry keep their English message."""
    if problem.key in MESSAGES:
        return message(problem.key, lang, problem.params)
    return problem.message


def fault_in_sentence(problem: QAProblem) -> tuple[str, str, str] | None:
    """The target sentence at fault cut around the fault, (before, fault, after), for a reader to see it in
    context; the whole sentence is the fault when the finding points at no smaller part of it."""
    sentence = problem.target_sentence
    if not sentence:
        return None
    span = problem.target_span
    at = sentence.find(span) if span and span != sentence else -1
    if at < 0:
        return "", sentence, ""
    return sentence[:at], span, sentence[at + len(span):]
