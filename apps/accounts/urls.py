from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("", views.overview_view, name="overview"),
    path("overview/refresh/", views.overview_refresh_view, name="overview-refresh"),
    path("login/", views.login_view, name="login"),
    path("logout/", views.PortalLogoutView.as_view(), name="logout"),
]
