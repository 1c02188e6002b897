"""The emails players get, in plain text and HTML, in English and German.

A template is a subject and paragraphs with `$name` placeholders; `render` fills
them in, and writes the HTML part from the same paragraphs with every value
escaped (a username cannot inject markup) and `$link` as an anchor. A language
this module lacks falls back to English, so adding one is adding one entry.
"""

from __future__ import annotations

import html
from string import Template

from server.mail.smtp import Mail

LANGUAGES = ("en", "de")
DEFAULT_LANGUAGE = "en"

# kind -> language -> (subject, paragraphs)
TEMPLATES: dict[str, dict[str, tuple[str, tuple[str, ...]]]] = {
    "verify_email": {
        "en": (
            "Confirm your email address",
            (
                "Hello $username,",
                "please confirm that this is your email address by opening this link:",
                "$link",
                "The link works once and for $hours hours. Until you confirm, you can"
                " deposit and play but not withdraw.",
            ),
        ),
        "de": (
            "Bestätigen Sie Ihre E-Mail-Adresse",
            (
                "Hallo $username,",
                "bitte bestätigen Sie Ihre E-Mail-Adresse mit diesem Link:",
                "$link",
                "Der Link gilt einmal und $hours Stunden lang. Bis zur Bestätigung können"
                " Sie einzahlen und spielen, aber nicht auszahlen.",
            ),
        ),
    },
    "reset_password": {
        "en": (
            "Reset your password",
            (
                "Hello $username,",
                "someone asked to reset the password of your account. To choose a new one,"
                " open this link:",
                "$link",
                "The link works once and for $minutes minutes. If it was not you, ignore"
                " this email: your password stays as it is.",
            ),
        ),
        "de": (
            "Passwort zurücksetzen",
            (
                "Hallo $username,",
                "jemand hat verlangt, das Passwort Ihres Kontos zurückzusetzen. Ein neues"
                " wählen Sie über diesen Link:",
                "$link",
                "Der Link gilt einmal und $minutes Minuten lang. Waren Sie es nicht, ignorieren"
                " Sie diese E-Mail: Ihr Passwort bleibt, wie es ist.",
            ),
        ),
    },
    "password_changed": {
        "en": (
            "Your password was changed",
            (
                "Hello $username,",
                "the password of your account was just changed and every other session"
                " was logged out.",
                "If it was not you, reset your password at once and contact support.",
            ),
        ),
        "de": (
            "Ihr Passwort wurde geändert",
            (
                "Hallo $username,",
                "das Passwort Ihres Kontos wurde soeben geändert, alle anderen Sitzungen"
                " wurden abgemeldet.",
                "Waren Sie es nicht, setzen Sie Ihr Passwort sofort zurück und wenden Sie"
                " sich an den Support.",
            ),
        ),
    },
    "new_device": {
        "en": (
            "New sign-in to your account",
            (
                "Hello $username,",
                "your account was signed in to from a device it had not seen before:",
                "$device, from $address.",
                "If it was not you, change your password and end that session under"
                " Account, Sessions.",
            ),
        ),
        "de": (
            "Neue Anmeldung bei Ihrem Konto",
            (
                "Hallo $username,",
                "Ihr Konto wurde auf einem Gerät angemeldet, das es noch nicht kannte:",
                "$device, von $address.",
                "Waren Sie es nicht, ändern Sie Ihr Passwort und beenden Sie diese Sitzung"
                " unter Konto, Sitzungen.",
            ),
        ),
    },
    "email_changed": {
        "en": (
            "Your email address was changed",
            (
                "Hello $username,",
                "the email address of your account was changed to $new_email. Mail now goes there.",
                "If it was not you, contact support at once.",
            ),
        ),
        "de": (
            "Ihre E-Mail-Adresse wurde geändert",
            (
                "Hallo $username,",
                "die E-Mail-Adresse Ihres Kontos wurde in $new_email geändert. E-Mails"
                " gehen künftig dorthin.",
                "Waren Sie es nicht, wenden Sie sich sofort an den Support.",
            ),
        ),
    },
}


def render(kind: str, language: str, to: str, **values: str) -> Mail:
    """The email `kind` in `language` (English when there is none) to `to`."""
    by_language = TEMPLATES[kind]
    subject, paragraphs = by_language.get(language) or by_language[DEFAULT_LANGUAGE]
    text = "\n\n".join(Template(p).substitute(values) for p in paragraphs)
    escaped = {name: html.escape(value) for name, value in values.items()}
    if "link" in values:
        escaped["link"] = f'<a href="{html.escape(values["link"])}">{escaped["link"]}</a>'
    body = "".join(f"<p>{Template(html.escape(p)).substitute(escaped)}</p>" for p in paragraphs)
    page = f'<!doctype html><html lang="{html.escape(language)}"><body>{body}</body></html>'
    return Mail(to=to, subject=subject, text=text, html=page, kind=kind)
