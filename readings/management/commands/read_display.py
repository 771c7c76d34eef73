"""`manage.py read_display PHOTO [--zones ZONE_SET]`: what the portal reads on a meter's display.

The last line printed is one JSON object, always the best guess:
{"values": {"night": 14420}, "code": "1.8.1", "confidence": 0.97}
"""

import json

from django.core.management.base import BaseCommand

from readings import recognition, zones

from ._files import read_source


class Command(BaseCommand):
    help = "Reads the whole part of a meter display in a photo and prints it as JSON (last line)."

    def add_arguments(self, parser):
        parser.add_argument("photo", help="JPEG, PNG or WebP file; - reads standard input")
        parser.add_argument(
            "--zones", default=zones.ONE_ZONE, choices=list(zones.ZONE_SETS), help="the meter's zone set"
        )

    def handle(self, *args, photo, zones, **options):
        result = recognition.recognize(read_source(photo), zones)
        self.stdout.write(
            json.dumps(
                {"values": result.values, "code": result.code, "confidence": result.confidence}, ensure_ascii=False
            )
        )
