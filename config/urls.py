from django.contrib import admin
from django.urls import include, path

from core.views import health, home_page

urlpatterns = [
    path("", home_page, name="home"),
    path("chat/", include("chat.urls")),
    path("assistants/", include("assistants.urls")),
    path("system/", include("system.urls")),
    path("asyncapi/", include("chanx.channels.urls")),
    path("healthz", health, name="health"),
    path("admin/", admin.site.urls),
]
