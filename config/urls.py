from django.contrib import admin
from django.urls import include, path

from chat.urls import api_urlpatterns as chat_api
from core.views import health, home_page

urlpatterns = [
    path("", home_page, name="home"),
    path("accounts/", include("core.urls")),
    path("chat/", include("chat.urls")),
    path("assistants/", include("assistants.urls")),
    path("system/", include("system.urls")),
    path("api/chat/", include((chat_api, "chat-api"))),
    path("asyncapi/", include("chanx.channels.urls")),
    path("healthz", health, name="health"),
    path("admin/", admin.site.urls),
]
