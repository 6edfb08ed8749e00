"""Answers from any server that speaks the OpenAI Chat Completions API, streamed."""

from collections.abc import AsyncIterator

import openai
from openai import AsyncOpenAI
from openai.types.chat import ChatCompletionMessageParam

from assistants.backends import BackendError, HistoryItem
from assistants.knowledge import Section

SYSTEM_PROMPT = (
    "You are the assistant of Relay, a real-time Django application built on Channels and "
    "chanx. Answer questions about it and about real-time Django. Prefer the documentation "
    "excerpts below when they are relevant, and say so when they are not. Answer in Markdown."
)


def build_messages(
    question: str, history: list[HistoryItem], sections: list[Section]
) -> list[ChatCompletionMessageParam]:
    context = "\n\n".join(f"## {s.title} ({s.source})\n{s.text}" for s in sections)
    system = SYSTEM_PROMPT + (f"\n\nDocumentation excerpts:\n\n{context}" if context else "")
    messages: list[ChatCompletionMessageParam] = [{"role": "system", "content": system}]
    for item in history:
        if item.role == "user":
            messages.append({"role": "user", "content": item.content})
        else:
            messages.append({"role": "assistant", "content": item.content})
    messages.append({"role": "user", "content": question})
    return messages


class OpenAICompatibleBackend:
    """The official async SDK: streaming never blocks the event loop."""

    def __init__(self, *, base_url: str | None, api_key: str, model: str, timeout: float) -> None:
        self.base_url = base_url
        self.api_key = api_key
        self.model = model
        self.timeout = timeout

    async def answer(
        self, question: str, history: list[HistoryItem], sections: list[Section]
    ) -> AsyncIterator[str]:
        where = self.base_url or "the OpenAI API"
        try:
            async with AsyncOpenAI(
                base_url=self.base_url, api_key=self.api_key, timeout=self.timeout, max_retries=0
            ) as client:
                stream = await client.chat.completions.create(
                    model=self.model,
                    messages=build_messages(question, history, sections),
                    stream=True,
                )
                async for chunk in stream:
                    if chunk.choices and chunk.choices[0].delta.content:
                        yield chunk.choices[0].delta.content
        except openai.AuthenticationError as error:
            raise BackendError(f"{where} refused the API key ({error.status_code}).") from error
        except openai.APITimeoutError as error:
            raise BackendError(f"{where} did not answer within {self.timeout:g} s.") from error
        except openai.APIConnectionError as error:
            raise BackendError(f"Could not connect to {where}.") from error
        except openai.APIStatusError as error:
            raise BackendError(f"{where} answered with an error ({error.status_code}).") from error
        except openai.APIError as error:
            raise BackendError(f"{where} failed mid-answer: {error.message}") from error
        except ValueError as error:
            raise BackendError(f"{where} sent a broken stream.") from error

    def sources(self, sections: list[Section], answered: str) -> list[Section]:
        """The model was given every section found; none if it said nothing."""
        return sections if answered else []
