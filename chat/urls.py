from django.urls import path

from chat import api
from chat.views import attachment, chat_page, thumbnail

app_name = "chat"
urlpatterns = [
    path("", chat_page, name="index"),
    path("files/<int:attachment_id>/thumbnail/", thumbnail, name="thumbnail"),
    path("files/<int:attachment_id>/<str:name>", attachment, name="attachment"),
]

api_urlpatterns = [
    path("rooms/", api.RoomListView.as_view(), name="rooms"),
    path("rooms/<str:room_name>/members/", api.RoomMembersView.as_view(), name="room-members"),
    path(
        "rooms/<str:room_name>/members/<str:username>/",
        api.RoomMemberView.as_view(),
        name="room-member",
    ),
    path("rooms/<str:room_name>/mutes/", api.RoomMutesView.as_view(), name="room-mutes"),
    path(
        "rooms/<str:room_name>/mutes/<str:username>/",
        api.RoomMuteView.as_view(),
        name="room-mute",
    ),
    path(
        "rooms/<str:room_name>/messages/<int:seq>/reports/",
        api.ReportView.as_view(),
        name="message-reports",
    ),
    path("direct/", api.DirectRoomView.as_view(), name="direct"),
    path("search/", api.SearchView.as_view(), name="search"),
    path("rooms/<str:room_name>/messages/", api.MessagesView.as_view(), name="messages"),
    path(
        "rooms/<str:room_name>/attachments/",
        api.AttachmentUploadView.as_view(),
        name="attachments",
    ),
    path("attachments/<int:attachment_id>/", api.AttachmentView.as_view(), name="attachment"),
]
