"""Content-Security-Policy: on every response, no inline script without a nonce, violations logged,
and the PDF renderer reading nothing but the portal's own static files."""

import json
import logging
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders

from billing.documents.pdf import static_files_only_fetcher

pytestmark = pytest.mark.django_db

TEMPLATES = Path(settings.BASE_DIR) / "templates"
SCRIPT_TAG = re.compile(r"<script\b[^>]*>", re.IGNORECASE)


def policy_of(response) -> dict[str, str]:
    header = response["Content-Security-Policy"]
    return dict(part.strip().split(" ", 1) for part in header.split(";"))


@pytest.mark.parametrize("url", ["/", "/en/accounts/login/", "/readings/", "/en/admin/login/", "/api/docs/"])
def test_every_page_carries_a_policy_that_runs_only_the_portals_scripts(client, url):
    response = client.get(url)
    assert response.status_code == 200
    policy = policy_of(response)
    assert policy["default-src"] == "'self'"
    assert policy["object-src"] == "'none'" and policy["frame-ancestors"] == "'none'"
    assert policy["report-uri"] == "/csp-report/"
    script_src = policy["script-src"]
    assert "unsafe-inline" not in script_src and "unsafe-eval" not in script_src
    nonce = re.search(r"'nonce-([^']+)'", script_src)
    for tag in SCRIPT_TAG.findall(response.content.decode()):
        # An inline script must carry this response's nonce; a file must come from the portal itself.
        assert "src=" in tag or (nonce and f'nonce="{nonce.group(1)}"' in tag), (url, tag)


def test_swagger_ui_start_up_script_carries_the_nonce_of_its_response(client):
    first, second = client.get("/api/docs/"), client.get("/api/docs/")
    nonces = [re.search(r"'nonce-([^']+)'", policy_of(r)["script-src"]).group(1) for r in (first, second)]
    assert nonces[0] != nonces[1]  # a fresh nonce per response
    assert f'<script nonce="{nonces[0]}">' in first.content.decode()


def test_no_template_has_an_inline_script_without_a_nonce():
    offenders = []
    for template in TEMPLATES.rglob("*.html"):
        for tag in SCRIPT_TAG.findall(template.read_text()):
            if "src=" not in tag and "csp_nonce" not in tag and "application/json" not in tag:
                offenders.append((str(template.relative_to(TEMPLATES)), tag))
    assert offenders == []


def test_a_violation_report_is_logged_with_its_fields(client, caplog):
    report = {
        "csp-report": {
            "document-uri": "https://portal.example.com/cabinet/",
            "violated-directive": "script-src-elem",
            "effective-directive": "script-src-elem",
            "blocked-uri": "inline",
            "line-number": 12,
            "script-sample": "alert(1)" + "x" * 1000,
        }
    }
    with caplog.at_level(logging.WARNING, logger="portal.csp"):
        response = client.post("/csp-report/", json.dumps(report), content_type="application/csp-report")
    assert response.status_code == 204
    [record] = [r for r in caplog.records if r.name == "portal.csp"]
    logged = json.loads(record.getMessage().split(": ", 1)[1])
    assert logged["document-uri"] == "https://portal.example.com/cabinet/"
    assert logged["effective-directive"] == "script-src-elem" and logged["line-number"] == "12"
    assert len(logged["script-sample"]) == 300  # cut: anybody can post here


def test_reporting_api_format_is_logged_too(client, caplog):
    reports = [
        {"type": "csp-violation", "body": {"documentURL": "https://p.example/", "effectiveDirective": "img-src"}}
    ]
    with caplog.at_level(logging.WARNING, logger="portal.csp"):
        response = client.post("/csp-report/", json.dumps(reports), content_type="application/reports+json")
    assert response.status_code == 204
    assert '"effective-directive": "img-src"' in caplog.records[-1].getMessage()


def test_garbage_and_oversized_reports_log_nothing(client, caplog):
    with caplog.at_level(logging.WARNING, logger="portal.csp"):
        assert client.post("/csp-report/", "not json", content_type="application/csp-report").status_code == 204
        huge = json.dumps({"csp-report": {"blocked-uri": "x" * 70_000}})
        assert client.post("/csp-report/", huge, content_type="application/csp-report").status_code == 413
        assert client.get("/csp-report/").status_code == 405
    assert [r for r in caplog.records if r.name == "portal.csp"] == []


def test_pdf_renderer_reads_the_portals_fonts_and_inline_images_only(tmp_path):
    fetcher = static_files_only_fetcher()
    font = Path(finders.find("fonts/DejaVuSans.ttf"))
    response = fetcher(font.as_uri())
    assert response.read(4) == font.read_bytes()[:4]
    response.close()
    assert fetcher("data:image/png;base64,iVBORw0KGgo=").read() == b"\x89PNG\r\n\x1a\n"
    secret = tmp_path / "secret.txt"
    secret.write_text("database password")
    outside = [
        secret.as_uri(),
        "file:///etc/passwd",
        font.parent.as_uri() + "/../../portal/settings/base.py",  # climbing out of static/
        (Path(settings.BASE_DIR) / "portal" / "settings" / "base.py").as_uri(),
        "http://127.0.0.1:6379/",
        "https://example.com/logo.png",
        "ftp://example.com/x",
    ]
    for url in outside:
        with pytest.raises(ValueError):
            fetcher(url)


@pytest.mark.parametrize("closed", [False, True], ids=["html5-parser", "xml-fast-path"])
def test_an_invoice_with_markup_pointing_outside_renders_without_reading_it(tmp_path, caplog, closed):
    from billing.documents.pdf import pdf_from_html

    secret = tmp_path / "secret.css"
    secret.write_text("body { color: red }")
    end = " /" if closed else ""  # well-formed XML takes the fast parser, the rest WeasyPrint's HTML5 one
    html = (
        f'<html><body><p>Invoice</p><img src="file:///etc/hostname"{end}>'
        f'<link rel="stylesheet" href="{secret.as_uri()}"{end}></body></html>'
    )
    with caplog.at_level(logging.ERROR, logger="weasyprint"):
        pdf = pdf_from_html(html)
    assert pdf.startswith(b"%PDF")
    refused = " ".join(r.getMessage() for r in caplog.records)
    assert "etc/hostname" in refused and "secret.css" in refused
