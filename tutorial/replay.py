"""
Follow a page literally, as a reader would, and compare where it ends.

A scratch clone starts at the part's first checkpoint, with branches for
both of its checkpoints. Each step of the page is done as written: new
files are written with the page's text, diffs are applied with
`git apply`, commands are run. The files must then be those of the part's
checkpoint, byte for byte; and every quotation must be found in the file
it quotes.
"""

import subprocess
import tempfile
from pathlib import Path

from tutorial.book import Part
from tutorial.checkpoints import Derived, TutorialError, page_of
from tutorial.commands import Folders, Harmless, Switch, effect
from tutorial.gitdb import Git
from tutorial.pages import Change, NewFile

FIXED_DATE = {
    "GIT_AUTHOR_NAME": "Relay tutorial",
    "GIT_AUTHOR_EMAIL": "tutorial@relay.invalid",
    "GIT_COMMITTER_NAME": "Relay tutorial",
    "GIT_COMMITTER_EMAIL": "tutorial@relay.invalid",
    "GIT_AUTHOR_DATE": "2026-01-01T00:00:00+0000",
    "GIT_COMMITTER_DATE": "2026-01-01T00:00:00+0000",
}


def objects_dir(git: Git) -> str:
    common = Path(git.text("rev-parse", "--git-common-dir"))
    if not common.is_absolute():
        common = git.root / common
    return str(common / "objects")


def replay(git: Git, derived: Derived, part: Part, source_tree: str) -> list[str]:
    """What differs between following `part`'s page and its checkpoint; empty if nothing."""
    start = derived.book.parts[part.number - 1]
    page = page_of(git, source_tree, part)
    committer = Git(git.root, FIXED_DATE)
    commits = {
        branch: committer.text("commit-tree", derived.trees[number], "-m", branch)
        for number, branch in ((start.number, start.branch), (part.number, part.branch))
    }
    problems: list[str] = []
    with tempfile.TemporaryDirectory(prefix=f"relay-replay-{part.branch}-") as scratch:
        here = Path(scratch)
        reader = Git(here, FIXED_DATE)
        reader.run("init", "-q")
        (here / ".git" / "objects" / "info" / "alternates").write_text(objects_dir(git) + "\n")
        for branch, commit in commits.items():
            reader.run("update-ref", f"refs/heads/{branch}", commit)
        reader.run("checkout", "-q", start.branch)
        for step in page.steps:
            where = f"{part.page}:{step.line}"
            if isinstance(step, NewFile):
                target = here / step.path
                if target.exists():
                    problems.append(f"{where}: the page creates {step.path}, which exists already")
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(step.text)
            elif isinstance(step, Change):
                applied = subprocess.run(
                    ["git", "apply", "--recount", "--whitespace=nowarn", "-"],
                    cwd=here,
                    input=step.as_patch().encode(),
                    capture_output=True,
                )
                if applied.returncode:
                    problems.append(
                        f"{where}: the change to {step.path} does not apply: "
                        + applied.stderr.decode(errors="replace").strip()
                    )
            else:
                done = effect(step)
                if isinstance(done, Switch) or (
                    isinstance(done, Harmless) and not isinstance(done, Folders)
                ):
                    continue
                ran = subprocess.run(list(step.words), cwd=here, capture_output=True)
                if ran.returncode:
                    problems.append(
                        f"{where}: `{step.text}` failed: "
                        + ran.stderr.decode(errors="replace").strip()
                    )
        reader.run("add", "-A", ".")
        reached = reader.text("write-tree")
        if reached != derived.trees[part.number]:
            problems.extend(tree_differences(reader, reached, derived.trees[part.number], part))
    for quote in page.quotes:
        entry = derived.files[part.number].get(quote.path)
        where = f"{part.page}:{quote.line}"
        if entry is None:
            problems.append(f"{where}: quotes {quote.path}, which {part.branch} does not have")
        elif not contains_lines(git.blob(entry[1]).decode(errors="replace"), quote.text):
            problems.append(f"{where}: these lines are not in {part.branch}'s {quote.path}")
    return problems


def tree_differences(git: Git, reached: str, wanted: str, part: Part) -> list[str]:
    names = git.text("diff", "--name-status", "--no-renames", wanted, reached)
    kinds = {"A": "is extra", "D": "is missing", "M": "differs"}
    found = []
    for line in names.splitlines():
        status, path = line.split("\t", 1)
        found.append(
            f"{part.page}: following the page, {path} {kinds.get(status[0], status)} "
            f"against {part.branch}"
        )
    return found or [f"{part.page}: following the page does not reach {part.branch}"]


def contains_lines(text: str, quote: str) -> bool:
    """Whether the quote's lines appear, consecutively and whole, in `text`."""
    wanted = quote.strip("\n").splitlines()
    lines = text.splitlines()
    return any(lines[i : i + len(wanted)] == wanted for i in range(len(lines) - len(wanted) + 1))


def check_part(git: Git, derived: Derived, part: Part, source_tree: str) -> list[str]:
    try:
        return replay(git, derived, part, source_tree)
    except TutorialError as error:
        return [str(error)]
