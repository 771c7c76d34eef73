"""`manage.py compile_translations`: compile locale/*/LC_MESSAGES/*.po to .mo with Babel.

Django's own `compilemessages` needs GNU gettext's msgfmt, which a fresh machine lacks; `make run` must
work with Python alone. Fuzzy entries are skipped, as msgfmt does.
"""

from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Compile the portal's gettext catalogs (.po -> .mo) without GNU gettext."

    def handle(self, *args, **options):
        catalogs = sorted(
            path for locale_dir in settings.LOCALE_PATHS for path in Path(locale_dir).glob("*/LC_MESSAGES/*.po")
        )
        if not catalogs:
            raise CommandError("No .po catalogs found under " + ", ".join(map(str, settings.LOCALE_PATHS)))
        for po_path in catalogs:
            with po_path.open("rb") as po_file:
                catalog = read_po(po_file, locale=po_path.parent.parent.name)
            mo_path = po_path.with_suffix(".mo")
            with mo_path.open("wb") as mo_file:
                write_mo(mo_file, catalog, use_fuzzy=False)
            self.stdout.write(f"compiled {po_path.relative_to(settings.BASE_DIR)}")
