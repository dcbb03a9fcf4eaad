"""The page service: saving, stale revisions, check-and-set, reverts."""
import pytest
from sqlalchemy import select

from wiki.extensions import db
from wiki.models import Page, Revision
from wiki.services import pages
from wiki.services.errors import BodyTooLarge, EditConflict, InvalidInput, NotFound, StaleRevision
from wiki.core.titles import InvalidTitle


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield


def test_first_save_creates_page_and_revision_one(ctx):
    result = pages.save_page("concepts/Caching", "# Cache\n", "new", None, base_revision=0)
    assert result.created
    assert (result.page.title, result.page.title_key) == ("concepts/Caching", "concepts/caching")
    assert (result.revision.number, result.revision.size, result.revision.parent_id) == (1, 8, None)
    # The opening heading is the display title, stored beside the content that leaves it out.
    assert result.revision.display_title == "Cache" and result.page.display_title == "Cache"
    assert 'id="cache"' not in result.revision.html


def test_overlapping_stale_save_raises_a_conflict_and_writes_nothing(ctx):
    pages.save_page("P", "one", "", None, base_revision=0)
    pages.save_page("P", "two", "", None, base_revision=1)
    with pytest.raises(EditConflict) as caught:
        pages.save_page("P", "three", "", None, base_revision=1)
    assert caught.value.current.number == 2
    assert caught.value.yours == "three"
    assert db.session.scalars(select(Revision.source).order_by(Revision.number)).all() == ["one", "two"]


def test_check_and_set_refuses_a_page_moved_on_underneath(ctx, monkeypatch):
    """Two saves that both read revision 1 as current: only one may become revision 2."""
    pages.save_page("P", "one", "", None, base_revision=0)
    real = pages.current_revision
    stale_parent = real(db.session.scalar(select(Page.id)))
    pages.save_page("P", "two", "", None, base_revision=1)
    # The second writer still believes revision 1 is current (it read before the first committed).
    monkeypatch.setattr(pages, "current_revision", lambda page_id: stale_parent if stale_parent else real(page_id))
    with pytest.raises(StaleRevision):
        pages.save_page("P", "rival", "", None, base_revision=1)
    monkeypatch.undo()
    assert db.session.scalars(select(Revision.source).order_by(Revision.number)).all() == ["one", "two"]
    assert pages.get_page("p").current_revision.source == "two"


def test_body_over_the_limit_raises(ctx):
    with pytest.raises(BodyTooLarge, match="limit is 10 bytes"):
        pages.save_page("P", "é" * 6, "", None, base_revision=0, max_bytes=10)
    assert pages.find_page("P") is None


def test_invalid_title_and_summary(ctx):
    with pytest.raises(InvalidTitle):
        pages.save_page("a/../b", "x", "", None, base_revision=0)
    with pytest.raises(InvalidInput):
        pages.save_page("P", "x", "s" * 301, None, base_revision=0)
    assert db.session.scalar(select(Page)) is None


def test_revert_and_missing_revision(ctx):
    pages.save_page("P", "one", "", None, base_revision=0)
    pages.save_page("P", "two", "", None, base_revision=1)
    page = pages.get_page("P")
    result = pages.revert_page(page, 1, None, base_revision=2)
    assert (result.revision.number, result.revision.source, result.revision.summary) == (3, "one", "Reverted to revision 1")
    with pytest.raises(NotFound):
        pages.get_revision(page, 7)
    with pytest.raises(NotFound):
        pages.get_revision(page, 2**40)


def test_links_resolve_against_existing_pages(ctx):
    pages.save_page("Target", "t", "", None, base_revision=0)
    html = pages.save_page("Source", "[[target]] [[Nowhere]]", "", None, base_revision=0).revision.html
    assert 'href="/wiki/Target"' in html
    assert 'href="/wiki/Nowhere/-/edit"' in html


def test_stale_revert_is_never_merged(ctx):
    pages.save_page("P", "a\nb\n", "", None, base_revision=0)
    pages.save_page("P", "a\nB\n", "", None, base_revision=1)
    with pytest.raises(StaleRevision):
        pages.revert_page(pages.get_page("P"), 1, None, base_revision=1)


def test_a_rendering_made_before_the_lock_is_redone_when_a_link_target_changed(ctx, monkeypatch):
    """Saves render before they lock (so saves of different pages render side by side); if a
    linked page is created meanwhile, the stored HTML must still show its link as blue."""
    from wiki.services import rendering

    real_prepare = rendering.prepare

    def prepare_then_rival_creates_target(title, source, **options):
        prepared = real_prepare(title, source, **options)
        if title == "Linking":
            pages.save_page("Target", "## Part\n", "", None, base_revision=0)  # the other editor
        return prepared

    monkeypatch.setattr(rendering, "prepare", prepare_then_rival_creates_target)
    revision = pages.save_page("Linking", "See [[Target#Part]].", "", None, base_revision=0).revision
    assert 'class="wikilink"' in revision.html and "new" not in revision.html
    assert 'href="/wiki/Target#part"' in revision.html

    # An edit of an existing page: the target's heading is renamed between render and lock.
    def prepare_then_rival_renames_heading(title, source, **options):
        prepared = real_prepare(title, source, **options)
        if title == "Linking":
            pages.save_page("Target", "## Other\n", "", None, base_revision=1)
        return prepared

    monkeypatch.setattr(rendering, "prepare", prepare_then_rival_renames_heading)
    revision = pages.save_page("Linking", "See [[Target#Part]] now.", "", None, base_revision=1).revision
    assert 'class="wikilink missing-section"' in revision.html


def test_an_unchanged_rendering_made_before_the_lock_is_the_one_stored(ctx, monkeypatch):
    from wiki.services import rendering

    pages.save_page("Target", "text", "", None, base_revision=0)
    calls = []
    real_render = rendering.render
    monkeypatch.setattr(rendering, "render", lambda *a, **k: calls.append(a[:2]) or real_render(*a, **k))
    revision = pages.save_page("Linking", "See [[Target]] and [[Nowhere]].", "", None, base_revision=0).revision
    assert calls == [("Linking", "See [[Target]] and [[Nowhere]].")]  # rendered once, before the lock
    assert 'href="/wiki/Target"' in revision.html
