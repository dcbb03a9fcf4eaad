"""JSON API views. Thin: the request was validated by its @operation declaration (spec.py);
call a service, answer a model. Errors are problem documents (wiki.web.errors)."""
from datetime import datetime, timezone

from flask import Blueprint, abort, current_app, json, render_template, request, url_for
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from werkzeug.routing import PathConverter

from wiki.blueprints.api import schemas as s
from wiki.blueprints.api.spec import WRITE_ERRORS, Response, document, operation
from wiki.core.api import cursors
from wiki.core.diff.textdiff import diff_texts
from wiki.core.markup.redirects import redirect_target
from wiki.core.titles import InvalidTitle, Title, title_to_url_path
from wiki.extensions import csrf
from wiki.services import changes as change_service
from wiki.services import linkhealth
from wiki.services import links as link_service
from wiki.services import pages as page_service
from wiki.services import review as review_service
from wiki.services import search as search_service
from wiki.services import tags as tag_service
from wiki.services import users as user_service
from wiki.core.tags import new_problems
from wiki.services.errors import EditConflict, InvalidInput, NotFound, StaleRevision
from wiki.web import apiauth, ratelimit
from wiki.web.lookup import find

bp = Blueprint("api", __name__)
csrf.exempt(bp)  # wiki.web.apiauth checks CSRF itself, for cookie sessions only


class TitleConverter(PathConverter):
    """A title in an API path: like ``path``, but no segment may be "-" (no title has one: it
    separates a page from its actions), so ``PUT /pages/A/-/history`` is a 405, not an
    update of a page called "A/-/history"."""

    regex = r"(?:[^/-][^/]*|-[^/]+)(?:/(?:[^/-][^/]*|-[^/]+))*"
    part_isolating = False


bp.record_once(lambda state: state.app.url_map.converters.setdefault("title", TitleConverter))

V1 = "/api/v1"
PAGE = f"{V1}/pages/<title:title>"


# OpenAPI links from a page in an answer to what a client does next (schemathesis' stateful
# phase follows them: create -> get -> update -> history).
PAGE_LINKS = {
    "GetPage": {"operationId": "get_page", "parameters": {"path.title": "$response.body#/title"}},
    "UpdatePage": {"operationId": "update_page", "parameters": {
        "path.title": "$response.body#/title", "header.If-Match": "$response.body#/etag"}},
    "PageHistory": {"operationId": "history", "parameters": {"path.title": "$response.body#/title"}},
}


def utcnow_aware() -> datetime:
    return datetime.now(timezone.utc)


def answer(model, status: int = 200, headers=None):
    return model.model_dump(mode="json", by_alias=True), status, headers or {}


def etag(page_id: int, number: int) -> str:
    return f'"{page_id}.{number}"'


def live(raw_title: str):
    """The live page for a URL title; 404 problem otherwise."""
    title, page = find(raw_title)  # shared with the access check: one look-up per request
    if isinstance(title, InvalidTitle):
        abort(404, description=f"No page can have this title: {title}")
    if page is None:
        abort(404, description=f"There is no page called “{title.display}”.")
    return page


def _page(page, revision=None) -> s.Page:
    revision = revision or page.current_revision
    return s.Page(title=page.title, display_title=revision.display_title or "",
                  tags=list(tag_service.tags_of(revision.source)),  # from the source, like the page view
                  revision=revision.number, etag=etag(page.id, revision.number),
                  source=revision.source, html=revision.html, updated_at=revision.created_at,
                  author=revision.author.username if revision.author else None, summary=revision.summary,
                  minor=revision.minor)


def _author(revision) -> str | None:
    return revision.author.username if revision.author else None


@bp.get(f"{V1}/openapi.json")
def openapi():
    """The OpenAPI 3.1 document, generated from the routes below (once per process: routes
    and settings do not change while it runs)."""
    cached = current_app.extensions.get("nexus_openapi")
    if cached is None:
        cached = current_app.extensions["nexus_openapi"] = json.dumps(document(current_app), sort_keys=True)
    return current_app.response_class(cached, mimetype="application/json")


@bp.get("/api/docs")
def docs():
    """Browsable docs of the OpenAPI document (Redoc, vendored; no inline script or style)."""
    return render_template("api/docs.html", spec_url=url_for("api.openapi"))


@bp.get(f"{V1}/session")
@operation("Who am I", "session", {200: Response(s.Session, "The user this request acts as")},
           description="For same-origin JavaScript: the CSRF token to send with writes made with the "
                       "session cookie.")
def session():
    user = current_user if current_user.is_authenticated else None
    scope = apiauth.token_scope()
    role = user.role if user else None
    if scope == "read" and role in ("editor", "admin"):
        role = "reader"
    return answer(s.Session(user=user.username if user else None, role=role, scope=scope,
                            csrf_token=generate_csrf() if user is not None and scope is None else None))


@bp.get(f"{V1}/pages")
@operation("List pages", "pages", {200: Response(s.PageList, "Pages in title order")}, query=s.PageListQuery)
def list_pages(query: s.PageListQuery):
    after = cursors.decode(query.cursor, (str,))[0] if query.cursor else None
    rows, more = page_service.list_pages(query.prefix, after, query.limit)
    return answer(s.PageList(items=_summaries(rows), next_cursor=cursors.encode([rows[-1].title_key]) if more else None))


def _summaries(rows) -> list[s.PageSummary]:
    return [s.PageSummary(title=p.title, display_title=p.current_revision.display_title or "",
                          revision=p.current_revision.number,
                          updated_at=p.current_revision.created_at, author=_author(p.current_revision),
                          is_redirect=redirect_target(p.current_revision.source) is not None) for p in rows]


@bp.post(f"{V1}/pages")
@operation("Create a page", "pages",
           {201: Response(s.Page, "The new page", {"ETag": "The revision's ETag", "Location": "The page's URL"},
                          links=PAGE_LINKS)},
           body=s.PageCreate, errors=WRITE_ERRORS)
def create_page(body: s.PageCreate):
    try:
        title = Title.parse(body.title)
    except InvalidTitle as error:
        raise InvalidInput(str(error), field="title") from None
    if page_service.find_page(title) is not None:
        abort(409, description=f"“{title.display}” already exists: update it with PUT instead.")
    if page_service.find_deleted_page(title) is not None:
        abort(409, description=f"“{title.display}” was deleted; an administrator can restore it.")
    result = _save(title, body.body, body.summary, body.minor, base=0)
    page = page_service.get_page(result.title)
    location = url_for("api.get_page", title=result.title)
    return answer(_page(page), 201, {"ETag": etag(page.id, result.number), "Location": location})


@bp.get(PAGE)
@operation("Get a page", "pages",
           {200: Response(s.PageWithReview, "The current revision: source, HTML, number; its review dates",
                          {"ETag": "The revision's ETag"}, links=PAGE_LINKS)})
def get_page(title):
    page = live(title)
    model = s.PageWithReview(**_page(page).model_dump(), review=_review_info(review_service.page_state(page.id)))
    return answer(model, 200, {"ETag": etag(page.id, page.current_revision.number)})


def _review_info(state) -> s.ReviewInfo | None:
    if state is None:
        return None
    return s.ReviewInfo(interval_days=state.interval_days, owner=state.owner, due_at=state.due_at, due=state.due,
                        overdue_days=state.overdue, verified_at=state.verified_at, verified_by=state.verified_by,
                        due_sections=[section.anchor for section in state.sections], problem=state.problem)


@bp.get(f"{V1}/review")
@operation("Due for review", "review", {200: Response(s.DueReviews, "Pages and sections due, most overdue first")},
           query=s.ReviewQuery,
           description="The list of /-/review: pages and sections past their review date (or, with `soon`, "
                       "due within two weeks), filtered by owner and title prefix.")
def review_list(query: s.ReviewQuery):
    number = cursors.decode(query.cursor, (int,))[0] if query.cursor else 1
    if not 1 <= number <= review_service.MAX_PAGE_NUMBER:
        raise InvalidInput("The cursor is not one this API gave out; start again without it.", field="cursor")
    owner = review_service.owner_filter(query.owner)
    now = utcnow_aware()
    rows, more = review_service.due_items(now, owner=owner, prefix=query.prefix, page_number=number,
                                          per_page=query.limit, soon=query.soon)
    items = [s.DueReview(title=r.page.title, section=r.anchor, heading=r.heading, due_at=r.due_at,
                         overdue_days=r.overdue(now), owner=r.owner, interval_days=r.interval_days,
                         verified_at=r.verified_at) for r in rows]
    return answer(s.DueReviews(items=items, next_cursor=cursors.encode([number + 1]) if more else None))


@bp.post(f"{PAGE}/-/verify")
@operation("Mark verified", "review", {200: Response(s.ReviewInfo, "The page's review dates, its clock reset")},
           body=s.VerifyRequest, errors=WRITE_ERRORS,
           description="Records that you checked the page (and all its sections), or one `section`: an event in "
                       "its history, not a revision. Editors, with a write token.")
def verify(title, body: s.VerifyRequest):
    page = live(title)
    try:
        review_service.verify(page, current_user._get_current_object(), body.section)
    except NotFound as error:
        abort(404, description=str(error))
    return answer(_review_info(review_service.page_state(page.id)))


@bp.put(PAGE)
@operation("Update a page", "pages",
           {200: Response(s.Saved, "Saved (or unchanged); merged with a newer revision when they did not overlap",
                          {"ETag": "The new revision's ETag"}, links=PAGE_LINKS),
            409: Response((s.EditConflict, s.Problem), "Your changes overlap a newer revision's "
                          "(type …/edit-conflict, with the conflict's parts), or the base is unusable; nothing "
                          "was saved", media_type="application/problem+json"),
            412: Response(s.Problem, "If-Match names no revision of this page; nothing was saved",
                          media_type="application/problem+json"),
            428: Response(s.Problem, "Neither base_revision nor If-Match was given",
                          media_type="application/problem+json")},
           body=s.PageUpdate, headers={"If-Match": "The ETag of the revision your text is based on"},
           errors=WRITE_ERRORS,
           description="Follows the web editor's rules: a stale base is merged three-way with the newer "
                       "revision; overlapping changes answer 409 and save nothing.")
def update_page(title, body: s.PageUpdate):
    page = live(title)
    base = body.base_revision
    if (header := request.headers.get("If-Match")) is not None:
        base = _if_match_base(page, header)
    if base is None:
        return apiauth.problem_response(428, "Say which revision your text is based on: base_revision "
                                             "in the body, or the revision's ETag in If-Match.")
    if base > page.current_revision.number:
        abort(409, description=f"“{page.title}” has no revision {base} yet; its newest is "
                               f"{page.current_revision.number}.")
    result = _save(Title(page.title, page.title_key), body.body, body.summary, body.minor, base=base)
    saved = page_service.get_page(result.title)
    model = s.Saved(**_page(saved).model_dump(), saved=result.created, merged_with=result.merged_number)
    return answer(model, 200, {"ETag": etag(saved.id, result.number)})


def _if_match_base(page, header: str) -> int:
    """The revision an If-Match names: the current one for "*", else the number in our ETag."""
    value = header.strip()
    if value == "*":
        return page.current_revision.number
    prefix = f'"{page.id}.'
    if value.startswith(prefix) and value.endswith('"') and value[len(prefix):-1].isdigit() \
            and len(value[len(prefix):-1]) <= 9:
        number = int(value[len(prefix):-1])
        if 1 <= number <= page.current_revision.number:
            return number
    abort(412, description=f"If-Match {value[:80]!r} is not the ETag of a revision of “{page.title}”. "
                           "Nothing was saved; GET the page for its current ETag.")


def _save(title: Title, text: str, summary: str, minor: bool, base: int):
    """Save as the web editor does (same checks, same merge, same rate limit)."""
    if "\x00" in text or "\x00" in summary:
        raise InvalidInput("The text contains a NUL character (U+0000), which a page cannot store.", field="body")
    ratelimit.check_and_hit("SAVES_PER_USER", str(current_user.id))
    max_bytes = current_app.config["MAX_PAGE_BYTES"]
    text = text.replace("\r\n", "\n")
    current = page_service.find_page(title)
    # issue 20: tags that break the rules are refused as in the editor (a tags: line that was
    # already there is not the writer's doing)
    if problems := new_problems(text, current.current_revision.source if current else ""):
        raise InvalidInput("Tags: " + " ".join(problems) + " Nothing was saved.", field="body")
    try:
        edit = page_service.Edit.make(title, text, summary, max_bytes=max_bytes, base_revision=base, minor=minor)
        return page_service.save_edit(edit, current_user._get_current_object(), max_bytes=max_bytes)
    except EditConflict as conflict:
        abort(apiauth.problem_response(
            409, str(conflict), type_="edit-conflict", title="Edit conflict",
            current_revision=conflict.current.number, base_revision=conflict.base_number,
            current_source=conflict.current.source, yours=conflict.yours,
            text_with_markers=conflict.merge.text_with_markers,
            conflicts=[{"base": list(c.base), "theirs": list(c.theirs), "yours": list(c.yours),
                        "start_line": c.start_line} for c in conflict.merge.conflicts]))
    except StaleRevision as error:
        current = error.current
        abort(apiauth.problem_response(409, str(error), type_="stale-revision", title="Stale revision",
                                       current_revision=current.number if current is not None else None))


@bp.get(f"{PAGE}/-/history")
@operation("A page's history", "history", {200: Response(s.History, "Revisions, newest first")},
           query=s.HistoryQuery)
def history(title, query: s.HistoryQuery):
    page = live(title)
    before = cursors.decode(query.cursor, (int,))[0] if query.cursor else None
    rows, more = page_service.revisions_before(page, before, query.limit)
    items = [s.RevisionSummary(number=r.number, created_at=r.created_at, author=_author(r), summary=r.summary,
                               minor=r.minor, size=r.size, size_change=r.size - r.parent_size) for r in rows]
    return answer(s.History(title=page.title, items=items,
                            next_cursor=cursors.encode([rows[-1].number]) if more else None))


@bp.get(f"{PAGE}/-/revisions/<int:number>")
@operation("One revision", "history", {200: Response(s.Revision, "The revision's source and HTML",
                                                     {"ETag": "The revision's ETag"})})
def revision(title, number):
    page = live(title)
    r = page_service.get_revision(page, number)
    return answer(s.Revision(title=page.title, number=r.number, created_at=r.created_at, author=_author(r),
                             summary=r.summary, minor=r.minor, size=r.size, size_change=r.size - r.parent_size,
                             source=r.source, html=r.html, current=r.id == page.current_revision_id),
                  200, {"ETag": etag(page.id, r.number)})


@bp.get(f"{PAGE}/-/diff")
@operation("Compare two revisions", "history", {200: Response(s.Diff, "The hunks between them")}, query=s.DiffQuery)
def diff(title, query: s.DiffQuery):
    page = live(title)
    to_number = query.to or page.current_revision.number
    new = page_service.get_revision(page, to_number)
    from_number = query.from_ if query.from_ is not None else to_number - 1
    old = page_service.get_revision(page, from_number) if from_number else None
    result = diff_texts(old.source if old else "", new.source)
    hunks = [s.Hunk(old_start=h.old_start, old_len=h.old_len, new_start=h.new_start, new_len=h.new_len,
                    lines=[s.DiffLine(kind=line.kind, old_line=line.old_no, new_line=line.new_no, text=line.text)
                           for line in h.lines]) for h in result.hunks]
    return answer(s.Diff.model_validate({"title": page.title, "from": from_number, "to": to_number,
                                         "added": result.added, "removed": result.removed, "hunks": hunks}))


@bp.get(f"{PAGE}/-/backlinks")
@operation("Pages linking here", "links", {200: Response(s.Backlinks, "Live pages linking to this title")})
def backlinks(title):
    name, page = find(title)
    if isinstance(name, InvalidTitle):
        abort(404, description=f"No page can have this title: {name}")
    # A missing page may have backlinks too (the red links to it), as on /-/backlinks.
    items = [s.Backlink(title=b.page.title, whole_page=b.whole_page, sections=b.sections)
             for b in link_service.backlinks(name.display)]
    return answer(s.Backlinks(title=name.display, items=items))


@bp.get(f"{V1}/links/broken")
@operation("Broken links", "links", {200: Response(s.BrokenLinks, "By page title, then as found in the page")},
           query=s.BrokenLinksQuery)
def broken_links(query: s.BrokenLinksQuery):
    """Issue 20: what /-/links/broken lists, a keyset page at a time."""
    after = tuple(cursors.decode(query.cursor, (str, int))) if query.cursor else None
    found = linkhealth.entries_after(query.kind, query.prefix, after, query.limit)
    more, found = len(found) > query.limit, found[:query.limit]
    items = [s.BrokenLink(page=item.page.title, kind=item.entry.kind, target=item.entry.target_title,
                          section=item.entry.section, line=item.entry.line, section_number=item.entry.section_number,
                          suggestion=item.entry.suggestion,
                          edit_url=url_for("pages.edit", title=title_to_url_path(item.page.title),
                                           **({"section": item.entry.section_number}
                                              if item.entry.section_number else {})))
             for item in found]
    last = found[-1] if found else None
    return answer(s.BrokenLinks(items=items, next_cursor=cursors.encode([last.page.title_key, last.entry.id])
                                if more else None))


@bp.get(f"{V1}/search")
@operation("Search pages", "search", {200: Response(s.SearchResults, "Most relevant first")}, query=s.SearchQuery)
def search(query: s.SearchQuery):
    number = cursors.decode(query.cursor, (int,))[0] if query.cursor else 1
    if not 1 <= number <= 10_000:
        raise InvalidInput("The cursor is not one this API gave out; start again without it.", field="cursor")
    results = search_service.search(query.q, query.prefix, number, query.limit)
    items = [s.SearchHit(title=hit.title, snippet=hit.snippet, updated_at=hit.updated) for hit in results.hits]
    return answer(s.SearchResults(items=items, next_cursor=cursors.encode([number + 1]) if results.has_more else None))


@bp.get(f"{V1}/changes")
@operation("Recent changes", "changes", {200: Response(s.Changes, "Revisions of live pages, newest first")},
           query=s.ChangesQuery)
def changes(query: s.ChangesQuery):
    number = cursors.decode(query.cursor, (int,))[0] if query.cursor else 1
    if not 1 <= number <= 10_000:
        raise InvalidInput("The cursor is not one this API gave out; start again without it.", field="cursor")
    user = None
    if query.user is not None:
        user = user_service.find_user(query.user)
        if user is None:
            abort(404, description=f"There is no user called “{query.user}”.")
    rows, more = change_service.recent_changes(
        change_service.ChangeFilter(hide_minor=query.hide_minor, user=user, prefix=query.prefix), number, query.limit)
    items = [s.Change(title=r.page.title, revision=r.number, created_at=r.created_at, author=_author(r),
                      summary=r.summary, minor=r.minor, size_change=r.size - r.parent_size) for r in rows]
    return answer(s.Changes(items=items, next_cursor=cursors.encode([number + 1]) if more else None))


@bp.get(f"{V1}/tags")
@operation("List tags", "tags", {200: Response(s.TagList, "Tags in alphabetical order, with their page counts")},
           query=s.TagListQuery)
def list_tags(query: s.TagListQuery):
    after = cursors.decode(query.cursor, (str,))[0] if query.cursor else None
    window = tag_service.list_tags(after, query.limit)
    items = [s.TagCount(tag=entry.tag, pages=entry.pages) for entry in window.tags]
    return answer(s.TagList(items=items, next_cursor=cursors.encode([window.next_after]) if window.next_after else None))


@bp.get(f"{V1}/tags/<tag>")
@operation("A tag's pages", "tags", {200: Response(s.TagPages, "The live pages having the tag, in title order")},
           query=s.TagPagesQuery,
           description="The tag may be written in any spelling (`Redis` is `redis`); 404 when no live page has it.")
def tag_pages(tag, query: s.TagPagesQuery):
    try:
        name = tag_service.parse_tag(tag)
    except NotFound as error:
        abort(404, description=str(error))
    after = cursors.decode(query.cursor, (str,))[0] if query.cursor else None
    try:
        rows, more = tag_service.tagged_pages(name, after, query.limit)
    except NotFound as error:
        abort(404, description=str(error))
    return answer(s.TagPages(tag=name, pages=tag_service.count_pages(name), items=_summaries(rows),
                             next_cursor=cursors.encode([rows[-1].title_key]) if more else None))


@bp.after_request
def _no_store(response):
    """API answers are per caller (tokens, scopes): never kept by shared caches."""
    response.headers.setdefault("Cache-Control", "no-store")
    response.vary.add("Authorization")
    response.vary.add("Cookie")
    return response
