"""The sample corpus indexed once per session (lexical index + bundled vectors) in the shared sample home."""

import pytest

from medbridge.search import open_search
from medbridge.search.engine import SearchEngine


@pytest.fixture(scope="session")
def sample_engine(sample_settings, sample_store) -> SearchEngine:
    engine = open_search(sample_store, sample_settings)
    engine.index.update()
    return engine
