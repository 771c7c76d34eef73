"""Create or complete the staff groups (contact centre, reading reviewers, billing): portal/staff_roles.py."""

from django.contrib.auth.models import Group, Permission
from django.core.management.base import BaseCommand

from portal.staff_roles import staff_roles_apply


class Command(BaseCommand):
    help = "Create the staff groups with their permissions (idempotent)."

    def handle(self, *args, **options):
        for name, count in staff_roles_apply(Group, Permission).items():
            self.stdout.write(f"{name}: {count} permissions")
