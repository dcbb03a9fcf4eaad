"""Webhooks: an admin subscribes a URL; saves, renames and deletes are delivered by the job
queue to a real HTTP receiver on this machine, signed with HMAC-SHA256, retried when the
receiver fails, logged; targets on private addresses are refused (SSRF)."""
import json
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.conftest import post_form
from tests.services.test_jobs import drain
from wiki.core.api import addresses, signing
from wiki.extensions import db
from wiki.models import User, Webhook, WebhookDelivery
from wiki.services import webhooks
from wiki.services.errors import InvalidInput

SECRET = "a shared secret of some length"


class Receiver:
    """A local HTTP server that answers with the planned statuses (then 200) and keeps what it got."""

    def __init__(self, statuses=()):
        self.statuses = list(statuses)
        self.received: list[tuple[dict, bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append((dict(self.headers), body))
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, host="127.0.0.1", path="/hook"):
        return f"http://{host}:{self.port}{path}"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    made = []

    def make(statuses=()):
        made.append(Receiver(statuses))
        return made[-1]

    yield make
    for r in made:
        r.close()


@pytest.fixture
def app_config():
    return {"JOBS_QUEUE_URL": "memory://", "JOBS_QUEUE_NAME": f"test-{uuid.uuid4().hex[:8]}",
            "JOBS_WORKER_THREADS": 0, "JOBS_SWEEP_SECONDS": 0, "JOBS_MAX_ATTEMPTS": 3,
            "WEBHOOKS_ALLOW_PRIVATE": True, "WEBHOOKS_TIMEOUT": 5}


@pytest.fixture
def admin(make_user, login):
    user = make_user("boss", role="admin")
    login(user)
    return user


def add_hook(app, admin, url, events=("page.saved", "page.renamed", "page.deleted")):
    with app.app_context():
        return webhooks.create_webhook(db.session.get(User, admin.id), url, SECRET, list(events),
                                       allow_private=True).id


def deliveries(app):
    with app.app_context():
        return [(d.event, d.state, d.attempts, d.status_code)
                for d in db.session.scalars(db.select(WebhookDelivery).order_by(WebhookDelivery.id))]


def test_an_admin_adds_a_webhook_on_its_page(app, client, admin, receiver):
    r = receiver()
    response = post_form(client, "/-/admin/webhooks", {"url": r.url(), "secret": SECRET, "events": ["page.saved"]})
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert r.url() in page and "Nothing was sent yet" in page
    assert "page.saved" in client.get("/-/admin/webhooks").get_data(as_text=True)


def test_a_save_is_delivered_signed_and_logged(app, client, admin, receiver, make_page):
    r = receiver()
    add_hook(app, admin, r.url())
    make_page("Plan", "first", admin)
    assert r.received == []  # nothing is sent inside the save: a job does it
    drain(app)
    [(headers, body)] = r.received
    assert signing.verify(SECRET, body, headers["X-Nexus-Signature"])
    assert not signing.verify("another secret entirely", body, headers["X-Nexus-Signature"])
    assert headers["X-Nexus-Event"] == "page.saved" and headers["Host"] == f"127.0.0.1:{r.port}"
    event = json.loads(body)
    assert event["event"] == "page.saved" and event["actor"] == "boss"
    assert event["page"] == {"title": "Plan", "revision": 1}
    assert deliveries(app) == [("page.saved", "delivered", 1, 200)]
    with app.app_context():
        hook_id = db.session.scalar(db.select(Webhook.id))
    log = client.get(f"/-/admin/webhooks/{hook_id}").get_data(as_text=True)
    assert "page.saved" in log and "delivered" in log


def test_renames_and_deletes_are_delivered_to_those_subscribed(app, client, admin, receiver, make_page):
    saved_only, moves = receiver(), receiver()
    add_hook(app, admin, saved_only.url(), ["page.saved"])
    add_hook(app, admin, moves.url(), ["page.renamed", "page.deleted"])
    make_page("Plan", "first", admin)
    post_form(client, "/wiki/Plan/-/rename", {"new_title": "Roadmap"})
    post_form(client, "/wiki/Roadmap/-/delete", {})
    drain(app)
    assert [json.loads(body)["event"] for _h, body in saved_only.received] == ["page.saved"]
    events = [json.loads(body) for _h, body in moves.received]
    assert [(e["event"], e["page"]) for e in events] == [
        ("page.renamed", {"title": "Roadmap", "old_title": "Plan"}), ("page.deleted", {"title": "Roadmap"})]


def test_a_failing_receiver_is_retried_until_it_accepts(app, admin, receiver, make_page):
    r = receiver([500, 503])
    add_hook(app, admin, r.url(), ["page.saved"])
    make_page("Plan", "first", admin)
    drain(app)
    assert len(r.received) == 3
    assert r.received[0][1] == r.received[2][1]  # the same body, byte for byte, each time
    assert deliveries(app) == [("page.saved", "delivered", 3, 200)]


def test_a_receiver_that_never_accepts_fails_after_the_last_attempt(app, client, admin, receiver, make_page):
    r = receiver([500, 500, 500])
    hook_id = add_hook(app, admin, r.url(), ["page.saved"])
    make_page("Plan", "first", admin)
    drain(app)
    assert deliveries(app) == [("page.saved", "failed", 3, 500)]
    log = client.get(f"/-/admin/webhooks/{hook_id}").get_data(as_text=True)
    assert "the receiver answered 500" in log
    assert "webhook" in client.get("/-/admin/jobs").get_data(as_text=True)  # kept failed, with Retry


def test_a_hostname_is_resolved_once_and_the_host_header_kept(app, admin, receiver, make_page):
    r = receiver()
    add_hook(app, admin, r.url(host="localhost"), ["page.saved"])
    make_page("Plan", "first", admin)
    drain(app)
    [(headers, _body)] = r.received
    assert headers["Host"] == f"localhost:{r.port}"


@pytest.mark.parametrize("address, kind", [
    ("127.0.0.1", "loopback"), ("::1", "loopback"), ("::ffff:127.0.0.1", "loopback"),
    ("10.1.2.3", "private"), ("192.168.0.10", "private"), ("172.16.5.4", "private"), ("fd00::1", "private"),
    ("169.254.169.254", "link-local"), ("fe80::1", "link-local"), ("0.0.0.0", "unspecified"),
    ("224.0.0.1", "multicast"), ("240.0.0.1", "private"), ("100.64.0.1", "reserved"),
    ("93.184.216.34", "public"), ("2606:4700::1111", "public"),
])
def test_addresses_are_classified(address, kind):
    assert addresses.classify(address) == kind


@pytest.mark.parametrize("url", ["http://127.0.0.1:9/hook", "http://[::1]/hook", "http://localhost/hook",
                                 "http://169.254.169.254/latest/meta-data", "http://10.0.0.7/x",
                                 "http://0.0.0.0/", "http://[::ffff:7f00:1]/"])
def test_private_targets_are_refused_unless_allowed(app, make_user, url):
    boss = make_user("boss", role="admin")
    with app.app_context():
        with pytest.raises(InvalidInput, match="refused unless an administrator sets WEBHOOKS_ALLOW_PRIVATE"):
            webhooks.create_webhook(db.session.get(User, boss.id), url, SECRET, ["page.saved"], allow_private=False)
        assert db.session.scalar(db.select(db.func.count()).select_from(Webhook)) == 0


@pytest.mark.parametrize("url, message", [("ftp://example.org/", "http:// or https://"),
                                          ("http://user:pw@example.org/", "user name or password"),
                                          ("http://exa mple.org:99999/", "not a valid URL")])
def test_urls_that_are_not_webhook_targets_are_refused(app, make_user, url, message):
    boss = make_user("boss", role="admin")
    with app.app_context(), pytest.raises(InvalidInput, match=message):
        webhooks.create_webhook(db.session.get(User, boss.id), url, SECRET, ["page.saved"], allow_private=False)


def test_the_admin_form_says_why_a_target_is_refused(app, client, admin):
    app.config["WEBHOOKS_ALLOW_PRIVATE"] = False
    response = post_form(client, "/-/admin/webhooks", {"url": "http://127.0.0.1:9/", "secret": SECRET,
                                                       "events": ["page.saved"]})
    assert response.status_code == 400
    assert "loopback address" in response.get_data(as_text=True)


def test_a_target_that_turns_private_after_it_was_added_is_refused_at_delivery(app, admin, receiver, make_page):
    """Checked again at every attempt, on the address actually connected to."""
    r = receiver()
    add_hook(app, admin, r.url(), ["page.saved"])
    webhooks.configure(webhooks.Settings(allow_private=False, timeout=5))
    try:
        make_page("Plan", "first", admin)
        drain(app)
    finally:
        webhooks.configure(webhooks.Settings(allow_private=True, timeout=5))
    assert r.received == []
    with app.app_context():
        delivery = db.session.scalar(db.select(WebhookDelivery))
        assert delivery.state == "failed" and "loopback" in delivery.error and delivery.attempts == 1


def test_deleting_a_webhook_removes_its_log(app, client, admin, receiver, make_page):
    r = receiver()
    hook_id = add_hook(app, admin, r.url(), ["page.saved"])
    make_page("Plan", "first", admin)
    drain(app)
    assert post_form(client, f"/-/admin/webhooks/{hook_id}/delete", {}, form_url="/-/admin/webhooks").status_code == 303
    assert deliveries(app) == []
    assert client.get(f"/-/admin/webhooks/{hook_id}").status_code == 404


# --- https: the checked address is connected to, the URL's host is the TLS name ---

def _certificate(folder, name: str):
    """A self-signed certificate for ``name`` (as subject and DNS name), made by openssl."""
    import subprocess

    key, cert = folder / f"{name}.key", folder / f"{name}.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", f"/CN={name}",
                    "-addext", f"subjectAltName=DNS:{name}", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    return key, cert


@pytest.fixture
def tls_receiver(tmp_path):
    import ssl

    made = []

    def make(name="localhost"):
        key, cert = _certificate(tmp_path, name)
        r = Receiver()
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        r.server_names = []
        context.sni_callback = lambda sock, server_name, ctx: r.server_names.append(server_name)
        r.server.socket = context.wrap_socket(r.server.socket, server_side=True)
        r.cert = str(cert)
        made.append(r)
        return r

    yield make
    for r in made:
        r.close()


def test_an_https_delivery_sends_the_host_as_tls_name_and_checks_its_certificate(app, admin, tls_receiver, make_page):
    r = tls_receiver("localhost")
    add_hook(app, admin, f"https://localhost:{r.port}/hook", ["page.saved"])
    webhooks.configure(webhooks.Settings(allow_private=True, timeout=5, ca_file=r.cert))
    try:
        make_page("Plan", "first", admin)
        drain(app)
    finally:
        webhooks.configure(webhooks.Settings(allow_private=True, timeout=5))
    [(headers, body)] = r.received
    assert r.server_names[0] == "localhost"  # SNI: the URL's host, though it connected to 127.0.0.1
    assert headers["Host"] == f"localhost:{r.port}" and signing.verify(SECRET, body, headers["X-Nexus-Signature"])
    assert deliveries(app) == [("page.saved", "delivered", 1, 200)]


def test_an_https_receiver_whose_certificate_names_another_host_is_not_trusted(app, admin, tls_receiver, make_page):
    r = tls_receiver("elsewhere.example")
    add_hook(app, admin, f"https://localhost:{r.port}/hook", ["page.saved"])
    webhooks.configure(webhooks.Settings(allow_private=True, timeout=5, ca_file=r.cert))
    try:
        make_page("Plan", "first", admin)
        drain(app)
    finally:
        webhooks.configure(webhooks.Settings(allow_private=True, timeout=5))
    assert r.received == []
    with app.app_context():
        delivery = db.session.scalar(db.select(WebhookDelivery))
        assert delivery.state == "failed" and "certificate" in delivery.error.lower()


def test_a_new_thread_and_a_reply_are_delivered_as_comment_created(app, client, admin, receiver, make_page):
    from wiki.services import discussions, pages as page_service

    r = receiver()
    add_hook(app, admin, r.url(), events=("comment.created",))
    make_page("Plan", "# Plan\n\n## Steps\n\none\n", admin)
    with app.app_context():
        author = db.session.get(User, admin.id)
        thread = discussions.start_thread(page_service.find_page("Plan"), author, "Why this order?", "steps")
        thread_id = thread.id
        discussions.reply(db.session.get(type(thread), thread_id), author, "Because of the locks.")
    drain(app)
    events = [json.loads(body) for _headers, body in r.received]
    assert [e["event"] for e in events] == ["comment.created", "comment.created"]  # not the save: not subscribed
    assert [e["page"]["thread"] for e in events] == [thread_id, thread_id]
    assert events[0]["page"]["section"] == "steps" and events[0]["page"]["title"] == "Plan"
    assert events[0]["page"]["comment"] != events[1]["page"]["comment"]
    assert all(signing.verify(SECRET, body, headers["X-Nexus-Signature"]) for headers, body in r.received)
