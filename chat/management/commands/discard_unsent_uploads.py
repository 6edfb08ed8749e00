"""Delete uploads never sent with a message: a tab closed after choosing a file."""

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from chat.files import UNSENT_KEPT, discard_unsent


class Command(BaseCommand):
    help = (
        "Delete chat uploads, and their files, that were not sent with a message within "
        "--hours (24 by default). Run it daily, from cron or a scheduler."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        default = int(UNSENT_KEPT.total_seconds() // 3600)
        parser.add_argument("--hours", type=int, default=default, help="how long uploads wait")

    def handle(self, *args: Any, hours: int, **options: Any) -> None:
        if hours < 1:
            self.stderr.write("--hours must be at least 1")
            raise SystemExit(2)
        deleted = discard_unsent(older_than=timedelta(hours=hours))
        self.stdout.write(f"Deleted {deleted} upload(s) not sent within {hours} hour(s).")
