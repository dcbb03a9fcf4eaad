"""gunicorn settings for Nexus: ``gunicorn -c deploy/gunicorn.conf.py`` (docs/deploy.md).

Tuned with GUNICORN_* environment variables (in /etc/nexus/nexus.env under systemd), not
NEXUS_* ones: every NEXUS_* variable becomes a setting of the app itself.
"""
import os
from pathlib import Path


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


def _default_workers() -> int:
    """2 x cores + 1, the usual rule for sync workers, capped: each worker holds its own
    database connections, and a small VM reports more cores than it has memory for."""
    return min(2 * (os.cpu_count() or 1) + 1, 8)


# The app is started from the checkout, so `wsgi:app` and instance/ resolve from any folder.
chdir = str(Path(__file__).resolve().parent.parent)
wsgi_app = "wsgi:app"

# nginx on the same machine proxies to this address; never expose gunicorn directly.
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = _int("GUNICORN_WORKERS", _int("WEB_CONCURRENCY", _default_workers()))
# More than one thread switches to the gthread worker: a request waiting on the database
# does not hold up the whole process.
threads = _int("GUNICORN_THREADS", 2)
worker_class = "gthread" if threads > 1 else "sync"

# A request taking longer than this is stuck: its worker is killed and replaced.
timeout = _int("GUNICORN_TIMEOUT", 30)
# On restart or reload, requests in flight get this long to finish.
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = 5
# Recycle workers now and then, so that a slow leak never becomes an outage.
max_requests = _int("GUNICORN_MAX_REQUESTS", 2000)
max_requests_jitter = max_requests // 10

# Heartbeat files on a disk can stall workers; use memory when it is there (systemd's
# PrivateDevices keeps /dev/shm).
if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK):
    worker_tmp_dir = "/dev/shm"

# Only nginx (on this machine) may say a request came over HTTPS. The app's own
# NEXUS_PROXY_FIX decides what it believes of X-Forwarded-For/-Proto/-Host.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

# The app logs every request itself (logger "nexus.request", NEXUS_LOG_FORMAT), so
# gunicorn's access log would only repeat it. Its own messages go to stderr: the journal.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "info")
proc_name = "nexus"
