"""
The checkpoints, derived from one tree: main is the only copy of the code.

The last checkpoint is the tree itself. Each earlier one is the one after
it with that part's step undone: its page's new files removed, its diffs
applied in reverse, its patch of taken files reversed (see tutorial.pages
and tutorial.patches). Undoing a step fails, naming the page and line,
when the page no longer fits the code: a new file shown whole that differs
from the checkpoint's, a diff whose lines are not where it says.

A change to main can also reach back silently: a line that no page shows
changes in every checkpoint that has it. tutorial/checkpoints.lock holds
every checkpoint file by file (cp0 whole, then what each part changes);
the tutorial's test derives the checkpoints again and compares, so any
such change fails until a page takes it or the lock is rewritten on
purpose (`python -m tutorial lock`).
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from tutorial.book import Book, Part
from tutorial.commands import Checkout, CommandError, Remove, Switch, Touch, effect
from tutorial.gitdb import Entry, Git, GitError, Index
from tutorial.pages import Change, Command, NewFile, Page, PageError, read_page
from tutorial.patches import EMPTY, PartPatch, read_patch

Files = dict[str, Entry]  # path -> (mode, blob), the book's own files left out


class TutorialError(Exception):
    """A page or patch that does not fit the code; the message says where and why."""


@dataclass
class Derived:
    """The checkpoints derived from a source tree: tree ids, part by part."""

    book: Book
    trees: dict[int, str]  # part number -> tree id
    source: int  # the part whose checkpoint the source tree is
    files: dict[int, Files] = field(default_factory=dict)


def book_at(git: Git, tree: str) -> Book:
    return Book.parse(file_text(git, tree, "tutorial/book.toml") or "")


def file_text(git: Git, tree: str, path: str) -> str | None:
    done = git.run("cat-file", "blob", f"{tree}:{path}", check=False)
    return done.decode() if done or path_exists(git, tree, path) else None


def path_exists(git: Git, tree: str, path: str) -> bool:
    return bool(git.run("ls-tree", tree, "--", path))


def own_files(book: Book, entries: Mapping[str, Entry]) -> Files:
    return {path: entry for path, entry in entries.items() if not book.is_book(path)}


def page_of(git: Git, tree: str, part: Part) -> Page:
    text = file_text(git, tree, part.page)
    if text is None:
        raise TutorialError(f"{part.label}: the page does not exist")
    try:
        return read_page(text, part.page)
    except PageError as error:
        raise TutorialError(str(error)) from error


def patch_of(git: Git, tree: str, part: Part) -> PartPatch:
    text = file_text(git, tree, part.patch)
    return EMPTY if text is None else read_patch(text)


def derive(git: Git, tree: str, *, book: Book | None = None, source: int | None = None) -> Derived:
    """
    Every checkpoint up to the one `tree` is. Which one that is: the
    checkpoint the lock says it is, if it is one exactly; otherwise the
    last (main, perhaps changed).
    """
    book = book or book_at(git, tree)
    if source is None:
        source = locked_checkpoint(book, own_files(book, git.entries(tree)), read_lock(git, tree))
    trees = {source: tree}
    with git.index(tree) as index:
        for part in reversed(book.parts[1 : source + 1]):
            undo(part, page_of(git, tree, part), patch_of(git, tree, part), index, book)
            trees[part.number - 1] = index.write_tree()
    derived = Derived(book, trees, source)
    for number, checkpoint in trees.items():
        derived.files[number] = own_files(book, git.entries(checkpoint))
    return derived


def undo(part: Part, page: Page, patch: PartPatch, index: Index, book: Book) -> None:
    """Turn the index from this part's checkpoint into the one before it."""
    typed = {step.path for step in page.steps if isinstance(step, NewFile | Change)}
    check_files(part, typed, patch, book)
    if patch.diff:
        try:
            index.apply(patch.diff, reverse=True)
        except GitError as error:
            raise TutorialError(
                f"{part.label}: its patch {part.patch} no longer fits {part.branch}: {error}\n"
                "The files it changes differ from what it says; rewrite it from the part's "
                "checkpoints (see docs/tutorial/README.md)."
            ) from error
    # Files the part creates are removed last, in one go: a diff may change them first.
    created: list[str] = []
    new_files = [step for step in page.steps if isinstance(step, NewFile)]
    current = index.read_many([step.path for step in new_files])
    for step in reversed(page.steps):
        where = f"{part.page}:{step.line}"
        if isinstance(step, NewFile):
            check_new_file(step, where, part, current.get(step.path))
            created.append(step.path)
        elif isinstance(step, Change):
            try:
                index.apply(step.as_patch(), reverse=True)
            except GitError as error:
                raise TutorialError(
                    f"{where}: this change to {step.path} does not fit {part.branch}'s "
                    f"{step.path}: its lines are not there as the page shows them. "
                    f"Update the page to the code.\n{error}"
                ) from error
        else:
            created.extend(undo_command(step, where, part, patch, index, book))
    index.remove(*created)


def check_files(part: Part, typed: set[str], patch: PartPatch, book: Book) -> None:
    for path in sorted(typed | patch.paths):
        if book.is_book(path):
            raise TutorialError(f"{part.label}: {path} is the book's own; no step may change it")
    for path in sorted(typed & patch.paths):
        raise TutorialError(
            f"{part.label}: {path} is both on the page and in {part.patch}; give it one way"
        )
    for path in sorted({*patch.added, *patch.changed}):
        if not book.is_delivered(path, part):
            raise TutorialError(
                f"{part.label}: {path} is a file readers type, so its page shows it "
                f"(whole if new, as a diff if changed); it cannot be taken with git checkout"
            )


def check_new_file(step: NewFile, where: str, part: Part, current: bytes | None) -> None:
    if current is None:
        raise TutorialError(f"{where}: {part.branch} has no {step.path}, which the page creates")
    text = current.decode(errors="replace")
    if text != step.text:
        raise TutorialError(
            f"{where}: the page shows {step.path} whole, and {part.branch}'s differs from "
            f"line {first_difference(step.text, text)} of it. Update the page (or the code) "
            "so they are the same."
        )


def undo_command(
    command: Command, where: str, part: Part, patch: PartPatch, index: Index, book: Book
) -> list[str]:
    """Check a command against the part; the files it creates, to be removed."""
    try:
        done = effect(command)
    except CommandError as error:
        raise TutorialError(f"{where}: {error}") from error
    if isinstance(done, Switch):
        start = book.parts[part.number - 1].branch
        if done.branch != start:
            raise TutorialError(
                f"{where}: `{command.text}`: this part starts from {start}, not {done.branch}"
            )
    elif isinstance(done, Checkout):
        if done.branch != part.branch:
            raise TutorialError(
                f"{where}: `{command.text}` takes files from {done.branch}; "
                f"this part ends at {part.branch}"
            )
        return [path for path in patch.added if matches(path, done.pathspecs)]
    elif isinstance(done, Remove):
        for path in done.paths:
            if path not in patch.removed:
                raise TutorialError(
                    f"{where}: `{command.text}` removes {path}, which {part.patch} "
                    "does not hold: its text would be lost from the earlier checkpoint"
                )
    elif isinstance(done, Touch):
        found = index.read_many(list(done.paths))
        for path in done.paths:
            if found.get(path) != b"":
                raise TutorialError(
                    f"{where}: `{command.text}` makes an empty file, and {part.branch}'s "
                    f"{path} is not empty"
                )
        return list(done.paths)
    return []


def matches(path: str, pathspecs: tuple[str, ...]) -> bool:
    """Whether `git checkout cpN -- pathspecs` takes `path`: a file or a folder named, or `.`."""
    return any(
        spec == "." or path == spec.rstrip("/") or path.startswith(spec.rstrip("/") + "/")
        for spec in pathspecs
    )


def first_difference(expected: str, actual: str) -> int:
    for number, (want, have) in enumerate(
        zip(expected.splitlines(), actual.splitlines(), strict=False), start=1
    ):
        if want != have:
            return number
    return min(len(expected.splitlines()), len(actual.splitlines())) + 1


# --- the lock -----------------------------------------------------------------

Lock = dict[str, dict[str, Entry | None]]  # branch -> path -> entry, None if removed
LOCK_PATH = "tutorial/checkpoints.lock"
SECTION = re.compile(r"^\[(?P<branch>[^\]]+)\]$")
MAIN = "main"
LOCK_HEADER = """\
# Every checkpoint of the tutorial, file by file: cp0 whole, then what each
# part adds or changes ("mode blob path") and removes ("- path"); the book's
# own files (tutorial/book.toml) are left out. Under [main], the names of the
# finished project's files (docs/conf.py reads them). Written by `python -m
# tutorial lock`; the tutorial's test derives the checkpoints again and
# compares, so a change to main that reaches back into an earlier checkpoint
# is seen.
"""


@dataclass(frozen=True)
class LockFile:
    checkpoints: Lock
    main_files: tuple[str, ...]


def lock_of(derived: Derived) -> LockFile:
    """The lock of every checkpoint before the source, and the source's file names."""
    lock: Lock = {}
    before: Files = {}
    for part in derived.book.parts[: derived.source]:
        now = derived.files[part.number]
        section: dict[str, Entry | None] = {}
        for path in sorted(set(before) | set(now)):
            if before.get(path) != now.get(path):
                section[path] = now.get(path)
        lock[part.branch] = section
        before = now
    return LockFile(lock, tuple(sorted(derived.files[derived.source])))


def format_lock(lock: LockFile) -> str:
    lines = [LOCK_HEADER]
    for branch, section in lock.checkpoints.items():
        lines.append(f"[{branch}]")
        for path, entry in section.items():
            lines.append(f"- {path}" if entry is None else f"{entry[0]} {entry[1]} {path}")
        lines.append("")
    lines.append(f"[{MAIN}]")
    lines.extend(lock.main_files)
    return "\n".join(lines) + "\n"


def parse_lock(text: str) -> LockFile:
    lock: Lock = {}
    main_files: list[str] = []
    section: dict[str, Entry | None] | None = None
    in_main = False
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        if (header := SECTION.match(line)) is not None:
            in_main = header["branch"] == MAIN
            section = None if in_main else lock.setdefault(header["branch"], {})
        elif in_main:
            main_files.append(line)
        elif section is not None and line.startswith("- "):
            section[line[2:]] = None
        elif section is not None:
            mode, blob, path = line.split(" ", 2)
            section[path] = (mode, blob)
    return LockFile(lock, tuple(main_files))


def read_lock(git: Git, tree: str) -> LockFile:
    return parse_lock(file_text(git, tree, LOCK_PATH) or "")


def locked_files(lock: Lock, book: Book) -> dict[int, Files]:
    """The files of each checkpoint the lock holds, built up section by section."""
    states: dict[int, Files] = {}
    files: Files = {}
    for part in book.parts:
        if part.branch not in lock:
            break
        for path, entry in lock[part.branch].items():
            if entry is None:
                files.pop(path, None)
            else:
                files[path] = entry
        states[part.number] = dict(files)
    return states


def locked_checkpoint(book: Book, files: Files, lock: LockFile) -> int:
    """The checkpoint the lock says `files` are, or the last one."""
    for number, state in locked_files(lock.checkpoints, book).items():
        if state == files and number < book.last.number:
            return number
    return book.last.number


def lock_differences(derived: Derived, lock: LockFile) -> list[str]:
    """What the derived checkpoints (all but the source) change against the lock."""
    problems = []
    locked = locked_files(lock.checkpoints, derived.book)
    for part in derived.book.parts[: derived.source]:
        have, had = derived.files[part.number], locked.get(part.number)
        if had is None:
            problems.append(f"{part.branch} is not in {LOCK_PATH}")
            continue
        for path in sorted(p for p in set(have) | set(had) if have.get(p) != had.get(p)):
            how = "added" if path not in had else "removed" if path not in have else "changed"
            problems.append(f"{part.branch}: {path} {how} (part {part.number}, {part.page})")
    if derived.source == derived.book.last.number:
        now = set(derived.files[derived.source])
        for path in sorted(now ^ set(lock.main_files)):
            how = "added to" if path in now else "removed from"
            problems.append(f"main: {path} {how} the project since the lock was written")
    return problems
