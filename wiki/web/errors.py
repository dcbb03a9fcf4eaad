"""Error responses in one place: HTTP errors, domain errors, CSRF failures, crashes, outages
(answered by wiki.web.outages: 503, the user's input kept, no traceback)."""
from flask import Flask, current_app, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError, SecurityError

from wiki.extensions import db
from wiki.web import apiauth, hosts, outages
from wiki.web.ratelimit import RateLimited
from wiki.services.availability import unavailable
from wiki.services.errors import (Conflict, DomainError, EditConflict, InvalidInput, NotFound, StaleRevision,
                                  Unconfirmed)
from wiki.core.titles import InvalidTitle

DOMAIN_STATUS = ((NotFound, 404), (StaleRevision, 409), (EditConflict, 409), (Conflict, 409), (InvalidInput, 400))

HEADINGS = {
    400: "That request could not be understood",
    403: "Not allowed",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Too large",
    429: "Too many requests",
    500: "Something went wrong",
    503: "Unavailable for a moment",
}


def register(app: Flask) -> None:
    """Install the error handlers on ``app``."""
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(DomainError, _domain_error)
    app.register_error_handler(InvalidTitle, _invalid_title)
    app.register_error_handler(Unconfirmed, outages.answer)
    app.register_error_handler(Exception, _crash)
    outages.register(app)


def error_page(status: int, message: str):
    """The one error page: a heading for the status and a message, never a traceback.
    Under /api/ it is a problem document (RFC 9457), whatever the client accepts."""
    if apiauth.is_api_request():
        return apiauth.problem_response(status, message), status
    if request.accept_mimetypes.best == "application/json" or request.path == "/healthz":
        return {"status": "error", "code": status, "message": message}, status
    try:
        return render_template(
            "errors/error.html", status=status, heading=HEADINGS.get(status, "Error"), message=message
        ), status
    except Exception as error:
        # Rendering loads the user for the header: when the database is unreachable the
        # answer is the outage page (a 404 for a logged-in reader, say, cannot be shown now).
        if unavailable(error) is not None:
            return outages.answer(error), 503
        raise


# endpoint -> function(message) answering a CSRF failure with the form and the user's text in it
_CSRF_RENDERERS = {}


def keeps_text_on_csrf(endpoint: str):
    """Register how a form that carries typed text (the editor, the conflict page) answers a
    missing or stale CSRF token: the form again, the text in it and a fresh token, not a bare
    error page that loses the text."""
    def register(function):
        _CSRF_RENDERERS[endpoint] = function
        return function
    return register


def _csrf_error(error: CSRFError):
    if apiauth.is_api_request():
        return error_page(400, apiauth.csrf_error_detail(error))
    renderer = _CSRF_RENDERERS.get(request.endpoint)
    if renderer is not None and request.method == "POST":
        return renderer("This form has no valid security token (it may be from an old tab or an expired "
                        "session). Nothing was saved; your text is still in the form below, which now has a "
                        "fresh token: save again.")
    return error_page(
        400,
        "This form has no valid security token (it may be from an old tab or an expired "
        "session). Nothing was changed. Go back, reload the page and try again.",
    )


def _http_error(error: HTTPException):
    if isinstance(error, SecurityError):  # a Host not in TRUSTED_HOSTS: no URL can be built for it
        return hosts.refused_host_page()
    original = getattr(error, "original_exception", None)  # a 500 made of an error a handler raised
    if original is not None and unavailable(original) is not None:
        return outages.answer(original)
    if error.code == 413:
        message = "The request is larger than this wiki accepts. Nothing was changed."
    else:
        message = error.description or ""
    body, status = error_page(error.code or 500, message)
    # The exception's own headers belong to the answer: Allow on a 405 (RFC 9110 15.5.6),
    # WWW-Authenticate on a 401. Its Content-Type is that of Werkzeug's page, not ours.
    headers = {name: value for name, value in error.get_headers() if name.lower() != "content-type"}
    if isinstance(error, RateLimited):
        headers["Retry-After"] = str(error.retry_after)
    return body, status, headers


def _domain_error(error: DomainError):
    status = next((code for cls, code in DOMAIN_STATUS if isinstance(error, cls)), 400)
    if apiauth.is_api_request():
        return apiauth.domain_problem(error, status)
    return error_page(status, str(error))


def _invalid_title(error: InvalidTitle):
    return error_page(404, f"No page can have this title: {error}")


def _crash(error: Exception):
    if isinstance(error, HTTPException):
        return _http_error(error)
    if unavailable(error) is not None:  # an outage, not a bug: no traceback (wiki.web.outages)
        return outages.answer(error)
    db.session.rollback()
    # Logged with its traceback for the operator; the user sees only a plain page.
    current_app.logger.exception("Unhandled error on %s %s", request.method, request.path)
    return error_page(500, InternalServerError.description)
