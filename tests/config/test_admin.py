"""The admin shows what running the site needs: rooms and members, messages, conversations, jobs."""

import pytest
from django.contrib.auth.models import User
from django.test import Client

from assistants.models import Conversation
from chat.models import Membership, Message, Room
from system.models import Job

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client() -> Client:
    client = Client()
    client.force_login(User.objects.create_superuser("root", password="pw-root-123"))
    return client


def test_every_model_a_site_runner_needs_has_an_admin_page(admin_client: Client) -> None:
    for path in (
        "/admin/chat/room/",
        "/admin/chat/membership/",
        "/admin/chat/message/",
        "/admin/assistants/conversation/",
        "/admin/system/job/",
    ):
        assert admin_client.get(path).status_code == 200, path


def test_messages_are_found_by_room_and_by_author(admin_client: Client) -> None:
    ann = User.objects.create_user("ann", password="pw-ann-123")
    room = Room.objects.create(name="plans", last_seq=2)
    Message.objects.create(
        room=room, seq=1, author=ann, author_name="ann", body="one", client_id="a"
    )
    other = Room.objects.create(name="other", last_seq=1)
    Message.objects.create(room=other, seq=1, author_name="zed", body="two", client_id="b")

    by_room = admin_client.get("/admin/chat/message/", {"q": "plans"}).content.decode()
    by_author = admin_client.get("/admin/chat/message/", {"q": "zed"}).content.decode()

    assert "plans#1" in by_room
    assert "other#1" not in by_room
    assert "other#1" in by_author
    assert "plans#1" not in by_author


def test_rooms_show_their_members_and_jobs_their_state(admin_client: Client) -> None:
    ann = User.objects.create_user("ann", password="pw-ann-123")
    room = Room.objects.create(name="plans", kind=Room.Kind.PRIVATE, owner=ann)
    Membership.objects.create(room=room, user=ann)
    Job.objects.create(task_type="export", content="plans", status=Job.Status.FAILED, owner=ann)
    Conversation.objects.create(title="About resume", owner=ann)

    room_page = admin_client.get(f"/admin/chat/room/{room.pk}/change/").content.decode()
    jobs_page = admin_client.get("/admin/system/job/").content.decode()
    conversations = admin_client.get("/admin/assistants/conversation/").content.decode()

    assert "ann" in room_page
    assert "memberships-0-user" in room_page
    assert ">Failed<" in jobs_page
    assert "About resume" in conversations
