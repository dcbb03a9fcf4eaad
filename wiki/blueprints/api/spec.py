"""The OpenAPI 3.1 document, generated from the code that validates and answers requests.

Each API view is declared with ``@operation(...)``: its query model, body model and response
models (pydantic). The same declaration validates the request (a bad value is a 400 problem
naming the field, before the view runs) and becomes the operation in the document, built
from Flask's URL map, so a route cannot be documented differently from how it is served.
pydantic 2 emits JSON Schema 2020-12, which is the schema dialect of OpenAPI 3.1, so models
go into ``components.schemas`` unchanged.
"""
import re
from dataclasses import dataclass, field
from functools import wraps
from typing import Annotated, get_args, get_origin

from flask import Flask, current_app, request
from pydantic import BaseModel, ValidationError

from wiki.core.api.problems import MEDIA_TYPE
from wiki.core.errors import InvalidInput
from wiki.web.access import level_for

REF = "#/components/schemas/{model}"
MAX_HEADER_LENGTH = 200
INT_RE = re.compile(r"-?\d{1,18}")

ERROR_TEXT = {
    400: "The request is malformed or a value is invalid; `errors` names the fields",
    401: "No valid token or session: send `Authorization: Bearer <token>`",
    403: "The token's scope or the user's role does not allow this",
    404: "No such page, revision or route",
    405: "This method is not allowed on this path",
    409: "The page changed and the changes overlap (edit-conflict), or the title is taken",
    412: "The If-Match header names no revision of this page",
    413: "The request or the page body is too large",
    414: "The URL is longer than the HTTP server accepts (answered before the wiki sees it)",
    415: "The body must be application/json",
    422: "The request fits the schema but breaks the wiki's rules (e.g. a character no title may have)",
    429: "Too many requests with this token; see Retry-After",
    503: "The database is unreachable for a moment; see Retry-After",
}
READ_ERRORS = (400, 401, 403, 404, 405, 422, 429, 503)
WRITE_ERRORS = READ_ERRORS + (409, 413, 415)


class InvalidRequest(InvalidInput):
    """Request values that fail their model: ``errors`` lists each field and what is wrong."""

    def __init__(self, errors: list[dict]):
        super().__init__("Some values of the request are invalid: "
                         + "; ".join(f"{e['field']}: {e['message']}" for e in errors), field=errors[0]["field"])
        self.errors = errors


@dataclass(frozen=True)
class Response:
    model: type[BaseModel] | tuple[type[BaseModel], ...] | None  # a tuple: any of these
    description: str
    headers: dict[str, str] = field(default_factory=dict)  # header -> description
    media_type: str = "application/json"
    links: dict[str, dict] = field(default_factory=dict)  # OpenAPI links: what a client can call next


@dataclass(frozen=True)
class Operation:
    summary: str
    tag: str
    responses: dict[int, Response]
    query: type[BaseModel] | None = None
    body: type[BaseModel] | None = None
    headers: dict[str, str] = field(default_factory=dict)  # request header -> description
    errors: tuple[int, ...] = READ_ERRORS
    description: str = ""


def operation(summary: str, tag: str, responses: dict[int, Response], query=None, body=None,
              headers=None, errors=READ_ERRORS, description: str = ""):
    """Declare an API view: its request is validated against ``query``/``body`` and the view
    is called with ``query=`` and ``body=`` model instances; the declaration is its spec."""
    op = Operation(summary, tag, responses, query, body, headers or {}, errors, description)

    def decorate(view):
        @wraps(view)
        def wrapper(**kwargs):
            for name in op.headers:
                if len(request.headers.get(name, "")) > MAX_HEADER_LENGTH:
                    raise InvalidRequest([{"field": name, "message": f"longer than {MAX_HEADER_LENGTH} characters"}])
            if op.query is not None:
                kwargs["query"] = _validate(op.query, _query_values(op.query), "query")
            if op.body is not None:
                kwargs["body"] = _validate(op.body, _json_body(), "body")
            return view(**kwargs)

        wrapper.api_operation = op
        return wrapper

    return decorate


def _query_values(model: type[BaseModel]) -> dict:
    """Query values typed for the model: digits become integers and true/false booleans;
    anything else stays a string, which the strict model then refuses by name."""
    values = {}
    for name, info in model.model_fields.items():
        key = info.alias or name
        if key not in request.args:
            continue
        raw = request.args[key]
        kinds = _kinds(info.annotation)
        if int in kinds and INT_RE.fullmatch(raw):
            values[key] = int(raw)
        elif bool in kinds and raw in ("true", "false"):
            values[key] = raw == "true"
        else:
            values[key] = raw
    return values


def _kinds(annotation) -> set:
    """The plain types a (possibly Annotated, possibly optional) annotation admits."""
    if get_origin(annotation) is Annotated:
        return _kinds(get_args(annotation)[0])
    if get_args(annotation):
        return set().union(*(_kinds(arg) for arg in get_args(annotation)))
    return {annotation}


def _json_body():
    if not request.is_json:
        from werkzeug.exceptions import UnsupportedMediaType

        raise UnsupportedMediaType("Send the body as JSON, with Content-Type: application/json.")
    data = request.get_json(silent=True)
    if data is None:
        raise InvalidRequest([{"field": "body", "message": "the body is not valid JSON"}])
    return data


def _validate(model: type[BaseModel], data, where: str):
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise InvalidRequest([
            {"field": ".".join(str(part) for part in problem["loc"]) or where, "message": problem["msg"]}
            for problem in error.errors(include_url=False, include_input=False)
        ]) from None


# --- the document ---

def _path_and_parameters(rule) -> tuple[str, list[dict]]:
    params = []

    def replace(match):
        converter, name = match.group(1), match.group(2)
        schema = {"type": "integer", "minimum": 1, "maximum": 2**31 - 1} if converter == "int" else \
            {"type": "string", "minLength": 1, "maxLength": 255}
        params.append({"name": name, "in": "path", "required": True, "schema": schema,
                       "description": "A page title (any spelling; `/` for hierarchy, percent-encoded as %2F)"
                       if name == "title" else f"The {name}"})
        return "{" + name + "}"

    path = re.sub(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>", replace, rule.rule)
    return path, params


def _schema(model: type[BaseModel], mode: str, components: dict) -> dict:
    schema = model.model_json_schema(ref_template=REF, mode=mode)
    for name, definition in schema.pop("$defs", {}).items():
        components.setdefault(name, definition)
    components.setdefault(model.__name__, schema)
    return {"$ref": REF.format(model=model.__name__)}


def _query_parameters(model: type[BaseModel], components: dict) -> list[dict]:
    schema = model.model_json_schema(ref_template=REF, mode="validation")
    for name, definition in schema.pop("$defs", {}).items():
        components.setdefault(name, definition)
    required = set(schema.get("required", []))
    params = []
    for name, prop in schema.get("properties", {}).items():
        description = prop.pop("description", "")
        prop.pop("title", None)
        # A query value is absent or a string: "null" has no spelling there.
        branches = [branch for branch in prop.pop("anyOf", []) if branch != {"type": "null"}]
        if branches:
            prop.update(branches[0] if len(branches) == 1 else {"anyOf": branches})
        if prop.get("default", 0) is None:
            del prop["default"]
        params.append({"name": name, "in": "query", "required": name in required, "schema": prop,
                       "description": description})
    return params


def _security(level: str) -> list[dict]:
    if level == "public":
        return [{}]
    if level == "read":  # anonymous readers too, when ANONYMOUS_ACCESS is "read"
        auth = [{"bearerAuth": []}, {"cookieAuth": []}]
        return auth + ([{}] if current_app.config["ANONYMOUS_ACCESS"] == "read" else [])
    return [{"bearerAuth": []}, {"cookieAuth": []}]


SCOPE_NOTE = {
    "public": "Open to anyone.",
    "read": "Needs the **read** scope (a read or write token), or a logged-in session; "
            "anyone when the wiki is open to anonymous readers.",
    "edit": "Needs a **write** token of an editor or admin (or their logged-in session).",
    "edit_page": "Needs a **write** token of an editor or admin (or their session); "
                 "protected pages: admins only.",
    "admin": "Admins only.",
    "account": "Needs a **write** token of any account (or its logged-in session): it acts on the "
               "caller's own data.",
}


def document(app: Flask, prefix: str = "/api/v1/") -> dict:
    """The OpenAPI 3.1 document of every declared route under ``prefix``."""
    components: dict = {}
    paths: dict = {}
    from wiki.blueprints.api.schemas import Problem

    problem_ref = _schema(Problem, "serialization", components)
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        view = app.view_functions.get(rule.endpoint)
        op: Operation | None = getattr(view, "api_operation", None)
        if op is None or not rule.rule.startswith(prefix):
            continue
        path, path_params = _path_and_parameters(rule)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            level = level_for(rule.endpoint, method)
            parameters = list(path_params)
            if op.query is not None:
                parameters += _query_parameters(op.query, components)
            for name, description in op.headers.items():
                parameters.append({"name": name, "in": "header", "required": False,
                                   "schema": {"type": "string", "maxLength": MAX_HEADER_LENGTH},
                                   "description": description})
            responses = {}
            for status, answer in op.responses.items():
                entry = {"description": answer.description}
                if isinstance(answer.model, tuple):
                    schema = {"anyOf": [_schema(model, "serialization", components) for model in answer.model]}
                    entry["content"] = {answer.media_type: {"schema": schema}}
                elif answer.model is not None:
                    entry["content"] = {answer.media_type: {"schema": _schema(answer.model, "serialization",
                                                                              components)}}
                if answer.links:
                    entry["links"] = answer.links
                if answer.headers:
                    entry["headers"] = {name: {"description": text, "schema": {"type": "string"}}
                                        for name, text in answer.headers.items()}
                responses[str(status)] = entry
            errors = op.errors + ((414,) if op.query is not None else ())
            for status in sorted(errors):
                entry = {"description": ERROR_TEXT[status]}
                if status != 414:  # gunicorn's own answer: not ours to shape
                    entry["content"] = {MEDIA_TYPE: {"schema": problem_ref}}
                if status in (429, 503):
                    entry["headers"] = {"Retry-After": {"description": "Seconds to wait",
                                                        "schema": {"type": "string"}}}
                if status == 405:
                    entry["headers"] = {"Allow": {"description": "The methods allowed",
                                                  "schema": {"type": "string"}}}
                responses.setdefault(str(status), entry)
            entry = {
                "operationId": rule.endpoint.removeprefix("api."),
                "summary": op.summary,
                "description": (op.description + "\n\n" if op.description else "") + SCOPE_NOTE[level],
                "tags": [op.tag],
                "parameters": parameters,
                "responses": responses,
                "security": _security(level),
                "x-nexus-access": level,
            }
            if op.body is not None:
                entry["requestBody"] = {"required": True, "content": {
                    "application/json": {"schema": _schema(op.body, "validation", components)}}}
            paths.setdefault(path, {})[method.lower()] = entry
    return {
        "openapi": "3.1.0",
        "info": {
            "title": f"{app.config['SITE_NAME']} API",
            "version": "1",
            "description": "The JSON API of a Nexus wiki. Errors are RFC 9457 problem documents "
                           "(`application/problem+json`). A walk-through: docs/api.md.",
        },
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {
            "schemas": dict(sorted(components.items())),
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer",
                               "description": "A personal access token from your account page (/-/account)."},
                "cookieAuth": {"type": "apiKey", "in": "cookie", "name": app.config.get("SESSION_COOKIE_NAME")
                               or "session", "description": "The browser session, for same-origin JavaScript; "
                                                            "writes need the X-CSRFToken header."},
            },
        },
    }
