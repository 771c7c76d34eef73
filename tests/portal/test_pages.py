"""The home page and the shared layout, in Ukrainian (default), Russian and English."""

from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse
from django.utils import translation

from portal.money_format import format_money
from tests.factories import DistrictFactory, UserFactory
from tests.html import page_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def districts():
    DistrictFactory(code="KYIV", name="Київська філія", contact_phone="0 800 300 150")
    DistrictFactory(
        code="DEK",
        name="ДЕК",
        window_open_day=20,
        window_close_month_offset=0,
        window_close_day=25,
        window_policy="strict",
    )


@pytest.mark.parametrize(
    ("prefix", "lang", "heading", "kyiv_sentence"),
    [
        ("", "uk", "Передайте покази лічильника", "прийом показів за листопад 2026 розпочнеться 29 листопада 2026."),
        ("/ru", "ru", "Передайте показания счётчика", "приём показаний за ноябрь 2026 начнётся 29 ноября 2026."),
        ("/en", "en", "Pass your meter readings", "the window for November 2026 readings opens on 29 November 2026."),
    ],
)
@time_machine.travel("2026-11-21 12:00 +0200", tick=False)
def test_home_in_three_languages(client, districts, prefix, lang, heading, kyiv_sentence):
    response = client.get(f"{prefix}/")
    html = response.content.decode()
    assert response.status_code == 200
    assert f'<html lang="{lang}">' in html
    assert heading in html
    assert kyiv_sentence in " ".join(html.split())
    assert "0 800 300 150" in html  # the footer's district contacts
    assert 'href="#main"' in html  # skip link


@time_machine.travel("2026-11-21 12:00 +0200", tick=False)
def test_open_window_says_until_when(client, districts):
    assert "ДЕК: readings for November 2026 are accepted until 25 November 2026." in page_text(client.get("/en/"))


@pytest.mark.parametrize(
    ("next_url", "language", "location"),
    [
        ("/", "en", "/en/"),
        ("/en/", "uk", "/"),
        ("/en/", "ru", "/ru/"),
        ("/ru/admin/login/?next=/ru/admin/", "uk", "/admin/login/?next=/ru/admin/"),
        ("https://evil.example/", "en", "/en/"),  # never redirect off the site
    ],
)
def test_language_switcher_stays_on_the_same_page(client, next_url, language, location):
    response = client.post(reverse("set_language"), {"language": language, "next": next_url})
    assert response.status_code == 302
    assert response["Location"] == location
    assert response.cookies["django_language"].value == language


def test_language_choice_is_remembered_for_a_logged_in_user(client):
    user = UserFactory()
    client.force_login(user)
    client.post(reverse("set_language"), {"language": "ru", "next": "/"})
    user.refresh_from_db()
    assert user.preferred_language == "ru"


def test_home_page_uses_a_fixed_number_of_queries(client, districts, django_assert_max_num_queries):
    with django_assert_max_num_queries(2):  # districts for the windows, districts for the footer
        client.get("/")


@pytest.mark.parametrize(
    ("language", "expected"),
    [("uk", "1\xa0234,56\xa0грн"), ("ru", "1\xa0234,56\xa0грн"), ("en", "1,234.56\xa0UAH")],
)
def test_money_is_localized(language, expected):
    assert format_money(Decimal("1234.56"), currency="UAH", language=language) == expected


def test_money_refuses_floats():
    with pytest.raises(TypeError):
        format_money(1234.56, currency="UAH", language="uk")


@pytest.mark.parametrize(
    ("language", "expected"), [("uk", "грудень 2026"), ("ru", "декабрь 2026"), ("en", "December 2026")]
)
def test_month_year_filter(language, expected):
    from portal.templatetags.portal_format import month_year

    with translation.override(language):
        assert month_year(date(2026, 12, 1)) == expected


@pytest.mark.parametrize(("prefix", "heading"), [("", "Увійти"), ("/en", "Sign In")])
def test_allauth_pages_render_inside_the_portal_layout(client, prefix, heading):
    html = client.get(f"{prefix}/accounts/login/").content.decode()
    assert 'class="site-header"' in html and 'class="site-footer"' in html
    assert heading in html


@pytest.mark.parametrize(
    ("language", "amount", "text"),
    [
        ("en", "-120", "credit 120.00\xa0UAH"),
        ("uk", "-120", "на вашу користь 120,00\xa0грн"),
        ("en", "5.5", "5.50\xa0UAH"),
    ],
)
def test_negative_money_reads_as_a_credit(language, amount, text):
    from portal.templatetags.portal_format import money_signed

    with translation.override(language):
        assert money_signed(Decimal(amount)) == text
