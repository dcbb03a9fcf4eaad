"""Rendering page sources against the database: link states, section labels, re-rendering.

Rendered HTML is stored on the revision, so whenever the state of a link target changes
(created, deleted, renamed, its headings changed) the pages linking to it are rendered
again, by a job (wiki.services.fanout).
"""
import html
import re
from dataclasses import dataclass, replace
from urllib.parse import quote

from sqlalchemy import select

from wiki.core.edits import UNPARSED, Unparsed
from wiki.extensions import db
from wiki.core.markup import LinkTarget, Rendered, render_markdown, slugify_heading
from wiki.core.markup.inert import inert_links
from wiki.core.markup.redirects import redirect_target
from wiki.core.markup.wikilinks import WIKILINK_RE, parse_wikilink
from wiki.core.tags import source_tags
from wiki.models import Page, Revision
from wiki.services.filerefs import FileResolver
from wiki.core.titles import InvalidTitle, canonical_key, leaf_name, normalize_title, title_to_url_path


def page_url(title: str, section: str | None = None, action: str | None = None) -> str:
    """Root-relative URL of a page (or a page action); used in stored HTML, so no request context."""
    url = "/wiki/" + quote(title_to_url_path(title), safe="/")
    if action:
        url += "/-/" + action
    if section:
        url += "#" + slugify_heading(section)
    return url


def parse_headings(column: str) -> dict[str, str]:
    """Revision.headings ("id<TAB>text" lines) -> {id: text}."""
    pairs = (line.split("\t", 1) for line in column.splitlines() if "\t" in line)
    return {anchor: text for anchor, text in pairs}


def headings_column(rendered: Rendered) -> str:
    """The value stored in Revision.headings for a rendering."""
    return "\n".join(f"{h.id}\t{' '.join(h.text.split())}" for h in rendered.headings)


class Resolver:
    """Resolves wiki-link targets against the database.

    ``prefetch`` looks up every target of a source in a few queries, so a page with
    thousands of links costs a handful of round trips, not one per link.
    """

    BATCH = 500

    def __init__(self):
        self._cache: dict[str, tuple[Page, dict[str, str]] | None] = {}
        # What each looked-up title was when it was read (id, title, headings column, display
        # title), so a rendering made before the save took its lock can be checked afterwards.
        self._seen: dict[str, tuple[int, str, str, str] | None] = {}
        self.files: FileResolver | None = None  # the page's files, set by render()

    def prefetch(self, source: str) -> None:
        keys = set()
        for match in re.finditer(WIKILINK_RE, source):
            parsed = parse_wikilink(match.group(1))
            if parsed is not None and parsed[0].target:
                try:
                    keys.add(canonical_key(parsed[0].target))
                except InvalidTitle:
                    pass
        # Not ``keys - self._cache.keys()``: a set minus a dict's keys view walks the whole
        # dict, and a PreloadedResolver's holds every page of an import (a 100,000-file
        # import spent two thirds of its rendering there: bench/RESULTS.md).
        self._load({key for key in keys if key not in self._cache})

    def _load(self, keys: set[str]) -> None:
        pending = sorted(keys)
        for start in range(0, len(pending), self.BATCH):
            batch = pending[start:start + self.BATCH]
            self._cache.update(dict.fromkeys(batch))
            self._seen.update(dict.fromkeys(batch))
            for page, headings in _current_targets(batch):
                self._cache[page.title_key] = (page, parse_headings(headings))
                self._seen[page.title_key] = (page.id, page.title, headings, page.display_title)

    def unchanged(self) -> bool:
        """Whether every title this resolver looked up is still as it was then."""
        keys = sorted(self._seen)
        now = dict.fromkeys(keys)
        for start in range(0, len(keys), self.BATCH):
            for page, headings in _current_targets(keys[start:start + self.BATCH]):
                now[page.title_key] = (page.id, page.title, headings, page.display_title)
        return now == self._seen and (self.files is None or self.files.unchanged())

    def _lookup(self, key: str):
        if key not in self._cache:
            self._load({key})
        return self._cache[key]

    def headings_of(self, key: str) -> dict[str, str]:
        """{heading id: text} of the live page with title key ``key`` ({} if none), from the
        cache the rendering filled (issue 20: the heading a broken section link meant)."""
        found = self._lookup(key)
        return found[1] if found is not None else {}

    def __call__(self, target: str, section: str | None) -> LinkTarget:
        if not target:
            return LinkTarget(href="#" + slugify_heading(section or ""))
        try:
            title, key = normalize_title(target), canonical_key(target)
        except InvalidTitle:
            return LinkTarget(href="/wiki/" + quote(target.replace(" ", "_"), safe="/"), exists=False)
        found = self._lookup(key)
        if found is None:
            return LinkTarget(href=page_url(title, action="edit"), exists=False)
        page, headings = found
        # A link without a label reads the target's display title; with a section, the
        # section as written after it, whether or not the section exists (the label must not
        # change when a heading is renamed: the missing-section mark says that).
        name = page.display_title or target
        if not section:
            return LinkTarget(href=page_url(page.title), label=name)
        heading = headings.get(slugify_heading(section))
        return LinkTarget(
            href=page_url(page.title, section),
            section_exists=heading is not None,
            label=f"{name} § {section}",
        )


def _current_targets(keys: list[str]):
    """(page, headings column) of the live pages among ``keys``."""
    return db.session.execute(
        select(Page, Revision.headings)
        .join(Revision, Revision.id == Page.current_revision_id)
        .where(Page.title_key.in_(keys), Page.deleted.is_(False))
    ).all()


class PreloadedResolver(Resolver):
    """A Resolver over a known set of pages, asking the database nothing.

    For bulk work (importing an export) where every page and its headings are already in
    memory: ``pages`` maps title keys of live pages to (page, {heading id: text}); any other
    title is missing.
    """

    def __init__(self, pages: dict[str, tuple[Page, dict[str, str]]]):
        super().__init__()
        self._cache = pages

    def _load(self, keys: set[str]) -> None:
        self._cache.update(dict.fromkeys(key for key in keys if key not in self._cache))


def render(title: str, source: str, resolver: Resolver | None = None,
           redirect: str | None | Unparsed = UNPARSED, files: FileResolver | None = None) -> Rendered:
    """Render a page's source to sanitized HTML, resolving its links against the database
    (or through ``resolver``). ``redirect``: the source's redirect target, if the caller
    parsed it already (a save validated it in its Edit). ``files``: the file resolver to use
    (wiki.services.filerefs.PreloadedFileResolver in bulk work), else one asking the database."""
    target = redirect_target(source) if redirect is UNPARSED else redirect
    if target is not None:
        # "#REDIRECT [[X]]" would render as a heading; show it as what it means.
        return render_markdown(f"This page redirects to [[{target}]].", resolver or Resolver())
    resolver = resolver or Resolver()
    resolver.prefetch(source)
    resolver.files = files if files is not None else FileResolver(title)
    edit_url = page_url(title, action="edit")
    discuss_url = page_url(title, action="discussion")  # issue 16: the same link for every reader
    return render_markdown(source, resolver, section_edit_url=lambda n: f"{edit_url}?section={n}",
                           section_discuss_url=lambda anchor: f"{discuss_url}?section={quote(anchor, safe='')}",
                           file_resolver=resolver.files)


def render_preview(title: str, source: str) -> str:
    """The HTML of the editor's preview: rendered like the page (its files included), without
    section edit links, with its links inert (wiki.core.markup.inert) so that nothing in it
    leaves the editor; the page's display title is shown above the content, since the content
    leaves out the heading that became the title (its text is escaped here; the rest was
    sanitized)."""
    resolver = Resolver()
    target = redirect_target(source)
    if target is not None:
        return inert_links(render_markdown(f"This page redirects to [[{target}]].", resolver).html)
    resolver.prefetch(source)
    resolver.files = FileResolver(title)  # a preview shows the page's pictures too
    rendered = render_markdown(source, resolver, file_resolver=resolver.files)
    shown = html.escape(rendered.title or leaf_name(title), quote=False)
    head = f'<p class="preview-page-title"><span class="muted">Title:</span> {shown}</p>'
    return head + _preview_tags(source) + inert_links(rendered.html)


def _preview_tags(source: str) -> str:
    """The preview's line of tags (issue 20), and a warning for each ``tags:`` problem: the
    save refuses them, so the writer sees them before saving (escaped here)."""
    found = source_tags(source)
    out = ""
    if found.tags:
        listed = " ".join(f'<span class="tag">{html.escape(tag, quote=False)}</span>' for tag in found.tags)
        out += f'<p class="preview-page-tags"><span class="muted">Tags:</span> {listed}</p>'
    for problem in found.problems:
        out += f'<p class="preview-tag-problem" role="alert">{html.escape(problem, quote=False)}</p>'
    return out


@dataclass(frozen=True)
class Prepared:
    """A rendering made before a save took its lock (see ``prepare``)."""
    title: str
    source: str
    rendered: Rendered
    resolver: Resolver


def prepare(title: str, source: str, redirect: str | None | Unparsed = UNPARSED) -> Prepared:
    """Render a source that is about to be saved, before the save locks anything.

    Rendering is most of a save's cost. Done first, and without flushing the session's
    pending writes (on SQLite the first write takes the database's only write lock), saves
    of different pages render side by side; ``render_locked`` then checks the rendering
    against the link targets as they are once the lock is held.
    """
    resolver = Resolver()
    with db.session.no_autoflush:
        rendered = render(title, source, resolver, redirect=redirect)
    return Prepared(title, source, rendered, resolver)


def render_locked(title: str, source: str, prepared: Prepared | None = None,
                  redirect: str | None | Unparsed = UNPARSED) -> Rendered:
    """The rendering to store, called once the save holds its lock: ``prepared`` if it is
    for this very title and source and no link target changed since, else a new one."""
    if (prepared is not None and prepared.title == title and prepared.source == source
            and prepared.resolver.unchanged()):
        return prepared.rendered
    return render(title, source, redirect=redirect)


def apply(revision: Revision, rendered: Rendered) -> None:
    """Store a rendering on a revision."""
    revision.html = rendered.html
    revision.toc = rendered.toc
    revision.headings = headings_column(rendered)
    revision.display_title = rendered.title
