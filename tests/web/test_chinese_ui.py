"""Forms that cannot break, error pages in the UI language, and no English UI string in the Chinese UI."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

import pytest
from fastapi.testclient import TestClient
from lxml import html

from medbridge.web.app import create_app
from medbridge.i18n import STRINGS

# Every page and route a reader reaches, with the status it answers.
PAGES = [
    ("/", 200),
    ("/search", 200),
    ("/search?q=阿尔茨海默病的脑脊液生物标志物", 200),
    ("/search?q=氯胺酮为什么起效快", 200),
    ("/search?q=利妥昔单抗", 200),
    ("/search?q=近五年的综述&type=Review&year_from=&year_to=", 200),
    ("/search?q=tau+AND+(amyloid", 400),
    ("/search?q=tau&year_from=abc&sort=newest&page=x", 200),
    ("/records/19622817", 200),
    ("/records/19622817?to=xx", 400),
    ("/records/1", 404),
    ("/records/abc", 422),
    ("/no-such-page", 404),
    ("/documents", 200),
    ("/research", 200),
]


@pytest.fixture(scope="module")
def client(sample_settings):
    return TestClient(create_app(sample_settings))


def chrome_text(page_html: str) -> str:
    """What the page says in its own voice: record content (marked lang="en"), scripts and styles left out."""
    tree = html.fromstring(page_html)
    for node in tree.xpath('//*[@lang="en"] | //script | //style | //code | //pre'):
        node.drop_tree()
    texts = tree.xpath("//body//text()") + tree.xpath("//@placeholder | //@aria-label | //@title")
    return " ".join(" ".join(texts).split())


def english_fragments() -> dict[str, str]:
    """Fragment of an English string of the table (placeholders cut out) → its key, for strings that differ in Chinese."""
    fragments = {}
    for key, entry in STRINGS.items():
        if entry.get("en") and entry["en"] != entry.get("zh"):
            for part in re.split(r"\{\w+\}", entry["en"]):
                part = part.strip(" .,:;()")
                if len(part) >= 4 and re.search(r"[A-Za-z]{3}", part) and part not in entry["zh"]:  # PMID, MeSH stay
                    fragments[part] = key
    return fragments


def assert_no_english_ui_string(page_html: str, where: str) -> None:
    text = chrome_text(page_html)
    leaks = {fragment: key for fragment, key in english_fragments().items() if re.search(rf"(?<![A-Za-z]){re.escape(fragment)}(?![A-Za-z])", text)}
    assert not leaks, f"English UI strings on {where}: {leaks}"


@pytest.mark.parametrize(("path", "status"), PAGES)
def test_every_page_in_chinese_has_no_english_ui_string(client, path, status):
    response = client.get(path, cookies={"lang": "zh"})
    assert response.status_code == status
    assert response.headers["content-type"].startswith("text/html")
    assert_no_english_ui_string(response.text, path)


@pytest.mark.parametrize("question", ["阿尔茨海默病的脑脊液生物标志物", "氯胺酮为什么起效快", "利妥昔单抗"])
def test_chat_threads_in_chinese_have_no_english_ui_string(client, question):
    """Chat threads are made by posting: a full page, a short set with related records, an absent concept."""
    conversation = client.post("/api/conversations", json={"text": question}).json()["conversation"]
    client.post(f"/api/conversations/{conversation}/messages", json={"text": "只看综述"})
    response = client.get(f"/chat/{conversation}", cookies={"lang": "zh"})
    assert response.status_code == 200
    assert_no_english_ui_string(response.text, f"/chat ({question})")


def test_the_table_is_complete_in_both_languages():
    assert all(entry.get("zh") and entry.get("en") for entry in STRINGS.values())
    assert len({k for k in STRINGS if k.startswith("pt.")}) > 50 and "la.eng" in STRINGS


def test_html_errors_are_pages_and_api_errors_json(client):
    page = client.get("/records/abc", cookies={"lang": "zh"})
    assert page.status_code == 422 and "text/html" in page.headers["content-type"]
    assert "“pmid”的值“abc”无效" in page.text and "请求有误" in page.text
    assert client.get("/records/abc?lang=en").text.count("“abc” is not a valid pmid") == 1
    api = client.get("/api/records/abc")
    assert api.status_code == 422 and api.json()["detail"][0]["loc"] == ["path", "pmid"]
    missing = client.get("/nowhere", cookies={"lang": "zh"})
    assert missing.status_code == 404 and "没有这个页面：/nowhere" in missing.text
    assert client.get("/api/nowhere").json() == {"detail": "Not Found"}


def test_record_page_speaks_chinese(client):
    page = html.fromstring(client.get("/records/19622817", cookies={"lang": "zh"}).text)
    target_labels = [e.text_content() for e in page.xpath("//div[contains(@class,'target')]/h3[@class='section-label']")]
    assert target_labels[0] == "背景" and target_labels[-1] == "结论"
    assert page.xpath("string(//dd[@class='article-types'])").startswith("期刊论文")
    assert page.xpath("string(//dd[@class='languages'])") == "英语"


def test_empty_year_boxes_and_bad_values_keep_the_search(client):
    page = html.fromstring(client.get("/search", params={"q": "tau", "year_from": "", "year_to": "", "sort": "relevance"}).text)
    assert page.xpath("//li[@class='hit']") and not page.xpath("//ul[@class='notes']")
    page = html.fromstring(client.get("/search", params={"q": "tau", "year_from": "abc", "year_to": "2010", "page": "x"}, cookies={"lang": "zh"}).text)
    assert "年份“abc”无效，已忽略" in page.xpath("string(//ul[@class='notes'])")
    assert all(int(y) <= 2010 for y in page.xpath("//ul[@data-facet='year']//a/@data-value"))
    swapped = html.fromstring(client.get("/search", params={"q": "tau", "year_from": "2015", "year_to": "2010"}, cookies={"lang": "zh"}).text)
    assert "已对调为 2010–2015" in swapped.xpath("string(//ul[@class='notes'])")


def test_sort_and_year_form_keeps_every_active_facet(client):
    params = [("q", "tau"), ("type", "Review"), ("language", "eng"), ("has_abstract", "true")]
    page = html.fromstring(client.get("/search", params=params).text)
    form = page.xpath("//form[@class='sort-year']")[0]
    hidden = {(i.get("name"), i.get("value")) for i in form.xpath(".//input[@type='hidden']")}
    assert {("type", "Review"), ("language", "eng"), ("has_abstract", "true"), ("q", "tau")} <= hidden
    year_link = page.xpath("//ul[@data-facet='year']//a/@href")[0]
    query = parse_qs(urlparse(year_link).query)
    assert query["type"] == ["Review"] and query["language"] == ["eng"] and query["has_abstract"] == ["true"]


def test_facet_counts_match_the_total_after_clicking(client):
    page = html.fromstring(client.get("/search", params={"q": "阿尔茨海默病的脑脊液生物标志物"}).text)
    links = page.xpath("//ul[@class='facet' and @data-facet!='year']//a") + page.xpath("//ul[@data-facet='year']//a")[:3]
    assert len(links) > 10
    for link in links:
        count = int(link.getparent().xpath("string(span[@class='count'])"))
        clicked = client.get("/api" + link.get("href")).json()
        assert clicked["total"] == count, link.get("href")


def test_publication_types_named_in_chinese_genre_types_last(client):
    page = html.fromstring(client.get("/search", params={"q": "阿尔茨海默病的脑脊液生物标志物"}, cookies={"lang": "zh"}).text)
    shown = page.xpath("//ul[@data-facet='type']/li/a/text()")
    folded = page.xpath("//details[@class='genre-types']//a/text()")
    assert "期刊论文" in folded and "非美国政府资助研究" in folded
    assert "期刊论文" not in shown[: len(shown) - len(folded)] and "综述" in shown


def test_honest_counts_on_the_page(client):
    one = html.fromstring(client.get("/search", params={"q": "氯胺酮为什么起效快"}, cookies={"lang": "zh"}).text)
    assert one.xpath("string(//p[@class='few-results-text'])") == "本地文献库中仅有 2 篇文献提到“氯胺酮”"
    assert len(one.xpath("//ol[@class='hits']/li")) == 2
    assert one.xpath("string(//section[@class='related']/h2)") == "相关文献（未包含全部检索词）"
    assert len(one.xpath("//ol[contains(@class,'related-hits')]/li")) == 18
    none = html.fromstring(client.get("/search", params={"q": "利妥昔单抗"}, cookies={"lang": "zh"}).text)
    assert none.xpath("string(//p[@class='few-results-text'])") == "本地文献库中没有关于“利妥昔单抗”的文献"
    assert none.xpath("//button[@class='copy-command']/@data-command") == ['medbridge fetch "Rituximab"']
    many = html.fromstring(client.get("/search", params={"q": "阿尔茨海默病的脑脊液生物标志物"}, cookies={"lang": "zh"}).text)
    assert not many.xpath("//div[@class='few-results']") and not many.xpath("//section[@class='related']")
    assert "共 73 条结果" in many.xpath("string(//p[contains(@class,'result-count')])")


def test_syntax_error_in_chinese(client):
    page = html.fromstring(client.get("/search", params={"q": "tau AND (amyloid"}, cookies={"lang": "zh"}).text)
    assert page.xpath("string(//section[@class='syntax-error']/h2)") == "检索式有误"
    assert page.xpath("string(//p[@class='error-message'])") == "检索式第 9 个字符处有误：“(”没有闭合"
