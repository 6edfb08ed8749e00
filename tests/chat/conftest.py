import pytest

from chat.presence import memory_store


@pytest.fixture(autouse=True)
def empty_presence_registry() -> None:
    """The in-process presence registry outlives a test's event loop; start each test empty."""
    memory_store.clear()
