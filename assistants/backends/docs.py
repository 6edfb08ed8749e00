"""The offline assistant: answers by quoting the documentation sections that match."""

import asyncio
import re
from collections.abc import AsyncIterator

from assistants.backends import HistoryItem
from assistants.knowledge import Section

TOKEN = re.compile(r"\s*\S+")
EXCERPT_LIMIT = 1500
NOTHING_FOUND = (
    "I found nothing about that in this project's documentation. I answer from the README and "
    "the guides under docs/: try asking about consumers, groups and broadcasting, channel "
    "layers, authentication, resuming chat history, testing or deployment."
)


def excerpt(text: str, limit: int = EXCERPT_LIMIT) -> str:
    """The section's text, cut at a paragraph boundary and never inside a code block."""
    if len(text) <= limit:
        return text
    kept: list[str] = []
    size = 0
    for paragraph in re.split(r"\n\s*\n", text):
        if size + len(paragraph) > limit and kept:
            break
        kept.append(paragraph)
        size += len(paragraph)
    result = "\n\n".join(kept)
    if result.count("```") % 2:
        result += "\n```"
    return result


def compose(sections: list[Section]) -> str:
    """The answer in Markdown: the best section in full, the others briefly, each named."""
    if not sections:
        return NOTHING_FOUND
    best, *others = sections
    parts = [f"From **{best.title}** (`{best.source}`):\n\n{excerpt(best.text)}"]
    for other in others:
        parts.append(
            f"See also **{other.title}** (`{other.source}`):\n\n{excerpt(other.text, 400)}"
        )
    return "\n\n".join(parts)


class DocsBackend:
    """Streams the composed answer a word at a time, as a model would."""

    def __init__(self, token_delay: float) -> None:
        self.token_delay = token_delay

    async def answer(
        self, question: str, history: list[HistoryItem], sections: list[Section]
    ) -> AsyncIterator[str]:
        for token in TOKEN.findall(compose(sections)):
            yield token
            # Gives way to other connections between tokens, like a network stream.
            await asyncio.sleep(self.token_delay)
