"""No N+1 on link health (issue 20): /-/links/broken, its API and the admin dashboard run as
many SQL statements with 1,000 pages of broken links as with 3. The pages and their rows are
written directly (saving 1,000 pages through the editor would only slow the test down); the
rows are those a save writes, checked by the other tests."""
from sqlalchemy import insert

from tests.blueprints.test_query_counts import counted_statements
from wiki.extensions import db
from wiki.models import BrokenLink, Page, Revision


def fill(app, start: int, count: int) -> None:
    with app.app_context():
        pages = [{"title": f"Page {i:05}", "title_key": f"page {i:05}", "protection": "none", "deleted": False}
                 for i in range(start, start + count)]
        db.session.execute(insert(Page), pages)
        ids = dict(db.session.execute(db.select(Page.title_key, Page.id).where(
            Page.title_key.in_([p["title_key"] for p in pages]))).all())
        db.session.execute(insert(Revision), [
            {"page_id": ids[p["title_key"]], "number": 1, "source": "[[Gone]]\n\n## A\n\n[[Home#B]]\n", "html": "",
             "toc": "", "headings": "", "size": 10, "parent_size": 0, "summary": "", "minor": False,
             "display_title": ""} for p in pages])
        for page_id, revision_id in db.session.execute(db.select(Revision.page_id, Revision.id).where(
                Revision.page_id.in_(list(ids.values())))).all():
            db.session.execute(db.update(Page).where(Page.id == page_id).values(current_revision_id=revision_id))
        db.session.execute(insert(BrokenLink), [
            row for page_id in ids.values() for row in (
                {"source_page_id": page_id, "kind": "page", "target_title": "Gone", "section": None, "line": 1,
                 "section_number": None},
                {"source_page_id": page_id, "kind": "section", "target_title": "Home", "section": "B", "line": 5,
                 "section_number": 1, "suggestion": "A", "suggestion_anchor": "a"})])
        db.session.commit()


def statements(app, client, url) -> int:
    with counted_statements(app) as count:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return count[0]


URLS = ("/-/links/broken", "/-/links/broken?kind=section&prefix=page", "/-/links/broken?page=2", "/-/admin",
        "/api/v1/links/broken?limit=100")


def test_link_health_queries_do_not_grow_with_the_wiki(app, client, make_user, login):
    login(make_user("root", role="admin"))
    fill(app, 0, 60)  # more than one screen, so ?page=2 exists
    few = {url: statements(app, client, url) for url in URLS}
    fill(app, 60, 940)
    many = {url: statements(app, client, url) for url in URLS}
    assert many == few
    html = client.get("/-/links/broken").get_data(as_text=True)
    assert "2000 broken links on 1000 pages." in html
