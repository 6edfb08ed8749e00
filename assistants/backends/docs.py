"""
The offline assistant: answers by quoting the documentation passages that match.

The best section leads with its passages that answer the question (and the
code that comes with them); other sections that answer nearly as well follow
with their best passage. The sources are the sections shown, no more.
"""

import asyncio
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass

from assistants.backends import HistoryItem
from assistants.knowledge import (
    Section,
    is_code,
    prose_length,
    split_passages,
    split_units,
    trim,
)

TOKEN = re.compile(r"\s*\S+")
NOTHING_FOUND = (
    "I found nothing about that in this project's documentation. I answer from the README and "
    "the guides under docs/: try asking about consumers, groups and broadcasting, channel "
    "layers, authentication, resuming chat history, testing or deployment."
)
# The lead section shows its best passage, and others of its passages that score at
# least PASSAGE_SHARE of it, up to LEAD_PASSAGES and about LEAD_LIMIT characters of prose.
PASSAGE_SHARE = 0.65
LEAD_PASSAGES = 3
LEAD_LIMIT = 1200
# It also shows the best of its passages with code that scores at least CODE_SHARE of it.
CODE_SHARE = 0.25
# Another section is shown (its best passage, about ALSO_LIMIT characters of prose)
# when it scores at least ALSO_SHARE of the lead; at most ALSO_SECTIONS of them.
ALSO_SHARE = 0.6
ALSO_SECTIONS = 2
ALSO_LIMIT = 400


@dataclass(frozen=True)
class Answer:
    text: str  # Markdown
    shown: list[Section]  # the sections it quotes, in order: its sources


def brief(text: str, limit: int) -> str:
    """The start of a passage: about `limit` characters of it, cut after a sentence."""
    if prose_length(text) <= limit:
        return text
    units = split_units(text)
    kept: list[int] = []
    size = 0
    for n, unit in enumerate(units):
        if is_code(unit) or (kept and size + len(unit) > limit):
            break
        kept.append(n)
        size += len(unit)
    return trim(units, set(kept), limit)


def lead_text(section: Section) -> str:
    """The lead section's passages that answer, in the order the section has them."""
    if not section.passages:  # a section that was not searched for: its first passage
        return brief(split_passages(section.text)[0], LEAD_LIMIT)
    best, *rest = section.passages
    chosen = [best]
    size = prose_length(best.text)
    for passage in rest:
        if len(chosen) == LEAD_PASSAGES or passage.score < PASSAGE_SHARE * best.score:
            break
        if size + prose_length(passage.text) <= LEAD_LIMIT:
            chosen.append(passage)
            size += prose_length(passage.text)
    # Code scores low for its length, but it is often the answer: show the best that matches.
    with_code = [
        p for p in section.passages if "```" in p.text and p.score >= CODE_SHARE * best.score
    ]
    if with_code and not any("```" in p.text for p in chosen):
        chosen.append(with_code[0])
    return "\n\n".join(p.text for p in sorted(chosen, key=lambda p: p.position))


def compose(sections: list[Section]) -> Answer:
    """The answer in Markdown to a question whose search found `sections`, best first."""
    if not sections:
        return Answer(NOTHING_FOUND, [])
    lead, *others = sections
    parts = [f"From **{lead.title}** (`{lead.source}`):\n\n{lead_text(lead)}"]
    shown = [lead]
    for other in others:
        if len(shown) > ALSO_SECTIONS or other.score < ALSO_SHARE * lead.score:
            break
        passage = other.passages[0].text if other.passages else split_passages(other.text)[0]
        parts.append(
            f"See also **{other.title}** (`{other.source}`):\n\n{brief(passage, ALSO_LIMIT)}"
        )
        shown.append(other)
    return Answer("\n\n".join(parts), shown)


class DocsBackend:
    """Streams the composed answer a word at a time, as a model would."""

    def __init__(self, token_delay: float) -> None:
        self.token_delay = token_delay

    async def answer(
        self, question: str, history: list[HistoryItem], sections: list[Section]
    ) -> AsyncIterator[str]:
        for token in TOKEN.findall(compose(sections).text):
            yield token
            # Gives way to other connections between tokens, like a network stream.
            await asyncio.sleep(self.token_delay)

    def sources(self, sections: list[Section], answered: str) -> list[Section]:
        """The sections quoted in what was streamed (all of them, unless it was stopped)."""
        return [s for s in compose(sections).shown if f"**{s.title}** (`{s.source}`)" in answered]
