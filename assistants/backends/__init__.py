"""
Where answers come from. Every backend streams text chunks for a question,
given the conversation so far and the documentation sections found for it.

- `docs` (default): offline, answers from this project's documentation.
- `openai`: any server speaking the OpenAI Chat Completions API (OpenAI,
  Ollama, vLLM, LM Studio...), with the found sections as context.
"""

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Literal, Protocol

from django.conf import settings

from assistants.knowledge import Section


@dataclass(frozen=True)
class HistoryItem:
    role: Literal["user", "assistant"]
    content: str


class BackendError(Exception):
    """The backend failed; the message is shown to the user in the conversation."""


class Backend(Protocol):
    def answer(
        self, question: str, history: list[HistoryItem], sections: list[Section]
    ) -> AsyncIterator[str]:
        """Stream the answer's text, chunk by chunk."""

    def sources(self, sections: list[Section], answered: str) -> list[Section]:
        """
        The sections an answer drew on, for the user to check it against: of
        `sections` (what the search found), those it showed or was given, given
        the text `answered` so far (all of it, unless the answer was stopped).
        """


def current_backend() -> Backend:
    """
    The backend the settings choose. Only the chosen one's module is
    imported: `openai` takes most of a second, which on the event loop
    would stall every connection of the process (the app imports it at
    start-up when that backend is chosen, see AssistantsConfig.ready).
    """
    if settings.ASSISTANT_BACKEND == "openai":
        from assistants.backends.openai_compatible import OpenAICompatibleBackend

        return OpenAICompatibleBackend(
            base_url=settings.ASSISTANT_OPENAI_BASE_URL,
            api_key=settings.ASSISTANT_OPENAI_API_KEY,
            model=settings.ASSISTANT_OPENAI_MODEL,
            timeout=settings.ASSISTANT_OPENAI_TIMEOUT,
        )
    from assistants.backends.docs import DocsBackend

    return DocsBackend(token_delay=settings.ASSISTANT_TOKEN_DELAY)


def backend_summary() -> str:
    """One line for the start-up report."""
    if settings.ASSISTANT_BACKEND == "openai":
        where = settings.ASSISTANT_OPENAI_BASE_URL or "api.openai.com"
        model = settings.ASSISTANT_OPENAI_MODEL
        return f"assistant: OpenAI-compatible server at {where}, model {model}"
    return "assistant: offline documentation assistant (ASSISTANT_BACKEND=openai uses a model)"
