from django.urls import path

from system.views import download_export, system_page

app_name = "system"
urlpatterns = [
    path("", system_page, name="index"),
    path("exports/<uuid:job_id>/<str:fmt>/", download_export, name="export"),
]
