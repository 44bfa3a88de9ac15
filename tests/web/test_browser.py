"""What a person sees, in the real headless Chromium."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By

pytestmark = pytest.mark.browser


def test_home_then_record_page(browser, live_server):
    browser.get(live_server + "/?lang=zh")  # the language choice persists in a cookie across tests
    assert browser.find_element(By.NAME, "q").get_attribute("placeholder").startswith("用中文或英文提问")
    assert "3,690" in browser.find_element(By.ID, "corpus-stats").text
    browser.find_element(By.CSS_SELECTOR, "a.hit-title").click()
    title = browser.find_element(By.CSS_SELECTOR, "h1.record-title")
    assert title.text and title.is_displayed()
    assert "/records/" in browser.current_url

    browser.get(live_server + "/records/19622817")
    assert browser.find_element(By.CSS_SELECTOR, "h1.record-title").text.startswith("CSF biomarkers")
    labels = [e.text for e in browser.find_elements(By.CSS_SELECTOR, ".source .section-label")]
    assert labels[:2] == ["CONTEXT", "OBJECTIVE"]
    first_author = browser.find_element(By.CSS_SELECTOR, "li.author")
    assert first_author.text == "Niklas Mattsson1"
    affiliations = browser.find_element(By.CSS_SELECTOR, "details.affiliations")
    affiliations.find_element(By.TAG_NAME, "summary").click()
    assert "Sahlgrenska" in affiliations.text
    export = browser.find_element(By.CSS_SELECTOR, "a.export-bibtex")
    assert export.is_displayed() and export.get_attribute("href").endswith("format=bibtex")
    browser.get(live_server + "/records/29113975")
    italics = browser.find_elements(By.CSS_SELECTOR, "h1.record-title i")
    assert [i.text for i in italics] == ["C9orf72", "in vitro", "in vivo"]
