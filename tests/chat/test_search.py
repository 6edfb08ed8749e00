"""Search: every word, the last as a prefix, in the rooms you may read, newest first."""

import itertools
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser, User
from django.test import Client

from chat import search, selectors, services
from chat.participants import Participant, participant_for

pytestmark = pytest.mark.django_db

CLIENT_IDS = itertools.count()


def post(room: str, body: str, by: User | None = None) -> int:
    author = (
        participant_for(by, guest_id=None, guest_name=None, connection="c")
        if by
        else Participant(key="guest:g", name="Gus", guest=True)
    )
    posted = services.post_message(
        room_name=room,
        author=author,
        user=by or AnonymousUser(),
        body=body,
        client_id=f"c{next(CLIENT_IDS)}",
    )
    return int(posted.message.seq)


def found(query: str, user: Any = None, **options: Any) -> list[str]:
    return [m.body for m in search.search(query, user or AnonymousUser(), **options)]


def test_every_word_must_be_in_the_message_the_last_as_the_start_of_one() -> None:
    post("lobby", "Lunch at noon, in the garden?")
    post("lobby", "dinner at eight")

    assert found("lunch") == ["Lunch at noon, in the garden?"]
    assert found("GARDEN lun") == ["Lunch at noon, in the garden?"]
    assert found("at") == ["dinner at eight", "Lunch at noon, in the garden?"]
    assert found("unch") == []
    assert found("lunch dinner") == []
    assert found("  ,;!  ") == []


def test_words_in_any_script_are_found_and_accents_count() -> None:
    post("lobby", "Rendez-vous au café à midi")
    post("lobby", "встреча в полдень")

    assert found("café") == ["Rendez-vous au café à midi"]
    assert found("cafe") == []
    assert found("полд") == ["встреча в полдень"]


def test_only_rooms_you_may_read_are_searched(ann: User, ben: User) -> None:
    services.create_private_room(owner=ann, name="team", member_usernames=[])
    post("team", "the launch plan", by=ann)
    post("lobby", "the launch party")

    assert found("launch", ann) == ["the launch party", "the launch plan"]
    assert found("launch", ben) == ["the launch party"]
    assert found("launch") == ["the launch party"]
    assert found("launch", ann, room_name="team") == ["the launch plan"]


def test_a_removed_member_no_longer_finds_the_room_s_messages(ann: User, ben: User) -> None:
    services.create_private_room(owner=ann, name="team", member_usernames=["ben"])
    post("team", "the launch plan", by=ann)
    assert found("launch", ben) == ["the launch plan"]

    services.remove_member(room_name="team", actor=ann, username="ben")

    assert found("launch", ben) == []


def test_an_edit_is_found_by_its_new_words_and_a_deleted_message_not_at_all(ann: User) -> None:
    edited = post("lobby", "helo world", by=ann)
    deleted = post("lobby", "a world of secrets", by=ann)

    services.edit_message(
        room_name="lobby", user=ann, seq=edited, body="hello world", client_id="e1"
    )
    services.delete_message(room_name="lobby", user=ann, seq=deleted, client_id="d1")

    assert found("world") == ["hello world"]
    assert found("helo") == []
    assert found("secrets") == []


def test_the_newest_come_first_up_to_the_limit() -> None:
    for n in range(25):
        post("lobby", f"update {n}")

    results = found("update")

    assert len(results) == search.RESULTS_MAX
    assert results[:2] == ["update 24", "update 23"]


class TestAround:
    def test_a_page_around_a_message_has_it_with_the_ones_before_and_after(self) -> None:
        for n in range(1, 31):
            post("lobby", f"message {n}")

        page, has_more, has_newer = selectors.messages_around("lobby", 15, limit=10)

        assert [m.seq for m in page] == list(range(10, 20))
        assert (has_more, has_newer) == (True, True)

    def test_near_either_end_the_page_says_nothing_more_is_there(self) -> None:
        for n in range(1, 6):
            post("lobby", f"message {n}")

        first, older, _ = selectors.messages_around("lobby", 1, limit=4)
        last, _, newer = selectors.messages_around("lobby", 5, limit=4)

        assert ([m.seq for m in first], older) == ([1, 2, 3, 4], False)
        assert ([m.seq for m in last], newer) == ([2, 3, 4, 5], False)


class TestHttp:
    def test_results_name_the_room_as_you_call_it_and_where_the_message_is(
        self, client: Client, ann: User, ben: User
    ) -> None:
        room = services.direct_room(user=ann, other_username="ben")
        seq = post(room.name, "see you at the station", by=ben)
        client.force_login(ann)

        reply = client.get("/api/chat/search/", {"q": "station"})

        assert reply.status_code == 200
        (result,) = reply.json()["results"]
        assert (result["room"], result["title"], result["seq"]) == (room.name, "ben", seq)
        assert (result["name"], result["message"]) == ("ben", "see you at the station")
        assert reply.json()["words"] == ["station"]

    def test_anyone_may_search_the_public_rooms(self, client: Client) -> None:
        post("lobby", "open to all")

        reply = client.get("/api/chat/search/", {"q": "open"})

        assert [r["title"] for r in reply.json()["results"]] == ["lobby"]

    def test_a_query_too_long_is_refused_with_the_limit(self, client: Client) -> None:
        reply = client.get("/api/chat/search/", {"q": "x" * (search.QUERY_MAX_LENGTH + 1)})

        assert reply.status_code == 400
        assert "at most 200 characters" in reply.json()["detail"]
