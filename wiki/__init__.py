"""Nexus: a collaborative Markdown wiki. ``create_app()`` builds the Flask application."""
import os
import secrets
from pathlib import Path

from flask import Flask

from wiki.config import Defaults

PACKAGE_DIR = Path(__file__).resolve().parent
MIGRATIONS_DIR = PACKAGE_DIR.parent / "migrations"


def create_app(config: dict | None = None) -> Flask:
    """Build the app: config, extensions, blueprints, error handlers, CLI, headers."""
    app = Flask(
        "wiki",
        instance_relative_config=True,
        template_folder=str(PACKAGE_DIR.parent / "templates"),
        static_folder=str(PACKAGE_DIR.parent / "static"),
    )
    # 1. Configuration: defaults, instance/config.py, NEXUS_* environment, test mapping.
    app.config.from_object(Defaults)
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env("NEXUS")
    if config:
        app.config.update(config)
    os.makedirs(app.instance_path, exist_ok=True)
    if not app.config["SQLALCHEMY_DATABASE_URI"]:
        app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite:///" + os.path.join(app.instance_path, "wiki.db")
    if not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = _instance_secret(Path(app.instance_path) / "secret_key")

    # 2. Extensions.
    from wiki.extensions import csrf, db, include_name, login_manager, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS_DIR), render_as_batch=True,
                    include_name=include_name)
    csrf.init_app(app)
    login_manager.init_app(app)

    # 3. Blueprints, error handlers, CLI, response headers and template helpers.
    from wiki import cli, jobqueue
    from wiki.blueprints import BLUEPRINTS
    from wiki.web import (access, apiauth, caching, common, errors, fragments, frames, hosts, inbox, proxy, ratelimit,
                          readcache, requestlog)

    jobqueue.register(app)  # before the blueprints: their services queue jobs
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
    errors.register(app)
    cli.register(app)
    common.register(app)
    inbox.register(app)  # the header's notification count, the watch button
    fragments.register(app)  # issue 21: per-user parts of page views (the extension point)
    hosts.register(app)  # absolute URLs only from PUBLIC_URL/SERVER_NAME/TRUSTED_HOSTS; relative redirects
    ratelimit.register(app)
    apiauth.register(app)  # bearer tokens and CORS for /api/, before access decides with the token's scope
    access.register(app)  # after every blueprint: it refuses to start with a route it has no rule for
    caching.register(app)  # after access: its cached page views are served to those allowed only
    readcache.register(app)  # after caching: history, diffs, blame, recent changes from the page cache
    frames.register(app)  # issue 21: logged-in page views from a cached frame, after access too
    requestlog.register(app)  # one line per request on the "nexus.request" logger
    proxy.register(app)  # ProxyFix (outermost, so the log sees forwarded addresses)
    return app


def _instance_secret(path: Path) -> str:
    """Read the instance's secret key, creating it (readable by the owner only) on first run."""
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        key = secrets.token_hex(32)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another worker created it first: use theirs
            return path.read_text().strip()
        with os.fdopen(fd, "w") as f:
            f.write(key)
        return key
