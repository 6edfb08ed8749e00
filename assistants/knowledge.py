"""
The assistant's knowledge: this project's own documentation, searchable.

Markdown files (the README and everything under docs/) are cut into
sections at their headings, and sections into passages: a paragraph, a list
item or a table, with the code block that follows it. The passages are
indexed with SQLite's FTS5 and ranked with BM25, so an answer can quote the
few passages that answer a question rather than whole sections. The index
lives in memory and is built once per process, on first use.
"""

import math
import re
import sqlite3
import threading
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

from django.conf import settings

HEADING = re.compile(r"^(#{1,4})\s+(.+?)\s*#*\s*$")
WORD = re.compile(r"[A-Za-z0-9_]+")
FENCE = re.compile(r"^\s*```")
LIST_ITEM = re.compile(r"^(?:[-*+]|\d+[.)])\s")
TABLE_ROW = re.compile(r"^\s*\|")
LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z*`(\[])")
# Words that say nothing about what a question is about.
# fmt: off
STOPWORDS = frozenset((
    "a", "about", "after", "all", "also", "am", "an", "and", "any", "are", "as", "at", "be",
    "because", "been", "before", "being", "both", "but", "by", "can", "could", "did", "do",
    "does", "doing", "each", "for", "from", "get", "gets", "got", "had", "has", "have",
    "having", "he", "her", "here", "him", "his", "how", "i", "if", "in", "into", "is", "it",
    "its", "just", "let", "me", "more", "most", "much", "must", "my", "need", "no", "nor",
    "not", "now", "of", "on", "once", "only", "or", "other", "our", "out", "over", "own",
    "please", "same", "she", "should", "so", "some", "such", "tell", "than", "that", "the",
    "their", "them", "then", "there", "these", "they", "this", "those", "through", "to", "too",
    "under", "until", "up", "us", "use", "used", "using", "very", "want", "was", "we", "were",
    "what", "when", "where", "which", "who", "whom", "whose", "why", "will", "with", "would",
    "you", "your", "yours",
))
# Headings of sections that only point elsewhere: quoting one answers nothing.
NAVIGATION = frozenset((
    "next", "next steps", "previous", "contents", "table of contents", "see also",
    "further reading", "links",
))
# fmt: on

# Ranking. A passage's BM25 score on its own text is raised by the share of the
# question (weighed by rarity) found in its section's heading, and less by the
# share found only in the headings above it, which every sibling shares.
HEADING_BOOST = 3.0
PATH_BOOST = 0.5
# A section must hold (in any passage or heading) two of the question's words, or
# all when it has fewer, or words carrying this share of the question's weight:
# a stray common word does not pass for an answer, a rare one can.
COVERAGE = 0.5
# The tutorial retells, step by step, what the README and the guides explain:
# it answers first only where they do not.
SOURCE_WEIGHTS = (("docs/tutorial/", 0.5),)
# A passage longer than this is trimmed to its lines that match (and a table to
# its header and matching rows); code blocks longer than CODE_LIMIT are cut too.
PASSAGE_LIMIT = 700
CODE_LIMIT = 1500
TABLE_ROWS = 8


@dataclass(frozen=True)
class Passage:
    """A passage of a section that matches a question: its text as shown, and how well."""

    text: str
    score: float
    position: int  # its place in the section


@dataclass(frozen=True)
class Section:
    """A titled piece of a document: everything under one heading."""

    title: str
    source: str
    text: str
    # Set by search, for the question asked: how well the section answers it, and
    # its passages that match, best first, trimmed to what matches.
    score: float = 0.0
    passages: tuple[Passage, ...] = ()

    def as_source(self) -> dict[str, str]:
        return {"title": self.title, "source": self.source}

    @property
    def heading(self) -> str:
        return self.title.rsplit(" > ", 1)[-1]


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


def split_passages(text: str) -> list[str]:
    """
    A section's passages: its paragraphs, list items and tables, each with
    the code block that follows it (the code a paragraph introduces).
    """
    blocks: list[tuple[bool, str]] = []  # (is code, text)
    current: list[str] = []
    in_code = False

    def flush(code: bool = False) -> None:
        if current:
            blocks.append((code, "\n".join(current)))
            current.clear()

    for line in text.splitlines():
        if FENCE.match(line):
            if in_code:
                current.append(line)
                flush(code=True)
            else:
                flush()
                current.append(line)
            in_code = not in_code
        elif in_code:
            current.append(line)
        elif not line.strip():
            flush()
        else:
            starts_item = LIST_ITEM.match(line) is not None
            if starts_item or (
                current and TABLE_ROW.match(line) and not TABLE_ROW.match(current[-1])
            ):
                flush()
            current.append(line)
    flush(code=in_code)
    passages: list[str] = []
    for code, block in blocks:
        if code and passages:
            passages[-1] += "\n\n" + block.strip("\n")
        else:
            passages.append(block.strip())
    return [p for p in passages if p]


def split_units(passage: str) -> list[str]:
    """The pieces a long passage can be trimmed to: table rows, sentences, code blocks."""
    units: list[str] = []
    prose: list[str] = []
    code: list[str] = []
    in_code = False

    def flush_prose() -> None:
        text = " ".join(line.strip() for line in prose)
        prose.clear()
        if text:
            units.extend(SENTENCE_END.split(text))

    for line in passage.splitlines():
        if FENCE.match(line):
            if not in_code:
                flush_prose()
            code.append(line)
            if in_code:
                units.append("\n".join(code))
                code.clear()
            in_code = not in_code
        elif in_code:
            code.append(line)
        elif TABLE_ROW.match(line):
            flush_prose()
            units.append(line)
        elif line.strip():
            prose.append(line)
    if code:
        units.append("\n".join(code))
    flush_prose()
    return units


def is_code(unit: str) -> bool:
    return FENCE.match(unit) is not None


def cut_code(block: str, limit: int = CODE_LIMIT) -> str:
    """A code block of at most about `limit` characters, cut between lines, still closed."""
    if len(block) <= limit:
        return block
    lines = block.splitlines()
    kept: list[str] = []
    size = 0
    for line in lines[:-1]:
        if size + len(line) > limit and kept:
            break
        kept.append(line)
        size += len(line) + 1
    indent = lines[0][: len(lines[0]) - len(lines[0].lstrip())]
    return "\n".join([*kept, f"{indent}...", lines[-1]])


def trim(units: list[str], matching: set[int], limit: int = PASSAGE_LIMIT) -> str:
    """
    A long passage cut down to its units that match (by index), in order: a
    table keeps its header rows, prose its first sentence, and code stays with
    the prose it follows. " … " marks what was left out.
    """
    rows = [n for n, unit in enumerate(units) if TABLE_ROW.match(unit)]
    if rows:
        body = [n for n in rows[2:] if n in matching][:TABLE_ROWS] or rows[2:5]
        before = [units[n] for n in range(rows[0]) if n == 0 or n in matching]
        return "\n\n".join([*before, "\n".join(units[n] for n in [*rows[:2], *body])])
    keep: list[int] = []
    size = 0
    for n, unit in enumerate(units):
        if is_code(unit):
            if keep:
                keep.append(n)
        elif (n == 0 or n in matching) and (not keep or size + len(unit) <= limit):
            keep.append(n)
            size += len(unit)
    text = ""
    previous = -1
    for n in keep:
        unit = units[n]
        gap = previous >= 0 and n != previous + 1
        if is_code(unit):
            text += (" …" if gap and not text.endswith("```") else "") + "\n\n" + cut_code(unit)
        elif not text:
            text = unit
        elif text.endswith("```"):
            text += "\n\n" + ("… " if gap else "") + unit
        else:
            text += (" … " if gap else " ") + unit
        previous = n
    if any(not is_code(u) for u in units[previous + 1 :]):
        text += "\n\n…" if text.endswith("```") else " …"
    return text


def prose_length(text: str) -> int:
    return sum(len(unit) for unit in split_units(text) if not is_code(unit))


def too_long(text: str) -> bool:
    units = split_units(text)
    prose = sum(len(unit) for unit in units if not is_code(unit))
    return prose > PASSAGE_LIMIT or any(is_code(u) and len(u) > CODE_LIMIT for u in units)


def is_navigation(section: Section) -> bool:
    """A section that only points elsewhere: a "Next" heading, or nothing but links."""
    if section.heading.strip().strip(":").lower() in NAVIGATION:
        return True
    links = LINK.findall(section.text)
    words = WORD.findall(LINK.sub("", section.text))
    return bool(links) and len(words) < 3 * len(links)


def question_terms(question: str) -> list[str]:
    """The words that say what a question is about (a single letter or digit does not)."""
    words = WORD.findall(question.lower())
    return list(dict.fromkeys(w for w in words if len(w) > 1 and w not in STOPWORDS))


def source_weight(source: str) -> float:
    return next((w for prefix, w in SOURCE_WEIGHTS if source.startswith(prefix)), 1.0)


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
    """An FTS5 index over the documentation's passages, and over their units for trimming."""

    def __init__(self, sections: list[Section]) -> None:
        self.sections = [s for s in sections if not is_navigation(s)]
        self.passages: list[tuple[int, int, str]] = []  # (section, position, text)
        self.units: list[list[str]] = []  # per passage
        unit_rows: list[tuple[int, int, str]] = []  # (passage, unit, text)
        for number, section in enumerate(self.sections):
            for position, text in enumerate(split_passages(section.text)):
                units = split_units(text)
                unit_rows.extend((len(self.passages), n, u) for n, u in enumerate(units))
                self.passages.append((number, position, text))
                self.units.append(units)
        # One connection shared by the threads that search it, guarded by a lock.
        self._lock = threading.Lock()
        self._db = sqlite3.connect(":memory:", check_same_thread=False)
        tokenize = "tokenize='porter unicode61'"
        self._db.execute(
            f"CREATE VIRTUAL TABLE passages USING fts5(heading, path, text, {tokenize})"
        )
        self._db.execute(
            "CREATE VIRTUAL TABLE units USING "
            f"fts5(passage UNINDEXED, unit UNINDEXED, text, {tokenize})"
        )
        self._db.executemany(
            "INSERT INTO passages(rowid, heading, path, text) VALUES (?, ?, ?, ?)",
            [
                (n, self.sections[s].heading, self.sections[s].title.rpartition(" > ")[0], text)
                for n, (s, _, text) in enumerate(self.passages)
            ],
        )
        self._db.executemany("INSERT INTO units(passage, unit, text) VALUES (?, ?, ?)", unit_rows)

    def search(self, question: str, limit: int = 3) -> list[Section]:
        """
        The sections that best answer the question, best first, each with its
        passages that match (see Section.score and Section.passages).
        """
        terms = question_terms(question)
        if not terms:
            return []
        with self._lock:
            scores, covered, weight = self._score_passages(terms)
        total = sum(weight.values())
        best: dict[int, float] = {}
        for passage, score in scores.items():
            section = self.passages[passage][0]
            found = covered.get(section, set())
            if len(found) < min(2, len(terms)) and sum(weight[t] for t in found) < COVERAGE * total:
                continue
            score *= source_weight(self.sections[section].source)
            scores[passage] = score
            best[section] = max(best.get(section, 0.0), score)
        chosen = sorted(best, key=lambda s: -best[s])[:limit]
        with self._lock:
            matching = self._matching_units(
                terms, [p for p in scores if self.passages[p][0] in chosen]
            )
        return [self._found(section, best[section], scores, matching) for section in chosen]

    def _score_passages(
        self, terms: list[str]
    ) -> tuple[dict[int, float], dict[int, set[str]], dict[str, float]]:
        """Each matching passage's score, each section's words found, each word's weight (IDF)."""
        count = len(self.passages)
        text_score: dict[int, float] = {}
        in_heading: dict[int, set[str]] = {}
        in_path: dict[int, set[str]] = {}
        covered: dict[int, set[str]] = {}
        weight: dict[str, float] = {}
        for term in terms:
            phrase = f'"{term}"'
            rows = [r for (r,) in self._db.execute("SELECT rowid FROM passages(?)", (phrase,))]
            weight[term] = math.log((count - len(rows) + 0.5) / (len(rows) + 0.5) + 1)
            for row in rows:
                covered.setdefault(self.passages[row][0], set()).add(term)
            for row, score in self._db.execute(
                "SELECT rowid, -bm25(passages, 0.0, 0.0, 1.0) FROM passages(?)",
                (f"text : {phrase}",),
            ):
                text_score[row] = text_score.get(row, 0.0) + score
            for column, found in (("heading", in_heading), ("path", in_path)):
                for (row,) in self._db.execute(
                    "SELECT rowid FROM passages(?)", (f"{column} : {phrase}",)
                ):
                    found.setdefault(row, set()).add(term)
        total = sum(weight.values())
        scores = {}
        for row, score in text_score.items():
            heading = in_heading.get(row, set())
            path = in_path.get(row, set()) - heading
            boost = HEADING_BOOST * sum(weight[t] for t in heading) + PATH_BOOST * sum(
                weight[t] for t in path
            )
            scores[row] = score * (1 + boost / total)
        return scores, covered, weight

    def _matching_units(self, terms: list[str], passages: list[int]) -> set[tuple[int, int]]:
        """The (passage, unit) pairs among `passages` whose text holds a word of the question."""
        wanted = set(passages)
        query = " OR ".join(f'"{term}"' for term in terms)
        return {
            (passage, unit)
            for passage, unit in self._db.execute("SELECT passage, unit FROM units(?)", (query,))
            if passage in wanted
        }

    def _found(
        self,
        section: int,
        score: float,
        scores: dict[int, float],
        matching: set[tuple[int, int]],
    ) -> Section:
        passages = []
        for passage in sorted(
            (p for p in scores if self.passages[p][0] == section), key=lambda p: -scores[p]
        ):
            _, position, text = self.passages[passage]
            if too_long(text):
                text = trim(self.units[passage], {u for p, u in matching if p == passage})
            passages.append(Passage(text, scores[passage], position))
        return replace(self.sections[section], score=score, passages=tuple(passages))


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
