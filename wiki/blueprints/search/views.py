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
    number = int_arg("page", 1) or 1
    results = search_service.search(raw, prefix, number, PER_PAGE) if raw.strip() else None
    # issue 16: comments are a results section of their own, on the first page of results
    comments = discussion_index.search(raw, prefix) if raw.strip() and number == 1 else []
    # "Go to page" for an exact title, or an offer to create it.
    candidate = raw.strip()[:300]
    title = parse_title(candidate) if candidate else None
    exact = search_service.named_page(title.key) if title else None
    creatable = title.display if title and not exact else None
    return render_template("search/results.html", q=raw, prefix=prefix, results=results,
                           page_number=number, exact=exact, creatable=creatable, per_page=PER_PAGE,
                           comments=comments)
