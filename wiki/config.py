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

    # Who may edit: "user" = any logged-in account.
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    # Set NEXUS_SESSION_COOKIE_SECURE=true when served over HTTPS.
    SESSION_COOKIE_SECURE = False

    WTF_CSRF_TIME_LIMIT = None  # a long edit must not expire its form token

    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    SITE_NAME = "Nexus"

    # Starter pages loaded by `flask load-starter` (run by `make run`): a folder of Markdown
    # files imported as the inactive user "Nexus". None means <repository>/content/hub, which
    # may be absent; a folder set here must exist. NEXUS_STARTER_CONTENT=false turns it off.
    STARTER_CONTENT = True
    STARTER_CONTENT_DIR = None
