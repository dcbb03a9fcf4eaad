"""The JSON API's edge: who is calling (a bearer token or the session cookie), CSRF for
cookie sessions only, rate limits per token, and problem documents (RFC 9457).

Requests under ``/api/`` are authenticated here, before the access check
(``wiki.web.access``), which then decides with the same RULES as for every other route:

- ``Authorization: Bearer <token>``: the token's user, with at most the token's scope
  ("read" acts as a reader). The session cookie is then ignored, and so is CSRF: a browser
  never adds that header to a cross-site request by itself. A token that is unknown,
  expired or revoked is a 401, never an anonymous visit.
- otherwise the session cookie, as on any page; a write needs the CSRF token in an
  ``X-CSRFToken`` header (``GET /api/v1/session`` gives it to same-origin JavaScript).
"""
from flask import Flask, Response, g, json, request
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import Unauthorized

from wiki.core.api.problems import MEDIA_TYPE, problem
from wiki.extensions import csrf
from wiki.services import apitokens as tokens, webhooks
from wiki.services.errors import BodyTooLarge, DomainError
from wiki.web import outages, ratelimit
from wiki.web.requestlog import USER_KEY

API_PREFIX = "/api/"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def is_api_request() -> bool:
    """Whether this request is one for the JSON API (its errors are problem documents)."""
    return request.path.startswith(API_PREFIX)


def problem_response(status: int, detail: str = "", headers=None, **extra) -> Response:
    """A problem document as a response, with ``application/problem+json``."""
    body = json.dumps(problem(status, detail, **extra))
    response = Response(body, status=status, mimetype=MEDIA_TYPE, headers=headers)
    response.headers["Cache-Control"] = "no-store"
    return response


class TokenRefused(Unauthorized):
    """401 for a missing, malformed, unknown, expired or revoked bearer token."""

    def __init__(self, description: str):
        super().__init__(description=description, www_authenticate=None)

    def get_headers(self, environ=None, scope=None):
        return [*super().get_headers(environ, scope), ("WWW-Authenticate", 'Bearer realm="nexus"')]


def token_scope() -> str | None:
    """The scope of this request's bearer token, or None for a cookie session."""
    token = g.get("api_token")
    return token.scope if token is not None else None


def register(app: Flask) -> None:
    """Authenticate API requests; registered before ``wiki.web.access``, which then decides.
    Cross-origin calls (CORS) only from CORS_ORIGINS, and never with credentials."""
    app.before_request(_authenticate)
    webhooks.configure(webhooks.Settings(allow_private=bool(app.config["WEBHOOKS_ALLOW_PRIVATE"]),
                                         timeout=float(app.config["WEBHOOKS_TIMEOUT"]),
                                         ca_file=app.config["WEBHOOKS_CA_FILE"] or None))
    origins = app.config["CORS_ORIGINS"]
    if isinstance(origins, str):  # NEXUS_CORS_ORIGINS=https://a.example,https://b.example
        origins = [origin.strip() for origin in origins.split(",") if origin.strip()]
    if "*" in origins:
        raise RuntimeError("CORS_ORIGINS may not contain '*': name the origins allowed to call the API.")
    if origins:
        from flask_cors import CORS

        # supports_credentials=False: other sites send bearer tokens; the session cookie (and
        # so anything CSRF protects) is never usable cross-origin.
        CORS(app, resources={r"/api/*": {"origins": list(origins)}}, supports_credentials=False,
             allow_headers=["Authorization", "Content-Type", "If-Match"],
             expose_headers=["ETag", "Location", "Retry-After"], methods=["GET", "POST", "PUT"], max_age=600)


def _authenticate():
    if not is_api_request() or request.method == "OPTIONS":
        return None
    header = request.headers.get("Authorization")
    if header is not None:
        scheme, _, secret = header.partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            raise TokenRefused("Send the token as “Authorization: Bearer <token>”.")
        token = tokens.authenticate(secret.strip())
        if token is None:
            raise TokenRefused("This token is unknown, expired or revoked. Make a new one on your account page.")
        g.api_token = token
        g._login_user = token.user  # Flask-Login's current_user for this request: the token's user
        outages.remember_viewer(token.user)
        request.environ[USER_KEY] = token.user.username
        key = f"token:{token.id}"
    elif current_user.is_authenticated:
        if request.method not in SAFE_METHODS and request.endpoint is not None:
            csrf.protect()  # a cookie session: the same CSRF check as every form (X-CSRFToken header)
        key = f"user:{current_user.id}"
    else:  # nobody: reads as an anonymous visitor, writes refused by the access check (401)
        key = f"ip:{ratelimit.client_address()}"
    ratelimit.check_and_hit("API_REQUESTS", key)
    return None


def domain_problem(error: DomainError, status: int) -> Response:
    """A domain error as a problem. The API tells apart a request that does not fit the schema
    (400, with ``errors``) from one that fits it but breaks the wiki's rules: a title with a
    forbidden character, a NUL, a cursor it never gave out (422), and a body over
    MAX_PAGE_BYTES (413)."""
    errors = getattr(error, "errors", None)
    if isinstance(error, BodyTooLarge):
        status = 413
    elif status == 400 and errors is None:
        status = 422
    field = "body" if isinstance(error, BodyTooLarge) else getattr(error, "field", None)
    if errors is None and field:
        errors = [{"field": field, "message": str(error)}]
    extra = {"errors": errors} if errors else {}
    return problem_response(status, str(error), **extra)


def csrf_error_detail(error: CSRFError) -> str:
    return ("This request from a logged-in browser session has no valid CSRF security token: send the one "
            "GET /api/v1/session gives in an X-CSRFToken header, or use a bearer token. Nothing was changed.")
