"""`manage.py create_api_client NAME --channel chatbot --scopes accounts:verify readings:write`

Creates an integration client and prints its key once: only a hash is stored, so a lost key is replaced
with `--rotate` (the old key stops working at once).
"""

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from portal.models import ApiClient, ClientChannel, Scope


class Command(BaseCommand):
    help = "Create an integration client (or give it a new key with --rotate) and print its key once."

    def add_arguments(self, parser):
        parser.add_argument("name")
        parser.add_argument("--channel", choices=ClientChannel.values, default=ClientChannel.CHATBOT)
        parser.add_argument("--scopes", nargs="+", choices=Scope.values, default=[])
        parser.add_argument("--rotate", action="store_true", help="replace the key of an existing client")

    def handle(self, *args, name, channel, scopes, rotate, **options):
        with transaction.atomic():
            client = ApiClient.objects.select_for_update().filter(name=name).first()
            if rotate:
                if client is None:
                    raise CommandError(f"no API client named {name!r}")
            elif client is not None:
                raise CommandError(f"an API client named {name!r} exists; use --rotate to give it a new key")
            else:
                if not scopes:
                    raise CommandError("give at least one scope: --scopes " + " ".join(Scope.values))
                client = ApiClient(name=name, channel=channel, scopes=sorted(set(scopes)))
            key = client.new_key()
            client.save()
        self.stdout.write(f"API client {client.name!r} ({client.channel}; scopes: {', '.join(client.scopes)}).")
        self.stdout.write("Its key, shown only now (send it as 'Authorization: Bearer <key>'):")
        self.stdout.write(key)
