"""
Peak memory of the transcript export on a large room.

The export reads history in batches and writes as it reads, so its peak
memory should stay flat as the room grows.

    python -m bench.export_memory                 # 100,000 messages
    python -m bench.export_memory --messages 20000
"""

import argparse
import json
import os
import sys
import tempfile
import time
import tracemalloc
from dataclasses import asdict, dataclass
from pathlib import Path


@dataclass(frozen=True)
class ExportReport:
    messages: int
    megabytes_written: float
    peak_megabytes: float
    seconds: float

    def lines(self) -> list[str]:
        return [
            f"messages exported      {self.messages:,}",
            f"files written          {self.megabytes_written:.1f} MB (Markdown + JSON)",
            f"peak Python memory     {self.peak_megabytes:.1f} MB (tracemalloc)",
            f"time                   {self.seconds:.1f} s",
        ]


def measure(messages: int = 100_000) -> ExportReport:
    """Export a room of `messages` messages, stored in a fresh SQLite database of its own."""
    workdir = Path(tempfile.mkdtemp(prefix="relay-bench-export-"))
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    os.environ.update(
        DJANGO_SETTINGS_MODULE="config.settings.dev",
        DATABASE_URL=f"sqlite:///{workdir / 'bench.sqlite3'}",
        DJANGO_MEDIA_ROOT=str(workdir / "media"),
    )
    import django

    django.setup()
    from django.core.management import call_command

    from chat.models import Message, Room
    from system.jobs import export_transcript

    call_command("migrate", verbosity=0)
    room = Room.objects.create(name="bench", last_seq=messages)
    batch = 5000
    for start in range(0, messages, batch):
        Message.objects.bulk_create(
            Message(
                room=room,
                seq=n + 1,
                author_name="writer",
                body=f"message number {n} " * 4,
                client_id=f"c{n}",
            )
            for n in range(start, min(start + batch, messages))
        )

    tracemalloc.start()
    began = time.perf_counter()
    result = export_transcript("bench", lambda percent, message: None, job_id="bench")
    took = time.perf_counter() - began
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    size = sum(
        (workdir / "media" / "exports" / f"bench.{ext}").stat().st_size for ext in ("md", "json")
    )
    return ExportReport(result["messages"], size / 1e6, peak / 1e6, took)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    report = measure(args.messages)
    print(json.dumps(asdict(report)) if args.json else "\n".join(report.lines()))


if __name__ == "__main__":
    main()
