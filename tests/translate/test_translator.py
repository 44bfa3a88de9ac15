"""The translator's mechanics over the real openai backend, talking HTTP to a scripted endpoint that answers
like an obedient model (the reference translation with the markers it was sent)."""

from __future__ import annotations

import json

import pytest

from medbridge.errors import MedbridgeError
from medbridge.progress import ProgressEvent
from medbridge.terms import GlossaryEntry
from medbridge.translate import CACHE_NAMESPACE, Translator, UnsupportedLanguageError, get_language
from medbridge.translate.labels import label_zh, localise_label
from medbridge.translate.protect import protect

KETAMINE = GlossaryEntry("ketamine", "氯胺酮", "drug", zh_variants=("克他命",))


def test_language_codes_are_validated_with_the_supported_list():
    assert get_language("zh-TW").code == "zh-Hant" and get_language("ZH-cn").code == "zh"
    with pytest.raises(UnsupportedLanguageError) as caught:
        get_language("xx")
    assert isinstance(caught.value, MedbridgeError)
    message = str(caught.value)
    assert "'xx'" in message and all(code in message for code in ("zh", "zh-Hant", "en", "ja", "ko", "es", "fr", "de", "pt", "ru", "it", "pl", "ar"))


def test_batch_restores_spans_caches_and_second_run_skips_the_model(terminology, reference_pairs, reference_model, endpoint, store):
    pairs = [p for p in reference_pairs if p.pmid == "18755980"]
    translator = Translator(endpoint.llm(), store, terminology=terminology)
    progress: list[ProgressEvent] = []
    results = translator.translate_batch([p.en for p in pairs], source="en", target="zh", progress=progress.append)
    for pair, result in zip(pairs, results):
        assert not result.from_cache
        assert "⟦" not in result.target and "ISF" in result.target or pair.label == "TITLE"
        assert [p for p in result.problems if p.check in ("placeholder", "numbers", "omission", "untranslated")] == []
    assert progress[0] == ProgressEvent("translating", 0, 2) and progress[-1] == ProgressEvent("translating", 2, 2)
    calls = len(endpoint.requests)
    assert calls >= 1

    again = Translator(endpoint.llm(), store, terminology=terminology).translate_batch([p.en for p in pairs], source="en", target="zh")
    assert len(endpoint.requests) == calls  # nothing reached the model
    assert [r.target for r in again] == [r.target for r in results] and all(r.from_cache for r in again)
    keys = [translator.cache_key(p.en, get_language("en"), get_language("zh"), translator.terminology) for p in pairs]
    stored = store.cache_get_many(CACHE_NAMESPACE, keys)
    assert len(stored) == 2 and json.loads(stored[keys[1]])["target"] == results[1].target


def test_cache_key_changes_with_model_glossary_and_direction(terminology, endpoint):
    translator = Translator(endpoint.llm("a"), terminology=terminology)
    en, zh, ja = get_language("en"), get_language("zh"), get_language("ja")
    terms = translator.terminology
    base = translator.cache_key("Ketamine", en, zh, terms)
    assert base != Translator(endpoint.llm("b"), terminology=terminology).cache_key("Ketamine", en, zh, terms)
    assert base != translator.cache_key("Ketamine", en, ja, terms)
    assert base != translator.cache_key("Ketamine", en, zh, terms.with_user_entries([KETAMINE]))


def test_each_sentence_is_one_request_and_all_share_the_system_prompt(terminology, reference_pairs, reference_model, endpoint):
    titles = [p.en for p in reference_pairs if p.label == "TITLE"]
    results = Translator(endpoint.llm(), terminology=terminology, max_retries=0).translate_batch(titles, source="en", target="zh")
    assert len(endpoint.requests) == len(titles)
    # One system prompt (the batch's glossary terms) for all: a local model evaluates it once.
    assert len({json.dumps(r["messages"][0]) for r in endpoint.requests}) == 1
    assert sorted(r["messages"][-1]["content"] for r in endpoint.requests) == sorted(f"1. {t}" for t in titles)
    # Equal to the references up to the glossary's spellings, which the translator enforces.
    references = [p.zh for p in reference_pairs if p.label == "TITLE"]
    assert all(r.target[-8:] == ref[-8:] and "⟦" not in r.target for r, ref in zip(results, references))


def test_glossary_goes_into_the_prompt_and_variants_are_enforced(terminology, endpoint):
    endpoint.reply = lambda messages: "克他命减轻了抑郁症状。"
    result = Translator(endpoint.llm(), terminology=terminology).translate("Ketamine reduced depressive symptoms.", source="en", target="zh", glossary=[KETAMINE])
    assert "ketamine = 氯胺酮" in endpoint.requests[0]["messages"][0]["content"]
    assert result.target == "氯胺酮减轻了抑郁症状。"
    assert endpoint.requests[0]["temperature"] == 0


def test_enforcing_one_term_never_erases_another(terminology, endpoint):
    # The glossary lists 微管相关蛋白tau as a variant of tau蛋白; with "microtubule" in the source as well, turning it
    # into tau蛋白 would erase 微管.
    endpoint.reply = lambda messages: "1. 微管相关蛋白tau与微管结合，Tau蛋白聚集。"
    result = Translator(endpoint.llm(), terminology=terminology, max_retries=0).translate(
        "Tau binds microtubules, and the microtubule network collapses when tau aggregates.", source="en", target="zh"
    )
    assert result.target == "微管相关蛋白tau与微管结合，tau蛋白聚集。"

    # "对照" (a variant of 对照组, "controls") inside 随机对照试验 stays as it is; alone it becomes 对照组.
    endpoint.reply = lambda messages: "1. 在这项随机对照试验中，患者与正常对照相比。"
    result = Translator(endpoint.llm(), terminology=terminology, max_retries=0).translate(
        "In this randomized controlled trial, patients were compared with normal controls.", source="en", target="zh"
    )
    assert result.target == "在这项随机对照试验中，患者与正常对照组相比。"


def test_failing_segment_is_retried_stricter_then_flagged(terminology, endpoint):
    source = "The level was 356 ng/L in 18 patients."
    sent = protect(source).text
    assert sent == "The level was ⟦1⟧ in 18 patients."
    answers = iter(["18名患者的水平。", "18名患者的水平为⟦1⟧。"])
    endpoint.reply = lambda messages: next(answers)
    translator = Translator(endpoint.llm(), terminology=terminology, max_retries=1)
    result = translator.translate(source, source="en", target="zh")
    assert len(endpoint.requests) == 2
    # What caused the retry is kept with the answer that failed (a benchmark reads it).
    assert [(r.source, r.target, {p.check for p in r.errors}) for r in translator.retries] == [
        (source, "18名患者的水平。", {"placeholder", "numbers"})]
    first, retry = endpoint.requests[0]["messages"], endpoint.requests[1]["messages"]
    assert retry[0] == first[0]  # the shared system prompt: a local model reuses its evaluated prefix
    # The retry is told what the checks found, then gets the same numbered text.
    assert "Copy every ⟦1⟧ marker exactly once" in retry[-1]["content"] and "356" not in retry[-1]["content"]
    assert retry[-1]["content"].endswith(f"1. {sent}") and first[-1]["content"] == f"1. {sent}"
    assert "356 ng/L" in result.target and not result.flagged

    endpoint.reply = lambda messages: "患者。"
    endpoint.requests.clear()
    translator = Translator(endpoint.llm(), terminology=terminology, max_retries=2)
    flagged = translator.translate(source, source="en", target="zh")
    assert len(endpoint.requests) == 3 and flagged.flagged and len(translator.retries) == 2  # the last failure is flagged, not retried
    assert {"placeholder", "numbers"} <= {p.check for p in flagged.problems}


def test_a_number_attached_to_another_quantity_is_retried(terminology, endpoint):
    """Our own output is checked for numbers that changed places, not only `medbridge qa` (issue 14)."""
    source = "A total of 750 individuals with MCI, 529 with AD, and 304 controls were recruited by 12 centers in Europe."
    good = "欧洲的12个中心共招募了750名MCI患者、529名AD患者和304名对照组受试者。"
    answers = iter([good.replace("12个", "750个").replace("750名", "12名"), good])
    endpoint.reply = lambda messages: next(answers)
    translator = Translator(endpoint.llm(), terminology=terminology, max_retries=1)
    result = translator.translate(source, source="en", target="zh")
    assert [{p.check for p in r.errors} for r in translator.retries] == [{"number_attachment"}]
    assert result.target == good and not result.flagged


def test_markup_survives_translation(terminology, endpoint):
    source = "Effect of <i>APOE</i> ε4 on <b>memory</b>"
    sent = protect(source, markup=True).text

    def reply(messages):
        text = messages[-1]["content"]
        return text.replace("Effect of", "").replace(" on ", "对").replace("memory", "记忆") + "的影响"

    endpoint.reply = reply
    result = Translator(endpoint.llm(), terminology=terminology).translate(source, source="en", target="zh", markup=True)
    assert endpoint.requests[0]["messages"][-1]["content"] == f"1. {sent}"
    assert result.target == "<i>APOE</i> ε4对<b>记忆</b>的影响"


def test_traditional_chinese_comes_from_opencc(terminology, endpoint):
    endpoint.reply = lambda messages: "软件和内存的质量。"
    result = Translator(endpoint.llm(), terminology=terminology, max_retries=0).translate("Software and memory quality.", source="en", target="zh-Hant")
    assert result.target == "軟體和記憶體的質量。"
    assert "Simplified Chinese" in endpoint.requests[0]["messages"][0]["content"]
    # Between the two Chinese scripts no model is needed.
    assert Translator(endpoint.llm(), terminology=terminology).translate("阿茲海默症", source="zh-Hant", target="zh").target == "阿兹海默症"
    assert len(endpoint.requests) == 1


def test_blank_lines_and_paragraphs_keep_their_layout(terminology, endpoint):
    answers = {"1. This is the first paragraph.": "1. 这是第一段。", "1. This is the second paragraph.": "1. 这是第二段。"}
    endpoint.reply = lambda messages: answers[messages[-1]["content"]]
    text = "This is the first paragraph.\n\nThis is the second paragraph."
    result = Translator(endpoint.llm(), terminology=terminology).translate(text, source="en", target="zh")
    assert result.target == "这是第一段。\n\n这是第二段。" and len(endpoint.requests) == 2


def test_any_direction_uses_the_language_names(terminology, endpoint):
    endpoint.reply = lambda messages: "La cétamine a réduit les symptômes."
    result = Translator(endpoint.llm(), terminology=terminology).translate("氯胺酮减轻了症状。", source="zh", target="fr")
    system = endpoint.requests[0]["messages"][0]["content"]
    assert "Simplified Chinese text into French" in system and result.target.startswith("La cétamine")


def test_generation_budget_follows_the_input_length(terminology, endpoint):
    endpoint.reply = lambda messages: "这是译文。"
    translator = Translator(endpoint.llm(), terminology=terminology, max_retries=0)
    translator.translate("This is a short sentence.", source="en", target="zh")
    translator.translate("This is a much longer sentence that goes on, " * 12 + "and ends.", source="en", target="zh")
    short, long = (r["max_tokens"] for r in endpoint.requests)
    assert short < 64 and long > 4 * short


def test_structured_label_the_model_copies_gets_its_glossary_rendering(terminology, endpoint):
    # The 1.5B model keeps capitals labels as if they were acronyms: "OBJECTIVE:" came back untranslated.
    endpoint.reply = lambda messages: "1. ⟦1⟧DESIGN, SETTING, AND PARTICIPANTS:⟦2⟧ 研究包括两部分。"
    source = "<b>DESIGN, SETTING, AND PARTICIPANTS:</b> The study had 2 parts."
    result = Translator(endpoint.llm(), terminology=terminology, max_retries=0).translate(source, source="en", target="zh", markup=True)
    assert result.target == "<b>设计、场所和参与者：</b> 研究包括两部分。"


def test_label_table_composes_labels_and_refuses_unknown_words():
    assert label_zh("DESIGN, SETTING, AND PARTICIPANTS") == "设计、场所和参与者"
    assert label_zh("MATERIALS AND METHODS") == "材料与方法" and label_zh("RESULTS") == "结果"
    assert label_zh("SUPPLEMENTARY DATA") is None
    assert localise_label("SUPPLEMENTARY DATA: 见附录。", "SUPPLEMENTARY DATA: See the appendix.") == "SUPPLEMENTARY DATA: 见附录。"


def test_each_text_is_handed_over_when_final_and_retries_join_the_same_run(terminology, reference_pairs, reference_model, endpoint):
    pairs = [p for p in reference_pairs if p.pmid == "19622817"]
    texts = [p.en for p in pairs]
    obedient = [r.target for r in Translator(endpoint.llm(), terminology=terminology, max_retries=1).translate_batch(texts, source="en", target="zh")]
    endpoint.requests.clear()
    first_try: set[str] = set()

    def drops_markers_once(messages):
        answer = reference_model(messages)
        text = messages[-1]["content"].splitlines()[-1]  # the numbered sentence, after any retry instructions
        if "⟦1⟧" in text and text not in first_try:  # the first answer to a sentence with markers loses one
            first_try.add(text)
            return answer.replace("⟦1⟧", "", 1)
        return answer

    endpoint.reply = drops_markers_once
    handed: list[tuple[int, str]] = []
    translator = Translator(endpoint.llm(), terminology=terminology, max_retries=1)
    results = translator.translate_batch(texts, source="en", target="zh", on_text=lambda index, unit: handed.append((index, unit.target)))

    assert sorted(index for index, _ in handed) == list(range(len(pairs)))
    assert dict(handed) == {i: r.target for i, r in enumerate(results)}
    # Every sentence that lost a marker was retried, told so, and its retry repaired it.
    told = [r for r in endpoint.requests if "Copy every ⟦1⟧ marker" in r["messages"][-1]["content"]]
    assert len(first_try) >= 3 and len(told) >= len(first_try)
    assert [r.target for r in results] == obedient
    assert translator.calls == len(endpoint.requests)


def test_a_lone_answer_with_a_stray_number_loses_it(terminology, endpoint):
    endpoint.reply = lambda messages: "2. 氯胺酮减轻了抑郁症状。"
    result = Translator(endpoint.llm(), terminology=terminology, max_retries=0).translate("Ketamine reduced depressive symptoms.", source="en", target="zh")
    assert result.target == "氯胺酮减轻了抑郁症状。" and not result.flagged
