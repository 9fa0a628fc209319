from django.contrib import admin
from django.http import HttpResponsePermanentRedirect
from django.templatetags.static import static
from django.urls import include, path

from apps.ops import views as ops_views


def favicon(request):
    """Browsers ask for /favicon.ico whatever the page says: the brand's icon."""
    return HttpResponsePermanentRedirect(static("brand/favicon.svg"))


urlpatterns = [
    path("favicon.ico", favicon, name="favicon"),
    path("admin/", admin.site.urls),
    # Also answered by apps.ops.middleware.HealthzMiddleware ahead of host checks; routed here so
    # it can be reversed and works without that middleware.
    path("healthz", ops_views.healthz, name="healthz"),
    path("ops/", include("apps.ops.urls")),
    # Django's set_language view: the header's language switch (remembered per user by
    # apps.accounts.middleware.UserPreferencesMiddleware).
    path("i18n/", include("django.conf.urls.i18n")),
    path("contacts/", include("apps.contacts.urls")),
    path("templates/", include("apps.mailtemplates.urls")),
    path("campaigns/", include("apps.experiments.urls")),
    path("campaigns/", include("apps.campaigns.urls")),
    path("analytics/", include("apps.analytics.urls")),
    path("domains/", include("apps.domains.urls")),
    path("smtp/", include("apps.smtp.urls")),
    path("", include("apps.accounts.urls")),
]
