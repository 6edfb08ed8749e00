"""
The jobs themselves: plain functions that report progress as they go.

`report(percent, message)` records progress and raises JobCancelled when the
job's owner asked to cancel it, so a cancelled job stops at its next step.
A job that cannot do what it was asked raises JobFailed, saying why.
"""

import json
import re
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from django.conf import settings

from chat.models import Message, Room

WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")


class JobCancelled(Exception):
    """The job's owner cancelled it."""


class JobFailed(Exception):
    """The job cannot do what was asked; the message says why, for its owner."""


class Report(Protocol):
    def __call__(self, percent: int, message: str) -> None: ...


def analyze_text(content: str, report: Report, **_: Any) -> dict[str, Any]:
    """Counts and the most frequent words of a text."""
    steps: list[tuple[str, Callable[[], Any]]] = [
        ("Counting characters", lambda: len(content)),
        ("Counting lines", lambda: len(content.splitlines()) or 1),
        ("Splitting words", lambda: WORD.findall(content.lower())),
    ]
    found: dict[str, Any] = {}
    for n, (label, step) in enumerate(steps):
        report(int(n * 100 / (len(steps) + 1)), label)
        found[label] = step()
        time.sleep(settings.JOB_STEP_DELAY)
    words: list[str] = found["Splitting words"]
    report(75, "Finding the most frequent words")
    time.sleep(settings.JOB_STEP_DELAY)
    return {
        "characters": found["Counting characters"],
        "lines": found["Counting lines"],
        "words": len(words),
        "unique_words": len(set(words)),
        "top_words": [[word, count] for word, count in Counter(words).most_common(10)],
    }


def export_transcript(content: str, report: Report, *, job_id: str, **_: Any) -> dict[str, Any]:
    """
    A chat room's transcript as Markdown and JSON files, ready to download.

    Reads the history in batches by seq and writes as it reads, so memory stays
    bounded however long the room's history is.
    """
    room = content
    if not Room.objects.filter(name=room).exists():
        raise JobFailed(f"No room named {room!r}.")
    total = Message.objects.filter(room__name=room).count()
    markdown_path, json_path = export_path(job_id, "md"), export_path(job_id, "json")
    markdown_path.parent.mkdir(parents=True, exist_ok=True)
    written, last_seq = 0, 0
    with (
        markdown_path.open("w", encoding="utf-8") as md,
        json_path.open("w", encoding="utf-8") as js,
    ):
        md.write(f"# Transcript of {room}\n\n")
        js.write(f'{{"room": {json.dumps(room)}, "messages": [')
        while True:
            batch = list(
                Message.objects.filter(room__name=room, seq__gt=last_seq)
                .order_by("seq")
                .values("seq", "author_name", "is_guest", "body", "created_at")[
                    : settings.JOB_EXPORT_BATCH
                ]
            )
            if not batch:
                break
            for row in batch:
                when = row["created_at"].isoformat()
                guest = " (guest)" if row["is_guest"] else ""
                md.write(f"- **{row['author_name']}**{guest} · {when}: {row['body']}\n")
                js.write(("," if written else "") + json.dumps({**row, "created_at": when}))
                written += 1
            last_seq = batch[-1]["seq"]
            report(min(99, int(written * 100 / max(total, 1))), f"{written} of {total} messages")
        js.write("]}\n")
    return {
        "room": room,
        "messages": written,
        "downloads": {
            "markdown": f"/system/exports/{job_id}/markdown/",
            "json": f"/system/exports/{job_id}/json/",
        },
    }


def export_path(job_id: str, extension: str) -> Path:
    """Where an export job writes its file (outside the static and public folders)."""
    return Path(settings.MEDIA_ROOT) / "exports" / f"{job_id}.{extension}"


def remove_exports(job_id: str) -> None:
    """Delete the files an export job wrote, if it wrote any."""
    for extension in ("md", "json"):
        export_path(job_id, extension).unlink(missing_ok=True)


JOBS: dict[str, Callable[..., dict[str, Any]]] = {
    "analyze": analyze_text,
    "export_transcript": export_transcript,
}
