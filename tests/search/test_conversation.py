"""Search conversations on the real sample: each kind of follow-up, undo, references to results, chips,
persistence; every constraint checked on the records' own metadata."""

from datetime import date

import pytest

from medbridge.errors import MedbridgeError, NotFoundError
from medbridge.search.conversation import Conversations, SearchState

TODAY = date(2026, 6, 1)


@pytest.fixture
def chats(sample_store, sample_engine) -> Conversations:
    return Conversations(sample_store, sample_engine, page_size=20, today=TODAY)


def _mesh_uis(store, hits) -> list[set[str]]:
    records = store.get_records(h.pmid for h in hits)
    return [{m.ui for m in records[h.pmid].mesh} for h in hits]


def _concept_uis(result) -> list[str]:
    return [c.mesh_ui for c in result.conversation.state.concepts]


def test_first_turn_then_add_a_concept(chats):
    conversation = chats.start()
    first = chats.say(conversation, "阿尔茨海默病的炎症")
    assert "D000544" in _concept_uis(first)  # Alzheimer Disease
    second = chats.say(conversation, "再加上小胶质细胞")
    assert _concept_uis(second)[: len(_concept_uis(first))] == _concept_uis(first)
    assert "D017628" in _concept_uis(second)  # Microglia
    assert "Microglia[mh]" in second.to_dict()["query"]
    assert second.turn.reply.startswith("添加：小胶质细胞")
    top = second.hits[:5]
    assert all("microglia" in (h.title + h.snippet.text).lower() or "D017628" in uis for h, uis in zip(top, _mesh_uis(chats.store, top)))


def test_replace_and_drop_concepts(chats):
    conversation = chats.start()
    chats.say(conversation, "痴呆与炎症")
    replaced = chats.say(conversation, "不要痴呆，换成淀粉样蛋白")
    labels = [c.source for c in replaced.conversation.state.concepts]
    assert "痴呆" not in labels and "淀粉样蛋白" in labels and "炎症" in labels
    assert "去掉：痴呆" in replaced.turn.reply and "添加：淀粉样蛋白" in replaced.turn.reply
    dropped = chats.say(conversation, "去掉炎症")
    assert [c.source for c in dropped.conversation.state.concepts] == ["淀粉样蛋白"]


def test_exclusion_keeps_the_concept_out_of_every_hit(chats):
    conversation = chats.start()
    chats.say(conversation, "alzheimer disease biomarkers")
    result = chats.say(conversation, "exclude tau proteins")
    assert [c.mesh_ui for c in result.conversation.state.excluded] == ["D016875"]  # Tau Proteins
    assert " NOT " in result.to_dict()["query"]
    assert result.hits
    records = chats.store.get_records(h.pmid for h in result.hits)
    for record in records.values():
        assert "tau" not in (record.title + " " + record.abstract_text).lower()
        assert "D016875" not in {m.ui for m in record.mesh}


def test_years_types_species_on_the_records(chats):
    conversation = chats.start()
    chats.say(conversation, "阿尔茨海默病的治疗")
    years = chats.say(conversation, "只看2015年以来的")
    assert years.conversation.state.filters.year_from == 2015
    assert all(h.year >= 2015 for h in years.hits)
    rct = chats.say(conversation, "只要RCT")
    assert rct.conversation.state.filters.publication_types == ("Randomized Controlled Trial",)
    assert rct.hits and all("Randomized Controlled Trial" in h.publication_types for h in rct.hits)
    humans = chats.say(conversation, "排除动物实验")
    assert humans.conversation.state.filters.species == "not_animals"
    assert "NOT (animals[mh] NOT humans[mh])" in humans.to_dict()["query"]
    records = chats.store.get_records(h.pmid for h in humans.hits)
    for record in records.values():
        descriptors = {m.descriptor for m in record.mesh}
        assert "Humans" in descriptors or not descriptors & {"Animals", "Mice", "Rats", "Mice, Transgenic"}


def test_relative_years_and_humans_only(chats):
    conversation = chats.start()
    chats.say(conversation, "amyloid PET imaging")
    recent = chats.say(conversation, "past ten years, humans only")
    f = recent.conversation.state.filters
    assert (f.year_from, f.year_to) == (2017, 2026) and f.species == "humans"
    records = chats.store.get_records(h.pmid for h in recent.hits)
    assert recent.hits and all(2017 <= r.year <= 2026 and "Humans" in {m.descriptor for m in r.mesh} for r in records.values())


def test_language_abstract_and_journal(chats):
    conversation = chats.start()
    chats.say(conversation, "阿尔茨海默病")
    state = chats.say(conversation, "只看英文文献，要有摘要的").conversation.state
    assert state.filters.languages == ("eng",) and state.filters.has_abstract is True
    journal = chats.say(conversation, "in the journal Neurology")
    assert journal.conversation.state.filters.journals == ("Neurology",)
    records = chats.store.get_records(h.pmid for h in journal.hits)
    assert journal.hits and all(r.journal.medline_ta == "Neurology" and r.has_abstract and "eng" in r.languages for r in records.values())


def test_sort_by_cited_by_and_date(chats):
    conversation = chats.start()
    chats.say(conversation, "阿尔茨海默病 脑脊液 生物标志物")
    cited = chats.say(conversation, "按被引次数排序")
    counts = [h.cited_by for h in cited.hits]
    assert cited.conversation.state.sort == "cited_by"
    assert counts == sorted(counts, reverse=True) and counts[0] > 0
    assert counts[0] == chats.store.cited_by_counts([cited.hits[0].pmid])[cited.hits[0].pmid]
    newest = chats.say(conversation, "sort by date")
    years = [h.year or 0 for h in newest.hits]
    assert years == sorted(years, reverse=True)


def test_similar_to_a_shown_result_and_its_summary(chats):
    conversation = chats.start()
    first = chats.say(conversation, "阿尔茨海默病的脑脊液生物标志物")
    third = first.hits[2].pmid
    summary = chats.say(conversation, "第2篇讲了什么")
    assert summary.turn.summary["pmid"] == first.hits[1].pmid and summary.turn.summary["points"]
    assert summary.conversation.state.to_dict() == first.conversation.state.to_dict()  # a question changes nothing
    similar = chats.say(conversation, "第3篇的类似文章")
    assert similar.conversation.state.similar_to == third
    assert third not in [h.pmid for h in similar.hits] and similar.hits
    assert "PMID" in similar.turn.reply
    assert chats.say(conversation, "第99篇讲了什么").turn.reply == "当前结果中没有第 99 篇"


def test_undo_returns_to_the_state_before(chats):
    conversation = chats.start()
    first = chats.say(conversation, "tau and neuroinflammation")
    chats.say(conversation, "only reviews")
    undone = chats.say(conversation, "undo")
    assert undone.conversation.state.to_dict() == first.conversation.state.to_dict()
    assert [h.pmid for h in undone.hits] == [h.pmid for h in first.hits]
    chats.say(conversation, "撤销")
    assert chats.say(conversation, "撤销").turn.reply == "没有可以撤销的步骤"


def test_removing_a_chip_is_a_turn_and_can_be_undone(chats):
    conversation = chats.start()
    before = chats.say(conversation, "近五年阿尔茨海默病的综述")
    values = [c.value for c in before.conversation.state.chips("zh")]
    assert "years" in values and "type:Review" in values
    removed = chats.remove_chip(conversation, "type:Review", "zh")
    assert removed.conversation.state.filters.publication_types == ()
    assert chats.undo(conversation, "zh").conversation.state.filters.publication_types == ("Review",)
    with pytest.raises(MedbridgeError, match="no chip 'type:Trial'"):
        chats.remove_chip(conversation, "type:Trial", "zh")


def test_threads_persist_and_reopen(chats, sample_store, sample_engine):
    conversation = chats.start()
    chats.say(conversation, "metformin and cognition")
    last = chats.say(conversation, "last 5 years")
    reopened_chats = Conversations(sample_store, sample_engine, today=TODAY)
    reopened = reopened_chats.get(conversation.id)
    assert [t.text for t in reopened.turns] == ["metformin and cognition", "last 5 years"]
    assert reopened.state.to_dict() == last.conversation.state.to_dict()
    assert [h.pmid for h in reopened_chats.results(reopened).hits] == [h.pmid for h in last.hits]
    with pytest.raises(NotFoundError):
        chats.get("nope")


def test_nothing_understood_changes_nothing(chats):
    conversation = chats.start()
    first = chats.say(conversation, "阿尔茨海默病")
    idle = chats.say(conversation, "好的谢谢")
    assert idle.turn.reply.startswith("没有从“好的谢谢”中识别出新的条件")
    assert idle.conversation.state.to_dict() == first.conversation.state.to_dict()


def test_state_round_trips_through_json(chats):
    conversation = chats.start()
    result = chats.say(conversation, "近五年阿尔茨海默病的RCT，排除动物实验，按被引次数排序")
    state = result.conversation.state
    assert SearchState.from_dict(state.to_dict()) == state
    assert state.sort == "cited_by" and state.filters.species == "not_animals"
    assert state.filters.publication_types == ("Randomized Controlled Trial",)
