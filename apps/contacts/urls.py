from django.urls import path

from . import views

app_name = "contacts"

urlpatterns = [
    path("", views.index_view, name="index"),
    path("refresh/", views.lists_refresh_view, name="lists-refresh"),
    path("new/", views.list_create_view, name="list-create"),
    path("addresses/", views.addresses_all_view, name="addresses"),
    path("imports/", views.imports_view, name="imports"),
    path("imports/<int:job_id>/", views.import_detail_view, name="import-detail"),
    path("imports/<int:job_id>/progress/", views.import_progress_view, name="import-progress"),
    path("imports/<int:job_id>/confirm/", views.import_confirm_view, name="import-confirm"),
    path("imports/<int:job_id>/cancel/", views.import_cancel_view, name="import-cancel"),
    path("imports/<int:job_id>/rejected.csv", views.import_rejects_view, name="import-rejects"),
    path("<int:list_id>/", views.list_detail_view, name="list-detail"),
    path("<int:list_id>/edit/", views.list_edit_view, name="list-edit"),
    path("<int:list_id>/status/", views.list_status_view, name="list-status"),
    path("<int:list_id>/delete/", views.list_delete_view, name="list-delete"),
    path("<int:list_id>/empty/", views.list_empty_view, name="list-empty"),
    path("<int:list_id>/variables/", views.list_variables_view, name="list-variables"),
    path("<int:list_id>/subscriptions/", views.subscriptions_view, name="subscriptions"),
    path("<int:list_id>/import/", views.import_upload_view, name="import-upload"),
    path("<int:list_id>/addresses/new/", views.address_create_view, name="address-create"),
    path(
        "<int:list_id>/addresses/<int:address_id>/edit/",
        views.address_edit_view,
        name="address-edit",
    ),
    path(
        "<int:list_id>/addresses/<int:address_id>/delete/",
        views.address_delete_view,
        name="address-delete",
    ),
    path(
        "<int:list_id>/export/<str:kind>.<str:fmt>",
        views.export_view,
        name="export",
    ),
]
