"""Webhooks: admins subscribe a URL to page events; each event becomes a signed delivery,
sent by the job queue with retries and kept in a delivery log.

- ``emit`` is called by the services that change pages, inside their transaction: the
  deliveries (and their jobs) exist exactly when the change was committed.
- A delivery POSTs the JSON body, signed ``X-Nexus-Signature: sha256=<hex>`` (HMAC-SHA256
  of the exact body bytes with the webhook's secret, wiki.core.api.signing).
- SSRF protection: the host is resolved once per attempt; if any address it resolves to is
  loopback, private, link-local or otherwise not public, the delivery is refused (unless
  ``allow_private``), else the request connects to the checked address itself, with the
  URL's host in the Host header and as the TLS server name, so a DNS answer that changes
  between check and use cannot point it elsewhere. Redirects are not followed.
"""
import http.client
import json
import socket
import ssl
from dataclasses import dataclass

from sqlalchemy import select

from wiki.core.api import addresses, signing
from wiki.core.errors import InvalidInput
from wiki.extensions import db
from wiki.models import AuditEvent, Job, Page, User, Webhook, WebhookDelivery, utcnow
from wiki.services import availability, jobs

EVENTS = ("page.saved", "page.renamed", "page.deleted", "comment.created")
DELIVER = "webhook"
MAX_SECRET_LENGTH = 200
USER_AGENT = "Nexus-Webhooks/1"


@dataclass(frozen=True)
class Settings:
    """What a delivery needs from the app's configuration (the job reads it at run time)."""
    allow_private: bool = False
    timeout: float = 10
    ca_file: str | None = None  # certificates to trust for https receivers (None: the system's)


_settings = Settings()


def configure(settings: Settings) -> None:
    """Set at start-up from the WEBHOOKS_* settings (wiki.web.apiauth)."""
    global _settings
    _settings = settings


class Refused(Exception):
    """A delivery that may not be sent (an SSRF refusal): retrying will not help."""


class Failed(Exception):
    """A delivery the receiver did not accept (no answer, or not 2xx): retried."""


def _resolve(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise Failed(f"cannot resolve {host}: {error}") from None
    return list(dict.fromkeys(info[4][0] for info in infos))


def checked_address(url: str, allow_private: bool) -> tuple[str, str, int, str, str]:
    """(scheme, host, port, path, address to connect to) for ``url``, resolved once; Refused
    when any address of the host is not one webhooks may reach."""
    scheme, host, port, path = addresses.check_target(url)
    found = _resolve(host, port)
    for address in found:
        if (why := addresses.refusal(address, allow_private)) is not None:
            raise Refused(why)
    return scheme, host, port, path, found[0]


def create_webhook(actor: User, url: str, secret: str, events: list[str], allow_private: bool) -> Webhook:
    """Subscribe ``url`` to ``events``; InvalidInput for a URL it could never deliver to."""
    url = (url or "").strip()
    addresses.check_target(url)
    if not events or any(event not in EVENTS for event in events):
        raise InvalidInput("Choose at least one of the events: " + ", ".join(EVENTS) + ".", field="events")
    if not 16 <= len(secret or "") <= MAX_SECRET_LENGTH:
        raise InvalidInput(f"The secret must have 16 to {MAX_SECRET_LENGTH} characters.", field="secret")
    try:
        checked_address(url, allow_private)
    except Refused as error:
        raise InvalidInput(str(error), field="url") from None
    except Failed as error:
        raise InvalidInput(f"This URL cannot be reached: {error}.", field="url") from None
    hook = Webhook(url=url, secret=secret, events=",".join(e for e in EVENTS if e in events), created_by_id=actor.id)
    db.session.add(hook)
    db.session.flush()
    db.session.add(AuditEvent(actor_id=actor.id, action="webhook.create", target=url[:255], detail=hook.events))
    availability.commit("the new webhook")
    return hook


def delete_webhook(actor: User, hook: Webhook) -> None:
    url = hook.url
    db.session.execute(db.delete(WebhookDelivery).where(WebhookDelivery.webhook_id == hook.id))
    db.session.delete(hook)
    db.session.add(AuditEvent(actor_id=actor.id, action="webhook.delete", target=url[:255], detail=""))
    availability.commit("the deletion of the webhook")


def listing() -> list[Webhook]:
    return list(db.session.scalars(select(Webhook).order_by(Webhook.id)))


def deliveries(hook: Webhook, limit: int = 100) -> list[WebhookDelivery]:
    """The webhook's newest deliveries first."""
    return list(db.session.scalars(
        select(WebhookDelivery).where(WebhookDelivery.webhook_id == hook.id)
        .order_by(WebhookDelivery.id.desc()).limit(limit)
    ))


def emit(event: str, page: Page, actor: User | None, **details) -> None:
    """Queue a delivery of ``event`` about ``page`` to every webhook subscribed to it, in the
    caller's transaction (the caller commits with jobs.commit)."""
    hooks = [hook for hook in db.session.scalars(select(Webhook).where(Webhook.active.is_(True)))
             if event in hook.events.split(",")]
    for hook in hooks:
        delivery = WebhookDelivery(webhook_id=hook.id, event=event, body="", state="pending")
        db.session.add(delivery)
        db.session.flush()  # its id goes into the body
        delivery.body = json.dumps({
            "event": event, "delivery": delivery.id, "occurred_at": utcnow().isoformat(),
            "actor": actor.username if actor is not None else None,
            "page": {"title": page.title, **details},
        }, sort_keys=True, ensure_ascii=False)
        jobs.enqueue(DELIVER, delivery_id=delivery.id)


def send(url: str, secret: str, body: bytes, delivery_id: int, event: str, settings: Settings) -> int:
    """POST ``body`` to ``url``, signed, through the address checked once; the status code."""
    scheme, host, port, path, address = checked_address(url, settings.allow_private)
    default_port = 443 if scheme == "https" else 80
    host_header = host if port == default_port else f"{host}:{port}"
    if ":" in host and not host.startswith("["):  # an IPv6 literal
        host_header = f"[{host}]" if port == default_port else f"[{host}]:{port}"
    if scheme == "https":
        connection = _PinnedHTTPS(host, address, port, settings.timeout, settings.ca_file)
    else:
        connection = http.client.HTTPConnection(address, port, timeout=settings.timeout)
    headers = {"Host": host_header, "Content-Type": "application/json", "User-Agent": USER_AGENT,
               signing.HEADER: signing.sign(secret, body), "X-Nexus-Event": event,
               "X-Nexus-Delivery": str(delivery_id)}
    try:
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        response.read(64 * 1024)  # a little of the answer; the rest is not ours to wait for
        return response.status
    except (OSError, http.client.HTTPException) as error:
        raise Failed(f"{type(error).__name__}: {error}") from None
    finally:
        connection.close()


class _PinnedHTTPS(http.client.HTTPSConnection):
    """HTTPS to a checked address, with the URL's host as the TLS server name (SNI) and as
    the name the certificate must carry."""

    def __init__(self, host: str, address: str, port: int, timeout: float, ca_file: str | None = None):
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context(cafile=ca_file))
        self._address = address

    def connect(self):
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


@jobs.handler(DELIVER)
def _deliver(job: Job, settings: jobs.Settings) -> None:
    """Send one delivery; every attempt is recorded on it. A refusal or a failure raises, so
    the job is retried with back-off and, after the last attempt, kept as failed."""
    delivery = db.session.get(WebhookDelivery, jobs.payload(job)["delivery_id"])
    if delivery is None or delivery.state == "delivered":
        return  # its webhook was deleted, or a retry of a delivery that went through
    hook = db.session.get(Webhook, delivery.webhook_id)
    delivery.attempts += 1
    delivery.updated_at = utcnow()
    error: Exception | None = None
    try:
        status = send(hook.url, hook.secret, delivery.body.encode("utf-8"), delivery.id, delivery.event, _settings)
    except (Refused, Failed) as problem:
        error, delivery.status_code, delivery.error = problem, None, str(problem)[:2000]
    else:
        delivery.status_code = status
        if 200 <= status < 300:
            delivery.state, delivery.error = "delivered", ""
        else:
            error = Failed(f"the receiver answered {status}")
            delivery.error = str(error)
    if error is not None:
        delivery.state = "failed" if job.attempts >= settings.max_attempts or isinstance(error, Refused) else "pending"
    db.session.commit()  # the attempt is logged whatever happens to the job next
    if error is not None and not isinstance(error, Refused):
        raise error
