from django.urls import path

from . import views

app_name = "core"

urlpatterns = [
    path("activity/", views.audit_view, name="audit"),
]
