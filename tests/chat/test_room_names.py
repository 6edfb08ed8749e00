"""
Every way a room comes into being, for guests, users and staff: no one may
start a room under a name kept for direct conversations, nor one that reads
the same as another room's, and a direct room is only ever the two users'.
"""

import pytest
from channels.db import database_sync_to_async
from django.contrib.auth.models import AnonymousUser, User
from django.test import Client
from rest_framework.test import APIClient

from chat import services
from chat.consumers import ChatConsumer
from chat.models import Membership, Room
from chat.participants import participant_for
from chat.rooms import direct_room_name
from tests.support.credentials import guest_headers, session_headers
from tests.support.sockets import WebsocketTestCase

IDENTITIES = ("guest", "user", "staff")


class TestConnectingNeverCreatesAReservedOrLookAlikeRoom(WebsocketTestCase):
    consumer = ChatConsumer

    def setUp(self) -> None:
        super().setUp()
        self.user = User.objects.create_user("ann", password="pw-ann-123")
        self.staff = User.objects.create_user("sam", password="pw-sam-123", is_staff=True)
        self.other = User.objects.create_user("ben", password="pw-ben-123")
        self.direct = direct_room_name(int(self.user.pk), int(self.other.pk))
        services.create_private_room(owner=self.other, name="secret", member_usernames=[])
        Room.objects.create(name="Lobby")

    async def headers(self, who: str) -> list[tuple[bytes, bytes]]:
        headers: list[tuple[bytes, bytes]]
        if who == "guest":
            headers = await database_sync_to_async(guest_headers)()
        else:
            user = self.staff if who == "staff" else self.user
            headers = await database_sync_to_async(session_headers)(user)
        return headers

    async def refusal(self, room: str, who: str) -> tuple[int, str, int]:
        """Connect as `who`: (authentication status, its reason, close code)."""
        communicator = self.create_communicator(
            ws_path=f"/ws/chat/{room}/", headers=await self.headers(who)
        )
        await communicator.connect()
        auth = await communicator.wait_for_auth()
        assert auth is not None
        closed = await communicator.receive_output()
        assert closed["type"] == "websocket.close", f"sent before closing: {closed}"
        return auth.payload.status_code, auth.payload.data["detail"], closed["code"]

    async def test_no_one_starts_a_direct_room_by_connecting_to_its_name(self) -> None:
        for who in IDENTITIES:
            for name in (self.direct, self.direct.upper(), "dm-planted"):
                status, reason, code = await self.refusal(name, who)

                assert (status, code) == ((401, 4401) if who == "guest" else (403, 4403)), who
                assert "direct conversation does not exist" in reason
        assert not await Room.objects.filter(name__istartswith="dm-").aexists()

    async def test_a_name_differing_only_in_case_from_a_room_is_refused(self) -> None:
        for who in IDENTITIES:
            for name, existing in (("Secret", "secret"), ("SECRET", "secret"), ("lobby", "Lobby")):
                status, reason, code = await self.refusal(name, who)

                assert (status, code) == (403, 4403), (who, name)
                assert reason == f"This room is called {existing!r}."
        assert await Room.objects.acount() == 2


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["dm-7-8", "DM-planted", "Lobby"])
def test_a_post_never_creates_a_reserved_or_look_alike_room(name: str) -> None:
    Room.objects.create(name="lobby")
    guest = participant_for(None, guest_id="g", guest_name="Mallory", connection="c")

    with pytest.raises(services.NotAllowed):
        services.post_message(
            room_name=name, author=guest, user=AnonymousUser(), body="planted", client_id="c-1"
        )

    assert list(Room.objects.values_list("name", flat=True)) == ["lobby"]


@pytest.fixture
def people() -> dict[str, User]:
    return {
        "user": User.objects.create_user("ann", password="pw-ann-123"),
        "staff": User.objects.create_user("sam", password="pw-sam-123", is_staff=True),
        "other": User.objects.create_user("ben", password="pw-ben-123"),
    }


def api(user: User) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["user", "staff"])
def test_the_rooms_api_keeps_direct_names_and_refuses_look_alikes(
    people: dict[str, User], who: str
) -> None:
    Room.objects.create(name="plans")
    client = api(people[who])

    reserved = client.post("/api/chat/rooms/", {"name": "dm-1-2"}, format="json")
    look_alike = client.post("/api/chat/rooms/", {"name": "Plans"}, format="json")

    assert reserved.status_code == 400
    assert reserved.json() == {
        "detail": "Room names starting with 'dm-' are kept for direct messages."
    }
    assert look_alike.status_code == 400
    assert look_alike.json() == {
        "detail": "The room name 'Plans' is taken: a room called 'plans' exists."
    }
    assert list(Room.objects.values_list("name", flat=True)) == ["plans"]


@pytest.mark.django_db
def test_the_rooms_api_refuses_guests() -> None:
    assert APIClient().post("/api/chat/rooms/", {"name": "x"}, format="json").status_code == 401
    assert (
        APIClient().post("/api/chat/direct/", {"username": "x"}, format="json").status_code == 401
    )


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["user", "staff"])
def test_a_direct_lookup_returns_only_a_direct_room_of_exactly_those_two(
    people: dict[str, User], who: str
) -> None:
    me, other = people[who], people["other"]
    name = direct_room_name(int(me.pk), int(other.pk))

    found = api(me).post("/api/chat/direct/", {"username": "ben"}, format="json")

    assert found.status_code == 200
    room = found.json()
    assert (room["name"], room["kind"], room["title"]) == (name, "direct", "ben")
    assert room["members"] == sorted([me.username, "ben"])
    assert Room.objects.get(name=name).kind == Room.Kind.DIRECT


@pytest.mark.django_db
@pytest.mark.parametrize("squatted", ["public", "private", "third member"])
def test_a_direct_lookup_never_hands_out_a_room_squatting_its_name(
    people: dict[str, User], squatted: str
) -> None:
    """Rooms made before direct names were kept, or changed by hand since."""
    me, other = people["user"], people["other"]
    name = direct_room_name(int(me.pk), int(other.pk))
    if squatted == "third member":
        room = Room.objects.create(name=name, kind=Room.Kind.DIRECT)
        for member in (me, other, people["staff"]):
            Membership.objects.create(room=room, user=member)
    else:
        Room.objects.create(name=name, kind=squatted)

    answer = api(me).post("/api/chat/direct/", {"username": "ben"}, format="json")

    assert answer.status_code == 403
    assert answer.json() == {
        "detail": f"The room {name!r} is not your direct conversation: "
        "ask the site's staff to rename it."
    }


def admin_add(staff: User, name: str, kind: str) -> int:
    client = Client()
    client.force_login(staff)
    response = client.post(
        "/admin/chat/room/add/",
        {
            "name": name,
            "kind": kind,
            "last_seq": 0,
            "memberships-TOTAL_FORMS": 0,
            "memberships-INITIAL_FORMS": 0,
        },
    )
    return response.status_code


@pytest.mark.django_db
def test_the_admin_keeps_direct_names_for_direct_rooms_and_refuses_look_alikes() -> None:
    staff = User.objects.create_superuser("root", password="pw-root-123")
    Room.objects.create(name="secret", kind=Room.Kind.PRIVATE)

    refused = [
        admin_add(staff, "dm-1-2", "public"),
        admin_add(staff, "dm-1-2", "private"),
        admin_add(staff, "plain", "direct"),
        admin_add(staff, "Secret", "public"),
        admin_add(staff, "bad name", "public"),
    ]
    created = admin_add(staff, "news", "public")

    assert refused == [200] * 5  # the form again, with its errors
    assert created == 302
    assert sorted(Room.objects.values_list("name", flat=True)) == ["news", "secret"]


@pytest.mark.django_db
def test_the_database_itself_refuses_a_second_room_of_a_name_in_another_case() -> None:
    from django.db import IntegrityError

    Room.objects.create(name="secret")

    with pytest.raises(IntegrityError):
        Room.objects.create(name="SECRET")
