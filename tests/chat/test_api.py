"""The rooms API: private rooms, their members, and direct conversations."""

import pytest
from django.contrib.auth.models import User
from rest_framework.test import APIClient

from chat.models import Membership, Room

pytestmark = pytest.mark.django_db


@pytest.fixture
def users() -> dict[str, User]:
    return {n: User.objects.create_user(n, password=f"pw-{n}-123") for n in ("ann", "ben", "cat")}


def client_for(user: User) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_a_signed_in_user_creates_a_private_room_with_members(users: dict[str, User]) -> None:
    response = client_for(users["ann"]).post(
        "/api/chat/rooms/", {"name": "plans", "members": ["ben"]}, format="json"
    )

    assert response.status_code == 201
    assert response.json() == {
        "name": "plans",
        "kind": "private",
        "title": "plans",
        "owner": "ann",
        "members": ["ann", "ben"],
        "admins": [],
    }


def test_creating_a_room_with_a_taken_name_or_unknown_member_says_why(
    users: dict[str, User],
) -> None:
    ann = client_for(users["ann"])
    Room.objects.create(name="lobby")

    taken = ann.post("/api/chat/rooms/", {"name": "lobby"}, format="json")
    unknown = ann.post("/api/chat/rooms/", {"name": "new", "members": ["zed"]}, format="json")

    assert taken.status_code == 400
    assert taken.json() == {"detail": "The room name 'lobby' is taken."}
    assert unknown.json() == {"detail": "No such user: zed."}


def test_anonymous_clients_cannot_create_rooms() -> None:
    assert APIClient().post("/api/chat/rooms/", {"name": "x"}, format="json").status_code == 401


def test_only_the_owner_invites_and_removes_members(users: dict[str, User]) -> None:
    client_for(users["ann"]).post("/api/chat/rooms/", {"name": "plans"}, format="json")

    by_outsider = client_for(users["ben"]).post(
        "/api/chat/rooms/plans/members/", {"username": "cat"}, format="json"
    )
    by_owner = client_for(users["ann"]).post(
        "/api/chat/rooms/plans/members/", {"username": "cat"}, format="json"
    )
    removed = client_for(users["ann"]).delete("/api/chat/rooms/plans/members/cat/")

    assert by_outsider.status_code == 403
    assert by_owner.status_code == 204
    assert removed.status_code == 204
    assert not Membership.objects.filter(user=users["cat"]).exists()


def test_a_direct_room_is_shared_by_exactly_two_users_and_reused(users: dict[str, User]) -> None:
    first = client_for(users["ann"]).post("/api/chat/direct/", {"username": "ben"}, format="json")
    again = client_for(users["ben"]).post("/api/chat/direct/", {"username": "ann"}, format="json")

    assert first.json()["name"] == again.json()["name"]
    assert first.json()["kind"] == "direct"
    assert first.json()["members"] == again.json()["members"] == ["ann", "ben"]
    assert first.json()["owner"] is None


def test_your_rooms_lists_only_rooms_you_belong_to(users: dict[str, User]) -> None:
    client_for(users["ann"]).post("/api/chat/rooms/", {"name": "ann-only"}, format="json")
    client_for(users["ben"]).post("/api/chat/rooms/", {"name": "ben-only"}, format="json")

    listed = client_for(users["ann"]).get("/api/chat/rooms/").json()

    assert [room["name"] for room in listed] == ["ann-only"]


def test_a_direct_room_is_titled_by_the_other_persons_name_for_each_of_its_two(
    users: dict[str, User],
) -> None:
    opened = client_for(users["ann"]).post("/api/chat/direct/", {"username": "ben"}, format="json")
    reopened = client_for(users["ben"]).post(
        "/api/chat/direct/", {"username": "ann"}, format="json"
    )

    assert opened.json()["title"] == "ben"
    assert reopened.json()["title"] == "ann"


def test_your_rooms_titles_direct_rooms_by_the_other_person_and_others_by_name(
    users: dict[str, User],
) -> None:
    client_for(users["ann"]).post("/api/chat/rooms/", {"name": "plans"}, format="json")
    client_for(users["ann"]).post("/api/chat/direct/", {"username": "cat"}, format="json")

    by_ann = client_for(users["ann"]).get("/api/chat/rooms/").json()
    by_cat = client_for(users["cat"]).get("/api/chat/rooms/").json()

    assert {room["kind"]: room["title"] for room in by_ann} == {"private": "plans", "direct": "cat"}
    assert [room["title"] for room in by_cat] == ["ann"]
    assert all(not room["title"].startswith("dm-") for room in by_ann + by_cat)


def test_your_rooms_says_who_owns_each_so_a_page_knows_who_may_invite(
    users: dict[str, User],
) -> None:
    client_for(users["ann"]).post(
        "/api/chat/rooms/", {"name": "plans", "members": ["ben"]}, format="json"
    )

    listed = client_for(users["ben"]).get("/api/chat/rooms/").json()

    assert [(room["name"], room["owner"]) for room in listed] == [("plans", "ann")]
