"""The one string table: every message, label, error, job stage, QA note and conversation reply in both UI languages.

Chinese first, English available (``?lang=en`` or the language switch, kept in a cookie; web/i18n.py reads it
from the request). Keys of a page's own strings carry its name ("search.results"); ``translator_for(lang,
"search")`` looks a key up in that part first, then among the shared ones. Publication types and languages have their own keys
("pt.Review", "la.eng"), so the same table names them everywhere. Add new strings here, in both
languages: tests walk every page in Chinese and fail on an English string of this table.
"""

from __future__ import annotations

import re

from medbridge.corpus.names import LANGUAGE_NAMES, PUBLICATION_TYPES_ZH

LANGS = ("zh", "en")

STRINGS: dict[str, dict[str, str]] = {
    # -- shared: navigation, record pages, errors ---------------------------------------------------
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
    "translate_to": {"zh": "译文语言", "en": "Translate to"},
    "translation_pending": {"zh": "正在生成译文…", "en": "Translating…"},
    "translation_cached": {"zh": "译文已缓存", "en": "Translation cached"},
    "translation_unavailable": {"zh": "暂无法翻译", "en": "Translation unavailable"},
    "translation_working": {"zh": "翻译中", "en": "Translating"},
    "translation_finished": {"zh": "翻译完成", "en": "Translation finished"},
    "no_llm": {"zh": "未配置翻译模型（设置项 llm.backend）", "en": "no LLM configured (settings: llm.backend)"},
    "qa_flagged": {"zh": "质量检查提示", "en": "Quality check"},
    "switch_lang": {"zh": "English", "en": "中文"},
    "switch_lang_label": {"zh": "界面语言", "en": "Interface language"},
    "footer": {"zh": "PubMed® 记录为美国国家医学图书馆（NLM）数据", "en": "PubMed® records are NLM data"},
    "home_link": {"zh": "返回首页", "en": "Back to the home page"},
    # errors, as pages in the UI language
    "not_found": {"zh": "未找到", "en": "Not found"},
    "error": {"zh": "出错了", "en": "Error"},
    "bad_request": {"zh": "请求有误", "en": "Bad request"},
    "page_not_found": {"zh": "没有这个页面：{path}", "en": "There is no page at {path}"},
    "method_not_allowed": {"zh": "此页面不支持该请求方式", "en": "This page does not accept that kind of request"},
    "invalid_value": {"zh": "“{name}”的值“{value}”无效", "en": "“{value}” is not a valid {name}"},
    "missing_value": {"zh": "缺少“{name}”", "en": "{name} is missing"},
    "record_not_found": {"zh": "本地文献库中没有 PMID {pmid}", "en": "PMID {pmid} is not in the local corpus"},
    "job_not_found": {"zh": "没有这个任务：{job}", "en": "No such job: {job}"},
    "unsupported_language": {"zh": "不支持的语言“{code}”；可选：{supported}", "en": "Unsupported language “{code}”; supported: {supported}"},
    "internal_error": {"zh": "服务器内部错误，请稍后重试", "en": "Internal server error; please try again"},
    # accounts: sign-in, tokens, CSRF, limits
    "sign_in": {"zh": "登录", "en": "Sign in"},
    "sign_out": {"zh": "退出登录", "en": "Sign out"},
    "signed_in_as": {"zh": "当前用户：{name}", "en": "Signed in as {name}"},
    "user_name": {"zh": "用户名", "en": "User name"},
    "password": {"zh": "密码", "en": "Password"},
    "sign_in_intro": {"zh": "请使用管理员为您创建的账号登录。", "en": "Sign in with the account your administrator created for you."},
    "sign_in_failed": {"zh": "用户名或密码错误", "en": "Wrong user name or password"},
    "signed_out": {"zh": "您已退出登录。", "en": "You have signed out."},
    "sign_in_required": {"zh": "请先登录，或在请求中附上 API 令牌", "en": "Sign in first, or send an API token"},
    "sign_in_proxy": {"zh": "请通过本机构的登录代理访问，或在请求中附上 API 令牌", "en": "Sign in through the institution's proxy, or send an API token"},
    "bad_token": {"zh": "API 令牌无效或已被撤销", "en": "Invalid or revoked API token"},
    "admin_only": {"zh": "只有管理员可以执行此操作", "en": "Only administrators can do this"},
    "csrf_failed": {"zh": "表单的安全令牌缺失或已过期，请刷新页面后重试", "en": "The form's security token is missing or stale; reload the page and try again"},
    "csrf_cross_site": {"zh": "已拒绝来自其他网站（{origin}）的请求", "en": "Cross-site request from {origin} refused"},
    "rate_limited": {"zh": "请求过于频繁：每分钟最多 {limit} 次模型请求，请稍后再试", "en": "Too many requests: at most {limit} model requests a minute; try again shortly"},
    "quota_exceeded": {"zh": "已达今日配额：24 小时内最多 {limit} 个综述或文档翻译任务", "en": "Daily quota reached: at most {limit} research or document jobs in 24 hours"},
    "sign_in_limited": {"zh": "登录尝试过于频繁，请一分钟后再试", "en": "Too many sign-in attempts; wait a minute"},
    "upload_too_large": {"zh": "上传的文件超过 {limit} MB 的上限", "en": "The upload is over the {limit} MB limit"},
    # -- search page --------------------------------------------------------------------------------
    "search.searched_for": {"zh": "实际检索式", "en": "Searched for"},
    "search.concepts": {"zh": "识别的概念", "en": "Concepts"},
    "search.ranking_terms": {"zh": "仅用于排序", "en": "Used for ranking only"},
    "search.results": {"zh": "共 {total} 条结果，显示第 {first}–{last} 条", "en": "{first}–{last} of {total} results"},
    "search.no_results": {"zh": "没有找到结果。试试更少或更宽泛的词。", "en": "No results. Try fewer or broader terms."},
    "search.only_one_concept": {"zh": "本地文献库中仅有 {total} 篇文献提到{concepts}", "en": "Only {total} record(s) in the local corpus mention {concepts}"},
    "search.only_all_concepts": {"zh": "本地文献库中仅有 {total} 篇文献同时提到{concepts}", "en": "Only {total} record(s) in the local corpus mention all of {concepts}"},
    "search.only_query": {"zh": "本地文献库中仅有 {total} 篇文献符合检索式", "en": "Only {total} record(s) in the local corpus match the query"},
    "search.none_about": {"zh": "本地文献库中没有关于{concepts}的文献", "en": "The local corpus has no record about {concepts}"},
    "search.none_all_concepts": {"zh": "本地文献库中没有同时提到{concepts}的文献", "en": "No record in the local corpus mentions all of {concepts}"},
    "search.none_query": {"zh": "本地文献库中没有符合检索式的文献", "en": "No record in the local corpus matches the query"},
    "search.with_filters": {"zh": "（在当前筛选条件下）", "en": " (with the current filters)"},
    "search.concept_joiner": {"zh": "和", "en": " and "},
    "search.quote": {"zh": "“{text}”", "en": "“{text}”"},
    "search.fetch_hint": {"zh": "从 PubMed 获取更多文献到本地文献库：", "en": "Fetch more records from PubMed into the local corpus:"},
    "search.fetch_concept": {"zh": "获取关于{concept}的文献：", "en": "Fetch records about {concept}:"},
    "search.copy": {"zh": "复制命令", "en": "Copy command"},
    "search.copied": {"zh": "已复制", "en": "Copied"},
    "search.related": {"zh": "相关文献（未包含全部检索词）", "en": "Related records (not containing every search term)"},
    "search.related_note": {"zh": "以下文献不在检索结果中，按部分检索词或语义相近列出。", "en": "These records are not results: they share some of the terms or the meaning of the query."},
    "search.lacks": {"zh": "未包含：{concepts}", "en": "Lacks: {concepts}"},
    "search.list_joiner": {"zh": "、", "en": ", "},
    "search.sort_relevance": {"zh": "按相关性", "en": "Best match"},
    "search.sort_date": {"zh": "按日期", "en": "Most recent"},
    "search.sort_cited_by": {"zh": "按被引次数", "en": "Most cited"},
    "search.cited_by": {"zh": "被引 {n} 次", "en": "cited by {n}"},
    "search.sort": {"zh": "排序", "en": "Sort"},
    "search.year": {"zh": "年份", "en": "Year"},
    "search.year_from": {"zh": "起始年份", "en": "From year"},
    "search.year_to": {"zh": "截止年份", "en": "To year"},
    "search.pt": {"zh": "文献类型", "en": "Article type"},
    "search.pt_more": {"zh": "其他类型", "en": "Other types"},
    "search.journal": {"zh": "期刊", "en": "Journal"},
    "search.la": {"zh": "语种", "en": "Language"},
    "search.has_abstract": {"zh": "摘要", "en": "Abstract"},
    "search.with_abstract": {"zh": "有摘要", "en": "Has abstract"},
    "search.without_abstract": {"zh": "无摘要", "en": "No abstract"},
    "search.filters": {"zh": "筛选", "en": "Filters"},
    "search.clear_filters": {"zh": "清除筛选", "en": "Clear filters"},
    "search.previous": {"zh": "上一页", "en": "Previous"},
    "search.next": {"zh": "下一页", "en": "Next"},
    "search.pages": {"zh": "分页", "en": "Pages"},
    "search.syntax_error": {"zh": "检索式有误", "en": "Query syntax error"},
    "search.apply": {"zh": "应用", "en": "Apply"},
    "search.similar": {"zh": "相似文献", "en": "Similar articles"},
    "search.shared_mesh": {"zh": "共同主题词", "en": "Shared MeSH"},
    "search.shared_refs": {"zh": "共同参考文献", "en": "shared references"},
    "search.ignored_year": {"zh": "年份“{value}”无效，已忽略", "en": "“{value}” is not a year; ignored"},
    "search.ignored_value": {"zh": "“{name}”的值“{value}”无效，已忽略", "en": "“{value}” is not a valid {name}; ignored"},
    "search.swapped_years": {"zh": "起始年份晚于截止年份，已对调为 {start}–{end}", "en": "The year range was inverted; searched {start}–{end}"},
    # -- documents pages -----------------------------------------------------------------------
    "documents.title": {"zh": "文档翻译", "en": "Document translation"},
    "documents.intro": {"zh": "上传 PDF、Word 或 PowerPoint 文件，保留原有版式翻译成另一种语言；公式、图片和表格线保持不变。",
              "en": "Upload a PDF, Word or PowerPoint file and get it back in another language, layout kept; formulas, images and table rules untouched."},
    "documents.file": {"zh": "文件（PDF / DOCX / PPTX）", "en": "File (PDF / DOCX / PPTX)"},
    "documents.target": {"zh": "目标语言", "en": "Translate to"},
    "documents.dual": {"zh": "同时生成双语对照版", "en": "Also make a bilingual version"},
    "documents.glossary": {"zh": "术语表 CSV（可选，en,zh 两列，优先于内置术语）", "en": "Glossary CSV (optional, columns en,zh; wins over the built-in one)"},
    "documents.submit": {"zh": "开始翻译", "en": "Translate"},
    "documents.recent": {"zh": "最近的任务", "en": "Recent jobs"},
    "documents.state": {"zh": "状态", "en": "State"},
    "documents.progress": {"zh": "进度", "en": "Progress"},
    "documents.download": {"zh": "下载译文", "en": "Download translation"},
    "documents.download_dual": {"zh": "下载双语对照版", "en": "Download bilingual version"},
    "documents.cancel": {"zh": "取消", "en": "Cancel"},
    "documents.resume": {"zh": "继续", "en": "Resume"},
    "documents.no_jobs": {"zh": "还没有任务。", "en": "No jobs yet."},
    "documents.findings": {"zh": "质量检查发现的问题（共 {n} 处）", "en": "Quality check findings ({n})"},
    "documents.no_findings": {"zh": "质量检查未发现问题。", "en": "The quality check found no problems."},
    "documents.findings_more": {"zh": "另有 {n} 处未列出。", "en": "{n} more not listed."},
    "documents.part_page": {"zh": "第 {n} 页", "en": "Page {n}"},
    "documents.part_slide": {"zh": "第 {n} 张幻灯片", "en": "Slide {n}"},
    "documents.part_part": {"zh": "第 {n} 部分", "en": "Part {n}"},
    "documents.flagged": {"zh": "重试后仍未通过，请核对原文", "en": "still failing after retries: check against the original"},
    "documents.queued": {"zh": "排队中", "en": "queued"},
    "documents.running": {"zh": "进行中", "en": "running"},
    "documents.done": {"zh": "已完成", "en": "done"},
    "documents.failed": {"zh": "失败", "en": "failed"},
    "documents.cancelled": {"zh": "已取消", "en": "cancelled"},
    # -- research pages ------------------------------------------------------------------------
    "research.title": {"zh": "文献综述", "en": "Research review"},
    "research.intro": {"zh": "提出一个问题，从本地文献库生成有引用的综述：每个研究发现都注明出处，每条引用都经过核查。",
              "en": "Ask a question and get a cited review of the local corpus: every finding cited, every citation checked."},
    "research.question": {"zh": "问题", "en": "Question"},
    "research.placeholder": {"zh": "例如：阿尔茨海默病的睡眠障碍与认知下降", "en": "e.g. CSF biomarkers for predicting Alzheimer's disease in MCI"},
    "research.lang": {"zh": "综述语言", "en": "Review language"},
    "research.auto": {"zh": "与问题相同", "en": "Same as the question"},
    "research.max_sources": {"zh": "最多文献数", "en": "Max sources"},
    "research.submit": {"zh": "生成综述", "en": "Write the review"},
    "research.recent": {"zh": "最近的综述", "en": "Recent reviews"},
    "research.no_jobs": {"zh": "还没有综述。", "en": "No reviews yet."},
    "research.state": {"zh": "状态", "en": "State"},
    "research.cancel": {"zh": "取消", "en": "Cancel"},
    "research.resume": {"zh": "继续", "en": "Resume"},
    "research.downloads": {"zh": "下载", "en": "Download"},
    "research.evidence": {"zh": "证据表 CSV", "en": "Evidence table CSV"},
    "research.queued": {"zh": "排队中", "en": "queued"},
    "research.running": {"zh": "进行中", "en": "running"},
    "research.done": {"zh": "已完成", "en": "done"},
    "research.failed": {"zh": "失败", "en": "failed"},
    "research.cancelled": {"zh": "已取消", "en": "cancelled"},
    "research.planning": {"zh": "规划检索", "en": "planning"},
    "research.searching": {"zh": "检索文献", "en": "searching"},
    "research.reading": {"zh": "阅读文献", "en": "reading"},
    "research.writing": {"zh": "撰写综述", "en": "writing"},
    "research.checking": {"zh": "核查引用", "en": "checking"},
    "research.translating": {"zh": "翻译", "en": "translating"},
    "research.delivering": {"zh": "生成文件", "en": "delivering"},
}

# Syntax errors of PubMed queries: the English is QuerySyntaxError.reason with {placeholders} for its values.
STRINGS.update({
    "syntax.at": {"zh": "检索式第 {position} 个字符处有误：{reason}", "en": "query syntax error at position {position}: {reason}"},
    "syntax.quote": {"zh": "引号没有闭合", "en": "this quote is never closed"},
    "syntax.empty_phrase": {"zh": "引号内为空", "en": "empty quoted phrase"},
    "syntax.tag_open": {"zh": "字段标签缺少“]”", "en": "this field tag is never closed with ']'"},
    "syntax.tag_close": {"zh": "“]”没有对应的“[”", "en": "']' without a matching '['"},
    "syntax.empty": {"zh": "检索式为空", "en": "the query is empty"},
    "syntax.paren_close": {"zh": "“)”没有对应的“(”", "en": "')' without a matching '('"},
    "syntax.unexpected": {"zh": "此处不应出现 {token}", "en": "unexpected {token}"},
    "syntax.ends": {"zh": "检索式在应有检索词的地方结束了", "en": "the query ends where a term was expected"},
    "syntax.operator": {"zh": "{operator} 两侧都需要检索词", "en": "{operator} needs a term on each side"},
    "syntax.paren_term": {"zh": "此处应为检索词，却是“)”", "en": "')' where a term was expected"},
    "syntax.tag_first": {"zh": "字段标签 [{tag}] 必须跟在检索词后面", "en": "field tag [{tag}] must follow a term"},
    "syntax.empty_parens": {"zh": "括号内为空", "en": "empty parentheses"},
    "syntax.paren_open": {"zh": "“(”没有闭合", "en": "this '(' is never closed"},
    "syntax.tag_group": {"zh": "字段标签只能用于检索词，不能用于括号分组", "en": "a field tag applies to a term, not to a parenthesised group"},
    "syntax.unknown_tag": {"zh": "未知的字段标签 [{tag}]（可用：{known}）", "en": "unknown field tag [{tag}] (known: {known})"},
    "syntax.truncation_end": {"zh": "截词符“*”只能放在检索词末尾", "en": "'*' truncation is only allowed at the end of a term"},
    "syntax.truncation_stem": {"zh": "“*”前至少需要 {count} 个字符", "en": "truncation needs at least {count} characters before '*'"},
    "syntax.pmid": {"zh": "[pmid] 需要数字，而不是 {value}", "en": "[pmid] needs a number, got {value}"},
    "syntax.dp": {"zh": "[dp] 需要年份或 2015:2020 这样的范围，而不是 {value}", "en": "[dp] needs a year or a range like 2015:2020, got {value}"},
    "syntax.dp_range": {"zh": "日期范围 {start}:{end} 的结束早于开始", "en": "date range {start}:{end} ends before it starts"},
})

# Stages of document jobs (medbridge.documents.pipeline), as the job page shows them.
STRINGS.update({
    "documents.parse": {"zh": "解析文档", "en": "reading the file"},
    "documents.find_paragraphs": {"zh": "识别段落", "en": "finding paragraphs"},
    "documents.translate": {"zh": "翻译", "en": "translating"},
    "documents.check_quality": {"zh": "质量检查", "en": "checking quality"},
    "documents.typeset": {"zh": "排版", "en": "typesetting"},
    "documents.render": {"zh": "生成文件", "en": "writing the file"},
})

# The conversation page (routes/chat.py).
STRINGS.update({
    "chat.chat_title": {"zh": "对话检索", "en": "Search conversation"},
    "chat.chat_intro": {"zh": "先提一个问题，再用追问逐步收窄：再加上炎症、只看近五年的、只要RCT、排除动物实验、按被引次数排序、第2篇讲了什么、第3篇的类似文章、撤销。",
                   "en": "Ask a question, then narrow it with follow-ups: add inflammation, last 5 years, only RCTs, exclude animal studies, sort by citations, what is #2 about, similar to #3, undo."},
    "chat.placeholder_first": {"zh": "例如：阿尔茨海默病的炎症机制", "en": "e.g. inflammation in Alzheimer's disease"},
    "chat.placeholder_next": {"zh": "追问，例如：只看近五年的RCT", "en": "Follow up, e.g. only RCTs from the last 5 years"},
    "chat.send": {"zh": "发送", "en": "Send"},
    "chat.undo": {"zh": "撤销", "en": "Undo"},
    "chat.new_chat": {"zh": "新对话", "en": "New conversation"},
    "chat.state": {"zh": "当前条件", "en": "Current state"},
    "chat.remove_chip": {"zh": "移除", "en": "Remove"},
    "chat.searched_for": {"zh": "实际检索式", "en": "Searched for"},
    "chat.results": {"zh": "共 {total} 条结果", "en": "{total} results"},
    "chat.no_results": {"zh": "没有结果。试试撤销或去掉一个条件。", "en": "No results. Try undo or remove a chip."},
    "chat.reasons": {"zh": "推荐理由", "en": "Why recommended"},
    "chat.best_sentence": {"zh": "最相关的一句", "en": "Best answering sentence"},
    "chat.cited_by": {"zh": "被引 {n} 次", "en": "cited by {n}"},
    "chat.share": {"zh": "分享链接", "en": "Share link"},
    "chat.answer": {"zh": "生成简短回答", "en": "Write a short answer"},
    "chat.answer_note": {"zh": "回答的每一句都引用文献，并经过核查；无法核实的句子不显示。", "en": "Every sentence cites its records and is checked; unsupported sentences are not shown."},
    "chat.answer_unavailable": {"zh": "未配置语言模型（llm.backend = none），只提供推荐理由和原文摘句。", "en": "No language model configured (llm.backend = none): reasons and quoted sentences only."},
    "chat.summary_untranslated": {"zh": "（英文原句，暂无缓存译文）", "en": "(original English; no cached translation yet)"},
})

STRINGS.update({  # conversation replies and chips (search/conversation.py), shown by chat's CLI and page
    "conversation.added": {"zh": "添加：{items}", "en": "Added: {items}"},
    "conversation.removed": {"zh": "去掉：{items}", "en": "Removed: {items}"},
    "conversation.excluded": {"zh": "排除：{items}", "en": "Excluded: {items}"},
    "conversation.filters_set": {"zh": "筛选：{items}", "en": "Filters: {items}"},
    "conversation.filters_cleared": {"zh": "取消筛选：{items}", "en": "Filters removed: {items}"},
    "conversation.sorted": {"zh": "排序：{sort}", "en": "Sorted: {sort}"},
    "conversation.similar": {"zh": "显示与第 {n} 篇（PMID {pmid}）相似的文献", "en": "Showing records similar to #{n} (PMID {pmid})"},
    "conversation.similar_off": {"zh": "回到按概念检索", "en": "Back to the concept search"},
    "conversation.undone": {"zh": "已撤销上一步", "en": "Undid the last step"},
    "conversation.nothing_to_undo": {"zh": "没有可以撤销的步骤", "en": "Nothing to undo"},
    "conversation.reset": {"zh": "已重新开始", "en": "Started over"},
    "conversation.not_understood": {
        "zh": "没有从“{text}”中识别出新的条件。可以说：再加上炎症、不要痴呆换成淀粉样蛋白、只看近五年、只要RCT、排除动物实验、按被引次数排序、第2篇讲了什么、第3篇的类似文章、撤销",
        "en": "Nothing new understood in “{text}”. Try: add inflammation, replace dementia with amyloid, last 5 years, only RCTs, exclude animal studies, sort by citations, what is #2 about, similar to #3, undo",
    },
    "conversation.no_such_result": {"zh": "当前结果中没有第 {n} 篇", "en": "There is no result #{n} among the current results"},
    "conversation.summary_of": {"zh": "第 {n} 篇（PMID {pmid}）", "en": "#{n} (PMID {pmid})"},
    "conversation.relevance": {"zh": "相关性", "en": "relevance"},
    "conversation.date": {"zh": "日期（最新在前）", "en": "date (newest first)"},
    "conversation.cited_by": {"zh": "被引次数", "en": "cited-by count"},
    "conversation.chip_excluded": {"zh": "排除 {label}", "en": "NOT {label}"},
    "conversation.chip_years": {"zh": "{start}–{end} 年", "en": "{start}–{end}"},
    "conversation.chip_since": {"zh": "{start} 年以来", "en": "since {start}"},
    "conversation.chip_until": {"zh": "{end} 年以前", "en": "until {end}"},
    "conversation.chip_humans": {"zh": "仅人类研究", "en": "Humans only"},
    "conversation.chip_not_animals": {"zh": "排除动物实验", "en": "No animal-only studies"},
    "conversation.chip_language": {"zh": "语种：{value}", "en": "Language: {value}"},
    "conversation.chip_abstract": {"zh": "有摘要", "en": "Has abstract"},
    "conversation.chip_journal": {"zh": "期刊：{value}", "en": "Journal: {value}"},
    "conversation.chip_sort": {"zh": "按{sort}排序", "en": "Sorted by {sort}"},
    "conversation.chip_similar": {"zh": "与 PMID {pmid} 相似", "en": "Similar to PMID {pmid}"},
})

STRINGS.update({  # translation QA findings (translate/qa_messages.py): English is also what a retry tells the model
    "finding.source_script_left": {"en": "source-script text left untranslated: {text!r}", "zh": "原文文字未翻译：“{text}”"},
    "finding.english_left": {"en": "English left untranslated: {text!r}", "zh": "英文未翻译：“{text}”"},
    "finding.english_word_left": {"en": "English word left untranslated: {text!r}", "zh": "英文单词未翻译：“{text}”"},
    "finding.half_word_left": {"en": "part of an English word left untranslated: {text!r}", "zh": "半个英文单词未翻译：“{text}”"},
    "finding.source_copied": {"en": "source text copied untranslated: {text!r}…", "zh": "原文被原样照抄：“{text}”…"},
    "finding.glossary_missing": {"en": "{term!r} should be rendered {approved!r}", "zh": "“{term}”应译为“{approved}”"},
    "finding.glossary_variant": {"en": "{term!r}: the glossary prefers {approved!r} to {variant!r}", "zh": "“{term}”：术语表推荐“{approved}”，而非“{variant}”"},
    "finding.inconsistent_term": {"en": "{term!r} rendered inconsistently: {forms}; use {approved!r}", "zh": "“{term}”译法不一致：{forms}；建议统一为“{approved}”"},
    "finding.number_missing": {"en": "number {number} of the source is missing", "zh": "原文中的数字 {number} 在译文中缺失"},
    "finding.number_added": {"en": "number {number} is not in the source", "zh": "译文中的数字 {number} 不在原文中"},
    "finding.unit_changed": {"en": "{number} {unit} of the source has another unit in the translation", "zh": "原文的 {number} {unit} 在译文中单位不同"},
    "finding.sign_changed": {"en": "comparison changed: the source has {expected!r}, the translation {found!r}", "zh": "比较符号被改动：原文为“{expected}”，译文为“{found}”"},
    "finding.date_changed": {"en": "the date {date!r} of the source is written {found!r} in the translation", "zh": "原文日期“{date}”在译文中写成了“{found}”"},
    "finding.empty": {"en": "translation is empty", "zh": "译文为空"},
    "finding.marker_dropped": {"en": "protected span {span!r} was dropped", "zh": "受保护的内容“{span}”在译文中丢失"},
    "finding.marker_repeated": {"en": "protected span {span!r} appears {count} times, source has {expected}", "zh": "受保护的内容“{span}”出现了 {count} 次，原文只有 {expected} 次"},
    "finding.marker_invented": {"en": "invented marker {marker}", "zh": "译文中出现了原文没有的占位标记 {marker}"},
    "finding.empty_kept": {"en": "the translation is empty; the original is kept", "zh": "译文为空，保留原文"},
    "finding.sentence_omitted": {"en": "sentence not translated: {sentence!r}", "zh": "句子未翻译：“{sentence}”"},
    "finding.too_short": {"en": "translation is {ratio} of the expected length: part is missing", "zh": "译文长度仅为预期的 {ratio}：有内容缺失"},
    "finding.sentence_short": {"en": "translation of a sentence is {ratio} of the expected length: a clause is missing? {sentence!r}",
                       "zh": "该句译文长度仅为预期的 {ratio}，可能漏译了分句：“{sentence}”"},
    "finding.sentence_added": {"en": "sentence not in the source: {sentence!r}", "zh": "原文中没有这句话：“{sentence}”"},
    "finding.sentence_unrelated": {"en": "sentence unrelated to the source: {sentence!r}", "zh": "该句与原文无关：“{sentence}”"},
    "finding.too_long": {"en": "translation is {ratio} of the expected length: text was added", "zh": "译文长度为预期的 {ratio}：有多余内容"},
    "finding.phrase_repeated": {"en": "{unit!r} repeated: {text!r}…", "zh": "“{unit}”重复出现：“{text}”…"},
    "finding.sentence_repeated": {"en": "sentence repeated {count} times: {sentence!r}", "zh": "句子重复了 {count} 次：“{sentence}”"},
    "finding.injected_text": {"en": "injected content not in the source: {text!r}", "zh": "混入了原文没有的内容：“{text}”"},
    "finding.injected_contact": {"en": "injected link or contact not in the source: {text!r}", "zh": "混入了原文没有的链接或联系方式：“{text}”"},
    "finding.injected_in_word": {"en": "injected content {text!r} spliced inside the word {word!r}", "zh": "单词“{word}”中间被插入了“{text}”"},
    "finding.name_changed": {"en": "the name {name!r} is not kept as written (transliterated or dropped?)", "zh": "人名“{name}”未按原文保留（被音译或遗漏？）"},
    "finding.journal_renamed": {"en": "the journal {name!r} is not kept as written (renamed or translated?)", "zh": "期刊名“{name}”未按原文保留（被改名或翻译？）"},
    "finding.variant_term": {"en": "{word} looks like a misspelling of {term}", "zh": "“{word}”疑似“{term}”的错误拼写"},
    "finding.span_dropped": {"en": "{span!r} of the source is missing from the translation", "zh": "原文中的“{span}”在译文中缺失"},
    "finding.wrong_language": {"en": "text in {language}, not the target language: {text!r}", "zh": "出现了{language}文字，而非目标语言：“{text}”"},
    "finding.not_target_language": {"en": "the translation is not in {language}", "zh": "译文不是{language}"},
    "finding.direction_reversed": {"en": "direction reversed? the source says {source_cues}, the translation {target_cues}",
                           "zh": "方向可能被颠倒：原文为“{source_cues}”，译文为“{target_cues}”"},
    "finding.negation_added": {"en": "negation added: the translation says {cues} where the source has no negation", "zh": "译文增加了否定（“{cues}”），原文并无否定"},
    "finding.negation_lost": {"en": "negation lost: the source says {cues}, the translation has no negation", "zh": "否定丢失：原文有“{cues}”，译文没有否定"},
    "finding.statistic_renamed": {"en": "statistic renamed: the translation names the {statistic} where the source has the {source_statistic}",
                          "zh": "统计量被改名：原文为 {source_statistic}，译文写成了 {statistic}"},
    "finding.number_moved": {"en": "number attached to another quantity? the source gives {number} for {quantity!r} and {other} for {other_quantity!r}; the translation has them the other way round",
                     "zh": "数字可能对应到了别的量：原文中 {number} 对应“{quantity}”，{other} 对应“{other_quantity}”，译文将两者对调了"},
    "finding.statistic_added": {"en": "the translation names the {statistic}, which this sentence of the source does not",
                        "zh": "译文提到了原句没有的统计量：{statistic}"},

})

# Publication types and languages are named in corpus/names.py (one table, also used by conversation chips).
# Genre types say how a record was funded or filed, not what kind of study it is: folded away in facets.
GENRE_TYPES = frozenset({"Journal Article", "English Abstract"})

TARGET_LANGUAGES = {  # medbridge.translate.LANGUAGES codes, for the translation language choosers
    "en": ("英语", "English"), "zh": ("简体中文", "Simplified Chinese"), "zh-Hant": ("繁体中文", "Traditional Chinese"),
    "ja": ("日语", "Japanese"), "ko": ("韩语", "Korean"), "es": ("西班牙语", "Spanish"), "fr": ("法语", "French"),
    "de": ("德语", "German"), "pt": ("葡萄牙语", "Portuguese"), "ru": ("俄语", "Russian"), "it": ("意大利语", "Italian"),
    "pl": ("波兰语", "Polish"), "ar": ("阿拉伯语", "Arabic"),
}
STRINGS.update({f"tl.{code}": {"zh": zh, "en": en} for code, (zh, en) in TARGET_LANGUAGES.items()})
STRINGS.update({f"pt.{en}": {"zh": zh, "en": en} for en, zh in PUBLICATION_TYPES_ZH.items()})
STRINGS.update({f"la.{code}": {"zh": zh, "en": en} for code, (zh, en) in LANGUAGE_NAMES.items()})


def is_genre_type(publication_type: str) -> bool:
    return publication_type in GENRE_TYPES or publication_type.startswith("Research Support")


def translator_for(lang: str, namespace: str | None = None):
    """``t(key, **values)``: the string in ``lang`` (Chinese when missing, the key itself when unknown);
    with a ``namespace`` its keys are looked up first ("search" → "search.results")."""

    def t(key: str, **values) -> str:
        own = STRINGS.get(f"{namespace}.{key}") if namespace else None
        entry = own or STRINGS.get(key, {})
        text = entry.get(lang) or entry.get("zh") or key
        return text.format(**values) if values else text

    return t


def named(lang: str, kind: str, value: str) -> str:
    """A publication type ("pt"), language code ("la") or QA check ("qa") by its name in ``lang``;
    a value the table lacks stays as it is."""
    entry = STRINGS.get(f"{kind}.{value}")
    return entry.get(lang, value) if entry else value


def _concepts_text(s, sources: list[str]) -> str:
    """“A”和“B” / “A” and “B”."""
    return s("concept_joiner").join(s("quote", text=source) for source in sources)


def few_results_notice(s, result) -> str | None:
    """The honest line above a short result set (a search.SearchResult): how many records mention what was asked,
    or none. ``s``: the "search" part in the reader's language. The search page, chat and both CLIs say it."""
    if not result.few:
        return None
    interp = result.interpretation
    sources = [c.source for c in interp.required_concepts]
    if result.total == 0:
        if result.absent:
            text = s("none_about", concepts=_concepts_text(s, [c.source for c in result.absent]))
        elif sources:
            text = s("none_all_concepts", concepts=_concepts_text(s, sources))
        else:
            text = s("none_query")
    elif len(sources) == 1:
        text = s("only_one_concept", total=result.total, concepts=_concepts_text(s, sources))
    elif sources:
        text = s("only_all_concepts", total=result.total, concepts=_concepts_text(s, sources))
    else:
        text = s("only_query", total=result.total)
    return text + (s("with_filters") if not interp.filters.is_empty() else "")


def _pattern(template: str) -> re.Pattern[str]:
    """"unexpected {token}" → a regular expression capturing ``token``."""
    parts = re.split(r"\{(\w+)\}", template)
    return re.compile("".join(re.escape(p) if i % 2 == 0 else f"(?P<{p}>.+?)" for i, p in enumerate(parts)) + "$")


_SYNTAX = [(key, _pattern(entry["en"])) for key, entry in STRINGS.items() if key.startswith("syntax.") and key != "syntax.at"]


def syntax_error_text(lang: str, error) -> str:
    """A QuerySyntaxError in ``lang``; a reason the table does not know stays in English."""
    t = translator_for(lang)
    reason = error.reason
    for key, pattern in _SYNTAX:
        if match := pattern.match(error.reason):
            reason = t(key, **match.groupdict())
            break
    return t("syntax.at", position=error.position + 1, reason=reason)
