from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("contacts/", include("apps.contacts.urls")),
    path("templates/", include("apps.mailtemplates.urls")),
    path("campaigns/", include("apps.campaigns.urls")),
    path("analytics/", include("apps.analytics.urls")),
    path("domains/", include("apps.domains.urls")),
    path("", include("apps.core.urls")),
    path("", include("apps.accounts.urls")),
]
