"""Texts of Django's admin, django-celery-beat and django-auditlog that ship without Ukrainian or Russian (or
not in every version): listed here so our catalogs keep their translations (`make messages` drops entries it
finds in no source), and the admin speaks the staff's language throughout."""

from django.utils.translation import gettext_noop

THIRD_PARTY_ADMIN_TEXTS = (
    # django.contrib.admin 5.2: a list filter's title ("За філія" is not Ukrainian), the app list's column
    # headers (read by screen readers)
    gettext_noop(" By %(filter_title)s "),
    gettext_noop("Model name"),
    gettext_noop("Add link"),
    gettext_noop("Change or view list link"),
    # django-celery-beat
    gettext_noop("Periodic Tasks"),
    gettext_noop("periodic tasks"),
    gettext_noop("periodic task"),
    gettext_noop("solar events"),
    gettext_noop("solar event"),
    gettext_noop("intervals"),
    gettext_noop("interval"),
    gettext_noop("clocked"),
    gettext_noop("crontabs"),
    gettext_noop("crontab"),
    # django-auditlog
    gettext_noop("Resource"),
    gettext_noop("Resource Type"),
    gettext_noop("Changes"),
    gettext_noop("Correlation ID"),
)
