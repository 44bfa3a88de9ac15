"""Accounts on the real app over loopback HTTP: signing in, API tokens, each user's uploads, reviews,
conversations and fetches invisible to the others (pages and JSON), CSRF, quotas, the upload limit, and
trusted-proxy sign-in believed only from the proxy's address."""

from __future__ import annotations

import io
import re
import shutil

import httpx
import pytest
from docx import Document
from lxml import html
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait
from typer.testing import CliRunner

from medbridge.cli.main import app as cli
from medbridge.services import Services
from medbridge.settings import load_settings
from medbridge.store import open_store
from medbridge.web.app import create_app

PASSWORDS = {"alice": "alice-password", "bob": "bob-password", "carol": "carol-password", "root": "root-password",
             "erin": "erin-password", "frank": "frank-password", "gina": "gina-password",
             "hana": "hana-password", "ivan": "ivan-password"}
runner = CliRunner()


@pytest.fixture(scope="module")
def home(sample_settings, tmp_path_factory):
    """A private copy of the sample home with four users (root an administrator), added through the CLI."""
    home = tmp_path_factory.mktemp("accounts") / "home"
    shutil.copytree(sample_settings.home, home)
    for name, password in PASSWORDS.items():
        result = runner.invoke(cli, ["users", "add", name, "--password-stdin", *(["--admin"] if name == "root" else [])],
                               input=password + "\n", env={"MEDBRIDGE_HOME": str(home)})
        assert result.exit_code == 0, result.output
    return home


def settings_for(home, **auth):
    return load_settings(home=home, llm={"backend": "none"}, auth=auth,
                         limits={"model_requests_per_minute": 30, "jobs_per_day": 2},
                         documents={"max_file_mb": 1}, pubmed={"eutils_url": "http://127.0.0.1:9/", "max_retries": 0})


@pytest.fixture(scope="module")
def server(home, serve_for_session):
    return serve_for_session(create_app(Services(settings_for(home, mode="local"))))


def token_for(home, user: str) -> str:
    result = runner.invoke(cli, ["tokens", "create", user, "--label", "tests"], env={"MEDBRIDGE_HOME": str(home)})
    assert result.exit_code == 0, result.output
    return result.stdout.strip()


def csrf_of(page: str) -> str:
    return html.fromstring(page).xpath("//input[@name='csrf_token']/@value")[0]


def signed_in(server: str, name: str, password: str | None = None) -> httpx.Client:
    client = httpx.Client(base_url=server, timeout=60)
    form = client.get("/login", params={"next": "/research"})
    response = client.post("/login", data={"name": name, "password": password or PASSWORDS[name], "csrf_token": csrf_of(form.text),
                                           "next": "/research"})
    assert response.status_code == 303 and response.headers["location"] == "/research"
    return client


def post_form(client: httpx.Client, page: str, action: str, data: dict, files: dict | None = None) -> httpx.Response:
    """Submit a form the way the browser does: with the CSRF token of the page it is on."""
    return client.post(action, data={**data, "csrf_token": csrf_of(client.get(page).text)}, files=files)


def docx_bytes(text: str) -> bytes:
    document = Document()
    document.add_paragraph(text)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def test_signing_in(server, home):
    anonymous = httpx.Client(base_url=server, timeout=60)
    redirect = anonymous.get("/documents")
    assert redirect.status_code == 303 and redirect.headers["location"] == "/login?next=/documents"
    assert anonymous.get("/api/research").status_code == 401
    assert anonymous.get("/api/research").headers["www-authenticate"] == "Bearer"
    bad = anonymous.get("/api/research", headers={"Authorization": "Bearer mbt_nothing_like_a_token"})
    assert bad.status_code == 401 and "API 令牌无效" in bad.json()["error"]

    form = anonymous.get("/login?lang=en")
    assert "Sign in" in form.text
    wrong = anonymous.post("/login", data={"name": "alice", "password": "guess", "csrf_token": csrf_of(form.text)})
    assert wrong.status_code == 401 and "Wrong user name or password" in wrong.text
    no_token = anonymous.post("/login", data={"name": "alice", "password": PASSWORDS["alice"]})
    assert no_token.status_code == 403

    alice = signed_in(server, "alice")
    page = alice.get("/research")
    assert page.status_code == 200 and "当前用户：alice" in page.text
    out = post_form(alice, "/research", "/logout", {})
    assert out.status_code == 303 and out.headers["location"] == "/login?signed_out=true"
    assert alice.get("/research").status_code == 303  # the old session is gone


def test_users_see_only_their_own_work(server, home):
    alice, bob, root = signed_in(server, "alice"), signed_in(server, "bob"), signed_in(server, "root")
    bob_api = httpx.Client(base_url=server, timeout=60, headers={"Authorization": f"Bearer {token_for(home, 'bob')}"})
    alice_api = httpx.Client(base_url=server, timeout=60, headers={"Authorization": f"Bearer {token_for(home, 'alice')}"})

    # an upload (a document job), through the page's form
    upload = post_form(alice, "/documents", "/documents", {"target": "zh"},
                       files={"file": ("alice-notes.docx", docx_bytes("Cerebrospinal fluid biomarkers of Alzheimer disease."))})
    assert upload.status_code == 303
    document = upload.headers["location"].rsplit("/", 1)[1]
    assert alice.get(f"/documents/{document}").status_code == 200
    assert bob.get(f"/documents/{document}").status_code == 404
    assert "alice-notes.docx" in alice.get("/documents").text and "alice-notes.docx" not in bob.get("/documents").text
    assert bob_api.get(f"/api/documents/jobs/{document}").status_code == 404
    assert bob_api.get(f"/api/documents/jobs/{document}/files/mono").status_code == 404
    assert bob_api.post(f"/api/documents/jobs/{document}/cancel").status_code == 404
    assert [j["id"] for j in alice_api.get("/api/documents/jobs").json()] == [document]
    assert bob_api.get("/api/documents/jobs").json() == []

    # a research review
    review = post_form(alice, "/research", "/research", {"q": "tau PET imaging in Alzheimer disease", "max_sources": "3"})
    assert review.status_code == 303
    job = review.headers["location"].rsplit("/", 1)[1]
    assert bob.get(f"/research/{job}").status_code == 404
    assert bob_api.get(f"/api/research/{job}").status_code == 404
    assert post_form(bob, "/research", f"/research/{job}/cancel", {}).status_code == 404
    assert "tau PET imaging" not in bob.get("/research").text and "tau PET imaging" in alice.get("/research").text
    assert job not in [j["id"] for j in bob_api.get("/api/research").json()]
    assert alice_api.post(f"/api/research/{job}/cancel").json()["state"] in ("cancelled", "done", "failed")

    # a conversation (chat search thread)
    chat = post_form(alice, "/chat", "/chat", {"text": "阿尔茨海默病的脑脊液生物标志物"})
    assert chat.status_code == 303
    conversation = chat.headers["location"].rsplit("/", 1)[1]
    assert alice.get(f"/chat/{conversation}").status_code == 200
    assert bob.get(f"/chat/{conversation}").status_code == 404
    assert bob_api.get(f"/api/conversations/{conversation}").status_code == 404
    assert bob_api.post(f"/api/conversations/{conversation}/messages", json={"text": "只要综述"}).status_code == 404
    assert alice_api.post(f"/api/conversations/{conversation}/messages", json={"text": "只要综述"}).status_code == 200
    assert conversation in [c["id"] for c in alice_api.get("/api/conversations").json()]
    assert conversation not in [c["id"] for c in bob_api.get("/api/conversations").json()]

    # a fetch job
    fetch = alice_api.post("/api/fetch", json={"query": "tau"})
    assert fetch.status_code == 201
    assert bob_api.get(f"/api/fetch/{fetch.json()['id']}").status_code == 404
    assert fetch.json()["id"] not in [j["id"] for j in bob_api.get("/api/fetch").json()]

    # an administrator sees everyone's
    assert root.get(f"/documents/{document}").status_code == 200 and root.get(f"/chat/{conversation}").status_code == 200
    assert job in [j["id"] for j in root.get("/api/research").json()]


def test_form_posts_need_their_csrf_token(server, home):
    alice = signed_in(server, "alice")
    missing = alice.post("/chat", data={"text": "tau"})
    assert missing.status_code == 403 and "安全令牌" in missing.text
    assert alice.post("/chat", data={"text": "tau", "csrf_token": "forged"}).status_code == 403
    assert alice.post("/api/conversations", json={"text": "tau"}).status_code == 403  # a cookie alone is not enough
    assert alice.post("/api/conversations", json={"text": "tau"}, headers={"X-CSRF-Token": csrf_of(alice.get("/chat").text)}).status_code == 200
    bearer = httpx.Client(base_url=server, timeout=60, headers={"Authorization": f"Bearer {token_for(home, 'alice')}"})
    assert bearer.post("/api/conversations", json={"text": "tau"}).status_code == 200  # tokens are exempt


def test_single_user_mode_refuses_cross_site_posts(live_server):
    client = httpx.Client(base_url=live_server, timeout=60)
    refused = client.post("/chat", data={"text": "tau"}, headers={"Origin": "http://evil.example"})
    assert refused.status_code == 403 and "已拒绝来自其他网站" in refused.text
    assert client.post("/chat", data={"text": "tau"}, headers={"Origin": live_server}).status_code == 303


def test_daily_quota_answers_429_in_the_ui_language(server, home):
    carol = signed_in(server, "carol")
    carol_api = httpx.Client(base_url=server, timeout=60, headers={"Authorization": f"Bearer {token_for(home, 'carol')}"})
    for _ in range(2):
        created = carol_api.post("/api/research", json={"question": "amyloid", "max_sources": 3})
        assert created.status_code == 201
        carol_api.post(f"/api/research/{created.json()['id']}/cancel")
    over = post_form(carol, "/research", "/research", {"q": "amyloid"})
    assert over.status_code == 429 and "已达今日配额：24 小时内最多 2 个" in over.text
    carol.cookies.set("lang", "en")
    assert "Daily quota reached" in post_form(carol, "/research", "/research", {"q": "amyloid"}).text
    api_over = carol_api.post("/api/research", json={"question": "amyloid"})
    assert api_over.status_code == 429 and "daily quota" in api_over.json()["error"]
    assert len(carol_api.get("/api/research").json()) == 2


def test_rate_limit_per_minute(home, serve_for_session):
    limited = settings_for(home, mode="local").model_copy(update={"limits": load_settings(
        home=home, limits={"model_requests_per_minute": 2, "jobs_per_day": 50}).limits})
    server = serve_for_session(create_app(Services(limited)))
    api = httpx.Client(base_url=server, timeout=60, headers={"Authorization": f"Bearer {token_for(home, 'gina')}"})
    for _ in range(2):
        created = api.post("/api/research", json={"question": "neuroinflammation", "max_sources": 3})
        assert created.status_code == 201
        api.post(f"/api/research/{created.json()['id']}/cancel")
    refused = api.post("/api/research", json={"question": "neuroinflammation"})
    assert refused.status_code == 429 and "at most 2 model requests a minute" in refused.json()["error"]
    assert refused.json()["message"] == "请求过于频繁：每分钟最多 2 次模型请求，请稍后再试"  # for the page's script


def test_upload_size_limit(server, home):
    bob = signed_in(server, "bob")
    big = b"%PDF-1.7\n" + b"0" * (4 << 20)  # over the 1 MB limit and the form's allowance: refused unread
    refused = post_form(bob, "/documents", "/documents", {"target": "zh"}, files={"file": ("big.pdf", big)})
    assert refused.status_code == 413 and "上传的文件超过 1 MB 的上限" in refused.text
    near = b"%PDF-1.7\n" + b"0" * (1 << 20) + b"%%EOF"  # over the limit, within the allowance: refused while read
    api = httpx.Client(base_url=server, timeout=60, headers={"Authorization": f"Bearer {token_for(home, 'bob')}"})
    refused_api = api.post("/api/documents/jobs", files={"file": ("near.pdf", near)}, data={"target": "zh"})
    assert refused_api.status_code == 413 and "1 MB limit" in refused_api.json()["error"]
    assert [j["name"] for j in api.get("/api/documents/jobs").json()] == []


def test_proxy_header_believed_only_from_the_proxy(home, serve_for_session):
    trusted = serve_for_session(create_app(Services(settings_for(home, mode="proxy", proxy_addresses=["127.0.0.0/8"]))))
    elsewhere = serve_for_session(create_app(Services(settings_for(home, mode="proxy", proxy_addresses=["10.1.2.3"]))))
    header = {"X-Remote-User": "dana"}
    assert httpx.get(f"{trusted}/api/research", headers=header).status_code == 200
    page = httpx.get(f"{trusted}/research", headers=header)
    assert page.status_code == 200 and "当前用户：dana" in page.text
    assert httpx.get(f"{trusted}/api/research").status_code == 401
    dana = httpx.Client(base_url=trusted, timeout=60, headers=header)  # forms behind the proxy carry CSRF tokens too
    assert dana.post("/chat", data={"text": "tau"}).status_code == 403
    assert post_form(dana, "/chat", "/chat", {"text": "tau"}).status_code == 303
    ignored = httpx.get(f"{elsewhere}/api/research", headers=header)
    assert ignored.status_code == 401 and "登录代理" in ignored.json()["error"]
    # an API token still works from anywhere
    assert httpx.get(f"{elsewhere}/api/research", headers={"Authorization": f"Bearer {token_for(home, 'alice')}"}).status_code == 200


def test_tokens_revoked_and_audited(server, home):
    secret = token_for(home, "bob")
    token_id = re.match(r"mbt_([0-9a-f]+)_", secret).group(1)
    assert httpx.get(f"{server}/api/research", headers={"Authorization": f"Bearer {secret}"}).status_code == 200
    assert runner.invoke(cli, ["tokens", "revoke", token_id], env={"MEDBRIDGE_HOME": str(home)}).exit_code == 0
    assert httpx.get(f"{server}/api/research", headers={"Authorization": f"Bearer {secret}"}).status_code == 401
    audit = runner.invoke(cli, ["audit", "--json"], env={"MEDBRIDGE_HOME": str(home)})
    assert audit.exit_code == 0
    assert '"action": "token.revoke"' in audit.stdout and f"token {token_id}" in audit.stdout
    missing = runner.invoke(cli, ["tokens", "revoke", token_id], env={"MEDBRIDGE_HOME": str(home)})
    assert missing.exit_code == 1 and f"no token {token_id}" in missing.stderr


def test_browser_signs_in_and_sees_only_its_own_reviews(server, home, browser):
    for name in ("erin", "frank"):
        api = httpx.Client(base_url=server, timeout=60, headers={"Authorization": f"Bearer {token_for(home, name)}"})
        job = api.post("/api/research", json={"question": f"{name}'s question on amyloid PET", "max_sources": 3}).json()
        api.post(f"/api/research/{job['id']}/cancel")
    browser.get(f"{server}/research")
    assert browser.current_url.startswith(f"{server}/login?next=")  # sent to sign in first
    browser.find_element(By.ID, "name").send_keys("erin")
    browser.find_element(By.ID, "password").send_keys(PASSWORDS["erin"])
    browser.find_element(By.ID, "sign-in").click()
    assert browser.current_url == f"{server}/research"
    page = browser.find_element(By.TAG_NAME, "main").text
    assert "erin's question on amyloid PET" in page and "frank's question" not in page
    assert "当前用户：erin" in browser.find_element(By.CLASS_NAME, "topbar").text
    browser.find_element(By.ID, "sign-out").click()
    assert "/login?signed_out=true" in browser.current_url and "您已退出登录" in browser.page_source


def test_browser_shows_why_a_translation_was_refused(home, serve_for_session, browser):
    """Past the rate limit the record page's translation stream is refused (429); the page says why, in Chinese."""
    settings = settings_for(home, mode="local").model_copy(update={
        "llm": load_settings(home=home, llm={"backend": "openai", "base_url": "http://127.0.0.1:9/v1", "max_retries": 0}).llm,
        "limits": load_settings(home=home, limits={"model_requests_per_minute": 1}).limits})
    server = serve_for_session(create_app(Services(settings)))
    browser.get(f"{server}/login?lang=zh")
    browser.find_element(By.ID, "name").send_keys("hana")
    browser.find_element(By.ID, "password").send_keys(PASSWORDS["hana"])
    browser.find_element(By.ID, "sign-in").click()
    browser.get(f"{server}/records/19622817")  # its one request this minute: the (unreachable) model is asked
    WebDriverWait(browser, 30).until(lambda b: "127.0.0.1:9" in b.find_element(By.ID, "translation-status").text)
    browser.get(f"{server}/records/19622817")
    WebDriverWait(browser, 30).until(
        lambda b: "请求过于频繁：每分钟最多 1 次模型请求" in b.find_element(By.ID, "translation-status").text)
    browser.find_element(By.ID, "sign-out").click()


def test_a_new_password_ends_the_old_sessions(server, home):
    ivan = signed_in(server, "ivan")
    assert ivan.get("/research").status_code == 200
    changed = runner.invoke(cli, ["users", "set-password", "ivan", "--password-stdin"], input="ivan-new-password\n",
                            env={"MEDBRIDGE_HOME": str(home)})
    assert changed.exit_code == 0
    assert ivan.get("/research").status_code == 303  # signed out everywhere: sign in with the new password
    assert signed_in(server, "ivan", "ivan-new-password").get("/research").status_code == 200


def test_serve_refuses_single_user_mode_off_loopback(tmp_path):
    result = runner.invoke(cli, ["serve", "--host", "0.0.0.0"], env={"MEDBRIDGE_HOME": str(tmp_path)})
    assert result.exit_code == 1
    assert result.stderr.strip().startswith("error: refusing to serve on 0.0.0.0 without accounts")
    assert len(result.stderr.strip().splitlines()) == 1


def test_only_administrators_start_a_sync_of_pubmeds_files(home, server):
    """A sync fills the department's shared corpus and disk: a user is refused with a clear line, not a job."""
    ivan = httpx.Client(base_url=server, timeout=60, headers={"Authorization": f"Bearer {token_for(home, 'ivan')}"})
    refused = ivan.post("/api/sync", json={"updates": True, "baseline": False})
    assert refused.status_code == 403 and refused.json() == {"error": "only administrators start a sync of PubMed's files"}
    assert not open_store(settings_for(home)).list_jobs(kind="sync")
