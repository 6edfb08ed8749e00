"""Keep only the newest messages of each room."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from chat.services import prune_history


class Command(BaseCommand):
    help = (
        "Delete all but the newest --keep messages of every room. Clients that try to resume "
        "from a deleted message get `resync_required` instead of a silent gap."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--keep", type=int, required=True, help="messages to keep per room")

    def handle(self, *args: Any, keep: int, **options: Any) -> None:
        if keep < 1:
            self.stderr.write("--keep must be at least 1")
            raise SystemExit(2)
        deleted = prune_history(keep=keep)
        self.stdout.write(f"Deleted {deleted} message(s); every room keeps its newest {keep}.")
