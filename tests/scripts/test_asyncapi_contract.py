"""
The schema contract (scripts/asyncapi-contract.mjs) in a repository of its own:
a change that cannot break a client passes, a breaking one fails until the
document's version is raised and the changelog says what breaks, and main
keeps the contract with its own base.
"""

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support.servers import BASE_DIR
from tests.support.services import require_node_modules

CONTRACT = BASE_DIR / "scripts" / "asyncapi-contract.mjs"
DOCUMENT = Path("schema") / "asyncapi.yaml"


def contract(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    require_node_modules()
    node = shutil.which("node")
    assert node is not None
    return subprocess.run(
        [node, str(CONTRACT), *args], cwd=repo, capture_output=True, text=True, timeout=120
    )


def git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=repo, check=True, capture_output=True,
    )  # fmt: skip


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repository whose one commit holds today's document."""
    (tmp_path / "schema").mkdir()
    shutil.copyfile(BASE_DIR / DOCUMENT, tmp_path / DOCUMENT)
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-q", "-m", "the document")
    return tmp_path


def edit(repo: Path, change: Any) -> None:
    document = yaml.safe_load((repo / DOCUMENT).read_text())
    change(document)
    (repo / DOCUMENT).write_text(yaml.safe_dump(document, sort_keys=False))


def attachment(document: dict[str, Any]) -> dict[str, Any]:
    schema: dict[str, Any] = document["components"]["schemas"]["AttachmentView"]
    return schema


def test_an_unchanged_document_keeps_the_contract(repo: Path) -> None:
    result = contract(repo, "HEAD")

    assert result.returncode == 0, result.stderr
    assert "0 breaking, 0 non-breaking" in result.stdout


def test_a_new_optional_property_does_not_break_a_client(repo: Path) -> None:
    edit(repo, lambda d: attachment(d)["properties"].update(alt={"type": "string"}))

    result = contract(repo, "HEAD")

    assert result.returncode == 0, result.stdout + result.stderr
    assert " 0 breaking" in result.stdout


def renamed_action(document: dict[str, Any]) -> None:
    """chat_history's `action` becomes another word: every client misses the frame."""
    reference = document["components"]["messages"]["chat_history"]["payload"]["$ref"]
    schema = document["components"]["schemas"][reference.rsplit("/", 1)[1]]
    schema["properties"]["action"]["const"] = "history"


@pytest.mark.parametrize(
    "change",
    [
        lambda d: attachment(d)["properties"]["size"].update(type="string"),
        lambda d: attachment(d)["required"].remove("size"),
        renamed_action,
    ],
    ids=["a type changed", "a property no longer required", "an action renamed"],
)
def test_a_change_that_can_break_a_client_fails_the_contract(repo: Path, change: Any) -> None:
    edit(repo, change)

    result = contract(repo, "HEAD")

    assert result.returncode == 1, result.stdout
    assert "must be declared" in result.stderr


def test_a_removed_property_fails_until_the_version_and_the_changelog_declare_it(
    repo: Path,
) -> None:
    edit(repo, lambda d: attachment(d)["properties"].pop("size"))

    refused = contract(repo, "HEAD")
    (repo / "CHANGELOG.md").write_text("# Changelog\n\n## 2.0.0\n\nBreaking: clients must...\n")
    changelog_alone = contract(repo, "HEAD")
    edit(repo, lambda d: d["info"].update(version="2.0.0"))
    declared = contract(repo, "HEAD")

    assert refused.returncode == 1
    assert "must be declared" in refused.stderr
    assert changelog_alone.returncode == 1  # the version is still 1.0.0
    assert declared.returncode == 0, declared.stdout + declared.stderr
    assert "Declared: version 1.0.0 -> 2.0.0" in declared.stdout


def test_without_a_document_at_the_base_there_is_nothing_to_compare(repo: Path) -> None:
    git(repo, "rm", "-q", str(DOCUMENT))
    git(repo, "commit", "-q", "-m", "no document")
    (repo / "schema").mkdir()
    shutil.copyfile(BASE_DIR / DOCUMENT, repo / DOCUMENT)

    result = contract(repo, "HEAD")

    assert result.returncode == 0
    assert "nothing to compare" in result.stdout


def test_this_tree_keeps_the_contract_with_its_base() -> None:
    result = contract(BASE_DIR)

    assert result.returncode == 0, result.stdout + result.stderr
