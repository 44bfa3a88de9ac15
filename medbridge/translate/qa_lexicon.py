"""Cue words the meaning checks of ``qa.py`` compare between an English source and its Chinese translation:
direction of change, negation, named statistics, and vocabulary that never belongs in a translated abstract
(gambling, brands, ads). Kept apart from the checks so the lists can be reviewed on their own.
"""

from __future__ import annotations

import re

# ---- direction of change / comparison -------------------------------------------------------------------------
# "higher" ↔ 较高/高于/升高 …: a sentence whose translation has more cues of one direction and fewer of the other
# than its source was reversed somewhere.
EN_UP = re.compile(
    r"\b(?:increas\w*|higher|highest|greater|more|elevat\w*|enhanc\w*|improv\w*|promot\w*|rais(?:e|ed|es|ing)|"
    r"upregulat\w*|up-regulat\w*|accelerat\w*|positive(?:ly)?(?= correlat| associat)|ris(?:e|es|ing)|rose|gain\w*|faster|"
    r"larger|exceed\w*|facilitat\w*|augment\w*|boost\w*|benefi\w*|protective)\b",
    re.IGNORECASE,
)
EN_DOWN = re.compile(
    r"\b(?:decreas\w*|lower|lowest|less|fewer|reduc\w*|declin\w*|diminish\w*|suppress\w*|inhibit\w*|slow\w*|"
    r"impair\w*|worsen\w*|downregulat\w*|down-regulat\w*|inverse(?:ly)?|negative(?:ly)?(?= correlat| associat)|"
    r"drop\w*|fall\w*|fell|smaller|attenuat\w*|arrest\w*|loss|lost|deplet\w*|harm\w*|adverse|detrimental|"
    r"deteriorat\w*|block\w*|abolish\w*|disrupt\w*|perturb\w*|disturb\w*)\b",
    re.IGNORECASE,
)
ZH_UP = re.compile(r"升高|增加|增高|增多|增强|增大|较高|更高|最高|高于|更多|较多|提高|上升|促进|改善|上调|加快|加速|正相关|较大|超过|有益|保护性|好转")
ZH_DOWN = re.compile(
    r"降低|减少|下降|减弱|减小|较低|更低|最低|低于|更少|较少|减慢|抑制|恶化|下调|负相关|较小|丢失|丧失|损害|受损|阻断|阻止|"
    r"不良|有害|破坏|扰乱|减退|衰退|缓慢"
)

# ---- negation -------------------------------------------------------------------------------------------------
# "neither … nor" is one negation (均未): "nor" is not counted.
EN_NEGATION = re.compile(
    r"\b(?:not(?! only)|no|neither|never|none|without|cannot|unclear|unknown|unlikely|unable|unaffected|unchanged|"
    r"lack\w*|absen\w*|fail(?:s|ed)?(?= to)|mismatch\w*)\b|n't\b|\bnon-?(?=[a-z])",
    re.IGNORECASE,
)
# 不/未/无/非/没有 …, less the words they only spell ("不同" different, "未来" future, "无论" whatever).
ZH_NEGATION = re.compile(r"(?:不|未|无|没有|非|否|缺乏|缺少|尚无|尚未)(?!同|良|断|仅|但|论|来|常|典型|创|足|少|少于|久|规则|一致|对称|可逆)")

# ---- statistics -----------------------------------------------------------------------------------------------
# One named statistic each: its English and Chinese forms. A statistic in the translation that its source
# sentence does not name has been renamed ("likelihood ratio" → 预测值).
STATISTICS: dict[str, tuple[re.Pattern[str], re.Pattern[str]]] = {
    "likelihood ratio": (re.compile(r"likelihood ratios?|\bLRs?\b"), re.compile(r"似然比|(?<![A-Za-z])LR(?![A-Za-z])")),
    "predictive value": (re.compile(r"predictive values?|\b[PN]PVs?\b"), re.compile(r"预测值|预测价值|(?<![A-Za-z])[PN]PV(?![A-Za-z])")),
    "odds ratio": (re.compile(r"odds ratios?|\baORs?\b|\bORs?\b(?=\s*[=,:()\]]|\s*\d|\s*of)"), re.compile(r"比值比|优势比|(?<![A-Za-z])a?OR(?![A-Za-z])")),
    "hazard ratio": (re.compile(r"hazard ratios?|\baHRs?\b|\bHRs?\b"), re.compile(r"风险比|危险比|(?<![A-Za-z])a?HR(?![A-Za-z])")),
    "relative risk": (re.compile(r"relative risks?|risk ratios?|\bRRs?\b"), re.compile(r"相对危险度|相对风险|(?<![A-Za-z])RR(?![A-Za-z])")),
    "sensitivity": (re.compile(r"sensitivit(?:y|ies)", re.IGNORECASE), re.compile(r"敏感性|敏感度|灵敏度|灵敏性")),
    "specificity": (re.compile(r"specificit(?:y|ies)", re.IGNORECASE), re.compile(r"特异性|特异度")),
    "median": (re.compile(r"\bmedians?\b", re.IGNORECASE), re.compile(r"中位")),
    "mean": (re.compile(r"\bmeans?\b(?! of)|\baverage", re.IGNORECASE), re.compile(r"平均|均值|均数")),
    "area under the curve": (re.compile(r"area under|\bAUCs?\b|\bAUROC\b"), re.compile(r"曲线下面积|(?<![A-Za-z])AUC(?![A-Za-z])")),
    "confidence interval": (re.compile(r"confidence intervals?|\bCIs?\b"), re.compile(r"置信区间|可信区间|(?<![A-Za-z])CI(?![A-Za-z])")),
    "standard deviation": (re.compile(r"standard deviations?|\bSDs?\b"), re.compile(r"标准差|(?<![A-Za-z])SD(?![A-Za-z])")),
    "correlation coefficient": (re.compile(r"correlation coefficients?|\br\s?=", re.IGNORECASE), re.compile(r"相关系数|(?<![A-Za-z])r\s?=")),
}

# ---- content that never belongs in a translated abstract ------------------------------------------------------
# Gambling and betting sites, brands that spam garbled machine translations, and advertising calls to action.
INJECTED_VOCABULARY = re.compile(
    r"博彩|娱乐城|娱乐场|赌场|赌博|彩票|投注|下注|百家乐|老虎机|真人娱乐|棋牌|葡京|威尼斯人|金沙|万博|bet365|皇冠体育|体育官网|"
    r"注册送|注册就送|开户|手机客户端|客户端下载|APP下载|app下载|下载APP|下载app|官方网站|网页版|代孕|办证|刷单|网赚|兼职日结|"
    r"点击|订阅|关注我们|关注公众号|公众号|扫码|扫描二维码|二维码|加微信|微信号|优惠|折扣|免费领取|立即购买|限时|广告|推广|客服|"
    r"咨询热线|官网|加群|私信|"
    r"\b(?:casino|poker|betting|sportsbook|jackpot|viagra|cialis|lottery|click here|subscribe|sign up|follow us|buy now|"
    r"order now|free trial|discount|promo(?:tion)? code|coupon|whatsapp|telegram|wechat|advertis\w*)\b",
    re.IGNORECASE,
)
CONTACT = re.compile(
    r"(?:https?://|www\.)[!-~]+|[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+"
    r"|(?<!\d)1[3-9]\d{9}(?!\d)|\+\d{1,3}[\s-]?\d[\d\s-]{6,}\d|(?<![\d.])\d{3,4}-\d{3,4}-\d{4}(?!\d)"
    r"|(?<![\d\-])[48]00-?\d{3}-?\d{4}(?!\d)|(?<![\d\-])0\d{2,3}-\d{7,8}(?!\d)"
)

# English words that carry no content when dictionary glosses are compared with a source (CC-CEDICT glosses are
# full of "to …", "one who …").
GLOSS_STOPWORDS = frozenset(
    "the a an to of and or in on at for with by from as is are be was were one who which that this those these "
    "used etc sth someone something person verb noun adj".split()
)
