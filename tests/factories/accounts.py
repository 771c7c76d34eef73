import factory

from accounts.models import AccountLink, District, PersonalAccount, User

PASSWORD = "test-password-2026"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    full_name = "Тарас Шевчук"
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def save_password(self, create, extracted, **kwargs):
        if create:
            self.save(update_fields=["password"])


class DistrictFactory(factory.django.DjangoModelFactory):
    """Kyiv's window by default: last 2 days of the month + first 3 of the next, policy open."""

    class Meta:
        model = District
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"D{n}")
    name = factory.Sequence(lambda n: f"Філія {n}")
    contact_phone = "0 800 300 150"
    window_open_month_offset = 0
    window_open_day = -2
    window_close_month_offset = 1
    window_close_day = 3


class PersonalAccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PersonalAccount

    number = factory.Sequence(lambda n: f"{5000000000 + n}")
    district = factory.SubFactory(DistrictFactory)
    address = factory.Sequence(lambda n: f"м. Київ, вул. Шевченка, буд. {n % 90 + 1}, кв. {n % 200 + 1}")
    holder_name = "Шевчук Тарас"
    residents = 2


class AccountLinkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AccountLink

    user = factory.SubFactory(UserFactory)
    account = factory.SubFactory(PersonalAccountFactory)


def staff_in_role(role: str, **fields) -> User:
    """A staff member in one of the groups of portal/staff_roles.py (created here too: a flushed test
    database has lost the groups the migration made)."""
    from django.contrib.auth.models import Group, Permission

    from portal.staff_roles import staff_roles_apply

    staff_roles_apply(Group, Permission)
    user = UserFactory(is_staff=True, **fields)
    user.groups.add(Group.objects.get(name=role))
    return User.objects.get(pk=user.pk)  # no cached permissions


CONTACT_CENTRE, READING_REVIEWERS, BILLING_STAFF = "Контакт-центр", "Перевірка показів", "Білінг"
