"""The search page in the real headless Chromium: ask in Chinese, see the interpretation, facet, page, open."""

import pytest
from selenium.webdriver.common.by import By

pytestmark = pytest.mark.browser


def test_search_page_in_browser(browser, live_server):
    browser.get(live_server + "/search")
    box = browser.find_element(By.NAME, "q")
    box.send_keys("阿尔茨海默病的脑脊液生物标志物")
    box.submit()
    searched_for = browser.find_element(By.CSS_SELECTOR, "code.searched-for").text
    assert searched_for.startswith("(Alzheimer Disease[mh] OR")
    concepts = [c.text for c in browser.find_elements(By.CSS_SELECTOR, ".concept")]
    assert "阿尔茨海默病 → Alzheimer Disease" in concepts
    hits = browser.find_elements(By.CSS_SELECTOR, "li.hit")
    assert len(hits) == 20
    assert "19622817" in [h.get_attribute("data-pmid") for h in hits]
    assert browser.find_elements(By.CSS_SELECTOR, ".snippet mark")

    # facet: only reviews
    browser.find_element(By.CSS_SELECTOR, 'ul[data-facet="type"] a[href*="type=Review"]').click()
    assert "type=Review" in browser.current_url
    assert browser.find_element(By.CSS_SELECTOR, "a.clear-filters").is_displayed()

    # next page, then open a record
    browser.find_element(By.CSS_SELECTOR, ".pagination a.next").click()
    assert "page=2" in browser.current_url
    assert browser.find_element(By.CSS_SELECTOR, "ol.hits").get_attribute("start") == "21"
    first = browser.find_element(By.CSS_SELECTOR, "a.hit-title")
    pmid = first.find_element(By.XPATH, "..").get_attribute("data-pmid")
    first.click()
    assert browser.current_url.endswith(f"/records/{pmid}")


def test_syntax_error_is_shown_on_the_page(browser, live_server):
    browser.get(live_server + "/search?q=tau+AND+(amyloid&lang=en")
    alert = browser.find_element(By.CSS_SELECTOR, ".syntax-error")
    assert "never closed" in alert.text and "^" in alert.find_element(By.TAG_NAME, "pre").text
