from django.urls import path

from chat import api
from chat.views import chat_page

app_name = "chat"
urlpatterns = [path("", chat_page, name="index")]

api_urlpatterns = [
    path("rooms/", api.RoomListView.as_view(), name="rooms"),
    path("rooms/<str:room_name>/members/", api.RoomMembersView.as_view(), name="room-members"),
    path(
        "rooms/<str:room_name>/members/<str:username>/",
        api.RoomMemberView.as_view(),
        name="room-member",
    ),
    path("direct/", api.DirectRoomView.as_view(), name="direct"),
]
