from django.urls import path

from . import views

app_name = "domains"

urlpatterns = [
    path("", views.index_view, name="index"),
    path("refresh/", views.refresh_view, name="refresh"),
    path("add/", views.add_view, name="add"),
    path("verify/", views.verify_view, name="verify"),
    path("<int:pk>/", views.detail_view, name="detail"),
    path("<int:pk>/status/", views.status_view, name="status"),
    path("<int:pk>/delete/", views.delete_view, name="delete"),
    path("<int:pk>/mailboxes/add/", views.mailbox_add_view, name="mailbox-add"),
    path("<int:pk>/mailboxes/refresh/", views.mailboxes_refresh_view, name="mailboxes-refresh"),
    path("mailboxes/<int:pk>/password/", views.mailbox_password_view, name="mailbox-password"),
    path("mailboxes/<int:pk>/delete/", views.mailbox_delete_view, name="mailbox-delete"),
    path(
        "notifications/<int:pk>/dismiss/",
        views.notification_dismiss_view,
        name="notification-dismiss",
    ),
]
