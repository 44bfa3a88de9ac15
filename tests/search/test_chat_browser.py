"""The /chat page in the real headless Chromium: a multi-turn conversation, a chip removed, undo, the
shared URL reopened — in both UI languages."""

import pytest
from selenium.webdriver.common.by import By

pytestmark = pytest.mark.browser


def _say(browser, text):
    box = browser.find_element(By.CSS_SELECTOR, ".chat-box input[name=text]")
    box.send_keys(text)
    box.submit()


def _chips(browser):
    return {c.get_attribute("data-value"): c.text.rstrip("×").strip() for c in browser.find_elements(By.CSS_SELECTOR, ".chip")}


@pytest.mark.parametrize(
    ("lang", "turns", "type_label", "undo_label", "reasons_label"),
    [
        ("zh", ["阿尔茨海默病的脑脊液生物标志物", "只要综述", "按被引次数排序"], "综述", "撤销", "推荐理由"),
        ("en", ["alzheimer disease csf biomarkers", "only reviews", "sort by citations"], "Review", "Undo", "Why recommended"),
    ],
)
def test_conversation_with_chip_removed_and_undo(browser, live_server, lang, turns, type_label, undo_label, reasons_label):
    browser.get(f"{live_server}/chat?lang={lang}")
    for turn in turns:
        _say(browser, turn)
    assert [t.text.lstrip("> ") for t in browser.find_elements(By.CSS_SELECTOR, ".thread .user")] == turns
    chips = _chips(browser)
    assert chips["type:Review"] == type_label and "sort" in chips
    assert '"Review"[pt]' in browser.find_element(By.CSS_SELECTOR, "code.searched-for").text
    counts = [int(h.get_attribute("data-cited-by")) for h in browser.find_elements(By.CSS_SELECTOR, "li.hit")]
    assert counts and counts == sorted(counts, reverse=True)
    assert reasons_label in browser.find_element(By.CSS_SELECTOR, ".recommendation").text
    assert browser.find_elements(By.CSS_SELECTOR, ".recommendation .quote")

    browser.find_element(By.CSS_SELECTOR, '.chip[data-value="type:Review"] button').click()
    assert "type:Review" not in _chips(browser)
    assert '"Review"[pt]' not in browser.find_element(By.CSS_SELECTOR, "code.searched-for").text

    browser.find_element(By.CSS_SELECTOR, "button.undo").click()
    assert browser.find_element(By.CSS_SELECTOR, "button.undo").text == undo_label
    assert _chips(browser)["type:Review"] == type_label

    shared = browser.current_url
    browser.delete_all_cookies()
    browser.get(shared + f"?lang={lang}")
    assert _chips(browser)["type:Review"] == type_label
    assert len(browser.find_elements(By.CSS_SELECTOR, ".thread .turn")) == len(turns) + 2  # the chip removal and undo are turns too
