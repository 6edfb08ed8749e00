"""
A part's steps, drafted from two trees: what its page must show and its patch.

For the files a reader types, the draft prints the blocks the page needs
(a new file whole, a changed one as a diff) to be placed among the page's
prose; for the files a reader takes, the `git checkout` and `git rm`
commands, and with `--write` their patch in tutorial/patches/.
"""

from pathlib import PurePosixPath

from tutorial.book import ROOT, Book
from tutorial.checkpoints import TutorialError
from tutorial.gitdb import Git
from tutorial.patches import write_patch

LANGUAGES = {
    ".py": "python",
    ".html": "html",
    ".js": "javascript",
    ".mjs": "javascript",
    ".css": "css",
    ".toml": "toml",
    ".yml": "yaml",
    ".yaml": "yaml",
    ".json": "json",
    ".md": "markdown",
    ".cfg": "ini",
    ".ini": "ini",
    ".conf": "nginx",
    ".sh": "bash",
}
NAMES = {"Makefile": "make", "Dockerfile": "docker"}


def language(path: str, text: str) -> str:
    pure = PurePosixPath(path)
    if pure.name in NAMES:
        return NAMES[pure.name]
    if pure.suffix in LANGUAGES:
        return LANGUAGES[pure.suffix]
    return "bash" if text.startswith("#!") else "text"


def changes(git: Git, base: str, target: str) -> list[tuple[str, str]]:
    """(status, path) of every file that differs, A/M/D."""
    listing = git.text("diff", "--name-status", "--no-renames", base, target)
    return [
        (line.split("\t", 1)[0][0], line.split("\t", 1)[1]) for line in listing.splitlines() if line
    ]


def fence(info: str, body: str) -> str:
    ticks = "````" if "```" in body else "```"
    return f"{ticks}{info}\n{body.rstrip(chr(10))}\n{ticks}"


def draft(git: Git, number: int, base: str, target: str, *, write: bool = False) -> str:
    book = Book.load()
    part = book.parts[number]
    blocks: list[str] = []
    removed_typed: list[str] = []
    empty: list[str] = []
    taken: list[str] = []
    added: list[str] = []
    patched: list[str] = []
    removed: list[str] = []
    for status, path in changes(git, base, target):
        if book.is_book(path):
            continue
        if status == "D":
            removed.append(path)
            patched.append(path)
            if not book.is_delivered(path, part):
                removed_typed.append(path)
            continue
        if book.is_delivered(path, part):
            taken.append(path)
            (added if status == "A" else patched).append(path)
            continue
        if status == "A":
            text = git.run("show", f"{target}:{path}").decode()
            if not text:
                empty.append(path)
                continue
            blocks.append(
                f"Create `{path}`:\n\n" + fence(f"{language(path, text)} file={path}", text)
            )
        else:
            diff = git.run("diff", "--no-renames", "-U3", base, target, "--", path).decode()
            hunks = diff[diff.index("\n@@") + 1 :]
            blocks.append(f"In `{path}`:\n\n" + fence(f"diff file={path}", hunks))
    commands = []
    if empty:
        folders = sorted({str(PurePosixPath(path).parent) for path in empty})
        commands.append(f"$ mkdir -p {' '.join(folders)}")
        commands.append(f"$ touch {' '.join(empty)}")
    if taken and "*" in part.delivered:
        commands.append(f"$ git checkout {part.branch} -- .")
    elif taken:
        commands.append(f"$ git checkout {part.branch} -- " + " \\\n    ".join(taken))
    if removed:
        commands.append("$ git rm -q " + " ".join(removed))
    if commands:
        blocks.append(fence("console", "\n".join(commands)))
    if write:
        diff = ""
        if patched:
            diff = git.run(
                "diff", "--binary", "--no-renames", base, target, "--", *patched
            ).decode()
        if added or diff:
            (ROOT / part.patch).parent.mkdir(parents=True, exist_ok=True)
            (ROOT / part.patch).write_text(write_patch(part.branch, added, diff))
        elif (ROOT / part.patch).exists():
            (ROOT / part.patch).unlink()
    if removed_typed:
        blocks.append(f"(typed files removed, in the patch: {', '.join(removed_typed)})")
    if not blocks:
        raise TutorialError(f"{base} and {target} hold the same files")
    return "\n\n".join(blocks) + "\n"


__all__ = ["draft"]
