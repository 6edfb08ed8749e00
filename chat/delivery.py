"""
Exactly-once, in-order delivery of room messages to one connection.

No I/O here: the consumer feeds in what it learns and acts on the answers.
Messages reach a consumer three ways: the backlog sent on connect (history
or a resume), live broadcasts through the channel layer, and gap fills read
from the database. Broadcasts can arrive out of order (two senders racing,
on two server processes say) or not at all (a layer that drops what
overflows a channel's capacity). A broadcast that runs ahead of a missing
seq is held back; the missing one usually arrives a moment later, and the
held ones follow it. Only a gap that stays open is read from the database.
The cursor turns all of that into each seq delivered once, in order.
"""

from dataclasses import dataclass, field
from typing import Literal

Resync = Literal["too_far_behind", "pruned", "unknown_seq"]
ResumePlan = Literal["replay"] | Resync


def plan_resume(last_seq: int, *, first_kept: int, newest: int, limit: int) -> ResumePlan:
    """How to serve a client that saw everything up to `last_seq`."""
    if last_seq > newest:
        return "unknown_seq"
    if first_kept and last_seq + 1 < first_kept:
        return "pruned"
    if newest - last_seq > limit:
        return "too_far_behind"
    return "replay"


@dataclass
class DeliveryCursor:
    """The newest seq this connection has delivered, the broadcasts held back
    behind a gap, and the messages this connection's client sent itself."""

    last_seq: int = 0
    own_client_ids: set[str] = field(default_factory=set)
    held: dict[int, tuple[str, str]] = field(default_factory=dict)  # seq: (client id, frame)

    def offer(self, seq: int, client_id: str, frame: str) -> list[str]:
        """A live broadcast: the frames to send now, in seq order (none if it must wait)."""
        if seq == self.last_seq + 1 and not self.held:  # the usual case
            return [frame] if self._advance(seq, client_id) else []
        if seq > self.last_seq:
            self.held[seq] = (client_id, frame)
        return self._release()

    def gap(self) -> tuple[int, int] | None:
        """The (after, upto) seqs to read from the database if a held broadcast still waits."""
        if not self.held:
            return None
        return self.last_seq, max(self.held)

    def fill(self, stored: list[tuple[int, str, str]], upto: int) -> list[str]:
        """
        The gap's messages as read from the database, (seq, client id, frame)
        oldest first: the frames to send now. Seqs up to `upto` that the
        database no longer has (pruned meanwhile) are skipped, not awaited.
        """
        frames = [
            frame
            for seq, client_id, frame in stored
            if seq > self.last_seq and self._advance(seq, client_id)
        ]
        self.last_seq = max(self.last_seq, upto)
        return frames + self._release()

    def _release(self) -> list[str]:
        """Send what the held broadcasts can now follow; drop those delivered otherwise."""
        frames = []
        for seq in sorted(self.held):
            if seq > self.last_seq + 1:
                break
            client_id, frame = self.held.pop(seq)
            if seq == self.last_seq + 1 and self._advance(seq, client_id):
                frames.append(frame)
        return frames

    def _advance(self, seq: int, client_id: str) -> bool:
        """Mark `seq` delivered; True if the client should be sent it (it is not its own)."""
        self.last_seq = max(self.last_seq, seq)
        if client_id in self.own_client_ids:
            self.own_client_ids.discard(client_id)
            return False
        return True
