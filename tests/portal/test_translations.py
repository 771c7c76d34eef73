"""Every string the portal shows has a Ukrainian and a Russian translation with the same placeholders."""

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

LOCALE = Path(__file__).resolve().parent.parent.parent / "locale"
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]|\{\{\s*(\w+)\s*\}\}")


def catalog(language: str):
    with (LOCALE / language / "LC_MESSAGES" / "django.po").open("rb") as po_file:
        return read_po(po_file, locale=language)


@pytest.mark.parametrize("language", ["uk", "ru"])
def test_no_untranslated_or_fuzzy_string(language):
    missing = [
        message.id
        for message in catalog(language)
        if message.id and (message.fuzzy or not all(message.string if message.pluralizable else [message.string]))
    ]
    assert missing == []


@pytest.mark.parametrize("language", ["uk", "ru"])
def test_translations_keep_every_placeholder(language):
    wrong = [
        (message.id, message.string)
        for message in catalog(language)
        if message.id
        and not message.pluralizable
        and set(PLACEHOLDER.findall(message.id)) != set(PLACEHOLDER.findall(message.string))
    ]
    assert wrong == []


def test_catalogs_compile_and_are_used(client, db):
    from django.utils import translation

    with translation.override("uk"):
        assert translation.gettext("Pass your meter readings") == "Передайте покази лічильника"
    with translation.override("ru"):
        assert translation.gettext("Pass your meter readings") == "Передайте показания счётчика"
