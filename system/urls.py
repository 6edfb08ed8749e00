from django.urls import path

from system.views import system_page

app_name = "system"
urlpatterns = [path("", system_page, name="index")]
