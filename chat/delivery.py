"""
Exactly-once, in-order delivery of room messages to one connection.

No I/O here: the consumer feeds in what it learns and acts on the answers.
Messages reach a consumer three ways: the backlog sent on connect (history
or a resume), live broadcasts through the channel layer, and gap fills read
from the database. Broadcasts can arrive out of order (two senders racing)
or not at all (the channel layer drops messages when a client's queue is
full); the cursor turns all of that into each seq delivered once, in order.
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
    """The newest seq this connection has delivered, and the messages it sent itself."""

    last_seq: int = 0
    own_client_ids: set[str] = field(default_factory=set)

    def is_stale(self, seq: int) -> bool:
        """Already delivered (a replayed or gap-filled message arriving live)."""
        return seq <= self.last_seq

    def missing_before(self, seq: int) -> tuple[int, int] | None:
        """The (after, upto) range to read from the database before `seq`, if any."""
        if seq > self.last_seq + 1:
            return self.last_seq, seq - 1
        return None

    def advance(self, seq: int, client_id: str) -> bool:
        """Mark `seq` delivered; True if the client should be sent it (it is not its own)."""
        self.last_seq = max(self.last_seq, seq)
        if client_id in self.own_client_ids:
            self.own_client_ids.discard(client_id)
            return False
        return True
