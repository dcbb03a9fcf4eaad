"""Display titles where people read titles (issue 19): heading, tab, lists, recent changes,
search, feeds, link labels (kept up to date by the fan-out); the Edit link for visitors."""
from click.testing import CliRunner  # noqa: F401 (the runner fixture is Flask's)
from sqlalchemy import select, update

from tests.blueprints.test_links import html_of, stored_html
from tests.blueprints.test_pages import save
from wiki.extensions import db
from wiki.models import Page, Revision

BODY = "# Caching with Redis\n\nRedis keeps hot data in memory.\n\n## Eviction\n\ntext\n"


def test_the_display_title_is_the_heading_and_the_tab_and_the_path_stays_the_url(client, editor):
    save(client, "concepts/caching-with-redis", BODY, 0)
    html = html_of(client, "/wiki/concepts/caching-with-redis")
    assert '<h1 class="page-title" id="page-title">Caching with Redis</h1>' in html
    assert "<title>Caching with Redis · " in html
    assert html.count("<h1") == 1
    assert html_of(client, "/wiki/concepts/caching-with-redis/-/history").count("Caching with Redis") >= 2


def test_lists_search_recent_changes_and_feeds_show_display_titles(client, editor):
    save(client, "concepts/caching-with-redis", BODY, 0)
    save(client, "Linker", "[[concepts/caching-with-redis]]", 0)
    for url in ("/-/pages", "/-/recent", "/-/search?q=redis", "/-/recent.atom",
                "/wiki/concepts/caching-with-redis/-/backlinks", f"/-/user/{editor.username}"):
        assert "Caching with Redis" in html_of(client, url), url
    search = html_of(client, "/-/search?q=caching+redis")
    assert '<a class="result-title" href="/wiki/concepts/caching-with-redis">Caching with Redis</a>' in search


def test_unlabelled_links_read_the_title_and_follow_it_when_it_changes(app, client, editor):
    save(client, "Docker", "# Docker basics\n\n## Images\n", 0)
    save(client, "Linker", "[[Docker]], [[docker|mine]], [[Docker#Images]] and [[Docker#Gone]]", 0)
    html = stored_html(app, "linker")
    assert '<a class="wikilink" href="/wiki/Docker">Docker basics</a>' in html
    assert ">mine</a>" in html
    assert '<a class="wikilink" href="/wiki/Docker#images">Docker basics § Images</a>' in html
    assert 'title="section does not exist">Docker basics § Gone</a>' in html  # same form: stable
    save(client, "Docker", "# Docker for learners\n\n## Images\n", 1)  # jobs run at once in tests
    html = stored_html(app, "linker")
    assert '<a class="wikilink" href="/wiki/Docker">Docker for learners</a>' in html
    assert "Docker basics" not in html


def test_visitors_get_an_edit_link_that_leads_to_login_and_back(client, make_page):
    make_page("Docker", "# Docker\n")
    html = html_of(client, "/wiki/Docker")
    assert ('<a href="/-/login?next=/wiki/Docker/-/edit" class="edit-login" title="Log in to edit this page">Edit</a>'
            in html)
    html = html_of(client, "/wiki/Nothing_here")
    assert "/-/login?next=/wiki/Nothing_here/-/edit" in html


def test_edited_by_under_the_title_with_the_exact_time(client, editor):
    save(client, "Docker", "# Docker\n", 0)
    html = html_of(client, "/wiki/Docker")
    assert '<p class="edited-by">Edited by alice · <time class="relative-time" datetime="' in html
    assert 'title="20' in html.split('class="edited-by"')[1].split("</p>")[0]


def test_rerender_brings_old_stored_html_up_to_date(app, client, editor):
    save(client, "Docker", "# Docker\n\ntext\n", 0)
    save(client, "Docker", "# Docker\n\nmore text\n", 1)
    with app.app_context():  # as rendered before display titles: the heading in the content
        db.session.execute(update(Revision).values(html='<h1 id="docker">Docker</h1><p>old</p>'))
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["rerender"])
    assert result.exit_code == 0 and "Rendered 1 pages and 1 old revisions again." in result.output
    with app.app_context():
        assert all("<h1" not in html for html in db.session.scalars(select(Revision.html)))
        assert db.session.scalar(select(Page.display_title)) == "Docker"
