"""UI strings: Chinese first, English available (``?lang=en`` or the language switch, kept in a cookie)."""

from __future__ import annotations

from fastapi import Request

LANGS = ("zh", "en")

STRINGS: dict[str, dict[str, str]] = {
    "app_tagline": {"zh": "中英双语生物医学文献工作台", "en": "Bilingual biomedical literature workbench"},
    "nav_search": {"zh": "文献检索", "en": "Search"},
    "nav_chat": {"zh": "对话检索", "en": "Chat search"},
    "nav_documents": {"zh": "文档翻译", "en": "Documents"},
    "nav_research": {"zh": "文献综述", "en": "Research"},
    "search_placeholder": {"zh": "用中文或英文提问，例如：阿尔茨海默病的脑脊液生物标志物", "en": "Ask in English or Chinese, e.g. CSF biomarkers in Alzheimer's disease"},
    "search_button": {"zh": "检索", "en": "Search"},
    "home_intro": {"zh": "检索 PubMed 文献，中英对照阅读摘要，翻译整篇文档，生成有引用的文献综述。", "en": "Search PubMed literature, read abstracts side by side with a translation, translate whole documents, write cited reviews."},
    "corpus_stats": {"zh": "本地文献库：{records} 篇记录，其中 {with_abstract} 篇有摘要", "en": "Local corpus: {records} records, {with_abstract} with abstracts"},
    "recent_records": {"zh": "示例文献", "en": "Sample records"},
    "abstract": {"zh": "摘要", "en": "Abstract"},
    "no_abstract": {"zh": "该记录没有摘要。", "en": "No abstract available."},
    "authors": {"zh": "作者", "en": "Authors"},
    "affiliations": {"zh": "作者单位", "en": "Affiliations"},
    "mesh_terms": {"zh": "MeSH 主题词", "en": "MeSH terms"},
    "major_topic": {"zh": "* 表示主要主题", "en": "* marks a major topic"},
    "keywords": {"zh": "关键词", "en": "Keywords"},
    "chemicals": {"zh": "化学物质", "en": "Chemicals"},
    "article_types": {"zh": "文献类型", "en": "Publication types"},
    "language": {"zh": "语种", "en": "Language"},
    "published": {"zh": "出版", "en": "Published"},
    "export_citation": {"zh": "导出引用", "en": "Export citation"},
    "other_abstracts": {"zh": "其他语种摘要", "en": "Other abstracts"},
    "references": {"zh": "参考文献", "en": "References"},
    "references_in_corpus": {"zh": "篇参考文献（PMID）", "en": "references with PMIDs"},
    "cited_by": {"zh": "被引", "en": "Cited by"},
    "in_corpus": {"zh": "本地文献库中 {n} 篇", "en": "{n} in the corpus"},
    "not_found": {"zh": "未找到", "en": "Not found"},
    "error": {"zh": "出错了", "en": "Error"},
    "translate_to": {"zh": "译文语言", "en": "Translate to"},
    "translation_pending": {"zh": "正在生成译文…", "en": "Translating…"},
    "translation_cached": {"zh": "译文已缓存", "en": "Translation cached"},
    "translation_unavailable": {"zh": "暂无法翻译", "en": "Translation unavailable"},
    "translation_working": {"zh": "翻译中", "en": "Translating"},
    "translation_finished": {"zh": "翻译完成", "en": "Translation finished"},
    "qa_flagged": {"zh": "质量检查提示", "en": "Quality check"},
    "switch_lang": {"zh": "English", "en": "中文"},
}


def ui_lang(request: Request) -> str:
    lang = request.query_params.get("lang") or request.cookies.get("lang") or "zh"
    return lang if lang in LANGS else "zh"


def translator_for(lang: str, table: dict[str, dict[str, str]] = STRINGS):
    """``t(key, **values)``: the string in ``lang`` (Chinese when missing, the key itself when unknown)."""

    def t(key: str, **values) -> str:
        text = table.get(key, {}).get(lang) or table.get(key, {}).get("zh") or key
        return text.format(**values) if values else text

    return t


def strings_for(request: Request, table: dict[str, dict[str, str]]):
    """A page's own string table, in the language of this request."""
    return translator_for(ui_lang(request), table)
