"""
The assistant's knowledge: this project's own documentation, searchable.

Markdown files (the README and everything under docs/) are cut into
sections at their headings and indexed with SQLite's FTS5, ranked by BM25.
The index lives in memory and is built once per process, on first use.
"""

import re
import sqlite3
import threading
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from django.conf import settings

HEADING = re.compile(r"^(#{1,4})\s+(.+?)\s*#*\s*$")
WORD = re.compile(r"[A-Za-z0-9_]+")
# fmt: off
STOPWORDS = frozenset((
    "a", "an", "and", "are", "as", "at", "be", "can", "do", "does", "for", "from", "how", "i",
    "in", "is", "it", "me", "my", "of", "on", "or", "the", "this", "to", "what", "when",
    "where", "which", "who", "why", "will", "with", "you", "your",
))
# fmt: on


@dataclass(frozen=True)
class Section:
    """A titled piece of a document: everything under one heading."""

    title: str
    source: str
    text: str

    def as_source(self) -> dict[str, str]:
        return {"title": self.title, "source": self.source}


def split_sections(text: str, source: str) -> list[Section]:
    """Cut Markdown at its headings; each section's title is its heading path."""
    sections: list[Section] = []
    path: list[str] = []
    lines: list[str] = []
    in_code = False

    def flush() -> None:
        body = "\n".join(lines).strip()
        if body and path:
            sections.append(Section(" > ".join(path), source, body))
        lines.clear()

    for line in text.splitlines():
        if line.startswith("```"):
            in_code = not in_code
        heading = None if in_code else HEADING.match(line)
        if heading:
            flush()
            level = len(heading.group(1))
            path[level - 1 :] = [heading.group(2)]
        else:
            lines.append(line)
    flush()
    return sections


def documents() -> list[Path]:
    """The Markdown files the assistant knows, in a stable order."""
    roots = [Path(p) for p in settings.ASSISTANT_DOCS]
    files: list[Path] = []
    for root in roots:
        if root.is_dir():
            # A folder's README.md is its table of contents, not knowledge.
            files.extend(p for p in sorted(root.rglob("*.md")) if p.name != "README.md")
        else:
            files.append(root)
    return [f for f in files if f.is_file()]


class KnowledgeIndex:
    """An FTS5 index over the documentation sections."""

    def __init__(self, sections: list[Section]) -> None:
        self.sections = sections
        # One connection shared by the threads that search it, guarded by a lock.
        self._lock = threading.Lock()
        self._db = sqlite3.connect(":memory:", check_same_thread=False)
        self._db.execute(
            "CREATE VIRTUAL TABLE sections USING fts5(heading, path, text, "
            "tokenize='porter unicode61')"
        )
        self._db.executemany(
            "INSERT INTO sections(rowid, heading, path, text) VALUES (?, ?, ?, ?)",
            [(n, s.title.rsplit(" > ", 1)[-1], s.title, s.text) for n, s in enumerate(sections)],
        )

    def search(self, question: str, limit: int = 3) -> list[Section]:
        """
        The sections that best match the question, best first (BM25; a section's own
        heading weighs most). A section must contain at least two of the question's
        words (or its only one), so a stray word does not pass for an answer.
        """
        terms = list(dict.fromkeys(w for w in WORD.findall(question.lower()) if w not in STOPWORDS))
        if not terms:
            return []
        quoted = [f'"{term}"' for term in terms]
        with self._lock:
            ranked = self._db.execute(
                "SELECT rowid FROM sections WHERE sections MATCH ? "
                "ORDER BY bm25(sections, 8.0, 2.0, 1.0)",
                (" OR ".join(quoted),),
            ).fetchall()
            coverage: Counter[int] = Counter()
            for term in quoted:
                for (rowid,) in self._db.execute(
                    "SELECT rowid FROM sections WHERE sections MATCH ?", (term,)
                ):
                    coverage[rowid] += 1
        needed = min(2, len(terms))
        matches = [rowid for (rowid,) in ranked if coverage[rowid] >= needed]
        return [self.sections[rowid] for rowid in matches[:limit]]


@lru_cache(maxsize=1)
def knowledge_index() -> KnowledgeIndex:
    base = Path(settings.BASE_DIR)
    sections = [
        section
        for path in documents()
        for section in split_sections(path.read_text(encoding="utf-8"), str(path.relative_to(base)))
    ]
    return KnowledgeIndex(sections)


def search(question: str, limit: int = 3) -> list[Section]:
    """Synchronous (SQLite): async callers run it in a thread."""
    return knowledge_index().search(question, limit)
