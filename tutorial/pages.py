"""
What a tutorial page tells the reader to do, read from its Markdown.

A page's steps are its fenced code blocks, in order:

- A block whose info string names a file, ```` ```python file=chat/routing.py ````,
  is a new file, shown whole: create it with exactly this text.
- A `diff` block naming a file, ```` ```diff file=config/routing.py ````, holds
  hunks of a unified diff (from the first `@@` line on): change the file so.
- A `console` block holds shell commands, each on a line starting with `$ `
  (a line ending in a backslash goes on): those that change files are
  steps (`git checkout cp2 -- static/js/chat.js`, `git rm`, `touch`...);
  the others (`make run`, `curl`...) only say what to try. Lines without
  `$ ` are the output the reader should see.
- A block naming a file with `from=`, ```` ```python from=chat/consumers.py ````,
  quotes that file as it is at the end of the part, to explain it. It
  changes nothing, and must be found in the file as it is shown.

Any other block (a JSON frame, some output) is an illustration.
"""

import re
import shlex
from dataclasses import dataclass

FENCE = re.compile(r"^(?P<fence>`{3,})(?P<info>[^`\n]*)$")
ATTRIBUTE = re.compile(r"(?P<key>[a-z]+)=(?P<value>\S+)")


@dataclass(frozen=True)
class NewFile:
    """Create `path` with exactly `text`."""

    path: str
    text: str
    line: int


@dataclass(frozen=True)
class Change:
    """Apply the hunks of a unified diff to `path`."""

    path: str
    hunks: str
    line: int

    def as_patch(self) -> str:
        """The hunks under the headers git apply expects."""
        return f"diff --git a/{self.path} b/{self.path}\n--- a/{self.path}\n+++ b/{self.path}\n" + (
            self.hunks
        )


@dataclass(frozen=True)
class Command:
    """One shell command, split into words as the shell would."""

    words: tuple[str, ...]
    text: str
    line: int


@dataclass(frozen=True)
class Quote:
    """Lines of `path` shown to explain it; they must be in the file as it is shown."""

    path: str
    text: str
    line: int


Step = NewFile | Change | Command


@dataclass(frozen=True)
class Page:
    steps: tuple[Step, ...]
    quotes: tuple[Quote, ...]


class PageError(ValueError):
    """A page that cannot be read as steps; the message says where."""


def read_page(text: str, name: str = "page") -> Page:
    steps: list[Step] = []
    quotes: list[Quote] = []
    lines = text.split("\n")
    index = 0
    while index < len(lines):
        opening = FENCE.match(lines[index])
        if opening is None:
            index += 1
            continue
        fence, info = opening["fence"], opening["info"].strip()
        start = index + 1
        end = start
        while end < len(lines) and lines[end].rstrip() != fence:
            end += 1
        if end == len(lines):
            raise PageError(f"{name}:{index + 1}: a code block is never closed")
        body = lines[start:end]
        where = index + 1
        index = end + 1
        words = info.split()
        language = words[0] if words else ""
        attributes = {m["key"]: m["value"] for m in ATTRIBUTE.finditer(info)}
        if language.startswith("{"):  # a MyST directive (toctree, include...)
            continue
        text_of_block = "\n".join(body) + "\n"
        if "from" in attributes:
            quotes.append(Quote(attributes["from"], text_of_block, where))
        elif "file" in attributes:
            path = attributes["file"]
            if language == "diff":
                hunks = text_of_block
                if not hunks.startswith("@@"):
                    raise PageError(f"{name}:{where}: a diff block starts with its first @@ line")
                steps.append(Change(path, hunks, where))
            else:
                steps.append(NewFile(path, text_of_block, where))
        elif language == "console":
            steps.extend(commands(body, where, name))
    return Page(tuple(steps), tuple(quotes))


def commands(body: list[str], first_line: int, name: str) -> list[Command]:
    found: list[Command] = []
    pending: list[str] = []
    pending_line = 0
    for offset, line in enumerate(body):
        if pending:
            pending.append(line)
        elif line.startswith("$ "):
            pending = [line[2:]]
            pending_line = first_line + 1 + offset
        else:
            continue  # output
        if pending[-1].endswith("\\"):
            pending[-1] = pending[-1][:-1]
            continue
        text = " ".join(part.strip() for part in pending)
        try:
            words = tuple(shlex.split(text, comments=True))
        except ValueError as error:
            raise PageError(f"{name}:{pending_line}: {error}: {text}") from error
        if words:
            found.append(Command(words, text, pending_line))
        pending = []
    if pending:
        raise PageError(f"{name}:{pending_line}: a command ends with a backslash")
    return found
