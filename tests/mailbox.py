"""A real SMTP server for the mail tests: aiosmtpd listening on a free loopback port (its own
thread and event loop), keeping every message it accepts. ``refuse`` makes it answer 451
(a temporary failure), as a server that is overloaded or greylisting does."""
import email
import re
import threading
import time
from email.message import EmailMessage
from email.policy import default

import pytest
from aiosmtpd.controller import Controller

from tests.support import free_port


class Mailbox:
    def __init__(self):
        self.messages: list[EmailMessage] = []
        self.refuse = False
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        if self.refuse:
            return "451 4.3.0 Try again later"
        message = email.message_from_bytes(envelope.content, policy=default)
        message["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        with self.lock:
            self.messages.append(message)
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        with self.lock:
            return [m for m in self.messages if address in m["X-Envelope-To"]]

    def clear(self) -> None:
        with self.lock:
            self.messages.clear()

    def wait_for(self, address: str, count: int = 1, timeout: float = 10) -> list[EmailMessage]:
        """The messages to ``address`` once there are ``count`` (for mail sent by a background thread)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.to(address)
            if len(found) >= count:
                return found
            time.sleep(0.05)
        raise AssertionError(f"{address} got {len(self.to(address))} mail(s), expected {count}")


def parts(message: EmailMessage) -> tuple[str, str]:
    """(plain text, HTML) of a multipart/alternative message."""
    return (message.get_body(preferencelist=("plain",)).get_content(),
            message.get_body(preferencelist=("html",)).get_content())


def link(message: EmailMessage, path_fragment: str) -> str:
    """The first absolute URL in the plain part containing ``path_fragment``."""
    text, _html = parts(message)
    for url in re.findall(r"https?://\S+", text):
        if path_fragment in url:
            return url
    raise AssertionError(f"no link with {path_fragment!r} in:\n{text}")


@pytest.fixture(scope="session")
def smtp():
    """The session's SMTP server: (Mailbox, port)."""
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield mailbox, controller.port
    controller.stop()


@pytest.fixture
def mailbox(smtp):
    box, _port = smtp
    box.clear()
    box.refuse = False
    yield box
    box.refuse = False


PUBLIC_URL = "http://wiki.test"


def mail_config(port: int) -> dict:
    return {"MAIL_URL": f"smtp://127.0.0.1:{port}", "MAIL_FROM": "wiki@example.org", "PUBLIC_URL": PUBLIC_URL}
