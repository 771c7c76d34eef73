"""Staff roles as groups: what each kind of staff member may open and change (README "Staff roles").

`is_staff` only lets a person into the admin; what they see there and whether they may open a
customer's cabinet comes from these groups. Created by the migration `portal/0003_staff_roles` and
by `manage.py setup_staff_roles` (idempotent: it adds missing permissions, never removes any a
superuser granted by hand).
"""

# group name -> (app label, permission codename)
STAFF_ROLES = {
    # Answers customers' calls: reads everything about a customer, changes nothing.
    "Контакт-центр": [
        ("accounts", "view_customer_cabinet"),
        ("accounts", "view_personalaccount"),
        ("accounts", "view_accountlink"),
        ("accounts", "view_district"),
        ("readings", "view_meter"),
        ("readings", "view_reading"),
        ("billing", "view_charge"),
        ("billing", "view_invoice"),
        ("billing", "view_payment"),
        # A lost phone: the customer calls, the contact centre signs the app out (accounts/devices.py).
        ("authtoken", "view_tokenproxy"),
        ("authtoken", "delete_tokenproxy"),
    ],
    # Checks implausible readings in the review queue and enters readings from paper or calls.
    "Перевірка показів": [
        ("accounts", "view_personalaccount"),
        ("readings", "view_meter"),
        ("readings", "view_reading"),
        ("readings", "add_reading"),
        ("readings", "change_reading"),
        ("readings", "view_readingdecision"),
    ],
    # Prices, norms, charge runs, invoices and payments.
    "Білінг": [
        ("accounts", "view_personalaccount"),
        ("accounts", "change_personalaccount"),
        ("readings", "view_meter"),
        ("readings", "view_reading"),
        ("billing", "view_tariff"),
        ("billing", "add_tariff"),
        ("billing", "change_tariff"),
        ("billing", "view_norm"),
        ("billing", "add_norm"),
        ("billing", "change_norm"),
        ("billing", "view_billingrun"),
        ("billing", "add_billingrun"),
        ("billing", "view_charge"),
        ("billing", "view_invoice"),
        ("billing", "change_invoice"),
        ("billing", "view_payment"),
        ("billing", "add_payment"),
        ("billing", "change_payment"),
        ("billing", "view_printbatch"),
        ("billing", "add_printbatch"),
        ("billing", "change_printbatch"),
    ],
}


def staff_roles_apply(group_model, permission_model) -> dict[str, int]:
    """Create the groups and give them their permissions; returns permissions per group.

    Takes the models so that a migration can pass its historical ones. A permission that does not exist
    (a model renamed or not there yet) is skipped rather than failing a deploy.
    """
    granted = {}
    for name, wanted in STAFF_ROLES.items():
        group, _ = group_model.objects.get_or_create(name=name)
        permissions = [
            permission
            for app_label, codename in wanted
            for permission in permission_model.objects.filter(content_type__app_label=app_label, codename=codename)
        ]
        group.permissions.add(*permissions)
        granted[name] = len(permissions)
    return granted
