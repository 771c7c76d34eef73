"""/api/v1/... and the schema and docs (served with locally vendored assets: drf-spectacular-sidecar)."""

from csp.decorators import csp_update
from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from portal.api import customer, integration, voice

urlpatterns = [
    path("api/schema/", SpectacularAPIView.as_view(), name="api_schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api_schema"), name="api_docs"),
    path(
        "api/redoc/",
        # Redoc's bundle always shows Redocly's logo from their CDN: the one image this page may load from away.
        csp_update({"img-src": ["https://cdn.redoc.ly"]})(SpectacularRedocView.as_view(url_name="api_schema")),
        name="api_redoc",
    ),
    path("api/v1/ping/", customer.Ping.as_view(), name="api_ping"),
    path("api/v1/auth/token/", customer.TokenCreate.as_view(), name="api_token"),
    path("api/v1/accounts/", customer.AccountList.as_view(), name="api_accounts"),
    path("api/v1/accounts/<str:number>/", customer.AccountDetail.as_view(), name="api_account"),
    path(
        "api/v1/accounts/<str:number>/meters/<str:serial>/readings/",
        customer.MeterReadings.as_view(),
        name="api_meter_readings",
    ),
    path(
        "api/v1/accounts/<str:number>/meters/<str:serial>/readings/recognize/",
        customer.MeterRecognize.as_view(),
        name="api_meter_readings_recognize",
    ),
    path("api/v1/accounts/<str:number>/charges/", customer.AccountCharges.as_view(), name="api_account_charges"),
    path("api/v1/accounts/<str:number>/invoices/", customer.AccountInvoices.as_view(), name="api_account_invoices"),
    path(
        "api/v1/accounts/<str:number>/invoices/<str:invoice_number>/pdf/",
        customer.InvoicePdf.as_view(),
        name="api_invoice_pdf",
    ),
    path("api/v1/accounts/<str:number>/payments/", customer.AccountPayments.as_view(), name="api_account_payments"),
    path("api/v1/integrations/verify/", integration.Verify.as_view(), name="api_integration_verify"),
    path("api/v1/integrations/readings/", integration.Readings.as_view(), name="api_integration_readings"),
    path(
        "api/v1/integrations/readings/recognize/",
        integration.ReadingsRecognize.as_view(),
        name="api_integration_readings_recognize",
    ),
    path("api/v1/integrations/voice/lookup/", voice.VoiceLookup.as_view(), name="api_voice_lookup"),
    path("api/v1/integrations/voice/readings/", voice.VoiceReadings.as_view(), name="api_voice_readings"),
]
