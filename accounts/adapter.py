"""django-allauth adapter: signups remember the language, and every email goes through the outbox."""

from dataclasses import dataclass
from urllib.parse import urlsplit

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext

from accounts.languages import path_in_language
from accounts.models import User
from accounts.services import email_enqueue


def _supported(language: str | None) -> str:
    code = (language or "")[:2]
    return code if code in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


class PortalAccountAdapter(DefaultAccountAdapter):
    def save_user(self, request, user, form, commit=True):
        user = super().save_user(request, user, form, commit=False)
        user.preferred_language = _supported(translation.get_language())
        if commit:
            user.save()
        return user

    def get_login_redirect_url(self, request):
        """After logging in from a page in the default language (no language chosen in the address), go on in
        the language the user prefers; a page opened in /ru/ or /en/ was an explicit choice and is kept."""
        url = super().get_login_redirect_url(request)
        preferred = _supported(getattr(request.user, "preferred_language", None))
        in_default = (translation.get_language() or "")[:2] == settings.LANGUAGE_CODE
        if in_default and preferred != settings.LANGUAGE_CODE and url.startswith("/") and not url.startswith("//"):
            return path_in_language(url, preferred)
        return url

    def format_email_subject(self, subject: str) -> str:
        return f"{gettext('Energy portal')}: {subject}"

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        """Render in the recipient's language and record in the outbox instead of sending inline."""
        user = User.objects.filter(email__iexact=email).only("preferred_language").first()
        language = _supported(user.preferred_language if user else translation.get_language())
        request = allauth_context.request
        context = {**context, **_links_in_language(context, language)}
        with translation.override(language):
            full_context = {
                "request": request,
                "email": email,
                "current_site": portal_site(),
                "portal_url": settings.PORTAL_URL,
                "expiry_days": settings.ACCOUNT_EMAIL_CONFIRMATION_EXPIRE_DAYS,
                **context,
            }
            message = self.render_mail(template_prefix, email, full_context)
        html = next(
            (content for content, mimetype in getattr(message, "alternatives", []) if mimetype == "text/html"), ""
        )
        email_enqueue(
            to_email=email,
            subject=message.subject,
            body_text=message.body,
            body_html=html,
            language=language,
            kind=template_prefix.rsplit("/", 1)[-1],
        )


@dataclass(frozen=True)
class Site:
    name: str
    domain: str

    def __str__(self) -> str:
        return self.name


def portal_site() -> Site:
    """What allauth's templates call `current_site`: the portal's name in the current language and the host of
    PORTAL_URL, not the host a request happened to use (emails said "Hello from 127.0.0.1:18110")."""
    return Site(name=gettext("Energy portal"), domain=urlsplit(settings.PORTAL_URL).netloc)


# Links allauth puts into its emails: on PORTAL_URL (as every other email's), in the language of the email.
LINK_KEYS = ("activate_url", "password_reset_url", "signup_url")


def _links_in_language(context: dict, language: str) -> dict:
    links = {}
    for key in LINK_KEYS:
        if context.get(key):
            parts = urlsplit(context[key])
            query = f"?{parts.query}" if parts.query else ""
            links[key] = settings.PORTAL_URL + path_in_language(parts.path, language) + query
    return links
