"""URLs: pages under a language prefix (none for Ukrainian, /ru/, /en/); probes and APIs without one."""

from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.views.i18n import JavaScriptCatalog

from accounts import views as account_views
from billing import views as billing_views
from billing.payments import views as payment_views
from portal import cabinet, csp_reports, views
from readings import held_photo_views, public_views
from readings import views as reading_views
from readings.channels import messenger, sms, telegram, viber

admin.site.site_header = admin.site.site_title = _("Energy portal")
# The home page lists the same sections: without the sidebar a wide change list fits a 1280 px screen.
admin.site.enable_nav_sidebar = False

urlpatterns = [
    path("health/", views.health, name="health"),
    path("csp-report/", csp_reports.csp_report, name="csp_report"),
    path("health/live", views.health_live, name="health_live"),
    path("health/ready", views.health_ready, name="health_ready"),
    path("i18n/setlang/", views.language_switch, name="set_language"),
    # Machines' endpoints: no language prefix (the API reads Accept-Language).
    path("", include("portal.api.urls")),
    path("channels/sms/inbound/", sms.sms_inbound, name="sms_inbound"),
    path("channels/telegram/webhook/", telegram.telegram_webhook, name="telegram_webhook"),
    path("channels/viber/webhook/", viber.viber_webhook, name="viber_webhook"),
    path("channels/messenger/webhook/", messenger.messenger_webhook, name="messenger_webhook"),
    # Inbound mail with readings: /channels/email/<service>/inbound/ (mailgun, amazon_ses, postmark, ...).
    path("channels/email/", include("anymail.urls")),
    path("payments/<str:provider_name>/callback/", payment_views.card_callback, name="card_callback"),
]

urlpatterns += i18n_patterns(
    path("", views.home, name="home"),
    path("cabinet/", cabinet.dashboard, name="cabinet"),
    path("cabinet/link/", account_views.link_create, name="account_link"),
    path("cabinet/profile/", account_views.profile, name="profile"),
    path("cabinet/profile/devices/sign-out/", account_views.devices_sign_out, name="devices_sign_out"),
    path("unsubscribe/<str:token>/", account_views.unsubscribe, name="unsubscribe"),
    path("cabinet/accounts/<str:number>/", cabinet.account_detail, name="account_detail"),
    path("cabinet/accounts/<str:number>/settings/", account_views.account_settings, name="account_settings"),
    path("cabinet/accounts/<str:number>/unlink/", account_views.link_delete, name="account_unlink"),
    path("cabinet/accounts/<str:number>/meters/<str:serial>/reading/", reading_views.reading_new, name="reading_new"),
    path(
        "cabinet/accounts/<str:number>/meters/<str:serial>/history/",
        reading_views.meter_history_page,
        name="meter_history",
    ),
    path(
        "cabinet/accounts/<str:number>/meters/<str:serial>/history.csv",
        reading_views.meter_history_csv,
        name="meter_history_csv",
    ),
    path("cabinet/accounts/<str:number>/readings/<int:pk>/", reading_views.reading_receipt, name="reading_receipt"),
    path("cabinet/accounts/<str:number>/readings/<int:pk>/photo/", reading_views.reading_photo, name="reading_photo"),
    path("cabinet/accounts/<str:number>/charges/", billing_views.account_charges, name="account_charges"),
    path("cabinet/accounts/<str:number>/invoices/", billing_views.invoice_list, name="account_invoices"),
    path("cabinet/accounts/<str:number>/invoices/generate/", billing_views.invoice_create, name="invoice_generate"),
    path(
        "cabinet/accounts/<str:number>/invoices/<str:invoice_number>/",
        billing_views.invoice_detail,
        name="invoice_detail",
    ),
    path(
        "cabinet/accounts/<str:number>/invoices/<str:invoice_number>/pdf/",
        billing_views.invoice_pdf,
        name="invoice_pdf",
    ),
    path(
        "cabinet/accounts/<str:number>/invoices/<str:invoice_number>/pay/",
        payment_views.invoice_pay,
        name="invoice_pay",
    ),
    path(
        "cabinet/accounts/<str:number>/invoices/<str:invoice_number>/pay/card/",
        payment_views.invoice_pay_card,
        name="invoice_pay_card",
    ),
    path("cabinet/accounts/<str:number>/payments/", payment_views.payment_list, name="account_payments"),
    path("readings/", public_views.public_identify, name="public_identify"),
    path("readings/confirm/", public_views.public_confirm, name="public_confirm"),
    path("readings/enter/", public_views.public_enter, name="public_enter"),
    path("readings/receipt/", public_views.public_receipt, name="public_receipt"),
    path("readings/held-photo/<str:token>/", held_photo_views.held_photo_image, name="held_photo_image"),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    prefix_default_language=False,
)

# The database down anywhere in a request (a middleware included) answers the 503 page, not a 500.
handler500 = "portal.views.server_error"
