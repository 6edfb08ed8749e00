"""
How well the offline assistant answers: for each question of
bench/answer_questions.toml, is the section that answers it the first one
found (top-1), or among the first three (top-3)? And how long is the answer
a user reads?

    python -m bench.answer_quality             # the figures
    python -m bench.answer_quality --verbose   # and each question's first section

Measured on the 42 questions (15 of them held out while the ranking was tuned),
before and after the ranking moved from whole sections to passages:

                              before    after
    right section first        62%      90%
    right section in top 3     86%      98%
    first, held-out questions  53%      80%
    mean answer length        2,101      904 characters
    off-topic, no answer       3 of 3   3 of 3
"""

import argparse
import os
import statistics
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

QUESTIONS_FILE = Path(__file__).with_name("answer_questions.toml")


@dataclass(frozen=True)
class Question:
    ask: str
    expect: tuple[str, ...]  # "file#heading": the heading ends the section's heading path
    held_out: bool = False

    def answered_by(self, source: str, title: str) -> bool:
        return any(
            source == file and (title == heading or title.endswith(f" > {heading}"))
            for file, _, heading in (e.partition("#") for e in self.expect)
        )


def load_questions(path: Path = QUESTIONS_FILE) -> tuple[list[Question], list[str]]:
    """The questions with their expected sections, and the off-topic questions."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    questions = [
        Question(q["ask"], tuple(q["expect"]), bool(q.get("held_out", False)))
        for q in data["questions"]
    ]
    return questions, [q["ask"] for q in data.get("off_topic", [])]


@dataclass(frozen=True)
class Scored:
    question: Question
    ranked: list[tuple[str, str]]  # (source, title), best first
    answer_chars: int

    def hit(self, within: int) -> bool:
        return any(self.question.answered_by(*found) for found in self.ranked[:within])


@dataclass(frozen=True)
class QualityReport:
    scored: list[Scored]
    off_topic: int
    off_topic_silent: int  # answered with "found nothing"

    def rate(self, within: int, held_out: bool | None = None) -> float:
        chosen = [s for s in self.scored if held_out is None or s.question.held_out == held_out]
        return sum(s.hit(within) for s in chosen) / len(chosen) if chosen else 0.0

    @property
    def top1(self) -> float:
        return self.rate(1)

    @property
    def top3(self) -> float:
        return self.rate(3)

    @property
    def mean_answer_chars(self) -> float:
        return statistics.fmean(s.answer_chars for s in self.scored)

    def lines(self) -> list[str]:
        held = [s for s in self.scored if s.question.held_out]
        return [
            f"questions                {len(self.scored)} ({len(held)} held out)",
            f"right section first      {self.top1:.0%} (top-1)",
            f"right section in top 3   {self.top3:.0%}",
            f"top-1, tuned / held out  {self.rate(1, False):.0%} / {self.rate(1, True):.0%}",
            f"mean answer length       {self.mean_answer_chars:,.0f} characters",
            f"off-topic, no answer     {self.off_topic_silent} of {self.off_topic}",
        ]


def answer(question: str) -> tuple[list[tuple[str, str]], str]:
    """The sections found for `question`, best first, and the offline answer's text."""
    from assistants.backends.docs import compose
    from assistants.knowledge import search

    sections = search(question, limit=3)
    return [(s.source, s.title) for s in sections], compose(sections).text


def measure(path: Path = QUESTIONS_FILE) -> QualityReport:
    from assistants.backends.docs import NOTHING_FOUND

    questions, off_topic = load_questions(path)
    scored = []
    for question in questions:
        ranked, text = answer(question.ask)
        scored.append(Scored(question, ranked, len(text)))
    silent = sum(answer(ask)[1] == NOTHING_FOUND for ask in off_topic)
    return QualityReport(scored, len(off_topic), silent)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--verbose", action="store_true", help="each question's first section")
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
    import django

    django.setup()
    report = measure()
    if args.verbose:
        for s in report.scored:
            mark = "ok " if s.hit(1) else ("3  " if s.hit(3) else "-- ")
            first = " | ".join(f"{src}#{title}" for src, title in s.ranked[:1]) or "(nothing)"
            print(f"{mark}{'H ' if s.question.held_out else '  '}{s.question.ask}\n      {first}")
    print("\n".join(report.lines()))


if __name__ == "__main__":
    main()
