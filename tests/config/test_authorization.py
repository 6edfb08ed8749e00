"""
Who may do what: every action of every endpoint in the AsyncAPI document,
and every route of the chat's HTTP API, for an anonymous client, a guest,
the member who owns the private room, an admin of that room, a signed-in
non-member, a site moderator (the `chat.moderate_room` permission) and
staff. The actions come from the document, so a new one fails this test
until its row of expected outcomes is written down here.
"""

import json
from datetime import timedelta
from typing import Any, TypeVar

import pytest
from channels.db import database_sync_to_async
from django.contrib.auth.models import AnonymousUser, Permission, User
from django.test import Client
from django.utils import timezone

from chat.models import Membership, Mute, Room
from chat.participants import Participant, participant_for
from chat.services import create_private_room, post_message
from config.asgi import application
from system.models import Job
from tests.support.asyncapi import endpoints
from tests.support.credentials import guest_headers, token_headers
from tests.support.sockets import WebsocketCommunicator

pytestmark = pytest.mark.django_db(transaction=True)

ROLES = ("anonymous", "guest", "member", "room admin", "non-member", "moderator", "staff")
Outcome = TypeVar("Outcome", str, int)  # a frame or close code; an HTTP status
# Where each endpoint is tried: an endpoint missing here fails the test.
PLACES = {
    "chat": {"public room": "/ws/chat/lobby/", "private room": "/ws/chat/vault/"},
    # One connection to all rooms: the room named after '#' is the one tried.
    "rooms": {"public room": "/ws/chat/#lobby", "private room": "/ws/chat/#vault"},
    "assistant": {"": "/ws/assistants/"},
    "system": {"": "/ws/system/"},
    "echo": {"": "/ws/system/echo/"},
}
SAMPLES: dict[str, Any] = {
    "new_chat_message": {"message": "hello"},
    "load_history": {"before_seq": 1},
    "typing": None,
    "mark_read": {"seq": 0},
    "edit_message": {"seq": 1, "message": "edited"},  # the member's
    "delete_message": {"seq": "{deletable}"},
    "react": {"seq": 1, "emoji": "{emoji}"},
    "ping": None,
    "assistant_message": "How do I run the tests?",
    "stop_streaming": None,
    "system_message": {"task_type": "analyze", "content": "some words"},
    "cancel_job": {"job_id": "00000000-0000-4000-8000-00000000000a"},  # the member's
    "broadcast_notification": {"message": "maintenance at noon"},
    "subscribe": {"rooms": {"{room}": None}},
    "unsubscribe": {"rooms": ["{room}"]},
    "in_room": {
        "room": "{room}",
        "frame": {"action": "new_chat_message", "payload": {"message": "hi"}},
    },
}
# The message each endpoint's delete_message deletes, by role: one each, as a message is
# deleted once. In the public room, 2 to 5 are a guest's; in the private room, the member's.
DELETABLE = {"chat": 2, "rooms": 4}
DELETABLE_BY_SECOND = {"room admin": 1, "moderator": 1}  # the next message along
# The emoji each endpoint's react adds: a user's second 👍 on a message would change nothing.
EMOJI = {"chat": "👍", "rooms": "🎉"}
GUEST = Participant(key="guest:matrix", name="Gus", guest=True)
PRIVATE = {"anonymous": "4401", "guest": "4401", "non-member": "4403", "moderator": "4403",
           "staff": "4403"}  # fmt: skip


def everyone(outcome: Outcome) -> dict[str, Outcome]:
    return dict.fromkeys(ROLES, outcome)


def private(outcome: str) -> dict[str, str]:
    return {**PRIVATE, "member": outcome, "room admin": outcome}


def members_only(outcome: str, *, others: str) -> dict[str, str]:
    return {**everyone(others), "member": outcome, "room admin": outcome}


# Read state and reactions are kept for signed-in users only; a guest is told so.
SIGNED_IN_READ = {**everyone("read_state"), "anonymous": "error", "guest": "error"}
SIGNED_IN_REACT = {**everyone("reaction_changed"), "anonymous": "error", "guest": "error"}
PRIVATE_SUBSCRIBE = {**everyone("unsubscribed:forbidden"), "member": "in_room:chat_history",
                     "room admin": "in_room:chat_history",
                     "anonymous": "unsubscribed:login_required",
                     "guest": "unsubscribed:login_required"}  # fmt: skip


# (endpoint, place, action) -> role -> the first frame that answers it, "-" for
# none (handled silently), or the close code the connection was refused with.
# "in_room/<action>" is <action> sent to a subscribed room inside `in_room`,
# where `in_room` alone sends `new_chat_message`.
EXPECTED: dict[tuple[str, str, str], dict[str, str]] = {
    ("chat", "public room", "new_chat_message"): everyone("message_accepted"),
    ("chat", "public room", "load_history"): everyone("chat_history"),
    ("chat", "public room", "typing"): everyone("-"),
    ("chat", "public room", "mark_read"): SIGNED_IN_READ,
    ("chat", "public room", "edit_message"): {**everyone("error"), "member": "message_edited"},
    ("chat", "public room", "delete_message"): {
        **everyone("error"),
        "moderator": "message_deleted",
        "staff": "message_deleted",
    },
    ("chat", "public room", "react"): SIGNED_IN_REACT,
    ("chat", "public room", "ping"): everyone("pong"),
    ("chat", "private room", "new_chat_message"): private("message_accepted"),
    ("chat", "private room", "load_history"): private("chat_history"),
    ("chat", "private room", "typing"): private("-"),
    ("chat", "private room", "mark_read"): private("read_state"),
    ("chat", "private room", "edit_message"): {**private("message_edited"), "room admin": "error"},
    ("chat", "private room", "delete_message"): private("message_deleted"),
    ("chat", "private room", "react"): private("reaction_changed"),
    ("chat", "private room", "ping"): private("pong"),
    ("rooms", "public room", "subscribe"): everyone("in_room:chat_history"),
    ("rooms", "public room", "in_room"): everyone("in_room:message_accepted"),
    ("rooms", "public room", "in_room/mark_read"): SIGNED_IN_READ,
    ("rooms", "public room", "in_room/edit_message"): {
        **everyone("error"),
        "member": "in_room:message_edited",
    },
    ("rooms", "public room", "in_room/delete_message"): {
        **everyone("error"),
        "moderator": "in_room:message_deleted",
        "staff": "in_room:message_deleted",
    },
    ("rooms", "public room", "in_room/react"): {
        **everyone("in_room:reaction_changed"),
        "anonymous": "error",
        "guest": "error",
    },
    ("rooms", "public room", "unsubscribe"): everyone("unsubscribed:requested"),
    ("rooms", "public room", "ping"): everyone("pong"),
    ("rooms", "private room", "subscribe"): PRIVATE_SUBSCRIBE,
    ("rooms", "private room", "in_room"): members_only("in_room:message_accepted", others="error"),
    ("rooms", "private room", "in_room/mark_read"): members_only("read_state", others="error"),
    ("rooms", "private room", "in_room/edit_message"): {
        **everyone("error"),
        "member": "in_room:message_edited",
    },
    ("rooms", "private room", "in_room/delete_message"): members_only(
        "in_room:message_deleted", others="error"
    ),
    ("rooms", "private room", "in_room/react"): members_only(
        "in_room:reaction_changed", others="error"
    ),
    ("rooms", "private room", "unsubscribe"): everyone("unsubscribed:requested"),
    ("rooms", "private room", "ping"): everyone("pong"),
    ("assistant", "", "assistant_message"): everyone("streaming_start"),
    ("assistant", "", "stop_streaming"): everyone("error"),
    ("assistant", "", "ping"): everyone("pong"),
    ("system", "", "system_message"): everyone("job_queued"),
    ("system", "", "cancel_job"): {**everyone("error"), "member": "job_result"},
    ("system", "", "broadcast_notification"): {**everyone("error"), "staff": "system_notification"},
    ("system", "", "ping"): everyone("pong"),
}
# The frame that ends each endpoint's greeting, and frames that arrive on their
# own schedule rather than in answer to an action.
GREETINGS = {"chat": "chat_history", "rooms": "room_list", "assistants": "conversation_state",
             "system": "job_list"}  # fmt: skip
UNPROMPTED = {"presence_joined", "presence_left", "presence_state", "conversation_state",
              "job_progress", "read_receipts"}  # fmt: skip


@pytest.fixture
def headers() -> dict[str, list[tuple[bytes, bytes]]]:
    member = User.objects.create_user("member")
    admin = User.objects.create_user("admin")
    outsider = User.objects.create_user("outsider")
    moderator = User.objects.create_user("moderator")
    moderator.user_permissions.add(Permission.objects.get(codename="moderate_room"))
    staff = User.objects.create_user("staff", is_staff=True)
    User.objects.create_user("target")  # whom the moderation routes act on
    create_private_room(owner=member, name="vault", member_usernames=["admin", "target"])
    Membership.objects.filter(user=admin).update(role=Membership.Role.ADMIN)
    Room.objects.create(name="lobby")
    # Seq 1 of each room is the member's; 2 to 5, to delete (see DELETABLE), a guest's in the
    # public room (only moderators may delete them) and the member's in the private one.
    as_member = participant_for(member, guest_id=None, guest_name=None, connection="matrix")
    for room, author, user in (("lobby", as_member, member), ("vault", as_member, member)):
        for seq in (1, 2, 3, 4, 5):
            by_guest = room == "lobby" and seq > 1
            post_message(
                room_name=room,
                author=GUEST if by_guest else author,
                user=AnonymousUser() if by_guest else user,
                body=f"message {seq}",
                client_id=f"{room}-{seq}",
            )
    Job.objects.create(id=SAMPLES["cancel_job"]["job_id"], owner=member, task_type="analyze",
                       content="queued, never started")  # fmt: skip
    return {
        "anonymous": [],
        "guest": guest_headers("matrix-guest"),
        "member": token_headers(member),
        "room admin": token_headers(admin),
        "non-member": token_headers(outsider),
        "moderator": token_headers(moderator),
        "staff": token_headers(staff),
    }


def sample(action: str, room: str, role: str, *, endpoint: str = "chat") -> dict[str, Any]:
    envelope, _, inner = action.partition("/")
    if inner:
        frame = sample(inner, room, role, endpoint="rooms")
        return {"action": envelope, "payload": {"room": room, "frame": frame}}
    frame = {"action": action}
    if SAMPLES[action] is not None:
        text = json.dumps(SAMPLES[action], ensure_ascii=False).replace("{room}", room)
        deletable = DELETABLE[endpoint] + DELETABLE_BY_SECOND.get(role, 0)
        text = text.replace('"{deletable}"', str(deletable))
        frame["payload"] = json.loads(text.replace("{emoji}", EMOJI[endpoint]))
    return frame


async def outcome(place: str, role: str, headers: list[tuple[bytes, bytes]], action: str) -> str:
    """What answers `action` at `place` for a client of `role` with `headers`."""
    path, _, room = place.partition("#")
    communicator = WebsocketCommunicator(application, path, headers=headers)
    await communicator.connect()
    authentication = await communicator.receive_json_from()
    if authentication["payload"]["status_code"] != 200:
        closed = await communicator.receive_output()
        return str(closed["code"])
    greeting = "rooms" if room else path.split("/")[2]
    while (await communicator.receive_json_from())["action"] != GREETINGS[greeting]:
        pass
    if action.startswith(("in_room", "unsubscribe")):  # these act on a room followed, or refused
        await communicator.send_json_to(sample("subscribe", room, role))
        await first_answer(communicator, "subscribe")
    await communicator.send_json_to(sample(action, room, role))
    answer = await first_answer(communicator, action)
    await communicator.disconnect()
    return answer


async def first_answer(communicator: WebsocketCommunicator, action: str) -> str:
    """
    The first frame that answers the action. Handlers answer before chanx's
    `complete`; answers sent through a group (a job, a broadcast) may come
    just after it, so a handler that said nothing gets a moment more.
    """
    completed = False
    while not (completed and await communicator.receive_nothing(timeout=0.5)):
        frame = await communicator.receive_json_from()
        if frame["action"] == "complete":
            completed = True
        elif answers(frame, action):
            return label(frame)
    return "-"


def label(frame: dict[str, Any]) -> str:
    """A frame's action; with what is inside an envelope, or why a room was unsubscribed."""
    if frame["action"] == "in_room":
        return f"in_room:{frame['payload']['frame']['action']}"
    if frame["action"] == "unsubscribed":
        return f"unsubscribed:{frame['payload']['reason']}"
    return str(frame["action"])


def answers(frame: dict[str, Any], action: str) -> bool:
    """
    Whether `frame` can answer `action`. A job's result answers only the
    action that named that job: a job the same client started on an earlier
    connection (its `system_message` row) may end while a later one waits.
    """
    if frame["action"] in UNPROMPTED:
        return False
    if frame["action"] == "in_room" and frame["payload"]["frame"]["action"] in UNPROMPTED:
        return False
    if frame["action"] == "job_result":
        return action == "cancel_job" and frame["payload"]["job_id"] == SAMPLES[action]["job_id"]
    return True


async def test_every_action_of_every_endpoint_has_its_expected_outcome_for_every_role(
    headers: dict[str, list[tuple[bytes, bytes]]], client: Client
) -> None:
    response = await database_sync_to_async(client.get)("/asyncapi/schema/")
    documented = endpoints(response.json())
    missing = [
        (e.name, place, action)
        for e in documented
        for place in PLACES.get(e.name, {"?": ""})
        for action in e.actions
        if (e.name, place, action) not in EXPECTED
    ]
    assert missing == [], "write down who may do these"

    actual = {
        key: {
            role: await outcome(PLACES[key[0]][key[1]], role, headers[role], key[2])
            for role in ROLES
        }
        for key in EXPECTED
    }

    assert actual == EXPECTED


# The chat over HTTP: (route, place) -> role -> status. A file is downloaded by whoever
# may read its room, checked at each download; anyone else gets a 404, as if it did
# not exist. An upload is taken back only by its uploader. A message posted over HTTP
# follows the socket's rules. Moderation acts on "target", a plain member of the
# private room: a room's moderators are the site's and, in a private room, its owner
# (the member) and admins; only the owner changes roles.
SIGNED_IN = {"anonymous": 401, "guest": 401}
MODERATORS = {"moderator": 0, "staff": 0}
PRIVATE_MODERATORS = {**MODERATORS, "member": 0, "room admin": 0}


def only(roles: dict[str, int], status: int, *, others: int) -> dict[str, int]:
    return {**everyone(others), **dict.fromkeys(roles, status), **SIGNED_IN}


HTTP_ROUTES: dict[tuple[str, str], dict[str, int]] = {
    ("post", "public room"): {**everyone(201), **SIGNED_IN},
    ("post", "private room"): {**everyone(403), "member": 201, "room admin": 201, **SIGNED_IN},
    ("upload", "public room"): {**everyone(201), **SIGNED_IN},
    ("upload", "private room"): {**everyone(400), "member": 201, "room admin": 201, **SIGNED_IN},
    ("download", "public room"): everyone(200),
    ("download", "private room"): {**everyone(404), "member": 200, "room admin": 200},
    ("take back", "private room"): {**everyone(404), "member": 204, **SIGNED_IN},
    ("mute", "public room"): only(MODERATORS, 201, others=403),
    ("mute", "private room"): only(PRIVATE_MODERATORS, 201, others=403),
    ("unmute", "public room"): only(MODERATORS, 204, others=403),
    ("unmute", "private room"): only(PRIVATE_MODERATORS, 204, others=403),
    ("report", "public room"): {**everyone(201), "member": 400, **SIGNED_IN},  # 1 is the member's
    ("report", "private room"): {**everyone(403), "member": 400, "room admin": 201, **SIGNED_IN},
    ("make admin", "private room"): {**everyone(403), "member": 204, **SIGNED_IN},
    ("remove member", "private room"): only({"member": 0, "room admin": 0}, 204, others=403),
}


def http_outcome(route: str, room: str, headers: list[tuple[bytes, bytes]], member: User) -> int:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from chat import files

    client = Client(headers={name.decode(): value.decode() for name, value in headers})
    target = User.objects.get(username="target")
    if route == "post":
        message = {"message": "over http"}
        return client.post(
            f"/api/chat/rooms/{room}/messages/", message, "application/json"
        ).status_code
    if route == "mute":
        order = {"username": "target", "minutes": 5, "reason": "spam"}
        return client.post(f"/api/chat/rooms/{room}/mutes/", order, "application/json").status_code
    if route == "unmute":
        until = timezone.now() + timedelta(minutes=5)
        lobby_or_vault = Room.objects.get(name=room)
        Mute.objects.update_or_create(room=lobby_or_vault, user=target, defaults={"until": until})
        return client.delete(f"/api/chat/rooms/{room}/mutes/target/").status_code
    if route == "report":
        reason = {"reason": "rude"}
        return client.post(
            f"/api/chat/rooms/{room}/messages/1/reports/", reason, "application/json"
        ).status_code
    if route in ("make admin", "remove member"):
        Membership.objects.get_or_create(room=Room.objects.get(name=room), user=target)
        Membership.objects.filter(user=target).update(role=Membership.Role.MEMBER)
        url = f"/api/chat/rooms/{room}/members/target/"
        if route == "make admin":
            return client.patch(url, {"role": "admin"}, "application/json").status_code
        return client.delete(url).status_code
    if route == "upload":
        form = {"file": SimpleUploadedFile("notes.txt", b"hello")}
        return client.post(f"/api/chat/rooms/{room}/attachments/", form).status_code
    upload = SimpleUploadedFile("notes.txt", b"hello")
    stored = files.upload(room_name=room, user=member, file=upload)
    if route == "take back":
        return client.delete(f"/api/chat/attachments/{stored.pk}/").status_code
    author = participant_for(member, guest_id=None, guest_name=None, connection="matrix")
    post_message(room_name=room, author=author, user=member, body="", client_id=f"f{stored.pk}",
                 attachments=[stored.pk])  # fmt: skip
    reply: Any = client.get(f"/chat/files/{stored.pk}/notes.txt")
    if reply.streaming:
        b"".join(reply.streaming_content)  # the test client closes the file once it is read
    return int(reply.status_code)


def test_every_http_route_of_the_chat_has_its_expected_outcome_for_every_role(
    headers: dict[str, list[tuple[bytes, bytes]]],
) -> None:
    member = User.objects.get(username="member")
    rooms = {"public room": "lobby", "private room": "vault"}

    actual = {
        (route, place): {
            role: http_outcome(route, rooms[place], headers[role], member) for role in ROLES
        }
        for route, place in HTTP_ROUTES
    }

    assert actual == HTTP_ROUTES


# Search over HTTP: place -> role -> how many of the room's five messages are found.
SEARCHES: dict[str, dict[str, int]] = {
    "public room": everyone(5),
    "private room": {**everyone(0), "member": 5, "room admin": 5},
}


def test_search_finds_a_room_s_messages_for_exactly_those_who_may_read_it(
    headers: dict[str, list[tuple[bytes, bytes]]],
) -> None:
    rooms = {"public room": "lobby", "private room": "vault"}

    def found(place: str, role: str) -> int:
        client = Client(headers={name.decode(): value.decode() for name, value in headers[role]})
        reply = client.get("/api/chat/search/", {"q": "message", "room": rooms[place]})
        return len(reply.json()["results"])

    actual = {place: {role: found(place, role) for role in ROLES} for place in SEARCHES}

    assert actual == SEARCHES
