"""URLs: pages under a language prefix (none for Ukrainian, /ru/, /en/); probes and APIs without one."""

from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.views.i18n import JavaScriptCatalog

from portal import views

admin.site.site_header = admin.site.site_title = _("Energy portal")

urlpatterns = [
    path("health/", views.health, name="health"),
    path("i18n/setlang/", views.language_switch, name="set_language"),
]

urlpatterns += i18n_patterns(
    path("", views.home, name="home"),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    prefix_default_language=False,
)
