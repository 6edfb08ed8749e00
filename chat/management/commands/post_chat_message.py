"""Post to a room from the command line: stored in its stream, broadcast after commit."""

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from chat import services


class Command(BaseCommand):
    help = (
        "Post a message to a room as a user, as if they had sent it: it takes the room's "
        "next seq and reaches every connection in the room."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("room", help="the room's name")
        parser.add_argument("message", help="the text")
        parser.add_argument("--as", dest="username", required=True, help="who posts it")
        parser.add_argument("--client-id", help="post once, however often this is run")

    def handle(self, *args: Any, room: str, message: str, username: str, **options: Any) -> None:
        user = get_user_model().objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"No active user {username!r}.")
        try:
            posted = services.post_and_publish(
                room_name=room, user=user, body=message, client_id=options["client_id"]
            )
        except services.ChatError as error:
            raise CommandError(str(error)) from error
        seq = posted.message.seq
        self.stdout.write(f"Posted to {room} as seq {seq}." if posted.created else
                          f"Already posted to {room} as seq {seq}.")  # fmt: skip
