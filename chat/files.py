"""
Files sent with messages: uploads, thumbnails, who may download them, and
clearing away what was never sent.

An upload is stored whole or not at all: the file, its thumbnail and its
row are kept only once all three are; any failure deletes what was stored.
A file becomes part of a message when the message is posted (see
services.post_message), in the transaction that stores the message.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from io import BytesIO
from pathlib import PurePosixPath

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, User
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver
from django.utils import timezone
from PIL import Image, ImageOps, UnidentifiedImageError

from chat.models import Attachment, Message, Room, attachment_path
from chat.selectors import room_access

# Images are recognised by their content, whatever their name says; they are
# shown inline. Other files are served as downloads, never rendered.
IMAGE_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg", "GIF": "image/gif", "WEBP": "image/webp"}
DOCUMENT_TYPES = {
    ".pdf": "application/pdf",
    ".txt": "text/plain",
    ".md": "text/markdown",
    ".csv": "text/csv",
    ".json": "application/json",
    ".zip": "application/zip",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ".odt": "application/vnd.oasis.opendocument.text",
}
THUMBNAIL_SIZE = (480, 480)
# A picture this large (in pixels) is refused before it is decoded: a small
# file can claim a huge canvas and take the server's memory.
IMAGE_PIXELS_MAX = 40_000_000
NAME_MAX_LENGTH = 200
UNSENT_KEPT = timedelta(days=1)


class UploadRefused(Exception):
    """An upload the rules refuse; the message is meant for the user."""


def size_limit() -> int:
    return int(settings.CHAT_ATTACHMENT_MAX_BYTES)


def _readable_size(size: int) -> str:
    return f"{size / 1024 / 1024:.0f} MB" if size >= 1024 * 1024 else f"{size // 1024} KB"


def _clean_name(name: str) -> str:
    name = PurePosixPath(name.replace("\\", "/")).name.strip() or "file"
    return "".join(c for c in name if c.isprintable())[-NAME_MAX_LENGTH:]


@dataclass(frozen=True)
class Picture:
    content_type: str
    width: int
    height: int
    thumbnail: ContentFile[bytes]


def _picture(upload: UploadedFile) -> Picture | None:
    """The upload as an image with its thumbnail, or None if it is no image at all."""
    try:
        with Image.open(upload) as image:
            if image.format not in IMAGE_TYPES:
                return None
            width, height = image.size
            if width * height > IMAGE_PIXELS_MAX:
                raise UploadRefused("This image is too large: at most 40 megapixels.")
            image.load()
            shown = ImageOps.exif_transpose(image)
            preview = shown.copy()
    except UnidentifiedImageError:
        return None
    except Image.DecompressionBombError as error:
        raise UploadRefused("This image is too large: at most 40 megapixels.") from error
    except (OSError, SyntaxError, ValueError) as error:
        raise UploadRefused("This image is damaged and cannot be shown.") from error
    finally:
        upload.seek(0)
    preview.thumbnail(THUMBNAIL_SIZE)
    has_alpha = preview.mode in ("RGBA", "LA", "PA") or "transparency" in preview.info
    encoded = BytesIO()
    if has_alpha:
        preview.convert("RGBA").save(encoded, "PNG", optimize=True)
    else:
        preview.convert("RGB").save(encoded, "JPEG", quality=82)
    extension = ".png" if has_alpha else ".jpg"
    return Picture(
        IMAGE_TYPES[str(image.format)],
        shown.width,
        shown.height,
        ContentFile(encoded.getvalue(), name=f"thumbnail{extension}"),
    )


def upload(*, room_name: str, user: User, file: UploadedFile) -> Attachment:
    """
    Store `file` in the room, for the user to send with a message. Refused
    unless the user may post there, the file is within the size limit, and
    it is an image or a document of a known type.
    """
    room = Room.objects.filter(name=room_name).first()
    access = room_access(room_name, user)
    if room is None or not access.allowed:
        raise UploadRefused("You may only send files to a room you may post in.")
    if file.size is None or file.size > size_limit():
        raise UploadRefused(f"This file is too large: at most {_readable_size(size_limit())}.")
    name = _clean_name(file.name or "")
    picture = _picture(file)
    content_type = picture.content_type if picture else DOCUMENT_TYPES.get(_extension(name))
    if content_type is None:
        known = ", ".join(sorted(DOCUMENT_TYPES))
        raise UploadRefused(f"This kind of file is not accepted: send an image or {known}.")
    attachment = Attachment(
        room=room,
        uploader=user,
        name=name,
        content_type=content_type,
        size=file.size,
        width=picture.width if picture else None,
        height=picture.height if picture else None,
    )
    # Named before they are written: a write that fails part way (a full
    # disk, a lost connection to S3) may leave a part the storage names nowhere.
    written: list[str] = []
    try:
        for field, content in ((attachment.file, file), (attachment.thumbnail, picture)):
            if content is None:
                continue
            stored = content.thumbnail if isinstance(content, Picture) else content
            target = attachment_path(attachment, stored.name or name)
            written.append(target)
            field.name = field.storage.save(target, stored)
        attachment.save()
    except BaseException:
        for target in written:
            attachment.file.storage.delete(target)
        raise
    return attachment


def _extension(name: str) -> str:
    return PurePosixPath(name).suffix.lower()


def _delete_files(attachment: Attachment) -> None:
    for stored in (attachment.file, attachment.thumbnail):
        if stored.name:
            stored.storage.delete(stored.name)


@receiver(post_delete, sender=Attachment)
def _files_go_with_their_row(instance: Attachment, **_: object) -> None:
    """However a row is deleted (a deleted message, room or user), its files follow it."""
    transaction.on_commit(lambda: _delete_files(instance))


def take_for_message(room: Room, user_id: int | None, ids: Iterable[int]) -> list[Attachment]:
    """
    The user's unsent uploads `ids` in `room`, locked for the message being
    stored; refused if any is missing, someone else's, or already sent.
    Call inside the transaction that stores the message.
    """
    wanted = list(dict.fromkeys(ids))
    found = list(
        Attachment.objects.select_for_update()
        .filter(pk__in=wanted, room=room, uploader_id=user_id, message__isnull=True)
        .order_by("pk")
    )
    if len(found) != len(wanted):
        raise UploadRefused(
            "An attachment could not be sent: upload it again (it was sent already, "
            "or is not yours, or not in this room)."
        )
    by_id = {attachment.pk: attachment for attachment in found}
    return [by_id[pk] for pk in wanted]


def downloadable(attachment_id: int, user: AbstractBaseUser | AnonymousUser) -> Attachment | None:
    """
    The attachment if `user` may download it now: sent in a message that is
    not deleted, in a room they may read; or their own unsent upload.
    """
    attachment = (
        Attachment.objects.select_related("room", "message").filter(pk=attachment_id).first()
    )
    if attachment is None:
        return None
    if attachment.message is None:
        return attachment if attachment.uploader_id == user.pk else None
    if attachment.message.deleted_at is not None:
        return None
    return attachment if room_access(attachment.room.name, user).allowed else None


def discard(attachment_id: int, user: User) -> bool:
    """Delete the user's own unsent upload (cancelled in the composer); whether there was one."""
    deleted, _ = Attachment.objects.filter(
        pk=attachment_id, uploader=user, message__isnull=True
    ).delete()
    return deleted > 0


def discard_unsent(*, older_than: timedelta = UNSENT_KEPT) -> int:
    """Delete uploads never sent with a message (a closed tab); how many."""
    deleted, _ = Attachment.objects.filter(
        message__isnull=True, created_at__lt=timezone.now() - older_than
    ).delete()
    return deleted


def delete_with_message(message: Message) -> None:
    """A deleted message's files go: a tombstone shows none."""
    Attachment.objects.filter(message=message).delete()
