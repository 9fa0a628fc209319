from django.urls import path

from . import views

app_name = "smtp"

urlpatterns = [
    path("", views.index_view, name="index"),
    path("settings/", views.settings_view, name="settings"),
    path("settings/test/", views.connection_test_view, name="connection-test"),
    path("send-test/", views.send_test_view, name="send-test"),
    path("mails/<int:pk>/", views.mail_detail_view, name="mail-detail"),
]
