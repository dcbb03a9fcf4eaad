"""Tags survive an export and an import (issue 20): they live in the sources, and the import
fills the page_tags table from them (deleted pages and redirects get none)."""
from sqlalchemy import select

from tests.conftest import _base_config, _migrate, wipe
from wiki import create_app
from wiki.extensions import db
from wiki.models import Page, PageTag, User
from wiki.services import backup, moves, tags
from wiki.services import pages as page_service


def stored() -> set[tuple[str, str]]:
    return set(db.session.execute(select(Page.title, PageTag.tag).join(Page, Page.id == PageTag.page_id)).all())


def test_an_export_and_import_carry_the_tags(app, tmp_path):
    with app.app_context():
        admin = User(username="root", username_key="root", password_hash="x", role="admin")
        db.session.add(admin)
        db.session.commit()
        page_service.save_page("Caching", "---\ntags: redis, caching\n---\n# Caching\n", "", admin, 0)
        page_service.save_page("Caching", "---\ntags: redis, performance\n---\n# Caching\n", "", admin, 1)
        page_service.save_page("Docker", "---\ntags: [Docker, DevOps]\n---\nText\n", "", admin, 0)
        page_service.save_page("Gone", "---\ntags: lost\n---\nText\n", "", admin, 0)
        page_service.save_page("Alias", "#REDIRECT [[Docker]]\n", "", admin, 0)
        moves.delete_page(page_service.get_page("Gone"), admin)
        before = stored()
        assert before == {("Caching", "redis"), ("Caching", "performance"), ("Docker", "docker"),
                          ("Docker", "devops")}
        backup.export_wiki(tmp_path / "export")

    url = "sqlite:///" + str(tmp_path / "restored.db")
    _migrate(url)
    target = create_app(_base_config(url))
    target.instance_path = str(tmp_path)
    try:
        with target.app_context():
            backup.import_wiki(tmp_path / "export")
            assert stored() == before
            assert [(t.tag, t.pages) for t in tags.list_tags().tags] == [
                ("devops", 1), ("docker", 1), ("performance", 1), ("redis", 1)]
            # The restored deleted page gets its tags back with it.
            moves.restore_page(page_service.find_deleted_page("Gone"), db.session.scalar(select(User)))
            assert ("Gone", "lost") in stored()
    finally:
        wipe(target)


def test_rebuilding_the_table_gives_the_same_rows(app):
    with app.app_context():
        page_service.save_page("One", "---\ntags: a, b\n---\nx\n", "", None, 0)
        page_service.save_page("Two", "---\ntags: b\n---\nx\n", "", None, 0)
        before = stored()
        db.session.execute(PageTag.__table__.delete())
        db.session.commit()
        assert tags.rebuild_all() == 3
        assert stored() == before
