"""The search page in the real headless Chromium: ask in Chinese, see the interpretation, facet, page, open."""

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

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

    # facet: only reviews, then back to every result
    browser.find_element(By.CSS_SELECTOR, 'ul[data-facet="type"] a[href*="type=Review"]').click()
    assert "type=Review" in browser.current_url
    assert browser.find_element(By.CSS_SELECTOR, "a.clear-filters").is_displayed()
    browser.find_element(By.CSS_SELECTOR, "a.clear-filters").click()

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


def _search(browser, live_server, query: str) -> None:
    browser.get(live_server + "/search?lang=zh")
    box = browser.find_element(By.NAME, "q")
    box.send_keys(query)
    box.submit()


def _apply(browser, year_from: str = "", year_to: str = "", sort: str | None = None) -> None:
    form = browser.find_element(By.CSS_SELECTOR, "form.sort-year")
    for name, value in (("year_from", year_from), ("year_to", year_to)):
        field = form.find_element(By.NAME, name)
        field.clear()
        if value:
            field.send_keys(value)
    if sort:
        Select(form.find_element(By.NAME, "sort")).select_by_value(sort)
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()


def test_apply_with_empty_year_boxes_and_sort_alone(browser, live_server):
    _search(browser, live_server, "tau蛋白的病理")
    _apply(browser)  # both year boxes left empty: no 422, the same results
    assert browser.find_elements(By.CSS_SELECTOR, "li.hit") and "detail" not in browser.page_source[:200]
    _apply(browser, sort="date")  # only the order changed
    years = [int(h.text.split(" · ")[1]) for h in browser.find_elements(By.CSS_SELECTOR, "ol.hits li.hit .meta")]
    assert "sort=date" in browser.current_url and years == sorted(years, reverse=True)


def test_facet_then_years_keeps_the_facet(browser, live_server):
    _search(browser, live_server, "阿尔茨海默病的脑脊液生物标志物")
    review = browser.find_element(By.CSS_SELECTOR, 'ul[data-facet="type"] a[data-value="Review"]')
    expected = int(review.find_element(By.XPATH, "../span").text)
    review.click()
    assert "综述" in browser.find_element(By.CSS_SELECTOR, 'ul[data-facet="type"] a.active').text
    assert f"共 {expected} 条结果" in browser.find_element(By.CSS_SELECTOR, ".result-count").text
    _apply(browser, "2010", "2020")
    assert "type=Review" in browser.current_url and "year_from=2010" in browser.current_url
    assert browser.find_element(By.CSS_SELECTOR, 'ul[data-facet="type"] a.active').get_attribute("data-value") == "Review"
    years = [int(h.text.split(" · ")[1]) for h in browser.find_elements(By.CSS_SELECTOR, "ol.hits li.hit .meta")]
    assert years and all(2010 <= y <= 2020 for y in years)


def test_unknown_record_is_a_chinese_error_page(browser, live_server):
    browser.get(live_server + "/records/abc?lang=zh")
    assert browser.find_element(By.TAG_NAME, "h1").text == "请求有误"
    assert "“pmid”的值“abc”无效" in browser.find_element(By.CSS_SELECTOR, ".error-message").text
    browser.get(live_server + "/records/1")
    assert browser.find_element(By.TAG_NAME, "h1").text == "未找到"
    assert browser.find_element(By.CSS_SELECTOR, ".error-message").text == "本地文献库中没有 PMID 1"


def test_bad_syntax_in_the_chinese_ui(browser, live_server):
    browser.get(live_server + "/search?q=tau+AND+(amyloid&lang=zh")
    alert = browser.find_element(By.CSS_SELECTOR, ".syntax-error")
    assert alert.find_element(By.TAG_NAME, "h2").text == "检索式有误"
    assert alert.find_element(By.CSS_SELECTOR, ".error-message").text == "检索式第 9 个字符处有误：“(”没有闭合"


def test_honest_counts_for_none_one_and_many(browser, live_server):
    _search(browser, live_server, "利妥昔单抗")
    assert browser.find_element(By.CSS_SELECTOR, ".few-results-text").text == "本地文献库中没有关于“利妥昔单抗”的文献"
    assert browser.find_element(By.CSS_SELECTOR, ".fetch-command code").text == 'medbridge fetch "Rituximab"'
    assert not browser.find_elements(By.CSS_SELECTOR, "ol.hits:not(.related-hits) li")

    _search(browser, live_server, "氯胺酮为什么起效快")
    assert browser.find_element(By.CSS_SELECTOR, ".few-results-text").text == "本地文献库中仅有 2 篇文献提到“氯胺酮”"
    assert len(browser.find_elements(By.CSS_SELECTOR, "ol.hits:not(.related-hits) > li")) == 2
    related = browser.find_element(By.CSS_SELECTOR, "section.related")
    assert related.find_element(By.TAG_NAME, "h2").text == "相关文献（未包含全部检索词）"
    assert all(lack.text == "未包含：氯胺酮" for lack in related.find_elements(By.CSS_SELECTOR, ".lacks"))

    _search(browser, live_server, "阿尔茨海默病的脑脊液生物标志物")
    assert "共 73 条结果" in browser.find_element(By.CSS_SELECTOR, ".result-count").text
    assert not browser.find_elements(By.CSS_SELECTOR, ".few-results, section.related")
