"""No N+1 in learning paths (issue 20): at 1,000 pages with 50 paths, /-/paths, a path page,
a step page in many paths and the profile run as many statements as a small wiki's."""
import pytest

from tests.blueprints.test_query_counts import statements
from wiki.core.titles import canonical_key
from wiki.extensions import db
from wiki.models import Page, Revision, User
from wiki.services import pages as page_service
from wiki.services import path_progress, paths


def bulk_pages(prefix: str, count: int) -> None:
    """``count`` pages written directly (saving each would only slow the test down)."""
    pages = [Page(title=f"{prefix} {i}", title_key=canonical_key(f"{prefix} {i}")) for i in range(count)]
    db.session.add_all(pages)
    db.session.flush()
    revisions = [Revision(page_id=page.id, number=1, source=f"Summary of {page.title}.",
                          html=f"<p>Summary of {page.title}.</p>", size=10) for page in pages]
    db.session.add_all(revisions)
    db.session.flush()
    for page, revision in zip(pages, revisions):
        page.current_revision_id = revision.id
    db.session.commit()


def build(prefix: str, pages: int, path_count: int, steps: int, learner: User) -> dict:
    bulk_pages(prefix, pages)
    for p in range(path_count):
        # every path starts at the shared page, so that page is in all of them
        lines = [f"- [[{prefix} 0]] — the start"] + [f"- [[{prefix} {(p * steps + s) % pages + 1}]]"
                                                     for s in range(steps - 2)] + [f"- [[{prefix} missing {p}]]"]
        page_service.save_page(f"{prefix} path {p}", "```path\n" + "\n".join(lines) + "\n```\n", "", None, None)
    user = db.session.get(User, learner.id)
    for p in range(path_count):
        path = page_service.get_page(f"{prefix} path {p}")
        view = paths.path_view(path, user.id, summaries=False)
        for step in view.steps[:3]:
            path_progress.mark(db.session.get(User, learner.id), path, step.page_id, step.section, True)
    return {"path": f"/wiki/{prefix}_path_0".replace(" ", "_"), "step": f"/wiki/{prefix}_0".replace(" ", "_")}


@pytest.mark.parametrize("logged_in", [True, False])
def test_statements_do_not_grow_with_paths_steps_or_pages(app, client, make_user, login, logged_in):
    learner = make_user("learner")
    if logged_in:
        login(learner)
    with app.app_context():
        small = build("Small", 20, 2, 5, learner)
    small_counts = {name: statements(app, client, url) for name, url in
                    {"index": "/-/paths", **small, "profile": "/-/user/learner"}.items()}
    with app.app_context():
        large = build("Large", 1000, 50, 20, learner)
    large_counts = {name: statements(app, client, url) for name, url in
                    {"index": "/-/paths", **large, "profile": "/-/user/learner"}.items()}
    assert large_counts == small_counts
    body = client.get(large["step"]).get_data(as_text=True)
    assert "Step 1 of 20 in" in body and "more paths" in body  # 50 paths: the first ten shown
