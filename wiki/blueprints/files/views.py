"""Files views: a page's files (and the upload), serving a file or one version, delete and
restore, every file of the wiki. Thin: parse the request, call wiki.services.files, answer.

Every file answer carries ``X-Content-Type-Options: nosniff`` and its own
``Content-Security-Policy: default-src 'none'; sandbox``: even a file a browser renders runs
no script and loads nothing in the wiki's origin.
"""
from urllib.parse import quote

from flask import (Blueprint, Response, abort, appcontext_pushed, current_app, flash, redirect, render_template,
                   request)
from flask_login import current_user
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.exceptions import RequestEntityTooLarge

from wiki.blueprints.files.forms import ConfirmForm, UploadForm
from wiki.core import files as rules
from wiki.services import files as file_service
from wiki.services.blobstore import BlobMissing, store_for
from wiki.services.errors import Conflict
from wiki.services.filerefs import file_url
from wiki.web import ratelimit
from wiki.web.common import wiki_url
from wiki.web.lookup import live_page

bp = Blueprint("files", __name__)

FILE_CSP = "default-src 'none'; sandbox"
IMMUTABLE = "max-age=31536000, immutable"
# Multipart framing around the file itself: the request may exceed MAX_FILE_BYTES by this.
_FORM_SLACK = 64 * 1024


@bp.record_once
def _configure(state) -> None:
    app = state.app

    def configure_store(sender=None, **_extra):
        file_service.configure(store_for(sender.config, sender.instance_path))

    configure_store(app)
    # Each app context (every request, job and command) uses its app's store: several apps in
    # one process (tests) each keep their own.
    appcontext_pushed.connect(configure_store, app, weak=False)


@bp.url_value_preprocessor
def _upload_size(endpoint, values) -> None:
    # Runs before every before_request hook, CSRF's included, which reads the form: an upload
    # may be larger than the MAX_CONTENT_LENGTH other forms are held to.
    if endpoint == "files.page_files" and request.method == "POST":
        request.max_content_length = current_app.config["MAX_FILE_BYTES"] + _FORM_SLACK


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json"


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(error):
    # The body was refused unread: anything asking for the form now (the page's own template)
    # gets an empty one instead of the same error again.
    for attribute in ("form", "files"):
        request.__dict__[attribute] = ImmutableMultiDict()
    limit = current_app.config["MAX_FILE_BYTES"]
    message = (f"The file is larger than the {limit / 1024 / 1024:.0f} MiB the wiki accepts. Nothing was stored.")
    if _wants_json() or request.endpoint != "files.page_files":
        return {"status": "error", "code": 413, "message": message}, 413
    return _files_page(request.view_args["title"], message, 413)


def _files_page(title: str, error: str | None = None, status: int = 200, form: UploadForm | None = None):
    page, _ = live_page(title, "files.page_files")
    if error:
        flash(error, "error")
    admin = current_user.is_authenticated and current_user.role == "admin"
    infos = file_service.page_files(page, include_deleted=admin)
    form = form or UploadForm(formdata=None, name=request.args.get("name", ""))
    return render_template("files/page_files.html", page=page, files=infos, form=form,
                           confirm=ConfirmForm(), missing=file_service.missing_on_page(page),
                           widths=rules.WIDTHS, labels=rules.LABELS, images=rules.IMAGES), status


@bp.route("/wiki/<path:title>/-/files", methods=["GET", "POST"])
def page_files(title):
    if request.method == "GET":
        page, moved = live_page(title, "files.page_files")
        return moved or _files_page(title)
    page, _ = live_page(title, "files.page_files")
    form = UploadForm()

    def refuse(message: str, status: int):
        if _wants_json():
            return {"status": "error", "code": status, "message": message}, status
        return _files_page(title, message, status, form)

    if not form.validate():
        return refuse(" ".join(m for msgs in form.errors.values() for m in msgs), 400)
    upload = request.files.get("file")
    if upload is None or not upload.filename and not form.name.data:
        return refuse("Choose a file to upload.", 400)
    try:
        ratelimit.check_and_hit("FILE_UPLOADS_PER_USER", str(current_user.id))
    except ratelimit.RateLimited as limited:
        body, status = refuse(limited.description, 429)
        return body, status, {"Retry-After": str(limited.retry_after)}
    limit = current_app.config["MAX_FILE_BYTES"]
    data = upload.stream.read(limit + 1)
    name = form.name.data or rules.basename(upload.filename or "")
    try:
        result = file_service.upload(page, name, data, current_user, max_bytes=limit,
                                     quota=current_app.config["FILE_QUOTA_BYTES_PER_USER"])
    except file_service.FileTooLarge as error:
        return refuse(str(error), 413)
    except rules.FileRefused as error:
        return refuse(str(error), 400)
    except Conflict as error:
        return refuse(str(error), 409)
    url = file_url(page.title, result.name)
    if _wants_json():
        return {"status": "ok", "name": result.name, "version": result.number, "url": url,
                "markdown": result.markdown, "created": result.created}, 201 if result.created else 200
    if result.created:
        flash(f"Uploaded “{result.name}” (version {result.number}). Embed it with {result.markdown}", "success")
    else:
        flash(f"“{result.name}” already has exactly this content: no new version was made.", "info")
    return redirect(wiki_url("files.page_files", page.title) + "#file-" + quote(result.name), code=303)


def _find(title: str, name: str, endpoint: str, **values):
    """(page, file, its current version, redirect-or-None); 404 for no such (live) file."""
    page, moved = live_page(title, endpoint, name=name, **values)
    if moved is not None:
        return page, None, None, moved
    file, current = file_service.find_current(page, name)
    if file is None:
        abort(404, description=f"“{page.title}” has no file called “{name}”.")
    if file.deleted:
        abort(404, description=f"The file “{file.name}” was deleted; an administrator can restore it.")
    return page, file, current, None


@bp.get("/wiki/<path:title>/-/files/<name>")
def file(title, name):
    """The current version; a new upload changes what this answers, so it is revalidated."""
    page, found, current, moved = _find(title, name, "files.file")
    if moved is not None:
        return moved
    return _serve(found, current, immutable=False)


@bp.get("/wiki/<path:title>/-/files/<name>/<digest>")
def version(title, name, digest):
    """One version, named by its content's SHA-256 (16 hex digits or more): never changes."""
    page, found, _current, moved = _find(title, name, "files.version", digest=digest)
    if moved is not None:
        return moved
    chosen = file_service.version_by_digest(found, digest)
    if chosen is None:
        abort(404, description=f"“{found.name}” has no version {digest}.")
    return _serve(found, chosen, immutable=True)


def _serve(found, chosen, immutable: bool) -> Response:
    digest, media_type = chosen.sha256, chosen.media_type
    width = request.args.get("width")
    if width is not None:
        if not width.isdigit() or int(width) not in rules.WIDTHS:
            abort(400, description="width must be one of " + ", ".join(map(str, rules.WIDTHS)) + ".")
        if media_type in rules.IMAGES and (chosen.width or 0) > int(width):
            # Made by a job after the upload; until then the original, which must not be
            # cached for good under this URL (a narrower image is its own answer for good).
            made = file_service.variant_digest(chosen, int(width))
            immutable = immutable and made is not None
            digest = made or digest
    private = current_app.config["ANONYMOUS_ACCESS"] != "read"
    cache = ("private, " if private else "public, ") + (IMMUTABLE if immutable else "no-cache")
    etag = f'"{digest}"'
    headers = {"ETag": etag, "Cache-Control": cache, "X-Content-Type-Options": "nosniff",
               "Content-Security-Policy": FILE_CSP, "Cross-Origin-Resource-Policy": "same-origin"}
    if request.if_none_match.contains(digest):
        return Response(status=304, headers=headers)
    try:
        data = file_service.store().get(digest)
    except BlobMissing:
        current_app.logger.error("blob %s of file %s is missing from the store", digest, found.id)
        abort(404, description=f"The contents of “{found.name}” are missing from the file store; "
                               "an administrator can restore them from a backup.")
    disposition = "inline" if media_type in rules.INLINE else "attachment"
    served_type = {rules.TEXT: "text/plain; charset=utf-8", rules.PDF: rules.PDF}.get(
        media_type, media_type if media_type in rules.INLINE else "application/octet-stream")
    headers["Content-Disposition"] = f"{disposition}; filename*=UTF-8''{quote(found.name, safe='')}"
    return Response(data, status=200, headers=headers, content_type=served_type)


@bp.post("/wiki/<path:title>/-/files/<name>/delete")
def delete(title, name):
    page, found, _current, _moved = _find(title, name, "files.delete")
    if not ConfirmForm().validate():
        abort(400, description="The form is damaged; reload the page and try again.")
    file_service.delete_file(found, current_user)
    flash(f"Deleted “{found.name}”. Pages using it show it as missing; an administrator can restore it.", "success")
    return redirect(wiki_url("files.page_files", page.title), code=303)


@bp.post("/wiki/<path:title>/-/files/<name>/restore")
def restore(title, name):
    page, _ = live_page(title, "files.restore", name=name)
    found = file_service.find_file(page, name, include_deleted=True)
    if found is None:
        abort(404, description=f"“{page.title}” has no file called “{name}”.")
    if not ConfirmForm().validate():
        abort(400, description="The form is damaged; reload the page and try again.")
    file_service.restore_file(found, current_user)
    flash(f"Restored “{found.name}”.", "success")
    return redirect(wiki_url("files.page_files", page.title) + "#file-" + quote(found.name), code=303)


@bp.get("/-/files")
def all_files():
    return render_template("files/all_files.html", files=file_service.all_files(),
                           missing=file_service.missing_files(), labels=rules.LABELS)
