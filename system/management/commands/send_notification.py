"""Notify every client connected to /ws/system/, on every server process."""

import time
from typing import Any

from asgiref.sync import async_to_sync
from django.core.management.base import BaseCommand, CommandError, CommandParser

from system import notifications


class Command(BaseCommand):
    help = "Send a notification to every client connected to /ws/system/."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("message")
        parser.add_argument("--repeat", type=int, default=1, help="how many times (default 1)")
        parser.add_argument(
            "--interval", type=float, default=1.0, help="seconds between repeats (default 1)"
        )
        parser.add_argument("--level", choices=["info", "warning", "error"], default="info")

    def handle(
        self, *args: Any, message: str, repeat: int, interval: float, level: str, **options: Any
    ) -> None:
        if not notifications.reaches_other_processes():
            raise CommandError(
                "The channel layer is in-memory, so this command cannot reach clients of a "
                "server running in another process. Start Redis (or set REDIS_URL) for both."
            )
        if repeat < 1 or interval < 0:
            raise CommandError("--repeat must be at least 1 and --interval not negative.")
        for n in range(1, repeat + 1):
            text = message if repeat == 1 else f"{message} ({n}/{repeat})"
            async_to_sync(notifications.send)(*notifications.notification_event(text, level))  # type: ignore[arg-type]
            self.stdout.write(f"Sent: {text}")
            if n < repeat:
                time.sleep(interval)
