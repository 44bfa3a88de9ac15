"""Chinese names of NLM's controlled values: publication types and MEDLINE language codes.

One table for every place that shows them (search facets and record pages, conversation chips); the web UI's
string table (medbridge/i18n.py) is built from it.
"""

from __future__ import annotations

PUBLICATION_TYPES_ZH = {
    "Journal Article": "期刊论文", "Review": "综述", "Systematic Review": "系统综述", "Meta-Analysis": "荟萃分析",
    "Randomized Controlled Trial": "随机对照试验", "Clinical Trial": "临床试验", "Clinical Trial, Phase I": "I 期临床试验",
    "Clinical Trial, Phase II": "II 期临床试验", "Clinical Trial, Phase III": "III 期临床试验", "Clinical Trial, Phase IV": "IV 期临床试验",
    "Controlled Clinical Trial": "对照临床试验", "Multicenter Study": "多中心研究", "Observational Study": "观察性研究",
    "Comparative Study": "比较研究", "Evaluation Study": "评价研究", "Validation Study": "验证研究", "Case Reports": "病例报告",
    "Practice Guideline": "实践指南", "Guideline": "指南", "Consensus Development Conference": "共识会议",
    "Comment": "评论", "Letter": "来信", "Editorial": "社论", "News": "新闻", "Published Erratum": "勘误",
    "Retraction of Publication": "撤稿声明", "Retracted Publication": "已撤稿文献", "Biography": "传记", "Portrait": "人物肖像",
    "Historical Article": "历史文献", "Interview": "访谈", "Lecture": "讲座", "Congress": "会议", "Overall": "综合报告",
    "English Abstract": "英文摘要", "Introductory Journal Article": "导言", "Video-Audio Media": "音视频资料",
    "Preprint": "预印本", "Dataset": "数据集", "Twin Study": "双生子研究", "Clinical Study": "临床研究",
    "Equivalence Trial": "等效性试验", "Pragmatic Clinical Trial": "实用性临床试验", "Adaptive Clinical Trial": "适应性临床试验",
    "Clinical Trial Protocol": "临床试验方案", "Systematic Review Protocol": "系统综述方案", "Scoping Review": "范围综述",
    "Network Meta-Analysis": "网状荟萃分析", "Technical Report": "技术报告", "Newspaper Article": "报纸文章",
    "Personal Narrative": "个人叙述", "Expression of Concern": "关注声明", "Corrected and Republished Article": "更正后重新发表",
    "Duplicate Publication": "重复发表", "Research Support, N.I.H., Extramural": "NIH 院外资助研究",
    "Research Support, N.I.H., Intramural": "NIH 院内资助研究", "Research Support, Non-U.S. Gov't": "非美国政府资助研究",
    "Research Support, U.S. Gov't, Non-P.H.S.": "美国政府（非公共卫生署）资助研究",
    "Research Support, U.S. Gov't, P.H.S.": "美国公共卫生署资助研究", "Research Support, American Recovery and Reinvestment Act": "美国复苏与再投资法案资助研究",
    "Research Support, U.S. Government": "美国政府资助研究",
}

LANGUAGE_NAMES = {  # MEDLINE language codes
    "eng": ("英语", "English"), "chi": ("中文", "Chinese"), "fre": ("法语", "French"), "ger": ("德语", "German"),
    "spa": ("西班牙语", "Spanish"), "jpn": ("日语", "Japanese"), "ita": ("意大利语", "Italian"), "rus": ("俄语", "Russian"),
    "por": ("葡萄牙语", "Portuguese"), "pol": ("波兰语", "Polish"), "kor": ("韩语", "Korean"), "dut": ("荷兰语", "Dutch"),
    "swe": ("瑞典语", "Swedish"), "dan": ("丹麦语", "Danish"), "nor": ("挪威语", "Norwegian"), "fin": ("芬兰语", "Finnish"),
    "cze": ("捷克语", "Czech"), "hun": ("匈牙利语", "Hungarian"), "tur": ("土耳其语", "Turkish"), "heb": ("希伯来语", "Hebrew"),
    "ara": ("阿拉伯语", "Arabic"), "gre": ("希腊语", "Greek"), "rum": ("罗马尼亚语", "Romanian"), "scr": ("克罗地亚语", "Croatian"),
    "slv": ("斯洛文尼亚语", "Slovenian"), "slo": ("斯洛伐克语", "Slovak"), "ukr": ("乌克兰语", "Ukrainian"), "per": ("波斯语", "Persian"),
    "und": ("未确定", "Undetermined"), "mul": ("多语种", "Multiple languages"),
}
