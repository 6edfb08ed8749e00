"""
The tutorial as a whole: every page replays onto its checkpoint, and any
drift, of a page from its code or of the code from its pages, fails loudly.

The faults are written into copies of this tree made of git objects (see
tutorial.gitdb), so the working tree is never touched.
"""

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.tutorial.checkpoint import BOOK, GIT, HERE, ROOT, TREE
from tutorial.__main__ import check
from tutorial.book import Part
from tutorial.checkpoints import derive, own_files, page_of, patch_of
from tutorial.diagrams import DIAGRAMS, draw
from tutorial.pages import Change, Command, NewFile, read_page
from tutorial.verify import LONG_TESTS, long_tests_left_out

SECTIONS = ["## What you will build", "## Steps", "## Run it", "## What just happened", "## Next"]
reaches = pytest.mark.reaches  # the test needs this part (see conftest.py)


Edit = Callable[[str], str]


@pytest.fixture(scope="module")
def tree() -> str:
    """This working tree, as a git tree."""
    return TREE


def edited(tree: str, edits: dict[str, Edit | None]) -> str:
    """`tree` with each file's text passed through its edit (None removes it)."""
    with GIT.index(tree) as index:
        for path, edit in edits.items():
            if edit is None:
                index.remove(path)
            else:
                before = index.read(path)
                index.put(path, edit("" if before is None else before.decode()).encode())
        return index.write_tree()


def test_every_page_replays_onto_its_checkpoint_and_the_lock_holds(tree: str) -> None:
    assert check(GIT, tree) == []


def test_this_tree_is_its_checkpoint_and_each_part_changes_something(tree: str) -> None:
    derived = derive(GIT, tree)

    assert derived.source == HERE
    assert derived.trees[HERE] == tree
    for part in BOOK.parts[1 : HERE + 1]:
        assert derived.files[part.number] != derived.files[part.number - 1], part.label


@reaches(2)
def test_a_line_changed_in_a_file_a_page_shows_whole_fails_and_names_the_page(
    tree: str,
) -> None:
    part = BOOK.parts[2]
    shown = next(s for s in page_of(GIT, tree, part).steps if isinstance(s, NewFile))
    body_line = shown.line + 1  # the block's first line of code, counted from 1

    def change_the_line(page: str) -> str:
        lines = page.split("\n")
        lines[body_line - 1] += "  # changed"
        return "\n".join(lines)

    problems = check(GIT, edited(tree, {part.page: change_the_line}))

    assert problems != []
    assert f"{part.page}:{shown.line}" in problems[0]
    assert shown.path in problems[0]


@reaches(BOOK.last.number)
def test_a_line_of_code_changed_in_a_file_a_page_shows_whole_fails_and_names_the_page(
    tree: str,
) -> None:
    part, shown = last_shown_whole(tree)

    problems = check(GIT, edited(tree, {shown.path: lambda text: "# changed\n" + text}))

    assert problems != []
    assert f"{part.page}:{shown.line}" in problems[0]


def last_shown_whole(tree: str) -> tuple[Part, NewFile]:
    """The last file a page shows whole that no later part changes: main has it as shown."""
    later: set[str] = set()
    for part in reversed(BOOK.parts[1 : HERE + 1]):
        steps = page_of(GIT, tree, part).steps
        for step in steps:
            if isinstance(step, NewFile) and step.path not in later:
                return part, step
        later |= {s.path for s in steps if isinstance(s, NewFile | Change)}
        later |= patch_of(GIT, tree, part).paths
    raise AssertionError("no page shows a file whole")


@reaches(BOOK.last.number)
def test_a_change_to_code_no_page_shows_reaches_back_into_every_checkpoint_and_fails(
    tree: str,
) -> None:
    problems = check(GIT, edited(tree, {"manage.py": lambda text: text + "# changed\n"}))

    assert "cp0: manage.py changed (part 0, docs/tutorial/00-project.md)" in problems[0]
    assert f"{BOOK.parts[-2].branch}: manage.py changed" in problems[0]


@reaches(BOOK.last.number)
def test_a_new_file_that_no_part_brings_lands_in_cp0_and_fails(tree: str) -> None:
    problems = check(GIT, edited(tree, {"core/stray.py": lambda text: "STRAY = 1\n"}))

    assert "cp0: core/stray.py added" in problems[0]
    assert "main: core/stray.py added to the project" in problems[0]


@reaches(1)
def test_a_file_readers_type_cannot_be_taken_with_git_checkout(tree: str) -> None:
    part = next(p for p in BOOK.parts[1 : HERE + 1] if (ROOT / p.patch).is_file())

    problems = check(
        GIT, edited(tree, {part.patch: lambda text: "added chat/consumers.py\n" + text})
    )

    assert problems == [
        f"{part.label}: chat/consumers.py is a file readers type, so its page shows it "
        "(whole if new, as a diff if changed); it cannot be taken with git checkout"
    ]


@reaches(BOOK.last.number)
def test_a_page_that_forgets_to_take_a_file_leaves_the_reader_without_it(tree: str) -> None:
    part = next(p for p in BOOK.parts[1 : HERE + 1] if (ROOT / p.patch).is_file())
    checkout = next(
        step
        for step in page_of(GIT, tree, part).steps
        if isinstance(step, Command)
        and step.words[:2] == ("git", "checkout")
        and "--" in step.words
    )
    taken = checkout.words[4:]

    def take_one_less(page: str) -> str:
        lines = page.split("\n")
        start = checkout.line - 1
        end = start
        while lines[end].endswith("\\"):
            end += 1
        kept = " ".join(taken[1:])
        lines[start : end + 1] = [f"$ git checkout {part.branch} -- {kept}".rstrip()]
        return "\n".join(lines)

    problems = check(GIT, edited(tree, {part.page: take_one_less}))

    # The file then stays in the checkpoint before, which the lock catches.
    assert any(f"{taken[0]} added (part 0" in p for p in problems), problems


@reaches(2)
def test_a_page_may_not_run_a_command_whose_effect_nobody_checked(tree: str) -> None:
    part = BOOK.parts[2]

    def add_a_command(page: str) -> str:
        return page + "\n```console\n$ sed -i s/a/b/ chat/consumers.py\n```\n"

    problems = check(GIT, edited(tree, {part.page: add_a_command}))

    assert len(problems) == 1
    assert "the tutorial does not know what `sed` changes" in problems[0]


@pytest.mark.parametrize("part", BOOK.parts[1:], ids=lambda part: part.branch)
def test_every_part_says_what_you_build_the_steps_how_to_run_it_and_why(part: Part) -> None:
    text = (ROOT / part.page).read_text()
    headings = re.findall(r"^## .*$", text, re.MULTILINE)

    assert [h for h in headings if h in SECTIONS] == SECTIONS
    assert text.startswith(f"# Part {part.number}: {part.title}\n")
    assert read_page(text, part.page).steps, "a part with no steps"


def test_the_tutorials_index_lists_every_part_in_order() -> None:
    index = (ROOT / "docs/tutorial/README.md").read_text()
    listed = re.findall(r"\]\((\d\d-[\w-]+\.md)\)", index)

    assert listed == [part.page.removeprefix("docs/tutorial/") for part in BOOK.parts]


@pytest.mark.parametrize("source", sorted(DIAGRAMS.glob("*.mmd")), ids=lambda path: path.stem)
def test_every_diagram_is_drawn_from_its_text(source: Path) -> None:
    assert source.with_suffix(".svg").read_text() == draw(source)


def test_the_book_is_the_same_in_every_checkpoint(tree: str) -> None:
    derived = derive(GIT, tree)
    book_files = {path: entry for path, entry in GIT.entries(tree).items() if BOOK.is_book(path)}

    assert sorted(derived.trees) == list(range(HERE + 1))
    for number, checkpoint in derived.trees.items():
        entries = GIT.entries(checkpoint)
        assert {p: e for p, e in entries.items() if BOOK.is_book(p)} == book_files, number
        assert own_files(BOOK, entries) == derived.files[number]


def test_ci_runs_a_long_test_at_the_checkpoint_that_brings_it_and_not_after(tree: str) -> None:
    trees = derive(GIT, tree).trees
    for path in LONG_TESTS:
        has_it = [number for number in sorted(trees) if GIT.text("ls-tree", trees[number], path)]
        arrives = has_it[0]
        assert arrives == 0 or path not in long_tests_left_out(GIT, trees[arrives - 1]), path
        for later in has_it[1:]:
            assert path in long_tests_left_out(GIT, trees[later - 1]), (path, later)
