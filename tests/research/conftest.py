"""Research fixtures: a writable copy of the sample home with the model switched off (extractive path)."""

from __future__ import annotations

import pytest

from medbridge.services import Services
from medbridge.settings import load_settings
from medbridge.store import open_store


@pytest.fixture
def research_settings(sample_copy_settings, monkeypatch):
    monkeypatch.setenv("MEDBRIDGE_LLM__BACKEND", "none")
    return load_settings(home=sample_copy_settings.home, llm={"backend": "none"})


@pytest.fixture
def research_store(research_settings):
    store = open_store(research_settings)
    yield store
    store.close()


@pytest.fixture
def research_services(research_settings, research_store, terminology) -> Services:
    return Services(research_settings, store=research_store, terminology=terminology)
