"""The /chat page in the real headless Chromium: a multi-turn conversation, a chip removed, undo, the
shared URL reopened — in both UI languages."""

import pytest
from selenium.webdriver.common.by import By
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.support.ui import WebDriverWait

pytestmark = pytest.mark.browser


def _wait_for_turns(browser, turns: int) -> None:
    """Every action posts a form and the page reloads: wait for the page that shows ``turns`` turns."""
    WebDriverWait(browser, 30, ignored_exceptions=(WebDriverException,)).until(
        lambda b: len(b.find_elements(By.CSS_SELECTOR, ".thread .turn")) == turns
    )


def _say(browser, text, turns: int):
    box = browser.find_element(By.CSS_SELECTOR, ".chat-box input[name=text]")
    box.send_keys(text)
    box.submit()
    _wait_for_turns(browser, turns)


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
    for number, turn in enumerate(turns, start=1):
        _say(browser, turn, number)
    assert [t.text.lstrip("> ") for t in browser.find_elements(By.CSS_SELECTOR, ".thread .user")] == turns
    chips = _chips(browser)
    assert chips["type:Review"] == type_label and "sort" in chips
    assert '"Review"[pt]' in browser.find_element(By.CSS_SELECTOR, "code.searched-for").text
    results = browser.find_elements(By.CSS_SELECTOR, "ol.hits:not(.related-hits) > li.hit")  # related records sit apart
    counts = [int(h.get_attribute("data-cited-by")) for h in results]
    assert counts and counts == sorted(counts, reverse=True)
    assert reasons_label in browser.find_element(By.CSS_SELECTOR, ".recommendation").text
    assert browser.find_elements(By.CSS_SELECTOR, ".recommendation .quote")

    browser.find_element(By.CSS_SELECTOR, '.chip[data-value="type:Review"] button').click()
    _wait_for_turns(browser, len(turns) + 1)
    assert "type:Review" not in _chips(browser)
    assert '"Review"[pt]' not in browser.find_element(By.CSS_SELECTOR, "code.searched-for").text

    browser.find_element(By.CSS_SELECTOR, "button.undo").click()
    _wait_for_turns(browser, len(turns) + 2)
    assert browser.find_element(By.CSS_SELECTOR, "button.undo").text == undo_label
    assert _chips(browser)["type:Review"] == type_label

    shared = browser.current_url
    browser.delete_all_cookies()
    browser.get(shared + f"?lang={lang}")
    assert _chips(browser)["type:Review"] == type_label
    assert len(browser.find_elements(By.CSS_SELECTOR, ".thread .turn")) == len(turns) + 2  # the chip removal and undo are turns too
