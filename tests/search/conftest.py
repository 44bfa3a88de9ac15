"""The sample corpus indexed once per session (lexical index + bundled vectors) in the shared sample home."""

import pytest

from medbridge.search.engine import SearchEngine


@pytest.fixture(scope="session")
def sample_engine(sample_services) -> SearchEngine:
    engine = sample_services.search_engine
    engine.index.update()
    return engine
