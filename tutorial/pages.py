"""
Code excerpts in the tutorial's pages, so a test can hold them to the real code.

An excerpt is a fenced code block whose info string names its file:

    ```python file=chat/routing.py
    ...
    ```

Its text must appear in that file, as the file is at the page's checkpoint.
A line saying only `...` (or `# ...`, `// ...`) skips over lines of the
file: the parts around it must appear in order.
"""

import re
from dataclasses import dataclass

FENCE = re.compile(r"^```(?P<info>[^`\n]*)\n(?P<body>.*?)^```\s*$", re.MULTILINE | re.DOTALL)
FILE = re.compile(r"(?:^|\s)file=(?P<path>\S+)")
ELISION = {"...", "# ...", "// ...", "{# ... #}", "<!-- ... -->"}


@dataclass(frozen=True)
class Excerpt:
    path: str
    parts: tuple[tuple[str, ...], ...]
    line: int
    """Where the excerpt starts in its page, for error messages."""


def excerpts(page: str) -> list[Excerpt]:
    found = []
    for fence in FENCE.finditer(page):
        named = FILE.search(fence["info"])
        if named is None:
            continue
        parts: list[list[str]] = [[]]
        for line in fence["body"].splitlines():
            if line.strip() in ELISION:
                parts.append([])
            else:
                parts[-1].append(line)
        found.append(
            Excerpt(
                path=named["path"],
                parts=tuple(trimmed for part in parts if (trimmed := _trim(part))),
                line=page.count("\n", 0, fence.start()) + 1,
            )
        )
    return found


def missing_part(excerpt: Excerpt, text: str) -> tuple[str, ...] | None:
    """The first part of `excerpt` not found, in order, in `text`; None if all are."""
    lines = text.splitlines()
    position = 0
    for part in excerpt.parts:
        found = _find(lines, part, position)
        if found is None:
            return part
        position = found + len(part)
    return None


def _find(lines: list[str], part: tuple[str, ...], start: int) -> int | None:
    for index in range(start, len(lines) - len(part) + 1):
        if tuple(lines[index : index + len(part)]) == part:
            return index
    return None


def _trim(lines: list[str]) -> tuple[str, ...]:
    """The lines without the blank ones at either end."""
    start, end = 0, len(lines)
    while start < end and not lines[start].strip():
        start += 1
    while end > start and not lines[end - 1].strip():
        end -= 1
    return tuple(lines[start:end])
