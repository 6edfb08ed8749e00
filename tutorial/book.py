"""
The tutorial's parts and files, as tutorial/book.toml lists them.

Part 0 is where the reader starts (checkpoint cp0); every later part is
one step, from the checkpoint before it to its own. A part's step is what
its page says (see tutorial.pages) and, for the files a reader takes
rather than types, its patch in tutorial/patches/ (see tutorial.patches).
"""

import tomllib
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BOOK = Path(__file__).with_name("book.toml")
LOCK = Path(__file__).with_name("checkpoints.lock")
PATCHES = "tutorial/patches"


@dataclass(frozen=True)
class Part:
    number: int
    branch: str
    title: str
    page: str
    delivered: tuple[str, ...] = ()
    """Patterns of files this part alone also delivers: `*` while its step is
    one `git checkout` of everything, not yet written out as steps."""

    @property
    def patch(self) -> str:
        """The part's patch of taken files, named after its page."""
        return f"{PATCHES}/{Path(self.page).stem}.patch"

    @property
    def label(self) -> str:
        return f"part {self.number} ({self.page})"


@dataclass(frozen=True)
class Book:
    parts: tuple[Part, ...]
    book_files: tuple[str, ...]
    delivered: tuple[str, ...]

    @classmethod
    def load(cls, path: Path = BOOK) -> "Book":
        return cls.parse(path.read_text())

    @classmethod
    def parse(cls, text: str) -> "Book":
        data = tomllib.loads(text)
        parts = tuple(
            Part(
                number,
                part["branch"],
                part["title"],
                part["page"],
                tuple(part.get("delivered", ())),
            )
            for number, part in enumerate(data["parts"])
        )
        return cls(parts, tuple(data["book"]), tuple(data["delivered"]))

    def is_book(self, path: str) -> bool:
        """The book's own files: the same in every checkpoint, never a step."""
        return any(fnmatchcase(path, pattern) for pattern in self.book_files)

    def is_delivered(self, path: str, part: Part | None = None) -> bool:
        """Files a reader takes with `git checkout` rather than types (in `part`)."""
        patterns = self.delivered + (part.delivered if part else ())
        return any(fnmatchcase(path, pattern) for pattern in patterns)

    def part(self, branch: str) -> Part:
        for part in self.parts:
            if part.branch == branch:
                return part
        raise KeyError(branch)

    @property
    def last(self) -> Part:
        return self.parts[-1]
