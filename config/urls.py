from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView  # tutorial: setup

from chat.urls import api_urlpatterns as chat_api  # tutorial: chat
from core.placeholders import parts_not_built
from core.views import favicon, health, home_page

urlpatterns = [
    path("", home_page, name="home"),
    path("accounts/", include("core.urls")),
    path("chat/", include("chat.urls")),  # tutorial: chat
    path("api/chat/", include((chat_api, "chat-api"))),  # tutorial: chat
    path("assistants/", include("assistants.urls")),  # tutorial: assistants
    path("system/", include("system.urls")),  # tutorial: system
    path("asyncapi/", include("chanx.channels.urls")),  # tutorial: setup
    path("asyncapi/", RedirectView.as_view(pattern_name="asyncapi_docs")),  # tutorial: setup
    path("healthz", health, name="health"),
    path("favicon.ico", favicon, name="favicon"),
    path("admin/", admin.site.urls),
    *parts_not_built({"chat": "Chat", "assistants": "Assistants", "system": "System"}),
]
