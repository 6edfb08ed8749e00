"""Checkpoints are cut from this tree by the manifest, and every file has its step."""

from pathlib import Path

import pytest

from tutorial.checkpoints import (
    MARKER,
    ROOT,
    Manifest,
    build,
    checkpoint,
    current_commit,
    cut,
    git,
    line_steps,
)

MANIFEST = Manifest.load()
LAST = len(MANIFEST.steps) - 1


def tracked_files() -> dict[str, bytes]:
    paths = git("ls-files", "-z").decode().split("\0")
    return {path: (ROOT / path).read_bytes() for path in paths if path and (ROOT / path).is_file()}


FILES = tracked_files()


def text_of(content: bytes) -> str | None:
    try:
        return content.decode()
    except UnicodeDecodeError:
        return None


def test_every_file_in_the_repository_belongs_to_a_step() -> None:
    assert [path for path in FILES if MANIFEST.step_of(path) is None] == []


def test_markers_appear_only_in_composition_files() -> None:
    marked = [
        path
        for path, content in FILES.items()
        if not MANIFEST.is_composition(path)
        and not MANIFEST.may_quote_markers(path)
        and any(MARKER.search(line) for line in (text_of(content) or "").splitlines())
    ]

    assert marked == []


def test_every_marker_names_a_step_of_the_manifest() -> None:
    names = {step.name for step in MANIFEST.steps}
    for path in FILES:
        if MANIFEST.is_composition(path):
            assert set(line_steps(FILES[path].decode())) - {None} <= names, path


def test_steps_have_distinct_names_branches_and_pages() -> None:
    for field in ("name", "branch", "page"):
        values = [getattr(step, field) for step in MANIFEST.steps]
        assert len(set(values)) == len(values), field


def test_the_last_checkpoint_is_the_whole_tree() -> None:
    assert checkpoint(FILES, LAST, MANIFEST) == FILES


def test_cutting_a_checkpoint_again_changes_nothing() -> None:
    for later in range(LAST + 1):
        tree = checkpoint(FILES, later, MANIFEST)
        for earlier in range(later + 1):
            assert checkpoint(tree, earlier, MANIFEST) == checkpoint(FILES, earlier, MANIFEST)


def test_each_checkpoint_adds_only_the_files_and_lines_of_its_step() -> None:
    for step in range(1, LAST + 1):
        before, after = checkpoint(FILES, step - 1, MANIFEST), checkpoint(FILES, step, MANIFEST)
        for path in after.keys() - before.keys():
            assert MANIFEST.step_of(path) == step, path
        for path in before.keys() & after.keys():
            if before[path] == after[path]:
                continue
            lines = after[path].decode().splitlines()
            added = set(lines) - set(before[path].decode().splitlines())
            steps = dict(zip(lines, line_steps(after[path].decode()), strict=True))
            assert {steps[line] for line in added if line.strip()} == {MANIFEST.steps[step].name}


# The rules on small examples. Steps: start, setup, chat, ...
SETTINGS = """\
INSTALLED_APPS = [
    "core",
    "chat",  # tutorial: chat
]

DEBUG = False

# tutorial: chat
# Chat settings
CHAT_LIMIT = 10

LOGGING = {}
"""


def test_a_line_ending_in_a_marker_arrives_with_its_step() -> None:
    assert '"chat"' not in cut(SETTINGS, MANIFEST.index("setup"), MANIFEST)
    assert '"chat",  # tutorial: chat' in cut(SETTINGS, MANIFEST.index("chat"), MANIFEST)


def test_a_marker_line_brings_its_paragraph_and_the_blank_lines_before_it() -> None:
    assert cut(SETTINGS, MANIFEST.index("setup"), MANIFEST) == (
        'INSTALLED_APPS = [\n    "core",\n]\n\nDEBUG = False\n\nLOGGING = {}\n'
    )
    assert cut(SETTINGS, MANIFEST.index("chat"), MANIFEST) == SETTINGS


def test_a_paragraph_dropped_at_the_top_of_a_file_takes_the_blank_lines_after_it() -> None:
    text = "# tutorial: chat\nimport chat\n\nimport core\n"

    assert cut(text, MANIFEST.index("start"), MANIFEST) == "import core\n"


def test_markers_read_as_comments_in_each_language() -> None:
    lines = [
        "x = 1  # tutorial: chat",
        "const x = 1;  // tutorial: chat",
        "<a>API</a>{# tutorial: chat #}",
        "* the chat <!-- tutorial: chat -->",
    ]

    assert line_steps("\n".join(lines)) == ["chat"] * 4


def test_a_file_no_step_claims_stops_the_cut() -> None:
    with pytest.raises(ValueError, match=r"NOTES\.txt belongs to no tutorial step"):
        checkpoint({"NOTES.txt": b"mine"}, LAST, MANIFEST)


def clone_of_head(where: Path) -> Path:
    """A clone of this repository at HEAD, with an uncommitted change of a user's."""
    path = where / "repo"
    git("clone", "--quiet", "--no-hardlinks", str(ROOT), str(path))
    # The learner's own branch, whatever this repository has checked out.
    git("checkout", "--quiet", "-B", "learner", cwd=path)
    git("config", "user.email", "learner@example.com", cwd=path)
    git("config", "user.name", "Learner", cwd=path)
    (path / "README.md").write_text("my notes\n")
    return path


@pytest.fixture(scope="module")
def clone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return clone_of_head(tmp_path_factory.mktemp("clone"))


def test_building_creates_a_branch_per_checkpoint_and_leaves_the_working_tree_alone(
    clone: Path,
) -> None:
    head = git("rev-parse", "--symbolic-full-name", "HEAD", cwd=clone)

    built = build("HEAD", cwd=clone)

    assert list(built) == [step.branch for step in MANIFEST.steps]
    assert git("rev-parse", "--symbolic-full-name", "HEAD", cwd=clone) == head
    assert git("status", "--porcelain", cwd=clone).decode() == " M README.md\n"
    last = MANIFEST.steps[-1].branch
    assert tree_of(last, clone) == tree_of("HEAD", clone)


def tree_of(revision: str, repo: Path) -> str:
    return git("rev-parse", f"{revision}^{{tree}}", cwd=repo).decode().strip()


def test_each_checkpoint_is_one_commit_on_top_of_the_one_before(clone: Path) -> None:
    build("HEAD", cwd=clone)

    previous: list[str] = []
    for position, step in enumerate(MANIFEST.steps):
        commit, *parents = git("rev-list", "--parents", "-n1", step.branch, cwd=clone).split()
        assert [parent.decode() for parent in parents] == previous
        subject = git("log", "-1", "--format=%s", step.branch, cwd=clone).decode().strip()
        assert subject == f"Tutorial part {position}: {step.title}"
        previous = [commit.decode()]


def test_building_again_from_the_same_source_moves_nothing(clone: Path) -> None:
    assert build("HEAD", cwd=clone) == build("HEAD", cwd=clone)


def test_a_checked_out_checkpoint_is_left_where_it_is(tmp_path: Path) -> None:
    repo = clone_of_head(tmp_path)
    git("checkout", "--quiet", "README.md", cwd=repo)
    first = build("HEAD", cwd=repo)
    git("checkout", "--quiet", "cp2", cwd=repo)
    later = git("commit-tree", "HEAD@{1}^{tree}", "-p", "HEAD@{1}", "-m", "later", cwd=repo)

    rebuilt = build(later.decode().strip(), cwd=repo)

    assert "cp2" not in rebuilt
    assert current_commit("refs/heads/cp2", repo) == first["cp2"]
    assert all(rebuilt[branch] != first[branch] for branch in rebuilt)
    assert git("status", "--porcelain", cwd=repo) == b""
