"""
Peak memory of the transcript export on a large room.

The export reads history in batches and writes as it reads, so its peak
memory should stay flat as the room grows.

    python -m bench.export_memory                 # 100,000 messages
    python -m bench.export_memory --messages 20000
"""

import argparse
import os
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--messages", type=int, default=100_000)
    args = parser.parse_args()
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
    room = Room.objects.create(name="bench", last_seq=args.messages)
    batch = 5000
    for start in range(0, args.messages, batch):
        Message.objects.bulk_create(
            Message(
                room=room,
                seq=n + 1,
                author_name="writer",
                body=f"message number {n} " * 4,
                client_id=f"c{n}",
            )
            for n in range(start, min(start + batch, args.messages))
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
    print(f"messages exported      {result['messages']:,}")
    print(f"files written          {size / 1e6:.1f} MB (Markdown + JSON)")
    print(f"peak Python memory     {peak / 1e6:.1f} MB (tracemalloc)")
    print(f"time                   {took:.1f} s")


if __name__ == "__main__":
    main()
