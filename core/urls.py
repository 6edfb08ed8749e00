from django.contrib.auth import views as auth_views
from django.urls import path

from core.views import api_token, signup

urlpatterns = [
    path("signup/", signup, name="signup"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("token/", api_token, name="api-token"),
]
