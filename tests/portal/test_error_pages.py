"""Error pages in the portal's design and the visitor's language, with a way back; status codes unchanged.

The test settings run with DEBUG off, as production does (Django shows its own debug pages otherwise)."""

import re

import pytest
from django.template.loader import render_to_string
from django.test import Client
from django.utils import translation

from tests.html import page_text

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def failing_pages(settings):
    assert settings.DEBUG is False
    settings.ROOT_URLCONF = "tests.portal.urls_with_errors"


def links(response) -> list[str]:
    return re.findall(r'<a class="button[^"]*" href="([^"]+)"', response.content.decode())


@pytest.mark.parametrize(
    ("path", "status", "heading", "sentence", "way_back", "lang"),
    [
        ("/no-such-page/", 404, "Сторінку не знайдено", "Такої сторінки тут немає.", ["/", "/cabinet/"], "uk"),
        ("/ru/no-such-page/", 404, "Страница не найдена", "Такой страницы здесь нет.", ["/ru/", "/ru/cabinet/"], "ru"),
        (
            "/forbidden/",
            403,
            "Немає доступу до цієї сторінки",
            "Ця сторінка для вас закрита.",
            ["/", "/cabinet/"],
            "uk",
        ),
        (
            "/ru/forbidden/",
            403,
            "Нет доступа к этой странице",
            "Эта страница для вас закрыта.",
            ["/ru/", "/ru/cabinet/"],
            "ru",
        ),
        ("/broken/", 500, "Щось пішло не так на нашому боці", "Спробуйте ще раз за кілька хвилин.", ["/"], "uk"),
        (
            "/ru/broken/",
            500,
            "Что-то пошло не так на нашей стороне",
            "Попробуйте ещё раз через несколько минут.",
            ["/ru/"],
            "ru",
        ),
    ],
)
def test_an_error_page_says_what_happened_in_the_visitors_language_and_leads_back(
    path, status, heading, sentence, way_back, lang
):
    response = Client(raise_request_exception=False).get(path)
    assert response.status_code == status
    html = response.content.decode()
    assert f'<html lang="{lang}">' in html
    assert re.search(rf'<h1 id="error-title">{re.escape(heading)}</h1>', html)
    text = page_text(response)
    assert sentence in text
    assert links(response) == way_back
    assert "Енергопортал" in text or "Энергопортал" in text  # the portal's own layout, not Django's bare page
    for raw in ("Not Found", "Server Error", "Forbidden", "Bad Request"):
        assert raw not in text


def test_an_expired_form_says_so_and_keeps_403():
    client = Client(enforce_csrf_checks=True)
    response = client.post("/accounts/login/", {"login": "a@example.com", "password": "x"})
    assert response.status_code == 403
    text = page_text(response)
    assert "Сторінка застаріла" in text
    assert "оновіть сторінку й надішліть форму ще раз" in text
    assert "CSRF" not in text


@pytest.mark.parametrize(
    ("language", "heading", "sentence"),
    [
        ("uk", "Портал ненадовго недоступний", "Спробуйте ще раз за кілька хвилин"),
        ("ru", "Портал ненадолго недоступен", "Попробуйте ещё раз через несколько минут"),
    ],
)
def test_the_503_page_for_maintenance_asks_to_try_again_in_a_few_minutes(language, heading, sentence):
    """503.html is rendered without a request or the database (a maintenance switch or an overloaded web
    process can serve it): `render_to_string("503.html")` with a 503 status."""
    with translation.override(language):
        html = render_to_string("503.html")
    assert f'<h1 id="error-title">{heading}</h1>' in html
    assert sentence in page_text(html)
    assert 'href="/' in html
