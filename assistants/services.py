"""
Conversation writes and reads. Synchronous and transactional: the consumer
calls them through database_sync_to_async.
"""

from dataclasses import dataclass
from datetime import timedelta
from uuid import UUID

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from assistants.backends import HistoryItem
from assistants.models import Conversation, Turn
from core.owners import Owner

TITLE_LENGTH = 60
ELLIPSIS = "…"


class AssistantError(Exception):
    """A request the rules refuse; the message is meant for the user."""


class Busy(AssistantError):
    """An answer is already streaming in this conversation."""


def conversation_title(question: str) -> str:
    """
    The question on one line, as a conversation's title: a long one is cut at
    the last word that fits, with an ellipsis (a single overlong word is cut).
    """
    line = " ".join(question.split())
    if len(line) <= TITLE_LENGTH:
        return line
    room = TITLE_LENGTH - len(ELLIPSIS)
    head = line[: room + 1]
    cut = head.rsplit(" ", 1)[0] if " " in head else ""
    if len(cut) < room // 2:  # the last word would take most of the title: cut inside it
        cut = line[:room]
    return cut.rstrip(" ,;:.-") + ELLIPSIS


def conversation_of(owner: Owner, conversation_id: UUID | str) -> Conversation | None:
    try:
        return Conversation.objects.filter(owner.owns(), pk=conversation_id).first()
    except ValueError:  # not a UUID
        return None


def conversations_of(owner: Owner) -> list[Conversation]:
    return list(Conversation.objects.filter(owner.owns()).order_by("-updated_at"))


def turns_of(conversation: Conversation) -> list[Turn]:
    _expire_abandoned(conversation)
    return list(conversation.turns.order_by("created_at", "id"))


def _expire_abandoned(conversation: Conversation) -> None:
    """Answers left streaming by a process that died are interrupted, not pending forever."""
    stale = timezone.now() - timedelta(seconds=settings.ASSISTANT_STALE_AFTER)
    conversation.turns.filter(status=Turn.Status.STREAMING, updated_at__lt=stale).update(
        status=Turn.Status.INTERRUPTED
    )


@dataclass(frozen=True)
class Started:
    conversation: Conversation
    question: Turn
    answer: Turn
    history: list[HistoryItem]


@transaction.atomic
def start_answer(*, owner: Owner, conversation_id: UUID | None, question: str) -> Started:
    """
    Record a question and an empty, streaming answer to it.

    One answer at a time per conversation: while one streams (in any tab or
    process) another question is refused with Busy.
    """
    if conversation_id is None:
        conversation = Conversation.objects.create(
            **owner.fields(), title=conversation_title(question)
        )
    else:
        found = conversation_of(owner, conversation_id)
        if found is None:
            raise AssistantError("No such conversation.")
        conversation = Conversation.objects.select_for_update().get(pk=found.pk)
        _expire_abandoned(conversation)
        if conversation.turns.filter(status=Turn.Status.STREAMING).exists():
            raise Busy(
                "An answer is still streaming in this conversation: "
                "wait for it or stop it before asking again."
            )
    earlier = conversation.turns.exclude(content="").order_by("-created_at", "-id")
    history = [
        HistoryItem(role=turn.role, content=turn.content)  # type: ignore[arg-type]
        for turn in reversed(earlier[: settings.ASSISTANT_HISTORY_TURNS])
        if turn.status != Turn.Status.FAILED
    ]
    asked = Turn.objects.create(conversation=conversation, role=Turn.Role.USER, content=question)
    answer = Turn.objects.create(
        conversation=conversation, role=Turn.Role.ASSISTANT, status=Turn.Status.STREAMING
    )
    conversation.save(update_fields=["updated_at"])
    return Started(conversation, asked, answer, history)


def save_partial(turn_id: int, content: str) -> None:
    """Keep what has streamed so far (a reload shows it)."""
    Turn.objects.filter(pk=turn_id, status=Turn.Status.STREAMING).update(
        content=content, updated_at=timezone.now()
    )


def finish_answer(
    turn_id: int, *, content: str, status: str, sources: list[dict[str, str]], error: str = ""
) -> None:
    Turn.objects.filter(pk=turn_id).update(
        content=content, status=status, sources=sources, error=error, updated_at=timezone.now()
    )
