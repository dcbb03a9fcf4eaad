"""The search page. Thin: parse the request, call the search service, render."""
from flask import Blueprint, render_template, request

from wiki.web.lookup import int_arg, parse_title
from wiki.services import discussion_index
from wiki.services import search as search_service

bp = Blueprint("search", __name__)
PER_PAGE = 20


@bp.get("/-/search")
def search():
    raw = request.args.get("q", "")
    prefix = request.args.get("in", "")[:255]
    tag = request.args.get("tag", "")[:200]  # issue 20: the form's tag filter, beside tag: in the query
    number = int_arg("page", 1) or 1
    asked = bool(raw.strip() or tag.strip())
    results = search_service.search(raw, prefix, number, PER_PAGE, tags=[tag]) if asked else None
    # issue 16: comments are a results section of their own, on the first page of results;
    # tag filters narrow pages, which comments do not have
    filtered = results is not None and results.query.tags
    comments = discussion_index.search(raw, prefix) if raw.strip() and number == 1 and not filtered else []
    # "Go to page" for an exact title, or an offer to create it.
    candidate = raw.strip()[:300] if not filtered else ""
    title = parse_title(candidate) if candidate else None
    exact = search_service.named_page(title.key) if title else None
    creatable = title.display if title and not exact else None
    filters = {key: value for key, value in (("in", prefix), ("tag", tag)) if value}  # kept by the pager
    return render_template("search/results.html", q=raw, prefix=prefix, tag=tag, filters=filters, results=results,
                           page_number=number, exact=exact, creatable=creatable, per_page=PER_PAGE,
                           comments=comments)
