"""
A part's patch: the files of its step that a reader takes rather than types.

tutorial/patches/<page>.patch starts with the files the part adds, one
`added <path>` line each (their text is the next checkpoint's, so it is
stored once, in the tree), followed by a git patch of the files it
changes or removes. The page takes the added and changed files with
`git checkout cpN -- path...` and removes files with `git rm`.
"""

import re
from dataclasses import dataclass

ADDED = re.compile(r"^added (?P<path>\S+)$")
DIFF_HEADER = re.compile(r"^diff --git a/(?P<old>\S+) b/(?P<new>\S+)$", re.MULTILINE)


@dataclass(frozen=True)
class PartPatch:
    added: tuple[str, ...]
    diff: str

    @property
    def changed(self) -> tuple[str, ...]:
        return tuple(self._paths(removed=False))

    @property
    def removed(self) -> tuple[str, ...]:
        return tuple(self._paths(removed=True))

    @property
    def paths(self) -> set[str]:
        return {*self.added, *self.changed, *self.removed}

    def _paths(self, *, removed: bool) -> list[str]:
        found = []
        for section in re.split(r"(?=^diff --git )", self.diff, flags=re.MULTILINE):
            header = DIFF_HEADER.match(section)
            if header is None:
                continue
            is_removal = "\ndeleted file mode " in section.split("\n@@", 1)[0]
            if is_removal == removed:
                found.append(header["old"])
        return found


EMPTY = PartPatch((), "")


def read_patch(text: str) -> PartPatch:
    first = re.search(r"^diff --git ", text, re.MULTILINE)
    head, diff = (text, "") if first is None else (text[: first.start()], text[first.start() :])
    added = tuple(
        match["path"] for line in head.splitlines() if (match := ADDED.match(line.strip()))
    )
    return PartPatch(added, diff)


def write_patch(branch: str, added: list[str], diff: str) -> str:
    lines = [
        f"The files of this part that a reader takes with `git checkout {branch} -- ...`",
        "rather than types: those it adds (as they are in the checkpoint), then a",
        "patch of those it changes or removes.",
        "",
        *(f"added {path}" for path in sorted(added)),
        "",
    ]
    return "\n".join(lines) + diff
