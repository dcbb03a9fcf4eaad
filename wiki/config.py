"""Default configuration. Overridden by instance/config.py, then NEXUS_* environment variables."""


class Defaults:
    # None means: SQLite at instance/wiki.db (filled in by create_app).
    SQLALCHEMY_DATABASE_URI = None
    # None means: generated once and kept in instance/secret_key.
    SECRET_KEY = None

    # Largest page body accepted, in bytes of UTF-8.
    MAX_PAGE_BYTES = 1024 * 1024
    # Requests larger than this are cut off before they are read at all. It is well above
    # MAX_PAGE_BYTES so that an oversized body still reaches the edit view, which can
    # answer 413 with the user's text in the form instead of losing it.
    MAX_CONTENT_LENGTH = 8 * 1024 * 1024
    MAX_FORM_MEMORY_SIZE = 8 * 1024 * 1024
    MAX_SUMMARY_LENGTH = 300

    HISTORY_PAGE_SIZE = 50

    # --- Access (wiki/web/access.py) ---
    # What visitors who are not logged in may do: "read" or "none" (log in to read).
    ANONYMOUS_ACCESS = "read"
    # Role of a newly registered account: "editor", or "reader" until an admin promotes it.
    NEW_ACCOUNT_ROLE = "editor"
    # Who may register: "open" (anyone), "invite" (admin-made links only) or "closed".
    REGISTRATION = "open"
    INVITATION_DAYS = 7  # how long an invitation link works

    # --- Passwords ---
    MIN_PASSWORD_LENGTH = 10
    # werkzeug's generate_password_hash method; stored hashes made with another method are
    # upgraded transparently at the user's next successful login.
    PASSWORD_HASH_METHOD = "scrypt"

    # --- Rate limits (Flask-Limiter; "N per minute/hour", several separated by ";") ---
    # memory:// counts per process; give several workers one shared store: redis://host:6379/0
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_STRATEGY = "moving-window"
    RATELIMIT_KEY_PREFIX = "nexus"
    RATELIMIT_ENABLED = True
    LOGIN_FAILURES_PER_ACCOUNT = "5 per minute; 20 per hour"
    LOGIN_FAILURES_PER_IP = "20 per minute; 100 per hour"
    REGISTRATIONS_PER_IP = "5 per hour"
    SAVES_PER_USER = "30 per minute; 600 per hour"
    PREVIEWS_PER_USER = "60 per minute; 1000 per hour"  # each renders up to MAX_PAGE_BYTES
    COMPLETIONS_PER_USER = "120 per minute; 3000 per hour"  # the editor's [[ completions (issue 18)
    # "Forgot password?" requests (each may send a mail), per network address and per account
    PASSWORD_RESETS_PER_IP = "5 per 15 minutes; 20 per day"
    PASSWORD_RESETS_PER_ACCOUNT = "3 per hour"
    # Discussions (issue 16): new threads, replies and comment edits per account.
    COMMENTS_PER_USER = "10 per minute; 200 per day"
    COMMENT_MAX_BYTES = 64 * 1024  # a comment's Markdown; rendered within the pages' budgets

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    # Set NEXUS_SESSION_COOKIE_SECURE=true when served over HTTPS.
    SESSION_COOKIE_SECURE = False

    WTF_CSRF_TIME_LIMIT = None  # a long edit must not expire its form token

    # Each worker keeps the page views it rendered for visitors who are not logged in, up to
    # this many bytes (wiki/web/caching.py); a hit costs one small query. 0 turns it off.
    PAGE_CACHE_BYTES = 16 * 1024 * 1024

    # --- Jobs (wiki/jobqueue): work beyond the request's own page, e.g. re-rendering linking pages ---
    # None: a SQLite queue in instance/jobs.db, run by JOBS_WORKER_THREADS threads in each app
    # process. redis://host:6379/1 for several app servers, with `flask jobs-worker` processes
    # (and JOBS_WORKER_THREADS = 0). "immediate": run each job in the request, after its commit.
    JOBS_QUEUE_URL = None
    JOBS_QUEUE_NAME = "nexus"
    JOBS_WORKER_THREADS = 1
    JOBS_MAX_ATTEMPTS = 5  # then the job is kept as failed, for /-/admin/jobs
    JOBS_LEASE_SECONDS = 60  # a running job whose worker is silent this long is taken over
    JOBS_SWEEP_SECONDS = 30  # how often workers look for jobs to send again
    JOBS_BATCH = 100  # pages per transaction of a fan-out job

    # --- Mail (issue 15: notifications, address verification, password reset) ---
    # None: no mail at all; notifications are shown in the app only. "smtp://host:587?starttls=1",
    # "smtp://user:password@host:25" or "smtps://host:465" (TLS from the start). Needs
    # PUBLIC_URL (links in mail are absolute) and MAIL_FROM. Mail is sent by jobs, retried.
    MAIL_URL = None
    MAIL_FROM = None  # the sender, e.g. "wiki@example.org" or "Nexus <wiki@example.org>"
    MAIL_USERNAME = None  # instead of the user and password in MAIL_URL
    MAIL_PASSWORD = None
    MAIL_STARTTLS = None  # True/False overrides MAIL_URL's ?starttls=
    MAIL_TIMEOUT = 10  # seconds per SMTP connection
    MAIL_BATCH_MINUTES = 15  # "immediate" mail: at most one mail per page per this many minutes
    MAIL_DIGEST_HOUR = 7  # the daily digest goes out at the first sweep after this hour (UTC)

    SQLALCHEMY_ENGINE_OPTIONS = {}
    # A pooled connection idle longer than this many seconds is tested ("SELECT 1") before a
    # request uses it, so one the database dropped meanwhile (a restart, an idle timeout) is
    # replaced instead of failing that request. One busy enough to be back within this time
    # is used at once: SQLAlchemy's pool_pre_ping tested every checkout, one more round trip
    # to PostgreSQL on every page view (wiki.web.outages, bench/RESULTS.md). 0: test always.
    DATABASE_PING_AFTER_IDLE = 1.0
    SITE_NAME = "Nexus"

    # The wiki's address, e.g. "https://wiki.example.org" (scheme and host, no path): absolute
    # URLs (feed ids and links, invitation links) are built from it, never from the Host
    # header a client sent. None: from SERVER_NAME, or the request's host if TRUSTED_HOSTS
    # is set, else feeds link relatively. Redirects are always relative (wiki/web/hosts.py).
    PUBLIC_URL = None
    # Flask's: host names requests may be sent to (e.g. ["wiki.example.org", "127.0.0.1"]);
    # a request for any other is refused with 400. None: any (nginx refuses the others).
    TRUSTED_HOSTS = None

    # Serving (docs/deploy.md). How many reverse proxies in front of the app to trust for
    # X-Forwarded-For/-Proto/-Host: 0 = none (the app faces clients), 1 = nginx, ...
    PROXY_FIX = 0
    # Request log lines on the "nexus.request" logger: "plain" text or "json" (one object
    # a line), at REQUEST_LOG_LEVEL (DEBUG adds static files and /healthz polls).
    LOG_FORMAT = "plain"
    REQUEST_LOG_LEVEL = "INFO"
    # While the database is unreachable every request is answered 503 with the wiki's own
    # page (the user's input kept in its form) and this Retry-After, in seconds.
    OUTAGE_RETRY_AFTER = 5

    # Starter pages loaded by `flask load-starter` (run by `make run`): a folder of Markdown
    # files imported as the inactive user "Nexus". None means <repository>/content/hub, which
    # may be absent; a folder set here must exist. NEXUS_STARTER_CONTENT=false turns it off.
    STARTER_CONTENT = True
    STARTER_CONTENT_DIR = None

    # --- Files and images (issue 14; wiki/services/files.py) ---
    # Where file contents live: "filesystem" (content-addressed under FILES_DIR) or "database"
    # (in the blobs table: no shared disk needed when several app servers run).
    FILES_STORAGE = "filesystem"
    FILES_DIR = None  # None means <instance>/files
    MAX_FILE_BYTES = 10 * 1024 * 1024  # larger uploads answer 413 and nothing is stored
    FILE_UPLOADS_PER_USER = "30 per minute; 300 per hour"
    FILE_QUOTA_BYTES_PER_USER = 500 * 1024 * 1024  # bytes of versions a user may upload; 0: no quota
    # --- The JSON API and webhooks (issue 17; docs/api.md) ---
    # Requests to /api/ per bearer token (or per logged-in user, or per address for visitors).
    API_REQUESTS = "300 per minute; 5000 per hour"
    # Origins allowed to call /api/ from other sites' JavaScript (CORS), e.g.
    # ["https://app.example.org"]; empty: none. Credentials (the session cookie) are never
    # sent cross-origin: other sites authenticate with bearer tokens.
    CORS_ORIGINS = []
    # Webhook targets on loopback, private, link-local or reserved addresses are refused
    # (SSRF protection) unless this is true (e.g. a receiver on the same machine).
    WEBHOOKS_ALLOW_PRIVATE = False
    WEBHOOKS_TIMEOUT = 10  # seconds to connect and to wait for the receiver's answer
    # A PEM file of certificates to trust for https:// receivers (an internal CA); None: the system's.
    WEBHOOKS_CA_FILE = None
