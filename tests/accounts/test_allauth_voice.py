"""allauth in the portal's voice: its emails greet and sign as the portal (not "Hello from 127.0.0.1:18110"),
link to PORTAL_URL in the reader's language, and its pages speak natural Ukrainian and Russian with each
error under the field it is about."""

import re

import pytest

from accounts.models import OutgoingEmail
from tests.html import page_text

pytestmark = pytest.mark.django_db

PORTAL = "https://portal.example"


def field_block(html: str, field_id: str) -> str:
    """The `<div class="field">` that holds the input `field_id`: its label, the input, its error."""
    for block in re.findall(r'<div class="field[^"]*">.*?</div>', html, re.S):
        if "<input" in block and f'id="{field_id}"' in block:
            return block
    raise AssertionError(f"no field {field_id}")


def error_under_input(block: str) -> str | None:
    """The text of the error that comes after the input (under it on the page), if any."""
    after_input = block.split("<input", 1)[1]
    match = re.search(r'<p class="field-error"[^>]*>(.*?)</p>', after_input, re.S)
    return page_text(match.group(1)) if match else None


@pytest.fixture(autouse=True)
def portal_url(settings):
    settings.PORTAL_URL = PORTAL


def sign_up(client, prefix="", email="new@example.com", password="Kyiv-Energy-2026!", again=None):
    return client.post(
        f"{prefix}/accounts/signup/", {"email": email, "password1": password, "password2": again or password}
    )


@pytest.mark.parametrize(
    ("prefix", "subject", "lines", "link_path"),
    [
        (
            "",
            "Енергопортал: Підтвердіть адресу електронної пошти",
            [
                "Вітаємо!",
                "Щоб завершити реєстрацію на порталі, підтвердьте адресу електронної пошти: відкрийте посилання й "
                "натисніть «Підтвердити».",
                "Посилання діє 3 дні.",
                "Енергопортал: показники, рахунки й оплата онлайн",
                f"{PORTAL}/",
            ],
            "/accounts/confirm-email/",
        ),
        (
            "/ru",
            "Энергопортал: Подтвердите адрес электронной почты",
            [
                "Здравствуйте!",
                "Чтобы завершить регистрацию на портале, подтвердите адрес электронной почты: откройте ссылку и "
                "нажмите «Подтвердить».",
                "Ссылка действует 3 дня.",
                "Энергопортал: показания, счета и оплата онлайн",
            ],
            "/ru/accounts/confirm-email/",
        ),
    ],
)
def test_the_verification_email_speaks_as_the_portal_and_links_to_portal_url(client, prefix, subject, lines, link_path):
    assert sign_up(client, prefix).status_code == 302
    email = OutgoingEmail.objects.get(kind="email_confirmation_signup")
    assert email.subject == subject
    body_lines = [line.strip() for line in email.body_text.splitlines()]
    for line in lines:
        assert line in body_lines, email.body_text
    assert re.search(rf"^{re.escape(PORTAL + link_path)}[\w:-]+/$", email.body_text, re.M), email.body_text
    for leftover in ("testserver", "127.0.0.1", "Привіт від", "Hello from", "Здравствуйте от", "example.com!"):
        assert leftover not in email.body_text


def test_password_reset_email_links_to_portal_url_in_the_users_language(client):
    sign_up(client, "/ru")
    client.logout()
    client.post("/accounts/password/reset/", {"email": "new@example.com"})
    reset = OutgoingEmail.objects.get(kind="password_reset_key")
    assert reset.subject == "Энергопортал: Новый пароль"
    assert "Кто-то (надеемся, вы) запросил новый пароль к вашей учётной записи на портале." in reset.body_text
    assert re.search(rf"^{re.escape(PORTAL)}/ru/accounts/password/reset/key/\S+/$", reset.body_text, re.M)
    assert "testserver" not in reset.body_text


def test_a_reset_for_an_unknown_address_invites_to_register_on_portal_url(client):
    client.post("/accounts/password/reset/", {"email": "nobody@example.com"})
    email = OutgoingEmail.objects.get(to_email="nobody@example.com")
    assert "облікового запису з цією адресою немає" in email.body_text
    assert f"{PORTAL}/accounts/signup/" in email.body_text


def test_a_password_rule_is_shown_under_the_password_field(client):
    html = sign_up(client, password="12345678", again="12345678").content.decode()
    block = field_block(html, "id_password1")
    assert page_text(re.search(r"<label[^>]*>(.*?)</label>", block, re.S).group(1)) == "Пароль"
    assert "Цей пароль повністю складається із цифр." in error_under_input(block)
    assert "field-error" not in block.split("<input", 1)[0]  # not above the field, between it and its label
    assert error_under_input(field_block(html, "id_password2")) is None
    # ...and in the summary at the top, linked to the field.
    assert re.search(r'<div class="error-summary".*href="#id_password1"', html, re.S)


def test_passwords_that_differ_are_named_under_the_second_field(client):
    html = sign_up(client, password="Kyiv-Energy-2026!", again="Kyiv-Energy-2027!").content.decode()
    assert (
        error_under_input(field_block(html, "id_password2")) == "Паролі не збігаються: введіть той самий пароль ще раз."
    )


@pytest.mark.parametrize(
    ("path", "says", "never"),
    [
        ("/accounts/signup/", ["Зареєструватися", "Вже зареєстровані? Увійдіть."],
         ["Тоді будь ласка", "Зареєструватись"]),
        ("/accounts/login/", ["Ще не маєте облікового запису? Зареєструйтеся: це займе хвилину.", "Запам'ятати мене"],
         ["Запам'ятати Мене"]),
        ("/accounts/password/reset/", ["Відновлення пароля", "Надіслати посилання"], ["Відновити Мій Пароль"]),
        ("/ru/accounts/signup/", ["Зарегистрироваться", "Уже зарегистрированы? Войдите."], []),
        ("/ru/accounts/password/reset/", ["Восстановление пароля", "Отправить ссылку"], ["Сбросить мой пароль"]),
    ],
)  # fmt: skip
def test_allauth_pages_in_natural_ukrainian_and_russian(client, path, says, never):
    text = page_text(client.get(path))
    for phrase in says:
        assert phrase in text
    for phrase in never:
        assert phrase not in text


def test_the_confirmation_page_and_a_dead_link_say_what_to_do(client):
    sign_up(client)
    email = OutgoingEmail.objects.get(kind="email_confirmation_signup")
    path = re.search(rf"{re.escape(PORTAL)}(/accounts/confirm-email/\S+/)", email.body_text).group(1)
    page = page_text(client.get(path))
    assert "Підтвердіть адресу електронної пошти" in page
    assert "натисніть «Підтвердити», якщо new@example.com — ваша адреса електронної пошти." in page
    dead = page_text(client.get("/ru/accounts/confirm-email/not-a-key/"))
    assert "Эта ссылка больше не действует" in dead and "Отправьте письмо для подтверждения ещё раз" in dead
