"""HTTP API for rooms: private rooms, their members, direct conversations, moderation."""

from typing import Any

from django.contrib.auth.models import User
from pydantic import ValidationError as Invalid
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from chat import files, moderation, notifications, search, selectors, services
from chat.messages import ChatMessageInput
from chat.models import Room
from chat.rooms import ROOM_NAME_MAX_LENGTH
from chat.serializers import RoomSerializer


class NewRoomSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=ROOM_NAME_MAX_LENGTH)
    members = serializers.ListField(
        child=serializers.CharField(max_length=150), max_length=100, default=list
    )


class UsernameSerializer(serializers.Serializer[Any]):
    username = serializers.CharField(max_length=150)


def _user(request: Request) -> User:
    assert isinstance(request.user, User)
    return request.user


def _room(room: Room, request: Request) -> dict[str, Any]:
    """A room as the requesting user sees it (a direct room by the other person's name)."""
    return dict(RoomSerializer(room, context={"user": _user(request)}).data)


def _refuse(error: services.ChatError) -> Exception:
    if isinstance(error, (services.NotAllowed, services.Muted)):
        return PermissionDenied(str(error))
    return ValidationError({"detail": str(error)})


class RoomListView(APIView):
    """GET: the private and direct rooms you belong to. POST: create a private room."""

    permission_classes = [IsAuthenticated]

    def get(self, request: Request) -> Response:
        rooms = selectors.rooms_of(_user(request))
        return Response(RoomSerializer(rooms, many=True, context={"user": _user(request)}).data)

    def post(self, request: Request) -> Response:
        data = NewRoomSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            room = services.create_private_room(
                owner=_user(request),
                name=data.validated_data["name"],
                member_usernames=data.validated_data["members"],
            )
        except services.ChatError as error:
            raise _refuse(error) from error
        return Response(_room(room, request), status=status.HTTP_201_CREATED)


class RoomMembersView(APIView):
    """POST: invite a user to your private room."""

    permission_classes = [IsAuthenticated]

    def post(self, request: Request, room_name: str) -> Response:
        data = UsernameSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            services.add_member(
                room_name=room_name, actor=_user(request), username=data.validated_data["username"]
            )
        except services.ChatError as error:
            raise _refuse(error) from error
        return Response(status=status.HTTP_204_NO_CONTENT)


class RoleSerializer(serializers.Serializer[Any]):
    role = serializers.ChoiceField(choices=["owner", "admin", "member"])


class RoomMemberView(APIView):
    """
    PATCH {"role": "admin" | "member" | "owner"}: the owner of a private
    room changes a member's role, or hands the room over. DELETE: the owner
    or an admin removes a member (an admin, only the owner); their open
    sockets to the room close.
    """

    permission_classes = [IsAuthenticated]

    def patch(self, request: Request, room_name: str, username: str) -> Response:
        data = RoleSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            moderation.set_role(
                room_name=room_name,
                actor=_user(request),
                username=username,
                role=data.validated_data["role"],
            )
        except services.ChatError as error:
            raise _refuse(error) from error
        return Response(status=status.HTTP_204_NO_CONTENT)

    def delete(self, request: Request, room_name: str, username: str) -> Response:
        try:
            services.remove_member(room_name=room_name, actor=_user(request), username=username)
        except services.ChatError as error:
            raise _refuse(error) from error
        return Response(status=status.HTTP_204_NO_CONTENT)


class MuteSerializer(serializers.Serializer[Any]):
    username = serializers.CharField(max_length=150)
    minutes = serializers.IntegerField(min_value=1, max_value=moderation.MUTE_MINUTES_MAX)
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class RoomMutesView(APIView):
    """
    POST {"username", "minutes", "reason"?}: a moderator of the room keeps
    a user from posting, editing and reacting there for a time.
    """

    permission_classes = [IsAuthenticated]

    def post(self, request: Request, room_name: str) -> Response:
        data = MuteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            until = moderation.mute(
                room_name=room_name, actor=_user(request), **data.validated_data
            )
        except services.ChatError as error:
            raise _refuse(error) from error
        return Response({"until": until}, status=status.HTTP_201_CREATED)


class RoomMuteView(APIView):
    """DELETE: a moderator of the room lifts a user's mute before its time."""

    permission_classes = [IsAuthenticated]

    def delete(self, request: Request, room_name: str, username: str) -> Response:
        try:
            moderation.unmute(room_name=room_name, actor=_user(request), username=username)
        except services.ChatError as error:
            raise _refuse(error) from error
        return Response(status=status.HTTP_204_NO_CONTENT)


class ReportSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(max_length=moderation.REPORT_REASON_MAX)


class ReportView(APIView):
    """
    POST {"reason"}: report someone else's message in a room you may read
    to the site's moderators; 201, or 200 if you reported it already.
    """

    permission_classes = [IsAuthenticated]

    def post(self, request: Request, room_name: str, seq: int) -> Response:
        data = ReportSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            found, created = moderation.report(
                room_name=room_name,
                user=request.user,
                seq=seq,
                reason=data.validated_data["reason"],
            )
        except services.ChatError as error:
            raise _refuse(error) from error
        return Response(
            {"id": found.pk, "status": found.status},
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class DirectRoomView(APIView):
    """POST: the room for direct messages between you and another user."""

    permission_classes = [IsAuthenticated]

    def post(self, request: Request) -> Response:
        data = UsernameSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            room = services.direct_room(
                user=_user(request), other_username=data.validated_data["username"]
            )
        except services.ChatError as error:
            raise _refuse(error) from error
        return Response(_room(room, request))


class AttachmentUploadView(APIView):
    """
    POST (multipart, one field `file`): upload a file to a room you may post
    in; send it by naming its id in a message's `attachments`. 201 with the
    file as messages show it; 400 with `detail` when refused.
    """

    permission_classes = [IsAuthenticated]
    parser_classes = [MultiPartParser]

    def post(self, request: Request, room_name: str) -> Response:
        upload = request.FILES.get("file")
        if upload is None:
            raise ValidationError({"detail": "Send the file in a form field named `file`."})
        try:
            stored = files.upload(room_name=room_name, user=_user(request), file=upload)
        except files.UploadRefused as refused:
            raise ValidationError({"detail": str(refused)}) from refused
        view = notifications.attachment_view(stored.as_shown())
        return Response(view.model_dump(), status=status.HTTP_201_CREATED)


class AttachmentView(APIView):
    """DELETE: take back an upload of yours not sent yet; its file is deleted."""

    permission_classes = [IsAuthenticated]

    def delete(self, request: Request, attachment_id: int) -> Response:
        if not files.discard(attachment_id, _user(request)):
            raise NotFound("No unsent upload of yours has this id.")
        return Response(status=status.HTTP_204_NO_CONTENT)


class SearchView(APIView):
    """
    GET ?q=words[&room=name]: the newest messages (up to 20) that have every
    word, the last as a prefix, in the rooms you may read: public rooms, and
    your private and direct rooms when signed in.
    """

    permission_classes = [AllowAny]

    def get(self, request: Request) -> Response:
        query = str(request.query_params.get("q", ""))
        room = request.query_params.get("room") or None
        if len(query) > (longest := search.QUERY_MAX_LENGTH):
            raise ValidationError({"detail": f"Search for at most {longest} characters."})
        found = search.search(query, request.user, room_name=room)
        results = [
            {
                "room": message.room.name,
                "title": _title(message.room, request),
                "seq": message.seq,
                "name": message.author_name,
                "guest": message.is_guest,
                "message": message.body,
                "sent_at": message.created_at,
            }
            for message in found
        ]
        return Response({"words": search.words(query), "results": results})


def _title(room: Room, request: Request) -> str:
    """What the requester calls the room: a direct room by the other person's name."""
    user = request.user
    return selectors.room_title(room, user) if isinstance(user, User) else room.name


class MessagesView(APIView):
    """
    POST {"message": ..., "client_id"?: ..., "attachments"?: [...]}: post to
    a room you may post in, as yourself. The message enters the room's
    stream like one sent over a socket and is broadcast after it commits;
    201 with its seq, or 200 for a resend of a client id already stored.
    """

    permission_classes = [IsAuthenticated]

    def post(self, request: Request, room_name: str) -> Response:
        try:
            message = ChatMessageInput.model_validate(request.data)
        except Invalid as invalid:
            errors = [error["msg"] for error in invalid.errors()]
            raise ValidationError({"detail": " ".join(errors)}) from invalid
        try:
            posted = services.post_and_publish(
                room_name=room_name,
                user=_user(request),
                body=message.message,
                client_id=message.client_id,
                attachments=message.attachments,
            )
        except services.ChatError as error:
            raise _refuse(error) from error
        stored = posted.message
        accepted = {"seq": stored.seq, "client_id": stored.client_id, "sent_at": stored.created_at}
        return Response(
            {**accepted, "duplicate": not posted.created},
            status=status.HTTP_201_CREATED if posted.created else status.HTTP_200_OK,
        )
