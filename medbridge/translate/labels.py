"""Structured-abstract labels ("OBJECTIVE:", "DESIGN, SETTING, AND PARTICIPANTS:") in Chinese.

A small model keeps a label in capitals as if it were an acronym, so a label it copies is replaced from this table
(NLM's common structured-abstract labels). Kept apart from the glossary on purpose: as glossary entries, 结果 or
患者 in a Chinese search question would become concepts, and the glossary-only document mode would rewrite labels.
"""

from __future__ import annotations

import re

from medbridge.translate.protect import leading_label

LABELS_ZH = {
    "BACKGROUND": "背景", "CONTEXT": "背景", "INTRODUCTION": "引言", "IMPORTANCE": "重要性",
    "OBJECTIVE": "目的", "OBJECTIVES": "目的", "AIM": "目的", "AIMS": "目的", "PURPOSE": "目的",
    "METHODS": "方法", "METHOD": "方法", "MATERIALS AND METHODS": "材料与方法", "DESIGN": "设计", "SETTING": "场所",
    "SETTINGS": "场所", "PARTICIPANTS": "参与者", "PATIENTS": "患者", "SUBJECTS": "受试者",
    "INTERVENTIONS": "干预措施", "INTERVENTION": "干预措施", "EXPOSURES": "暴露因素", "EXPOSURE": "暴露因素",
    "MAIN OUTCOME MEASURES": "主要结局指标", "MAIN OUTCOMES AND MEASURES": "主要结局指标", "MEASUREMENTS": "测量指标",
    "RESULTS": "结果", "FINDINGS": "结果", "INTERPRETATION": "解读", "LIMITATIONS": "局限性",
    "CONCLUSIONS": "结论", "CONCLUSION": "结论", "CONCLUSIONS AND RELEVANCE": "结论与意义", "TRIAL REGISTRATION": "试验注册",
}
_PARTS = re.compile(r"\s*,?\s+AND\s+|\s*,\s*")


def label_zh(label: str) -> str | None:
    """"DESIGN, SETTING, AND PARTICIPANTS" → 设计、场所和参与者; None when a part is not in the table."""
    if label in LABELS_ZH:
        return LABELS_ZH[label]
    parts, joiners = _PARTS.split(label), [("和" if "AND" in m.group() else "、") for m in _PARTS.finditer(label)]
    if any(part not in LABELS_ZH for part in parts):
        return None
    return "".join(LABELS_ZH[part] + joiner for part, joiner in zip(parts, [*joiners, ""]))


def localise_label(target: str, source: str) -> str:
    """The source's leading label, if the model copied it into ``target``, in Chinese (目的：)."""
    label = leading_label(source)
    chinese = label_zh(label) if label and label in target else None
    if chinese is None:
        return target
    return re.sub(re.escape(label) + r"\s*:\s*", chinese + "：", target, count=1)
