"""Celery tasks of the chat: writes made away from any connection."""

from celery import shared_task
from django.contrib.auth import get_user_model

from chat import services


@shared_task(name="chat.post_message")  # type: ignore[untyped-decorator]
def post_message(room_name: str, username: str, body: str, client_id: str) -> int:
    """
    Post `body` to the room as `username` from a worker (a reminder, a digest,
    a bot); its seq. `client_id` makes a retried task post once.
    """
    user = get_user_model().objects.get(username=username, is_active=True)
    posted = services.post_and_publish(
        room_name=room_name, user=user, body=body, client_id=client_id
    )
    return posted.message.seq
