from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from chat.urls import api_urlpatterns as chat_api
from core.views import favicon, health, home_page

urlpatterns = [
    path("", home_page, name="home"),
    path("accounts/", include("core.urls")),
    path("chat/", include("chat.urls")),
    path("api/chat/", include((chat_api, "chat-api"))),
    path("assistants/", include("assistants.urls")),
    path("system/", include("system.urls")),
    path("asyncapi/", include("chanx.channels.urls")),
    path("asyncapi/", RedirectView.as_view(pattern_name="asyncapi_docs")),
    path("healthz", health, name="health"),
    path("favicon.ico", favicon, name="favicon"),
    path("admin/", admin.site.urls),
]
