"""Chat services without any WebSocket: numbering, idempotency, pruning."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.management import call_command

from chat import selectors, services
from chat.participants import Participant

pytestmark = pytest.mark.django_db

GUEST = Participant(key="guest:g", name="Gus", guest=True)


def post(room: str, client_id: str, body: str = "hi") -> services.Posted:
    return services.post_message(
        room_name=room, author=GUEST, user=AnonymousUser(), body=body, client_id=client_id
    )


def test_each_room_numbers_its_messages_from_one() -> None:
    seqs = [post("a", "1").message.seq, post("a", "2").message.seq, post("b", "3").message.seq]

    assert seqs == [1, 2, 1]


def test_a_resent_client_id_returns_the_stored_message_without_a_new_seq() -> None:
    first = post("a", "same", body="original")
    again = post("a", "same", body="edited on resend")

    assert (again.created, again.message.id, again.message.body) == (
        False,
        first.message.id,
        "original",
    )
    assert post("a", "next").message.seq == 2


def test_pruning_keeps_the_newest_messages_of_each_room_and_resume_then_asks_to_resync() -> None:
    for n in range(10):
        post("a", f"c{n}")

    call_command("prune_chat_history", "--keep", "3")

    assert [m.seq for m in selectors.messages_after("a", 0)] == [8, 9, 10]
    assert selectors.backlog("a", 2, resume_limit=100, page_size=50).resync == "pruned"
    assert selectors.backlog("a", 7, resume_limit=100, page_size=50).replay is True
