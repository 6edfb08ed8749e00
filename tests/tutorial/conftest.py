"""
A test marked `reaches(n)` needs part n. On a checkpoint before it, the test is
not collected at all (it has nothing to check there), rather than skipped:
in CI a skip means something is missing, and nothing is.
"""

import pytest

from tests.tutorial.checkpoint import HERE


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "reaches(part): the test needs this part of the tutorial")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    later = [
        item
        for item in items
        if (mark := item.get_closest_marker("reaches")) is not None and mark.args[0] > HERE
    ]
    if later:
        config.hook.pytest_deselected(items=later)
        items[:] = [item for item in items if item not in later]
