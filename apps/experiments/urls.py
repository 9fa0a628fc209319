from django.urls import path

from . import views

app_name = "experiments"

# Mounted under /campaigns/ (before the campaigns URLs): the pages belong to campaigns for users.
urlpatterns = [
    path("<int:pk>/resend/", views.resend_view, name="resend"),
    path("ab/<int:pk>/", views.ab_view, name="ab"),
    path("resend/<int:pk>/", views.resend_job_view, name="resend-job"),
]
