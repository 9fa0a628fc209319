from django.urls import path

from . import live_views, views

app_name = "analytics"

urlpatterns = [
    path("", views.index_view, name="index"),
    path("refresh/", views.refresh_view, name="refresh"),
    path("failures/", views.day_failures_export_view, name="day-failures"),
    path("hygiene/", views.hygiene_view, name="hygiene"),
    path("hygiene/<int:run_pk>/", views.hygiene_run_view, name="hygiene-run"),
    path("campaigns/<int:pk>/", views.report_view, name="report"),
    path("campaigns/<int:pk>/live/", live_views.campaign_numbers_view, name="live-numbers"),
    path("live/variants/", live_views.variants_numbers_view, name="live-variants"),
    path("campaigns/<int:pk>/refresh/", views.report_refresh_view, name="report-refresh"),
    path("campaigns/<int:pk>/failures/", views.failures_export_view, name="failures"),
    path("campaigns/<int:pk>/tracked/", views.tracked_export_view, name="tracked"),
    path("campaigns/<int:pk>/hygiene/", views.hygiene_rerun_view, name="hygiene-rerun"),
    path("campaigns/<int:pk>/<str:kind>/", views.detail_table_view, name="detail"),
    path("campaigns/<int:pk>/<str:kind>/fetch/", views.detail_fetch_view, name="detail-fetch"),
    path("campaigns/<int:pk>/<str:kind>/status/", views.detail_status_view, name="detail-status"),
    path(
        "campaigns/<int:pk>/<str:kind>/export.<str:fmt>",
        views.detail_export_view,
        name="detail-export",
    ),
]
