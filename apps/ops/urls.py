from django.urls import path

from . import views

app_name = "ops"

urlpatterns = [
    path("resync/", views.resync_view, name="resync"),
    path("resync/start/", views.resync_start_view, name="resync-start"),
    path("resync/jobs/", views.resync_jobs_partial, name="resync-jobs"),
]
