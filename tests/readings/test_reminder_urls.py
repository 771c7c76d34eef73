"""The reminder emails' links, filled into a once-reversed pattern, are exactly what `reverse()` gives."""

import pytest
from django.urls import NoReverseMatch

from accounts.services import absolute_url
from readings.reminders import ReminderUrls


@pytest.mark.parametrize("language", ["uk", "ru", "en"])
@pytest.mark.parametrize(
    "serial", ["02000007", "AB 12-ж%?#&+", "Ü:@~!$'()*,;=", "0", "x/y", ""], ids=lambda serial: repr(serial)
)
def test_each_link_is_the_one_reverse_gives(language, serial):
    urls = ReminderUrls()
    try:
        expected = absolute_url("reading_new", "1000100001", serial, language=language)
    except NoReverseMatch:
        with pytest.raises(NoReverseMatch):
            urls.reading_new("1000100001", serial, language=language)
        return
    assert urls.reading_new("1000100001", serial, language=language) == expected
    assert urls.reading_new("1000100001", serial, language=language) == expected  # from the cached pattern
    assert urls.public_form(language=language) == absolute_url("public_identify", language=language)
