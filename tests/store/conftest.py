"""Store tests run on every backend."""

import pytest


@pytest.fixture
def settings(backend_settings):
    """Every store test runs on SQLite and on PostgreSQL."""
    return backend_settings
