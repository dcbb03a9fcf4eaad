"""/-/tags and /-/tags/<tag>. Thin: parse the request, call the tags service, render."""
from flask import Blueprint, abort, redirect, render_template, request, url_for

from wiki.core.tags import MAX_TAG_LENGTH
from wiki.services import search, tags
from wiki.services.errors import NotFound

bp = Blueprint("tags", __name__)
bp.add_app_template_global(tags.tags_of, "tags_of_source")  # templates/pages/_tags.html
TAG_PAGE_SIZE = 50  # pages in one window of /-/tags/<tag>, each with its opening words


@bp.get("/-/tags")
def all_tags():
    after = request.args.get("after")
    if after is not None and len(after) > MAX_TAG_LENGTH:
        abort(400, description=f"“after” is longer than any tag ({MAX_TAG_LENGTH} characters).")
    window = tags.list_tags(after or None, tags.TAGS_PAGE_SIZE)
    return render_template("tags/all_tags.html", window=window,
                           next_url=url_for("tags.all_tags", after=window.next_after) if window.next_after else None,
                           first_url=url_for("tags.all_tags") if after else None)


@bp.get("/-/tags/<tag>")
def tag(tag):
    try:
        name = tags.parse_tag(tag)
    except NotFound as error:
        return render_template("tags/missing.html", tag=tag, problem=str(error)), 404
    if name != tag:  # one URL per tag: "Redis" and "redis" are the same tag
        return redirect(url_for("tags.tag", tag=name, **request.args), code=301)
    values = {key: request.args.get(key) for key in ("after", "before")}
    for key, value in values.items():
        if value is not None and len(value) > 255:
            abort(400, description=f"“{key}” is longer than any title (255 characters).")
    count = tags.count_pages(name)
    if not count:
        return render_template("tags/missing.html", tag=name, problem=None), 404
    window = tags.tagged_titles(name, "", values["after"], values["before"], TAG_PAGE_SIZE)
    return render_template(
        "tags/tag.html", tag=name, count=count, window=window, excerpts=search.excerpts(window.titles),
        next_url=url_for("tags.tag", tag=name, after=window.next_after) if window.next_after else None,
        previous_url=url_for("tags.tag", tag=name, before=window.previous_before) if window.previous_before else None,
        first_url=url_for("tags.tag", tag=name) if values["after"] or values["before"] else None)
