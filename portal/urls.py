"""URLs: pages under a language prefix (none for Ukrainian, /ru/, /en/); probes and APIs without one."""

from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.views.i18n import JavaScriptCatalog

from accounts import views as account_views
from portal import cabinet, views

admin.site.site_header = admin.site.site_title = _("Energy portal")

urlpatterns = [
    path("health/", views.health, name="health"),
    path("i18n/setlang/", views.language_switch, name="set_language"),
]

urlpatterns += i18n_patterns(
    path("", views.home, name="home"),
    path("cabinet/", cabinet.dashboard, name="cabinet"),
    path("cabinet/link/", account_views.link_create, name="account_link"),
    path("cabinet/profile/", account_views.profile, name="profile"),
    path("cabinet/accounts/<str:number>/", cabinet.account_detail, name="account_detail"),
    path("cabinet/accounts/<str:number>/settings/", account_views.account_settings, name="account_settings"),
    path("cabinet/accounts/<str:number>/unlink/", account_views.link_delete, name="account_unlink"),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    prefix_default_language=False,
)
