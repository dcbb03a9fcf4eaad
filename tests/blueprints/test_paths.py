"""Learning paths (issue 20) through the test client: the path page, step pages, /-/paths,
marking steps done (and its bad input), following, the profile, renames and removed steps."""
import re

import pytest

from tests.conftest import csrf_token, post_form
from wiki.extensions import db
from wiki.models import PathProgress, PathStep
from wiki.services import moves, pages as page_service

PATH = """# Backend basics

Read these in order.

```path
- [[REST]] — start here
- [[Databases#Indexes]]: only the indexes
- [[Caching]]
```
"""


@pytest.fixture
def wiki(make_page, editor):
    make_page("REST", "# REST APIs\n\nResources named by URLs, moved with verbs.\n")
    make_page("Databases", "Tables and queries.\n\n## Indexes\n\nWhy lookups are fast.\n")
    make_page("Caching", "Keeping answers close.\n")
    make_page("Backend", PATH)
    return editor


def page_id(app, title):
    with app.app_context():
        return page_service.find_page(title).id


def mark(client, app, path, step, done=True, section="", next_url=None):
    data = {"path": str(page_id(app, path)), "page": str(page_id(app, step)), "section": section,
            "done": "1" if done else "0"}
    if next_url:
        data["next"] = next_url
    return post_form(client, "/-/paths/progress", data, form_url="/-/paths")


def text(response):
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


def test_path_page_lists_the_numbered_steps_with_titles_summaries_and_notes(client, wiki):
    body = text(client.get("/wiki/Backend"))
    assert '<div class="learning-path">' in body
    assert "Learning path: 3 steps" in body
    assert "REST APIs" in body  # the display title of the step page
    assert "Resources named by URLs, moved with verbs." in body  # its summary: the first paragraph
    assert "Databases § Indexes" in body and "only the indexes" in body
    assert "0 of 3 done" in body


def test_step_page_shows_where_it_is_with_previous_and_next(client, app, wiki):
    body = text(client.get("/wiki/Databases"))
    assert "Step 2 of 3 in" in body and ">Backend basics</a>" in body
    backend = page_id(app, "Backend")
    assert f'href="/wiki/REST?path={backend}"' in body and "Previous: REST APIs" in body
    assert f'href="/wiki/Caching?path={backend}"' in body and "Next: Caching" in body
    first = text(client.get("/wiki/REST"))
    assert "Step 1 of 3" in first and "This is the first step." in first


def test_marking_steps_done_shows_progress_everywhere_and_undo_works(client, app, wiki):
    response = mark(client, app, "Backend", "REST", next_url="/wiki/REST")
    assert response.status_code == 303 and response.headers["Location"] == "/wiki/REST"
    assert "✓ Done" in text(client.get("/wiki/REST"))
    assert "1 of 3 done" in text(client.get("/wiki/Backend"))
    assert "1 of 3 done" in text(client.get("/-/paths"))
    assert "1 of 3 done" in text(client.get("/-/user/alice"))
    assert mark(client, app, "Backend", "Databases", section="Indexes").status_code == 303
    assert "2 of 3 done" in text(client.get("/wiki/Backend"))
    assert mark(client, app, "Backend", "REST", done=False).status_code == 303
    assert "1 of 3 done" in text(client.get("/wiki/Backend"))


def test_marking_a_page_that_is_not_a_step_is_refused(client, app, wiki, make_page):
    make_page("Elsewhere", "Not in the path.")
    response = mark(client, app, "Backend", "Elsewhere")
    assert response.status_code == 400
    assert "not a step of this path" in response.get_data(as_text=True)
    response = mark(client, app, "Backend", "Databases")  # the path names a section of it, not the page
    assert response.status_code == 400
    with app.app_context():
        assert db.session.query(PathProgress).count() == 0


def test_marking_with_a_path_that_is_no_path_or_a_damaged_form(client, app, wiki):
    response = post_form(client, "/-/paths/progress", {"path": str(page_id(app, "REST")),
                                                       "page": str(page_id(app, "REST")), "done": "1"},
                         form_url="/-/paths")
    assert response.status_code == 404 and "no such learning path" in response.get_data(as_text=True)
    response = post_form(client, "/-/paths/progress", {"path": "x", "page": "1", "done": "1"}, form_url="/-/paths")
    assert response.status_code == 400 and "The form is damaged" in response.get_data(as_text=True)
    response = post_form(client, "/-/paths/progress", {"path": "1", "page": "1", "done": "maybe"},
                         form_url="/-/paths")
    assert response.status_code == 400


def test_marking_needs_a_valid_csrf_token(client, app, wiki):
    data = {"path": str(page_id(app, "Backend")), "page": str(page_id(app, "REST")), "section": "", "done": "1"}
    assert client.post("/-/paths/progress", data=data).status_code == 400
    assert client.post("/-/paths/progress", data={**data, "csrf_token": "forged"}).status_code == 400
    with app.app_context():
        assert db.session.query(PathProgress).count() == 0


def test_anonymous_visitors_follow_but_cannot_mark(client, app, wiki):
    token = csrf_token(client, "/-/paths")
    client.post("/-/logout", data={"csrf_token": token})
    body = text(client.get("/wiki/Caching"))
    assert "Step 3 of 3" in body and "Log in</a> to mark steps done" in body
    assert "Mark step" not in body
    data = {"path": str(page_id(app, "Backend")), "page": str(page_id(app, "REST")), "section": "", "done": "1",
            "csrf_token": csrf_token(client, "/-/login")}
    response = client.post("/-/paths/progress", data=data)
    assert response.status_code in (302, 403)
    with app.app_context():
        assert db.session.query(PathProgress).count() == 0


def test_a_step_to_a_missing_page_is_red_and_reported_then_resolved_when_created(client, app, wiki, make_page):
    make_page("Backend", PATH.replace("- [[Caching]]", "- [[Caching]]\n- [[Queues]] — later"))
    body = text(client.get("/wiki/Backend"))
    assert "(missing page)" in body and "“Queues”, which does not exist yet" in body
    assert 'class="wikilink new"' in body
    make_page("Queues", "Work for later.\n")
    body = text(client.get("/wiki/Backend"))
    assert "(missing page)" not in body and "Work for later." in body
    assert "Step 4 of 4" in text(client.get("/wiki/Queues"))


def test_a_path_containing_itself_is_rendered_and_flagged(client, wiki, make_page):
    make_page("Loop", "```path\n- [[Loop]]\n- [[REST]]\n```\n")
    response = client.get("/wiki/Loop")
    assert response.status_code == 200
    body = text(response)
    assert "(this path itself)" in body and "a path should not contain itself" in body
    assert "Learning path: 2 steps" in body


def test_lines_that_are_not_steps_are_reported(client, wiki, make_page):
    make_page("Odd", "```path\n- [[REST]]\njust words\n- [[REST]]\n```\n")
    body = text(client.get("/wiki/Odd"))
    assert "Line 3 is not a step" in body and "repeats the step [[REST]]" in body


def test_paths_list_counts_steps(client, wiki):
    body = text(client.get("/-/paths"))
    assert ">Backend basics</a>" in body and "<td>3</td>" in body


def test_a_page_in_two_paths_shows_both_and_follows_the_chosen_one(client, app, wiki, make_page):
    make_page("Other", "# Zed path\n\n```path\n- [[Caching]]\n- [[REST]]\n```\n")
    other = page_id(app, "Other")
    body = text(client.get("/wiki/REST"))
    assert "Step 1 of 3 in" in body and "Step 2 of 2 in" in body
    assert f'href="/wiki/REST?path={other}">Follow this path here' in body
    chosen = text(client.get(f"/wiki/REST?path={other}"))
    assert chosen.index("Step 2 of 2") < chosen.index("Step 1 of 3")
    assert "Previous: Caching" in chosen
    response = post_form(client, "/-/paths/follow", {"path": str(other)}, form_url="/-/paths")
    assert response.status_code == 303
    remembered = text(client.get("/wiki/REST"))
    assert remembered.index("Step 2 of 2") < remembered.index("Step 1 of 3")
    assert client.get("/wiki/REST?path=nonsense").status_code == 200


def test_progress_survives_a_rename(client, app, wiki):
    mark(client, app, "Backend", "Caching")
    with app.app_context():
        page = page_service.find_page("Caching")
        moves.rename_page(page, "Caching basics", db.session.get(type(page.current_revision.author), wiki.id)
                          if page.current_revision.author else None)
    body = text(client.get("/wiki/Backend"))
    assert "1 of 3 done" in body


def test_a_removed_step_keeps_its_done_state_in_history(client, app, wiki, make_page):
    mark(client, app, "Backend", "Caching")
    make_page("Backend", PATH.replace("- [[Caching]]\n", ""))
    body = text(client.get("/wiki/Backend"))
    assert "0 of 2 done" in body
    assert "Done earlier, no longer in this path:" in body and ">Caching</a>" in body
    make_page("Backend", PATH)  # back in the path: done again
    assert "1 of 3 done" in text(client.get("/wiki/Backend"))


def test_progress_is_private_unless_made_public(client, app, wiki, make_user, login):
    mark(client, app, "Backend", "REST")
    assert post_form(client, "/-/paths/visibility", {"public": "0"}, form_url="/-/paths").status_code == 303
    make_user("bob")
    login("bob")
    assert "Learning paths" not in text(client.get("/-/user/alice"))
    login("alice")
    assert post_form(client, "/-/paths/visibility", {"public": "1"}, form_url="/-/paths").status_code == 303
    login("bob")
    assert "1 of 3 done" in text(client.get("/-/user/alice"))


def test_deleting_the_step_page_shows_it_missing(client, app, wiki):
    with app.app_context():
        moves.delete_page(page_service.find_page("Caching"), None)
    body = text(client.get("/wiki/Backend"))
    assert "(missing page)" in body
    with app.app_context():
        assert db.session.query(PathStep).count() == 3


def test_no_cached_view_shows_stale_progress_or_steps(client, app, wiki, make_page):
    """The path state is part of the page view's validator: a 304 never brings back yesterday's
    progress, and a change to the path shows on its step pages at once (also anonymously)."""
    client.get("/wiki/REST")  # shows (and so clears) the login's flashed message
    first = client.get("/wiki/REST")
    etag = first.headers["ETag"]
    assert client.get("/wiki/REST", headers={"If-None-Match": etag}).status_code == 304
    mark(client, app, "Backend", "REST")
    client.get("/wiki/REST")  # the "Marked as done" message
    again = client.get("/wiki/REST", headers={"If-None-Match": etag})
    assert again.status_code == 200 and "✓ Done" in text(again)
    anonymous = app.test_client()  # no cookie at all: the cached door in front of Flask
    assert "Step 1 of 3" in text(anonymous.get("/wiki/REST"))
    make_page("Backend", PATH.replace("- [[REST]] — start here\n", ""))
    assert "Step 1 of" not in text(anonymous.get("/wiki/REST"))
    assert "Step 1 of 2" in text(anonymous.get("/wiki/Databases"))
