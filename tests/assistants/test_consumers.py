"""The assistant consumer: the streaming contract, stop, one at a time, disconnect, persistence."""

from collections.abc import AsyncIterator
from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.test import override_settings

from assistants import consumers
from assistants.backends import BackendError, HistoryItem
from assistants.consumers import ONE_AT_A_TIME, AssistantConsumer
from assistants.knowledge import Section, search
from assistants.models import Turn
from tests.support.chat import next_action, next_frame
from tests.support.credentials import guest_headers
from tests.support.openai_standin import CHUNKS, openai_standin
from tests.support.sockets import DjangoWebsocketCommunicator, WebsocketTestCase

QUIET = frozenset({"complete"})


class ScriptedBackend:
    """Streams numbered words, optionally failing after some; records what it produced."""

    def __init__(self, words: int = 5, fail_after: int | None = None) -> None:
        self.words = words
        self.fail_after = fail_after
        self.produced = 0
        self.closed = False

    async def answer(
        self, question: str, history: list[HistoryItem], sections: list[Section]
    ) -> AsyncIterator[str]:
        import asyncio

        try:
            for n in range(self.words):
                if self.fail_after is not None and n == self.fail_after:
                    raise BackendError("The model server went away.")
                self.produced += 1
                yield f"w{n} "
                await asyncio.sleep(0.01)
        finally:
            self.closed = True

    def sources(self, sections: list[Section], answered: str) -> list[Section]:
        return sections


class TestAssistantConsumer(WebsocketTestCase):
    consumer = AssistantConsumer
    ws_path = "/ws/assistants/"

    def use(self, backend: ScriptedBackend) -> ScriptedBackend:
        patcher = pytest.MonkeyPatch()
        patcher.setattr(consumers, "current_backend", lambda: backend)
        self.addCleanup(patcher.undo)
        return backend

    def setUp(self) -> None:
        super().setUp()
        self.browser = guest_headers()

    async def connected(
        self, query: str = "", headers: Any = None
    ) -> tuple[DjangoWebsocketCommunicator, dict[str, Any]]:
        communicator = self.create_communicator(
            ws_path=f"/ws/assistants/{query}", headers=self.browser if headers is None else headers
        )
        assert (await communicator.connect())[0]
        await communicator.assert_authenticated_status_ok()
        state = await next_action(communicator, "conversation_state", ignore=QUIET)
        return communicator, state["payload"]

    async def ask(self, communicator: DjangoWebsocketCommunicator, question: str) -> None:
        await communicator.send_json_to({"action": "assistant_message", "payload": question})

    async def streamed(
        self, communicator: DjangoWebsocketCommunicator
    ) -> tuple[dict[str, Any], list[str], dict[str, Any]]:
        """streaming_start, the chunks, and complete_streaming of one answer."""
        start = await next_action(communicator, "streaming_start", ignore=QUIET)
        chunks = []
        while (frame := await next_frame(communicator, ignore=QUIET))["action"] == "streaming":
            chunks.append(frame["payload"]["content"])
        assert frame["action"] == "complete_streaming", frame
        return start["payload"], chunks, frame["payload"]

    async def test_an_answer_streams_as_start_chunks_and_complete_and_is_stored(self) -> None:
        self.use(ScriptedBackend(words=5))
        client, state = await self.connected()
        assert state == {"conversation": None, "turns": []}

        await self.ask(client, "How do I broadcast to a group?")
        start, chunks, end = await self.streamed(client)

        assert start["content"] == ""
        assert start["conversation"]["title"] == "How do I broadcast to a group?"
        assert chunks == ["w0 ", "w1 ", "w2 ", "w3 ", "w4 "]
        assert end["status"] == "complete"
        assert end["message_id"] == start["message_id"]
        assert [s["source"] for s in end["sources"]] == [
            s.source for s in search("How do I broadcast to a group?")
        ]
        answer = await Turn.objects.aget(pk=end["message_id"])
        assert (answer.content, answer.status) == ("".join(chunks), "complete")

    async def test_the_offline_assistant_answers_from_the_documentation(self) -> None:
        client, _ = await self.connected()

        with override_settings(ASSISTANT_TOKEN_DELAY=0):
            await self.ask(client, "How do I broadcast to a group?")
            _, chunks, end = await self.streamed(client)

        answer = "".join(chunks)
        assert answer.startswith(
            "From **Groups and broadcasting > How do I broadcast to a group?**"
        )
        assert "group_send" in answer
        assert end["sources"][0]["title"].endswith("How do I broadcast to a group?")

    async def test_the_offline_assistant_says_plainly_when_it_knows_nothing(self) -> None:
        client, _ = await self.connected()

        with override_settings(ASSISTANT_TOKEN_DELAY=0):
            await self.ask(client, "What is the meaning of life?")
            _, chunks, end = await self.streamed(client)

        assert "".join(chunks).startswith("I found nothing about that")
        assert end["sources"] == []

    async def test_a_question_off_the_documentation_gets_no_quote_and_no_sources(self) -> None:
        client, _ = await self.connected()

        with override_settings(ASSISTANT_TOKEN_DELAY=0):
            await self.ask(client, "Can you write me a poem about the sea?")
            _, chunks, end = await self.streamed(client)

        assert "".join(chunks).startswith("I found nothing about that")
        assert end["sources"] == []
        assert (await Turn.objects.aget(pk=end["message_id"])).sources == []

    async def test_an_answer_stopped_early_lists_only_the_sections_it_showed(self) -> None:
        question = "how do I authenticate WebSockets"
        assert len(search(question)) > 1, "sections enough for more than one to be shown"
        client, _ = await self.connected()

        with override_settings(ASSISTANT_TOKEN_DELAY=0.01):
            await self.ask(client, question)
            await next_action(client, "streaming_start", ignore=QUIET)
            text = ""
            while "`):" not in text:  # the first section's header is out
                text += (await next_action(client, "streaming", ignore=QUIET))["payload"]["content"]
            await client.send_json_to({"action": "stop_streaming"})
            while (frame := await next_frame(client, ignore=QUIET))["action"] == "streaming":
                text += frame["payload"]["content"]

        assert frame["payload"]["status"] == "interrupted"
        assert "See also" not in text
        assert [s["title"] for s in frame["payload"]["sources"]] == [
            "Authentication and permissions > How a connection is admitted"
        ]

    async def test_stop_ends_the_answer_within_one_chunk_and_keeps_it_as_interrupted(self) -> None:
        backend = self.use(ScriptedBackend(words=1000))
        client, _ = await self.connected()
        await self.ask(client, "Tell me everything")
        await next_action(client, "streaming_start", ignore=QUIET)
        first = await next_action(client, "streaming", ignore=QUIET)

        await client.send_json_to({"action": "stop_streaming"})
        chunks = [first["payload"]["content"]]
        while (frame := await next_frame(client, ignore=QUIET))["action"] == "streaming":
            chunks.append(frame["payload"]["content"])

        assert frame["payload"]["status"] == "interrupted"
        assert len(chunks) <= backend.produced <= len(chunks) + 1
        answer = await Turn.objects.aget(pk=frame["payload"]["message_id"])
        assert answer.status == "interrupted"
        assert answer.content == "".join(chunks)

    async def test_a_second_question_while_one_streams_is_refused_and_the_first_finishes(
        self,
    ) -> None:
        self.use(ScriptedBackend(words=20))
        client, _ = await self.connected()
        await self.ask(client, "first")
        await next_action(client, "streaming_start", ignore=QUIET)
        await next_action(client, "streaming", ignore=QUIET)

        await self.ask(client, "second")

        frames = []
        while (frame := await next_frame(client, ignore=QUIET))["action"] != "complete_streaming":
            frames.append(frame)
        assert {"action": "error", "payload": {"detail": ONE_AT_A_TIME}} in frames
        assert frame["payload"]["status"] == "complete"
        assert await Turn.objects.filter(role="user").acount() == 1

    async def test_a_disconnect_stops_the_generation(self) -> None:
        backend = self.use(ScriptedBackend(words=1000))
        client, _ = await self.connected()
        await self.ask(client, "Tell me everything")
        start = await next_action(client, "streaming_start", ignore=QUIET)
        await next_action(client, "streaming", ignore=QUIET)

        await client.disconnect()

        assert backend.closed, "the backend's stream was closed"
        answer = await Turn.objects.aget(pk=start["payload"]["message_id"])
        assert answer.status == "interrupted"
        assert backend.produced < 1000

    async def test_a_backend_failure_becomes_an_error_in_the_conversation_and_the_socket_stays(
        self,
    ) -> None:
        self.use(ScriptedBackend(words=5, fail_after=2))
        client, _ = await self.connected()

        await self.ask(client, "How do I broadcast to a group?")
        _, chunks, end = await self.streamed(client)

        assert chunks == ["w0 ", "w1 "]
        assert end["status"] == "failed"
        assert end["error"] == "The model server went away."
        assert end["sources"] == [], "a failed answer has nothing to source"
        await client.send_json_to({"action": "ping"})
        assert (await next_frame(client, ignore=QUIET))["action"] == "pong"
        self.use(ScriptedBackend(words=1))
        await self.ask(client, "And now?")
        assert (await self.streamed(client))[2]["status"] == "complete"

    async def test_a_conversation_is_there_again_after_reconnecting(self) -> None:
        self.use(ScriptedBackend(words=3))
        client, _ = await self.connected()
        await self.ask(client, "Remember me")
        start, chunks, _ = await self.streamed(client)
        await client.disconnect()

        conversation_id = start["conversation"]["id"]
        _, state = await self.connected(f"?conversation={conversation_id}")

        assert state["conversation"]["id"] == conversation_id
        assert [(t["role"], t["content"], t["status"]) for t in state["turns"]] == [
            ("user", "Remember me", "complete"),
            ("assistant", "".join(chunks), "complete"),
        ]

    async def test_another_visitors_conversation_cannot_be_opened(self) -> None:
        self.use(ScriptedBackend(words=1))
        client, _ = await self.connected()
        await self.ask(client, "mine")
        start, _, _ = await self.streamed(client)

        communicator = self.create_communicator(
            ws_path=f"/ws/assistants/?conversation={start['conversation']['id']}",
            headers=await database_sync_to_async(guest_headers)("another-browser"),
        )
        await communicator.connect()
        await communicator.assert_authenticated_status_ok()

        assert await next_frame(communicator) == {
            "action": "error",
            "payload": {"detail": "No such conversation."},
        }
        state = await next_action(communicator, "conversation_state")
        assert state["payload"] == {"conversation": None, "turns": []}

    async def test_an_empty_or_oversized_question_gets_an_error_frame(self) -> None:
        client, _ = await self.connected()

        await self.ask(client, "   ")
        empty = await next_action(client, "error", ignore=QUIET)
        await self.ask(client, "x" * 4001)
        oversized = await next_action(client, "error", ignore=QUIET)

        assert empty["payload"][0]["type"] == "string_too_short"
        assert oversized["payload"][0]["type"] == "string_too_long"

    async def test_another_tab_on_the_conversation_sees_the_answer_start_and_end(self) -> None:
        self.use(ScriptedBackend(words=3))
        asker, _ = await self.connected()
        await self.ask(asker, "first question")
        start, _, _ = await self.streamed(asker)
        other_tab, _ = await self.connected(f"?conversation={start['conversation']['id']}")

        await self.ask(asker, "second question")
        await self.streamed(asker)

        began = await next_action(other_tab, "conversation_state", ignore=QUIET)
        ended = await next_action(other_tab, "conversation_state", ignore=QUIET)
        assert [t["status"] for t in began["payload"]["turns"]][-2:] == ["complete", "streaming"]
        assert ended["payload"]["turns"][-1]["status"] == "complete"
        assert ended["payload"]["turns"][-1]["content"] == "w0 w1 w2 "


class TestAssistantOnAnOpenAICompatibleServer(WebsocketTestCase):
    consumer = AssistantConsumer
    ws_path = "/ws/assistants/"

    async def test_the_settings_switch_the_assistant_to_the_configured_server(self) -> None:
        with (
            openai_standin() as standin,
            override_settings(
                ASSISTANT_BACKEND="openai",
                ASSISTANT_OPENAI_BASE_URL=standin.url,
                ASSISTANT_OPENAI_MODEL="ok",
            ),
        ):
            client = self.create_communicator()
            assert (await client.connect())[0]
            await client.assert_authenticated_status_ok()
            await next_action(client, "conversation_state", ignore=QUIET)
            await client.send_json_to(
                {"action": "assistant_message", "payload": "How do I broadcast to a group?"}
            )
            await next_action(client, "streaming_start", ignore=QUIET)
            chunks = []
            while (frame := await next_frame(client, ignore=QUIET))["action"] == "streaming":
                chunks.append(frame["payload"]["content"])

        assert chunks == CHUNKS
        assert frame["payload"]["status"] == "complete"
        assert "group_send" in standin.requests[-1]["messages"][0]["content"]
