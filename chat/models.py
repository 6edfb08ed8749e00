"""Rooms, who may enter the private ones, every message ever accepted, and who read what."""

import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import PurePosixPath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower

from chat.rooms import (
    RESERVED_NAME_RULE,
    ROOM_NAME_MAX_LENGTH,
    ROOM_NAME_RULE,
    is_direct_room_name,
    is_valid_room_name,
)


class Room(models.Model):
    """A chat room. Public rooms come into being with their first message."""

    class Kind(models.TextChoices):
        PUBLIC = "public"
        PRIVATE = "private"
        DIRECT = "direct"

    name = models.CharField(max_length=ROOM_NAME_MAX_LENGTH, unique=True)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.PUBLIC)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_rooms",
    )
    # The seq of the newest message; the next one gets last_seq + 1.
    last_seq = models.PositiveBigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        # Names are unique whatever their case: "Secret" would read as the
        # same room as "secret" to people, and a guest could start the one
        # beside the other to catch its members' messages. Names are ASCII
        # only, so no other look-alike (Unicode confusables) can be made.
        constraints = [
            models.UniqueConstraint(
                Lower("name"),
                name="one_room_per_name_in_any_case",
                violation_error_message="A room of this name, in some case, exists already.",
            )
        ]
        # The site's moderators: staff have it, and anyone it is given to
        # (a group in the admin). They moderate every public room.
        permissions = [("moderate_room", "Can moderate public rooms and handle reports")]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        """What the admin checks: the name rule, and the names kept for direct rooms."""
        if not is_valid_room_name(self.name):
            raise ValidationError({"name": ROOM_NAME_RULE})
        if is_direct_room_name(self.name) != (self.kind == self.Kind.DIRECT):
            raise ValidationError(
                {"name": RESERVED_NAME_RULE + " A direct room is named dm-<id>-<id>."}
            )

    @property
    def is_public(self) -> bool:
        return self.kind == self.Kind.PUBLIC


class Membership(models.Model):
    """
    A user admitted to a private or direct room. A private room's owner
    (Room.owner) is a member too; of the others, admins help the owner run
    the room: they add and remove members and delete messages.
    """

    class Role(models.TextChoices):
        ADMIN = "admin"
        MEMBER = "member"

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["room", "user"], name="one_membership_per_user")
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.room}"


class ReadState(models.Model):
    """How far a user has read a room: the seq of the newest message they have seen."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="read_states"
    )
    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="read_states")
    # Only ever moves forward: a tab that read less does not undo what another read.
    last_read_seq = models.PositiveBigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "room"], name="one_read_state_per_user_room")
        ]

    def __str__(self) -> str:
        return f"{self.user} read {self.room} up to {self.last_read_seq}"


class Message(models.Model):
    """
    An entry of a room's numbered stream: an accepted chat message, or a
    change to one (an edit, a deletion, a reaction added or taken back),
    numbered by `seq` within its room.
    A change is stored as an entry of its own, so a client that resumes
    gets it in order; the message it changes is updated too, so history
    pages show each message as it is now.
    """

    class Kind(models.TextChoices):
        MESSAGE = "message"
        EDIT = "edit"
        DELETE = "delete"
        REACT = "react"  # its body is the emoji
        UNREACT = "unreact"

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="messages")
    seq = models.PositiveBigIntegerField()
    # A default in the database too: the chat's fastest path inserts messages in SQL of its own.
    kind = models.CharField(
        max_length=10, choices=Kind.choices, default=Kind.MESSAGE, db_default=Kind.MESSAGE
    )
    # The seq of the message a change (an edit, a deletion, a reaction) is to.
    target_seq = models.PositiveBigIntegerField(null=True, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="chat_messages",
    )
    # The name shown with the message: the username, or a guest's chosen name.
    author_name = models.CharField(max_length=150)
    is_guest = models.BooleanField(default=False)
    body = models.TextField()
    # Chosen by the client; a resend with the same id is the same message.
    client_id = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    # A message's state now: when it was last edited, and when deleted (its body is then empty).
    edited_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    # The files sent with a message, as every client is shown them (see
    # Attachment.as_shown): fixed when it is posted, so a message is read
    # with its attachments in one row. Null for none.
    attachments = models.JSONField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["room", "seq"], name="one_message_per_seq"),
            models.UniqueConstraint(fields=["room", "client_id"], name="one_message_per_client_id"),
        ]
        ordering = ["room", "seq"]

    def __str__(self) -> str:
        return f"{self.room}#{self.seq}"

    def as_stored(self) -> "StoredMessage":
        return StoredMessage(
            id=self.pk,
            room_name=self.room.name,
            seq=self.seq,
            author_id=self.author_id,
            client_id=self.client_id,
            body=self.body,
            author_name=self.author_name,
            is_guest=self.is_guest,
            created_at=self.created_at,
            attachments=self.attachments,
        )


class Reaction(models.Model):
    """A user's emoji on a message, as it stands; each change is an entry of the stream too."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="reactions")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="chat_reactions"
    )
    emoji = models.CharField(max_length=32)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["message", "user", "emoji"], name="one_reaction_per_user_emoji"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.emoji} {self.message}"


class Mention(models.Model):
    """
    A user named (`@username`) in a message they may read. Room and seq are
    kept here too, so a room's unread mentions are counted from this table
    alone; deleting the message deletes its mentions.
    """

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="mentions")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="chat_mentions"
    )
    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="+")
    seq = models.PositiveBigIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["message", "user"], name="one_mention_per_user_message")
        ]
        indexes = [models.Index(fields=["user", "room", "seq"], name="mentions_of_user_in_room")]

    def __str__(self) -> str:
        return f"{self.user} in {self.room}#{self.seq}"


class Mute(models.Model):
    """A user kept from writing in a room (posting, editing, reacting) until a time."""

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="mutes")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="chat_mutes"
    )
    until = models.DateTimeField()
    reason = models.CharField(max_length=200, blank=True)
    muted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["room", "user"], name="one_mute_per_user")]
        indexes = [models.Index(fields=["until"], name="mutes_in_force")]

    def __str__(self) -> str:
        return f"{self.user} muted in {self.room} until {self.until:%Y-%m-%d %H:%M}"


class Report(models.Model):
    """A message reported to the site's moderators, waiting in the admin's queue until handled."""

    class Status(models.TextChoices):
        OPEN = "open"
        DELETED = "deleted", "message deleted"
        DISMISSED = "dismissed"

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="reports")
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="chat_reports"
    )
    reason = models.CharField(max_length=500)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(auto_now_add=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    handled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["message", "reporter"], name="one_report_per_reporter")
        ]
        indexes = [models.Index(fields=["status", "created_at"], name="reports_queue")]

    def __str__(self) -> str:
        return f"{self.message} reported by {self.reporter}"


class ModerationAction(models.Model):
    """
    The audit: one row per moderation action, written in the action's own
    transaction. Names are kept as they were, so the record outlives the
    room, the actor and the person acted on.
    """

    class Kind(models.TextChoices):
        DELETE_MESSAGE = "delete_message", "deleted a message"
        ADD_MEMBER = "add_member", "added a member"
        REMOVE_MEMBER = "remove_member", "removed a member"
        SET_ROLE = "set_role", "changed a role"
        MUTE = "mute", "muted"
        UNMUTE = "unmute", "unmuted"
        DISMISS_REPORT = "dismiss_report", "dismissed a report"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_name = models.CharField(max_length=150)
    room = models.ForeignKey(Room, null=True, on_delete=models.SET_NULL, related_name="+")
    room_name = models.CharField(max_length=ROOM_NAME_MAX_LENGTH)
    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    subject_name = models.CharField(max_length=150, blank=True)
    seq = models.PositiveBigIntegerField(null=True, blank=True)
    detail = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.actor_name} {self.get_kind_display()} in {self.room_name}"


def attachment_path(attachment: "Attachment", filename: str) -> str:
    """Where a file is stored: a random name, so a stored file's path reveals nothing."""
    return f"chat/{attachment.room_id}/{uuid.uuid4().hex}{PurePosixPath(filename).suffix.lower()}"


class Attachment(models.Model):
    """
    A file uploaded to a room: sent with a message, or waiting to be (an
    upload not sent within a day is discarded, see files.discard_unsent).
    Whoever may read the room may download it once it is sent.
    """

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="attachments")
    uploader = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="chat_attachments"
    )
    message = models.ForeignKey(
        Message, null=True, blank=True, on_delete=models.CASCADE, related_name="files"
    )
    file = models.FileField(upload_to=attachment_path, max_length=200)
    thumbnail = models.FileField(upload_to=attachment_path, max_length=200, blank=True)
    name = models.CharField(max_length=200, help_text="The file's name as uploaded.")
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["message", "created_at"], name="attachments_unsent")]

    def __str__(self) -> str:
        return self.name

    @property
    def is_image(self) -> bool:
        return self.width is not None

    def as_shown(self) -> dict[str, object]:
        """What a message keeps of the file, for every client (see ChatMessageView)."""
        return {
            "id": self.pk,
            "name": self.name,
            "size": self.size,
            "content_type": self.content_type,
            "width": self.width,
            "height": self.height,
        }


@dataclass(frozen=True, slots=True)
class StoredMessage:
    """
    A message just stored, as its room and its author hear of it. A post
    makes this rather than a Message and its Room: building those model
    instances (every field's default and descriptor, the init signals) was
    about 8% of the server's CPU for a chat message.
    """

    id: int
    room_name: str
    seq: int
    author_id: int | None
    client_id: str
    body: str
    author_name: str
    is_guest: bool
    created_at: datetime
    attachments: list[dict[str, object]] | None = None
