"""Reading, creating and editing pages over HTTP, with every bad input the edit form can get."""
import pytest
from sqlalchemy import func, select

from tests.conftest import csrf_token, post_form
from wiki.extensions import db
from wiki.models import Link, Page, Revision


def revisions_of(app, title_key):
    with app.app_context():
        return db.session.scalars(
            select(Revision.number).join(Page, Revision.page_id == Page.id)
            .where(Page.title_key == title_key).order_by(Revision.number)
        ).all()


def save(client, title, body, base, summary="", url_title=None):
    url = f"/wiki/{(url_title or title).replace(' ', '_')}/-/edit"
    return post_form(client, url, {"body": body, "summary": summary, "base_revision": str(base)},
                     form_url="/-/login")


def test_root_redirects_to_home(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"] == "/wiki/Home"


def test_missing_page_is_404_with_an_offer_to_create_it(client, editor):
    response = client.get("/wiki/No_such_page")
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert "There is no page called “No such page”" in html
    assert 'href="/wiki/No_such_page/-/edit"' in html
    assert "Create this page" in html


def test_missing_page_asks_anonymous_visitors_to_log_in(client):
    html = client.get("/wiki/Nothing").get_data(as_text=True)
    assert "Log in to create this page" in html
    assert "/-/login?next=/wiki/Nothing/-/edit" in html


def test_create_then_read_a_page(app, client, editor):
    response = save(client, "Getting started", "# Welcome\n\nSee [[Other page]].\n", 0, "first")
    assert response.status_code == 303
    assert response.headers["Location"] == "/wiki/Getting_started"
    html = client.get("/wiki/Getting_started").get_data(as_text=True)
    assert "Saved revision 1." in html
    # The opening heading is the page's display title: its one h1, not repeated in the content.
    assert '<h1 class="page-title" id="page-title">Welcome</h1>' in html
    assert html.count("<h1") == 1 and "<title>Welcome · " in html
    assert 'class="wikilink' in html and "Other page" in html
    assert "Revision 1, last edited by alice" in html
    assert revisions_of(app, "getting started") == [1]


def test_every_save_is_a_revision_with_author_summary_size_and_parent(app, client, editor):
    save(client, "Notes", "one\n", 0, "start")
    save(client, "Notes", "one\ntwo\n", 1, "add two")
    with app.app_context():
        revs = db.session.scalars(select(Revision).order_by(Revision.number)).all()
        assert [(r.number, r.summary, r.size, r.parent_size) for r in revs] == [
            (1, "start", 4, 0), (2, "add two", 8, 4)]
        assert revs[1].parent_id == revs[0].id
        assert {r.author.username for r in revs} == {"alice"}
        page = db.session.scalar(select(Page))
        assert page.current_revision_id == revs[1].id


def test_saving_identical_text_makes_no_revision_and_says_so(app, client, editor):
    save(client, "Same", "text\n", 0)
    response = save(client, "Same", "text\n", 1, "nothing really")
    assert response.status_code == 303
    assert "No changes" in client.get("/wiki/Same").get_data(as_text=True)
    assert revisions_of(app, "same") == [1]


def test_textarea_crlf_line_breaks_are_stored_as_lf(client, editor):
    save(client, "Lines", "a\r\nb\r\n", 0)
    assert client.get("/wiki/Lines/-/raw").data == b"a\nb\n"


def test_raw_returns_exactly_the_saved_source(client, editor):
    body = "  Ünïcödé — 日本語  \n\n<script>x</script>\ttabs\n\nno final newline"
    save(client, "Raw test", body, 0)
    response = client.get("/wiki/Raw_test/-/raw")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert response.data == body.encode("utf-8")


def test_raw_of_a_missing_page_is_404(client):
    assert client.get("/wiki/Nope/-/raw").status_code == 404


def test_anonymous_edit_form_redirects_to_login(client):
    response = client.get("/wiki/Page/-/edit")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/-/login?next=")


def test_anonymous_save_is_refused_with_the_text_kept(app, client, make_user):
    token = csrf_token(client, "/-/login")
    response = client.post("/wiki/Page/-/edit", data={
        "body": "my precious text", "summary": "", "base_revision": "0", "csrf_token": token})
    assert response.status_code == 403
    html = response.get_data(as_text=True)
    assert "not logged in" in html
    assert "my precious text" in html
    assert revisions_of(app, "page") == []


def test_reader_cannot_edit(app, client, make_user, login):
    login(make_user("rita", role="reader"))
    response = save(client, "Page", "text by a reader", 0)
    assert response.status_code == 403
    assert "text by a reader" in response.get_data(as_text=True)
    assert revisions_of(app, "page") == []


def test_stale_base_revision_never_overwrites_and_keeps_the_text(app, client, editor, make_page):
    make_page("Busy", "original\n")
    make_page("Busy", "someone else's change\n")
    response = save(client, "Busy", "my edit from revision 1\n", 1)
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "Someone else saved revision 2" in html
    assert "my edit from revision 1" in html
    assert 'href="/wiki/Busy/-/diff?from=1&amp;to=2"' in html
    assert client.get("/wiki/Busy/-/raw").data == b"someone else's change\n"
    assert revisions_of(app, "busy") == [1, 2]
    # The conflict page keeps both revisions: only a choice per overlapping change can
    # replace their text, never one button (the old "Save my version").
    assert 'name="base_revision" type="hidden" value="1"' in html
    assert 'name="theirs_revision" type="hidden" value="2"' in html
    assert 'name="hunk-0"' in html


def test_creating_a_page_that_someone_else_just_created_is_stale(app, client, editor, make_page):
    make_page("Race", "first!\n")
    response = save(client, "Race", "me too\n", 0)
    assert response.status_code == 409
    assert "me too" in response.get_data(as_text=True)
    assert revisions_of(app, "race") == [1]


def test_missing_csrf_token_is_400_and_saves_nothing(app, client, editor):
    response = client.post("/wiki/Page/-/edit", data={"body": "x", "base_revision": "0"})
    assert response.status_code == 400
    assert "security token" in response.get_data(as_text=True)
    assert revisions_of(app, "page") == []


@pytest.mark.parametrize("base", ["abc", "-1", "", "1e3", "99999999999999"])
def test_malformed_base_revision_is_400_with_the_text_kept(app, client, editor, base):
    response = post_form(client, "/wiki/Page/-/edit", {"body": "kept text", "base_revision": base})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "The form is damaged" in html
    assert "kept text" in html
    assert revisions_of(app, "page") == []


def test_overlong_summary_is_refused_with_the_text_kept(app, client, editor):
    response = save(client, "Page", "body stays", 0, summary="s" * 301)
    assert response.status_code == 400
    assert "body stays" in response.get_data(as_text=True)
    assert revisions_of(app, "page") == []


def test_urls_treat_spaces_and_underscores_alike_and_redirect_to_the_canonical_spelling(client, editor):
    save(client, "Getting started", "hello", 0)
    for url in ("/wiki/getting_started", "/wiki/GETTING started", "/wiki/Getting%20started"):
        response = client.get(url)
        assert response.status_code == 301, url
        assert response.headers["Location"] == "/wiki/Getting_started"
    assert client.get("/wiki/Getting_started").status_code == 200


def test_canonical_redirect_keeps_the_action_and_query(client, editor, make_page):
    make_page("Getting started", "a")
    make_page("Getting started", "b")
    response = client.get("/wiki/getting started/-/diff?from=1&to=2")
    assert response.status_code == 301
    assert response.headers["Location"] == "/wiki/Getting_started/-/diff?from=1&to=2"


def test_first_spelling_of_a_title_is_kept(app, client, editor):
    save(client, "API Design", "v1", 0)
    save(client, "api design", "v2", 1, url_title="api_design")
    html = client.get("/wiki/API_Design").get_data(as_text=True)
    assert '<h1 class="page-title" id="page-title">API Design</h1>' in html
    assert revisions_of(app, "api design") == [1, 2]


def test_hierarchical_and_unicode_titles(client, editor):
    assert save(client, "concepts/caching", "about caching", 0).headers["Location"] == "/wiki/concepts/caching"
    html = client.get("/wiki/concepts/caching").get_data(as_text=True)
    # breadcrumb: no page "concepts", so a red link to create it (tests/blueprints/test_breadcrumbs.py)
    assert '<a class="new" href="/wiki/concepts/-/edit"' in html
    assert save(client, "Café/日本語", "ok", 0).status_code == 303
    assert client.get("/wiki/Caf%C3%A9/%E6%97%A5%E6%9C%AC%E8%AA%9E").status_code == 200


@pytest.mark.parametrize("url, message", [
    ("/wiki/a/../b", ".."),
    ("/wiki/" + "x" * 256, "255"),
    ("/wiki/a%00b", "control"),
    ("/wiki/a%E2%80%AEb", "invisible formatting"),
    ("/wiki/_", "empty"),
    ("/wiki/a//b", "empty part"),
    ("/wiki/a%5Bb%5D", "["),
])
def test_invalid_titles_get_a_clear_message(client, editor, url, message):
    response = client.get(url)
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert "No page can have this title" in html
    assert message in html
    assert post_form(client, url + "/-/edit", {"body": "x", "base_revision": "0"},
                     form_url="/-/login").status_code == 404


def test_reserved_action_segment_is_never_a_title(client, editor):
    for url in ("/wiki/a/-/b", "/wiki/-/x", "/wiki/a/-"):
        response = client.get(url)
        assert response.status_code == 404, url
        assert "There is no such page action" in response.get_data(as_text=True)


def test_wiki_links_are_stored_in_the_link_table(app, client, editor):
    save(client, "Source", "[[Target one]] and [[target_ONE|again]] and [[Other#Part]] and `[[not a link]]`", 0)
    with app.app_context():
        links = db.session.execute(select(Link.target_key, Link.section).order_by(Link.target_key)).all()
    assert [tuple(link) for link in links] == [("other", "Part"), ("target one", None)]
    save(client, "Source", "no links now", 1)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Link)) == 0


def test_links_to_existing_and_missing_pages_render_differently(client, editor, make_page):
    make_page("Exists", "here")
    save(client, "Linker", "[[Exists]] and [[Missing page]]", 0)
    html = client.get("/wiki/Linker").get_data(as_text=True)
    assert 'href="/wiki/Exists"' in html
    assert 'href="/wiki/Missing_page/-/edit"' in html
    assert "page does not exist" in html


def test_reading_a_page_does_not_render_markdown(app, client, editor, monkeypatch):
    save(client, "Stored", "# Stored\n", 0)
    import wiki.services.rendering as service

    def explode(*args, **kwargs):
        raise AssertionError("Markdown rendered on a read path")

    monkeypatch.setattr(service, "render_markdown", explode)
    assert client.get("/wiki/Stored").status_code == 200


def test_new_page_by_title(client, editor, make_page):
    make_page("Existing", "x")
    response = client.get("/-/new?title=concepts/Fresh idea")
    assert response.status_code == 302
    assert response.headers["Location"] == "/wiki/concepts/Fresh_idea/-/edit"
    assert client.get("/-/new?title=existing").headers["Location"] == "/wiki/Existing"
    response = client.get("/-/new?title=a|b")
    assert response.status_code == 400
    assert "cannot contain the character" in response.get_data(as_text=True)
    assert 'href="/-/new"' in client.get("/wiki/Existing").get_data(as_text=True)
