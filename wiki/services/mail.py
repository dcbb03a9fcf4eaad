"""Sending mail over SMTP (smtplib): plain, STARTTLS or TLS from the start (smtps).

Called by the mail jobs (wiki.services.notifications) only, never in a request: a server
that is down or refuses raises, and the job queue retries the job with back-off.
"""
import smtplib
import ssl
from email.message import EmailMessage

from wiki.core.mail import MailServer


def send(server: MailServer, message: EmailMessage) -> None:
    """Deliver ``message``; raises smtplib.SMTPException or OSError when it could not be."""
    context = ssl.create_default_context()
    if server.tls:
        connection = smtplib.SMTP_SSL(server.host, server.port, timeout=server.timeout, context=context)
    else:
        connection = smtplib.SMTP(server.host, server.port, timeout=server.timeout)
    with connection:
        if server.starttls and not server.tls:
            connection.starttls(context=context)
        if server.username:
            connection.login(server.username, server.password or "")
        connection.send_message(message)
