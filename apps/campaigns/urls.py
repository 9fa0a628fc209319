from django.urls import path

from . import views

app_name = "campaigns"

urlpatterns = [
    path("", views.index_view, name="index"),
    path("refresh/", views.refresh_view, name="refresh"),
    path("calendar/", views.calendar_view, name="calendar"),
    path("calendar/<int:year>/<int:month>/", views.calendar_view, name="calendar-month"),
    path("new/", views.new_view, name="new"),
    path("count/", views.count_view, name="count"),
    path("<int:pk>/", views.detail_view, name="detail"),
    path("<int:pk>/step/<str:step>/", views.step_view, name="step"),
    path("<int:pk>/review/", views.review_view, name="review"),
    path("<int:pk>/refresh/", views.campaign_refresh_view, name="campaign-refresh"),
    path("<int:pk>/check/", views.check_view, name="check"),
    path("<int:pk>/edit/", views.edit_view, name="edit"),
    path("<int:pk>/duplicate/", views.duplicate_view, name="duplicate"),
    path("<int:pk>/delete/", views.delete_view, name="delete"),
    path("<int:pk>/<str:action>/", views.action_view, name="action"),
]
