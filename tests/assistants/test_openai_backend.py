"""The OpenAI-compatible backend against a local server speaking the real streaming protocol."""

from collections.abc import Iterator

import pytest

from assistants.backends import BackendError, HistoryItem
from assistants.backends.openai_compatible import OpenAICompatibleBackend
from assistants.knowledge import Section
from tests.support.openai_standin import CHUNKS, StandIn, openai_standin
from tests.support.servers import free_port

SECTION = Section(title="Groups > Broadcasting", source="docs/guide/groups.md", text="group_send!")


@pytest.fixture(scope="module")
def standin() -> Iterator[StandIn]:
    with openai_standin() as server:
        yield server


def backend(standin: StandIn, model: str, timeout: float = 5) -> OpenAICompatibleBackend:
    return OpenAICompatibleBackend(
        base_url=standin.url, api_key="sk-test", model=model, timeout=timeout
    )


async def collect(backend: OpenAICompatibleBackend) -> list[str]:
    history = [HistoryItem("user", "earlier question"), HistoryItem("assistant", "earlier answer")]
    return [chunk async for chunk in backend.answer("How do I broadcast?", history, [SECTION])]


async def test_a_streamed_answer_arrives_chunk_by_chunk(standin: StandIn) -> None:
    assert await collect(backend(standin, "ok")) == CHUNKS


async def test_the_question_history_and_documentation_reach_the_model(standin: StandIn) -> None:
    await collect(backend(standin, "ok"))

    request = standin.requests[-1]
    assert request["stream"] is True
    assert request["authorization"] == "Bearer sk-test"
    roles = [message["role"] for message in request["messages"]]
    assert roles == ["system", "user", "assistant", "user"]
    assert "group_send!" in request["messages"][0]["content"]
    assert request["messages"][-1]["content"] == "How do I broadcast?"


async def test_an_error_in_the_middle_of_the_stream_becomes_a_backend_error(
    standin: StandIn,
) -> None:
    with pytest.raises(BackendError, match="failed mid-answer: The server is overloaded"):
        await collect(backend(standin, "midstream-error"))


async def test_a_refused_key_becomes_a_backend_error(standin: StandIn) -> None:
    with pytest.raises(BackendError, match=r"refused the API key \(401\)"):
        await collect(backend(standin, "unauthorized"))


async def test_a_server_that_does_not_answer_in_time_becomes_a_backend_error(
    standin: StandIn,
) -> None:
    with pytest.raises(BackendError, match=r"did not answer within 0\.5 s"):
        await collect(backend(standin, "hang", timeout=0.5))


async def test_a_malformed_stream_becomes_a_backend_error(standin: StandIn) -> None:
    with pytest.raises(BackendError):
        await collect(backend(standin, "malformed"))


async def test_a_server_that_is_not_there_becomes_a_backend_error() -> None:
    absent = OpenAICompatibleBackend(
        base_url=f"http://127.0.0.1:{free_port()}/v1", api_key="k", model="m", timeout=2
    )

    with pytest.raises(BackendError, match="Could not connect"):
        await collect(absent)


def test_the_sources_of_a_model_answer_are_the_sections_it_was_given_once_it_said_something(
    standin: StandIn,
) -> None:
    model = backend(standin, "ok")

    assert model.sources([SECTION], "Use group_send.") == [SECTION]
    assert model.sources([SECTION], "") == []
