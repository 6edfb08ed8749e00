from django.urls import path

from assistants.views import assistants_page

app_name = "assistants"
urlpatterns = [path("", assistants_page, name="index")]
