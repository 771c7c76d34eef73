"""django-allauth's (and Django's password) texts that our catalogs say as people say them.

allauth ships Ukrainian and Russian, but stiff ("Вже маєте обліковий запис? Тоді будь ласка, увійти", title case
everywhere); our catalogs come first in LOCALE_PATHS, so an entry there replaces allauth's. Listing the texts here
keeps them in our catalogs (`make messages` drops entries it finds in no source).
"""

from django.utils.translation import gettext_noop

# ruff: noqa: E501 (the texts must match allauth's msgids exactly)

ALLAUTH_TEXTS = (
    gettext_noop("Remember Me"),
    gettext_noop("Current Password"),
    gettext_noop("New Password"),
    gettext_noop("New Password (again)"),
    gettext_noop("Password Reset"),
    gettext_noop("Email Address"),
    gettext_noop("Current email"),
    gettext_noop("Changing to"),
    gettext_noop("Change to"),
    gettext_noop("Change Email"),
    gettext_noop("Change Password"),
    gettext_noop(
        "Forgotten your password? Enter your email address below, and we'll send you an email allowing you to reset it."
    ),
    gettext_noop("Reset My Password"),
    gettext_noop("Please contact us if you have any trouble resetting your password."),
    gettext_noop(
        "We have sent you an email. If you have not received it please check your spam folder. Otherwise contact us if you do not receive it in a few minutes."
    ),
    gettext_noop("Sign Up"),
    gettext_noop("Already have an account? Then please %(link)ssign in%(end_link)s."),
    gettext_noop("If you have not created an account yet, then please %(link)ssign up%(end_link)s first."),
    gettext_noop("Verify Your Email Address"),
    gettext_noop(
        "We have sent an email to you for verification. Follow the link provided to finalize the signup process. If you do not see the verification email in your main inbox, check your spam folder. Please contact us if you do not receive the verification email within a few minutes."
    ),
    gettext_noop(
        "We have sent an email to you for\nverification. Please click on the link inside that email. If you do not see the verification email in your main inbox, check your spam folder. Otherwise\ncontact us if you do not receive it within a few minutes."
    ),
    gettext_noop("The email address and/or password you specified are not correct."),
    gettext_noop("You must type the same password each time."),
    gettext_noop("Your password can’t be entirely numeric."),
    gettext_noop("Please Confirm Your Email Address"),
    gettext_noop("Password Reset Email"),
    gettext_noop("Email Changed"),
    gettext_noop("Email Removed"),
    gettext_noop("Password Changed"),
    gettext_noop("Password Set"),
    gettext_noop("Account Already Exists"),
    gettext_noop("Unknown Account"),
    gettext_noop("Confirm Email Address"),
    gettext_noop(
        'Please confirm that <a href="mailto:%(email)s">%(email)s</a> is an email address for user %(user_display)s.'
    ),
    gettext_noop(
        'This email confirmation link expired or is invalid. Please <a href="%(email_url)s">issue a new email confirmation request</a>.'
    ),
    gettext_noop("Bad Token"),
    gettext_noop(
        'The password reset link was invalid, possibly because it has already been used.  Please request a <a href="%(passwd_reset_url)s">new password reset</a>.'
    ),
    gettext_noop("Set Password"),
)
