"""The staff groups (portal/staff_roles.py), created on every database by `migrate`."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

from portal.staff_roles import staff_roles_apply


def roles_create(apps, schema_editor):
    # Permissions are normally created after all migrations ran; the groups need them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    staff_roles_apply(apps.get_model("auth", "Group"), apps.get_model("auth", "Permission"))


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0002_worker_heartbeat"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("authtoken", "0004_alter_tokenproxy_options"),
        ("accounts", "0006_customer_cabinet_permission"),
        ("readings", "0007_viber_messenger"),
        ("billing", "0006_run_notices_queued"),
    ]

    operations = [migrations.RunPython(roles_create, migrations.RunPython.noop)]
