"""Mail as values: the MAIL_URL setting parsed, and messages built (plain text and HTML).

No sending here (``wiki.services.mail`` talks SMTP): a message is an ``EmailMessage`` made
from plain values, so what a notification mail says is tested without a server.
"""
import html
import re
from dataclasses import dataclass, field
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from datetime import datetime
from urllib.parse import parse_qs, unquote, urlsplit

# Deliberately simple: one "@", a dot in the domain, no spaces or angle brackets. The only
# real check of an address is the verification mail.
EMAIL_RE = re.compile(r"^[^@\s<>,;\"']{1,64}@[^@\s<>,;\"'.]+(\.[^@\s<>,;\"'.]+)+$")
MAX_EMAIL_LENGTH = 254


class InvalidMailSetting(ValueError):
    """MAIL_URL (or its companions) cannot be used."""


def clean_email(value: str) -> str:
    """The address trimmed, or ValueError with a message for the form."""
    value = (value or "").strip()
    if len(value) > MAX_EMAIL_LENGTH or not EMAIL_RE.match(value):
        raise ValueError("That is not a mail address: it looks like name@example.org.")
    return value


@dataclass(frozen=True)
class MailServer:
    """Where and how to send: ``smtp://host:port`` (optionally ``?starttls=1``) or
    ``smtps://host:port`` (TLS from the first byte), user and password from the URL or given."""

    host: str
    port: int
    tls: bool = False  # smtps://
    starttls: bool = False
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout: float = 10.0


def parse_mail_url(url: str, username: str | None = None, password: str | None = None,
                   starttls: bool | None = None, timeout: float = 10.0) -> MailServer:
    """MAIL_URL as a MailServer; the separate settings win over what the URL says."""
    parts = urlsplit(url or "")
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise InvalidMailSetting(f"MAIL_URL must look like smtp://host:port or smtps://host:port, not {url!r}")
    try:
        port = parts.port or (465 if parts.scheme == "smtps" else 25)
    except ValueError:
        raise InvalidMailSetting(f"MAIL_URL has an invalid port: {url!r}") from None
    query = parse_qs(parts.query)
    url_starttls = query.get("starttls", ["0"])[-1].lower() in ("1", "true", "yes", "on")
    return MailServer(
        host=parts.hostname, port=port, tls=parts.scheme == "smtps",
        starttls=url_starttls if starttls is None else bool(starttls),
        username=username or (unquote(parts.username) if parts.username else None),
        password=password or (unquote(parts.password) if parts.password else None),
        timeout=timeout,
    )


@dataclass(frozen=True)
class Link:
    label: str
    url: str


@dataclass(frozen=True)
class Mail:
    """What a message says, before it is a message: a subject, paragraphs, links."""

    to: str
    subject: str
    paragraphs: tuple[str, ...]  # plain text; escaped for the HTML part
    links: tuple[Link, ...] = ()
    unsubscribe_url: str | None = None  # one-click (RFC 8058) and in the footer
    footer: str = ""


def build_message(mail: Mail, sender: str, site_name: str, now: datetime) -> EmailMessage:
    """A multipart/alternative message: plain text first, then the same in HTML."""
    message = EmailMessage()
    message["Subject"] = mail.subject
    message["From"] = _address(sender, site_name)
    message["To"] = mail.to
    message["Date"] = format_datetime(now)
    domain = sender.rpartition("@")[2] or "localhost"
    message["Message-ID"] = make_msgid(domain=domain)
    message["Auto-Submitted"] = "auto-generated"  # no vacation replies, please
    if mail.unsubscribe_url:
        message["List-Unsubscribe"] = f"<{mail.unsubscribe_url}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(_plain(mail))
    message.add_alternative(_html(mail, site_name), subtype="html")
    return message


def _address(sender: str, site_name: str):
    """``Site <sender>`` when the setting is a bare address, else as given."""
    if "<" in sender:
        return sender
    user, _, domain = sender.partition("@")
    try:
        return Address(display_name=site_name, username=user, domain=domain)
    except (ValueError, IndexError):
        return sender


def _plain(mail: Mail) -> str:
    lines = []
    for paragraph in mail.paragraphs:
        lines += [paragraph, ""]
    for link in mail.links:
        lines += [f"{link.label}: {link.url}"]
    if mail.links:
        lines.append("")
    lines.append("-- ")
    if mail.footer:
        lines.append(mail.footer)
    if mail.unsubscribe_url:
        lines.append(f"Stop these mails: {mail.unsubscribe_url}")
    return "\n".join(lines) + "\n"


def _html(mail: Mail, site_name: str) -> str:
    e = html.escape
    parts = [f"<!doctype html><html><head><meta charset=\"utf-8\"><title>{e(mail.subject)}</title></head><body>"]
    parts += [f"<p>{e(paragraph)}</p>" for paragraph in mail.paragraphs]
    if mail.links:
        parts.append("<ul>")
        parts += [f'<li><a href="{e(link.url)}">{e(link.label)}</a></li>' for link in mail.links]
        parts.append("</ul>")
    parts.append("<hr>")
    footer = [e(mail.footer)] if mail.footer else []
    if mail.unsubscribe_url:
        footer.append(f'<a href="{e(mail.unsubscribe_url)}">Stop these mails</a>')
    parts.append(f"<p><small>{e(site_name)}{' · ' if footer else ''}{' · '.join(footer)}</small></p>")
    parts.append("</body></html>")
    return "\n".join(parts)
