from django.urls import path

from . import views

app_name = "core"

urlpatterns = [
    path("activity/", views.audit_view, name="audit"),
    path("preferences/", views.preferences_view, name="preferences"),
    path("help/", views.help_view, name="help"),
    path("guide/dismiss/", views.guide_dismiss_view, name="guide-dismiss"),
    path("guide/reopen/", views.guide_reopen_view, name="guide-reopen"),
    path("notifications/", views.notifications_view, name="notifications"),
]
