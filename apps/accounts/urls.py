from django.urls import path

from . import portal_views, subaccount_views, views

app_name = "accounts"

urlpatterns = [
    path("", views.overview_view, name="overview"),
    path("overview/refresh/", views.overview_refresh_view, name="overview-refresh"),
    path("login/", views.login_view, name="login"),
    path("logout/", views.PortalLogoutView.as_view(), name="logout"),
    # Agents and administrators: sub-accounts and the header's switcher; team members' sign-in.
    path("scope/", subaccount_views.scope_switch_view, name="scope-switch"),
    path("sub-accounts/", subaccount_views.subaccounts_view, name="subaccounts"),
    path(
        "sub-accounts/discover/",
        subaccount_views.subaccounts_discover_view,
        name="subaccounts-discover",
    ),
    path("sub-accounts/add/", subaccount_views.subaccount_add_view, name="subaccount-add"),
    path(
        "sub-accounts/<int:pk>/credentials/",
        subaccount_views.subaccount_credentials_view,
        name="subaccount-credentials",
    ),
    path("login/team/", subaccount_views.TeamLoginView.as_view(), name="team-login"),
    # The portal's own pages around the sections.
    path("activity/", portal_views.audit_view, name="audit"),
    path("preferences/", portal_views.preferences_view, name="preferences"),
    path("help/", portal_views.help_view, name="help"),
    path("guide/dismiss/", portal_views.guide_dismiss_view, name="guide-dismiss"),
    path("guide/reopen/", portal_views.guide_reopen_view, name="guide-reopen"),
    path("notifications/", portal_views.notifications_view, name="notifications"),
]
