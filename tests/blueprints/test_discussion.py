"""Discussions through the test client: threads about a page or a section, replies, edits
with their history, resolving, what the page shows (counts, also in cached anonymous views),
sections that change, move, lose or rename their heading, renames of the page, locking,
hiding, rate limits, bad input and notifications."""
import re

import pytest

from tests.blueprints.test_query_counts import authors, counted_statements
from tests.conftest import PASSWORD, csrf_token, post_form
from wiki.extensions import db
from wiki.models import AuditEvent, DiscussionComment, DiscussionThread, Notification, Page, User
from wiki.services import discussions, moves
from wiki.services import pages as page_service

BODY = "# Caching\n\nIntro text.\n\n## Keys\n\nKeys are hashes.\n\n## Eviction\n\nLRU by bytes.\n"
DISCUSSION = "/wiki/Caching/-/discussion"


@pytest.fixture
def app_config():
    return {"RATELIMIT_ENABLED": False, "PROPAGATE_EXCEPTIONS": False}  # outages answer their own page


def start(client, body, section=None, title="Caching"):
    url = f"/wiki/{title}/-/discussion"
    data = {"body": body, **({"section": section} if section else {})}
    return post_form(client, url, data, form_url=url + (f"?section={section}" if section else ""))


def thread_id(response) -> int:
    return int(re.search(r"#thread-(\d+)$", response.headers["Location"]).group(1))


def thread_html(client, tid: int) -> str:
    html = client.get(DISCUSSION).get_data(as_text=True)
    match = re.search(rf'<article class="thread[^"]*" id="thread-{tid}">(.*?)</article>', html, re.S)
    assert match, html
    return match.group(1)


def edit_page(app, title, body, user_name="alice"):
    with app.app_context():
        page = page_service.find_page(title)
        author = db.session.scalar(db.select(User).where(User.username == user_name))
        return page_service.save_page(title, body, "edit", author, page.current_revision.number).revision.number


def test_a_section_thread_with_a_reply_resolved_and_counted_on_the_page(app, client, editor, make_page, make_user):
    make_page("Caching", BODY, editor)
    page_html = client.get("/wiki/Caching").get_data(as_text=True)
    assert ('href="/wiki/Caching/-/discussion?section=keys" title="Discuss this section" '
            'aria-label="Discuss section: Keys">discuss</a>') in page_html
    form = client.get(DISCUSSION + "?section=keys").get_data(as_text=True)
    assert "Discuss “Keys”" in form and 'name="section" type="hidden" value="keys"' in form

    response = start(client, "Why **blake2b**? @bob", "keys")
    assert response.status_code == 303
    tid = thread_id(response)
    html = thread_html(client, tid)
    assert "On “Keys” in revision 1" in html and "<strong>blake2b</strong>" in html and "open" in html
    response = post_form(client, f"{DISCUSSION}/{tid}/reply", {"body": "Because it is fast."}, form_url=DISCUSSION)
    assert response.status_code == 303 and "#comment-" in response.headers["Location"]
    assert "Because it is fast." in thread_html(client, tid)

    page_html = client.get("/wiki/Caching").get_data(as_text=True)
    assert re.search(r'href="/wiki/Caching/-/discussion#section-keys"[^>]*>2 comments</a>', page_html)
    assert '<span class="tab-count" title="open threads">1</span>' in page_html
    assert page_html.count('class="discussion-count"') == 1  # Eviction has none

    response = post_form(client, f"{DISCUSSION}/{tid}/status", {"resolve": "1"}, form_url=DISCUSSION)
    assert response.status_code == 303
    html = thread_html(client, tid)
    assert "resolved" in html and "resolved by alice" in html and ">Reopen<" in html
    page_html = client.get("/wiki/Caching").get_data(as_text=True)
    assert 'class="tab-count"' not in page_html  # no open thread left
    assert ">2 comments</a>" in page_html  # a resolved thread's comments still count
    post_form(client, f"{DISCUSSION}/{tid}/status", {"resolve": "0"}, form_url=DISCUSSION)
    assert '<span class="tab-count" title="open threads">1</span>' in client.get("/wiki/Caching").get_data(as_text=True)


def test_a_new_comment_shows_in_a_cached_anonymous_view(app, client, make_user, make_page, login):
    alice = make_user("alice")
    make_page("Caching", BODY, alice)
    reader = app.test_client()
    first = reader.get("/wiki/Caching")
    again = reader.get("/wiki/Caching")  # from the page cache now
    assert again.get_data() == first.get_data()
    etag = first.headers["ETag"]
    login(alice)
    start(client, "A question about keys", "keys")
    fresh = reader.get("/wiki/Caching", headers={"If-None-Match": etag})
    assert fresh.status_code == 200  # not a 304 with the old count
    assert ">1 comment</a>" in fresh.get_data(as_text=True)
    assert ">1 comment</a>" in reader.get("/wiki/Caching").get_data(as_text=True)
    tid = db_thread_ids(app)[0]
    post_form(client, f"{DISCUSSION}/{tid}/reply", {"body": "me too"}, form_url=DISCUSSION)
    assert ">2 comments</a>" in reader.get("/wiki/Caching").get_data(as_text=True)


def db_thread_ids(app):
    with app.app_context():
        return list(db.session.scalars(db.select(DiscussionThread.id).order_by(DiscussionThread.id)))


def test_a_thread_knows_when_its_section_changed_and_links_to_the_change(app, client, editor, make_page):
    make_page("Caching", BODY, editor)
    tid = thread_id(start(client, "Are they?", "keys"))
    other = thread_id(start(client, "And eviction?", "eviction"))
    number = edit_page(app, "Caching", BODY.replace("Keys are hashes.", "Keys are blake2b hashes."))
    assert number == 2
    html = thread_html(client, tid)
    assert "Section changed since revision 1." in html
    assert "Section changed" not in thread_html(client, other)  # only the section that changed
    changes = client.get(f"{DISCUSSION}/{tid}/changes")
    assert changes.status_code == 200
    text = changes.get_data(as_text=True)
    assert "“Keys” since revision 1" in text and "blake2b" in text and "Eviction" not in text.split("diff-head")[1]


def test_a_section_moved_elsewhere_on_the_page_is_unchanged(app, client, editor, make_page):
    make_page("Caching", BODY, editor)
    tid = thread_id(start(client, "Keys?", "keys"))
    moved = "# Caching\n\nIntro text.\n\n## Eviction\n\nLRU by bytes.\n\n## Keys\n\nKeys are hashes.\n"
    edit_page(app, "Caching", moved)
    html = thread_html(client, tid)
    assert "Section changed" not in html and "no longer on the page" not in html
    assert ">1 comment</a>" in client.get("/wiki/Caching").get_data(as_text=True)


def test_the_form_names_the_section_as_readers_see_its_heading(app, client, editor, make_page):
    make_page("Caching", "# Caching\n\n## The **key** `format`\n\ntext\n", editor)
    html = client.get(DISCUSSION + "?section=the-key-format").get_data(as_text=True)
    assert "Discuss “The key format”" in html
    tid = thread_id(start(client, "Why?", "the-key-format"))
    assert "On “The key format” in revision 1" in thread_html(client, tid)


def test_a_renamed_heading_keeps_its_thread(app, client, editor, make_page):
    make_page("Caching", BODY, editor)
    tid = thread_id(start(client, "Keys?", "keys"))
    edit_page(app, "Caching", BODY.replace("## Keys", "## Cache keys"))
    html = thread_html(client, tid)
    assert "its heading “Keys” is now “Cache keys”" in html
    page_html = client.get("/wiki/Caching").get_data(as_text=True)
    assert re.search(r'<h2 id="cache-keys">.*?>1 comment</a></h2>', page_html)  # the count moved with it
    discussion = client.get(DISCUSSION).get_data(as_text=True)
    assert 'id="section-cache-keys"' in discussion


def test_a_heading_that_is_gone_leaves_its_thread_on_the_page_discussion(app, client, editor, make_page):
    make_page("Caching", BODY, editor)
    tid = thread_id(start(client, "Keys?", "keys"))
    edit_page(app, "Caching", "# Caching\n\nIntro text.\n\n## Eviction\n\nLRU by bytes.\n")
    html = thread_html(client, tid)
    assert "The heading “Keys” is no longer on the page" in html
    assert "Sections no longer on the page" in client.get(DISCUSSION).get_data(as_text=True)
    assert 'class="discussion-count"' not in client.get("/wiki/Caching").get_data(as_text=True)
    changes = client.get(f"{DISCUSSION}/{tid}/changes").get_data(as_text=True)
    assert "no longer on the page" in changes and "Keys are hashes." in changes


def test_the_discussion_moves_with_a_renamed_page(app, client, editor, make_page):
    make_page("Caching", BODY, editor)
    tid = thread_id(start(client, "Keys?", "keys"))
    with app.app_context():
        actor = db.session.scalar(db.select(User).where(User.username == "alice"))
        moves.rename_page(page_service.find_page("Caching"), "Page caching", actor, leave_redirect=True)
    html = client.get("/wiki/Page_caching/-/discussion").get_data(as_text=True)
    assert f'id="thread-{tid}"' in html and "Keys?" in html and "Section changed" not in html
    assert ">1 comment</a>" in client.get("/wiki/Page_caching").get_data(as_text=True)
    assert "Keys?" not in client.get("/wiki/Caching/-/discussion").get_data(as_text=True)  # the redirect page's own


def test_authors_edit_their_comments_and_the_history_keeps_every_text(app, client, editor, make_page, make_user):
    make_page("Caching", BODY, editor)
    tid = thread_id(start(client, "First text"))
    with app.app_context():
        cid = db.session.scalar(db.select(DiscussionComment.id).where(DiscussionComment.thread_id == tid))
    url = f"{DISCUSSION}/comments/{cid}/edit"
    assert "First text" in client.get(url).get_data(as_text=True)
    assert post_form(client, url, {"body": "Second text"}).status_code == 303
    assert post_form(client, url, {"body": "Third *text*"}).status_code == 303
    html = thread_html(client, tid)
    assert "Third <em>text</em>" in html and "edited 2 times" in html and "First text" not in html
    history = client.get(f"{DISCUSSION}/comments/{cid}/history").get_data(as_text=True)
    assert history.index("Third") < history.index("Second text") < history.index("First text")

    make_user("bob")
    other = app.test_client()
    post_form(other, "/-/login", {"username": "bob", "password": PASSWORD})
    assert other.get(url).status_code == 403
    response = post_form(other, url, {"body": "Hijacked"}, form_url=DISCUSSION)
    assert response.status_code == 403
    assert "Hijacked" not in thread_html(client, tid)


@pytest.mark.parametrize("data, message", [
    ({"body": "   "}, "the comment is empty"),
    ({"body": "x" * 70000}, "the most a comment may have is 65,536"),
    ({"body": "hello", "section": "no-such-heading"}, "no section with that heading"),
])
def test_bad_input_is_refused_with_the_text_kept(app, client, editor, make_page, data, message):
    make_page("Caching", BODY, editor)
    response = post_form(client, DISCUSSION, data)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert message in html.lower().replace("&#39;", "'") or message in html
    if data["body"].strip() and len(data["body"]) < 1000:
        assert data["body"] in html
    assert db_thread_ids(app) == []


def test_unknown_threads_and_comments_are_404(app, client, editor, make_page):
    make_page("Caching", BODY, editor)
    make_page("Other", "# Other\n", editor)
    tid = thread_id(start(client, "Here"))
    assert post_form(client, f"/wiki/Other/-/discussion/{tid}/reply", {"body": "x"},
                     form_url="/wiki/Other/-/discussion").status_code == 404
    assert client.get(f"{DISCUSSION}/999/changes").status_code == 404
    assert client.get(f"{DISCUSSION}/comments/999/history").status_code == 404
    assert client.get("/wiki/Nowhere/-/discussion").status_code == 404
    assert client.post(DISCUSSION, data={"body": "no token"}).status_code == 400
    assert client.get(DISCUSSION + "?section=" + "x" * 300).status_code == 400


def login_as(app, name, role="editor"):
    with app.app_context():
        from wiki.services import users
        users.create_user(name, PASSWORD, role=role)
    client = app.test_client()
    post_form(client, "/-/login", {"username": name, "password": PASSWORD})
    return client


def test_readers_take_part_anonymous_visitors_only_read(app, client, make_user, make_page):
    make_page("Caching", BODY, make_user("alice"))
    reader = login_as(app, "rita", "reader")
    assert start(reader, "A reader asks").status_code == 303
    html = client.get(DISCUSSION).get_data(as_text=True)
    assert "A reader asks" in html and "Log in</a> to take part" in html and 'name="body"' not in html
    response = client.post(DISCUSSION, data={"body": "anonymous", "csrf_token": csrf_token(client)})
    assert response.status_code == 403 and "Log in to take part in discussions." in response.get_data(as_text=True)
    tid = db_thread_ids(app)[0]
    # a reader may resolve their own thread, not someone else's
    other = login_as(app, "ralph", "reader")
    assert post_form(other, f"{DISCUSSION}/{tid}/status", {"resolve": "1"}, form_url=DISCUSSION).status_code == 403
    assert post_form(reader, f"{DISCUSSION}/{tid}/status", {"resolve": "1"}, form_url=DISCUSSION).status_code == 303


def test_a_protected_page_stays_open_a_locked_discussion_only_admins(app, client, make_page):
    admin = login_as(app, "ada", "admin")
    editor = login_as(app, "ed", "editor")
    make_page("Caching", BODY)
    post_form(admin, "/wiki/Caching/-/protect", {"protection": "admin"}, form_url="/wiki/Caching")
    assert start(editor, "Protected, yet open").status_code == 303

    response = post_form(admin, f"{DISCUSSION}/lock", {"locked": "1"}, form_url=DISCUSSION)
    assert response.status_code == 303
    html = editor.get(DISCUSSION).get_data(as_text=True)
    assert "An administrator locked this discussion" in html and 'name="body"' not in html
    response = start(editor, "Still talking")
    assert response.status_code == 403 and "locked this page" in response.get_data(as_text=True)
    tid = db_thread_ids(app)[0]
    assert post_form(editor, f"{DISCUSSION}/{tid}/reply", {"body": "reply"}, form_url=DISCUSSION).status_code == 403
    assert start(admin, "Admins may").status_code == 303
    assert post_form(admin, f"{DISCUSSION}/lock", {"locked": "0"}, form_url=DISCUSSION).status_code == 303
    assert start(editor, "Open again").status_code == 303
    with app.app_context():
        actions = list(db.session.scalars(db.select(AuditEvent.action).order_by(AuditEvent.id)))
    assert actions[-2:] == ["lock_discussion", "unlock_discussion"]


def test_admins_hide_comments_and_the_audit_log_records_it(app, client, make_page):
    admin = login_as(app, "ada", "admin")
    editor = login_as(app, "ed", "editor")
    make_page("Caching", BODY)
    tid = thread_id(start(editor, "Something rude"))
    with app.app_context():
        cid = db.session.scalar(db.select(DiscussionComment.id).where(DiscussionComment.thread_id == tid))
    response = post_form(admin, f"{DISCUSSION}/comments/{cid}/hide", {"hidden": "1"}, form_url=DISCUSSION)
    assert response.status_code == 303
    assert "Something rude" not in editor.get(DISCUSSION).get_data(as_text=True)
    assert "An administrator hid this comment." in client.get(DISCUSSION).get_data(as_text=True)
    assert "Something rude" in admin.get(DISCUSSION).get_data(as_text=True)
    assert "Something rude" not in client.get(f"/-/search?q=rude").get_data(as_text=True)
    assert 'class="discussion-count"' not in client.get("/wiki/Caching").get_data(as_text=True)
    assert post_form(editor, f"{DISCUSSION}/comments/{cid}/hide", {"hidden": "0"},
                     form_url=DISCUSSION).status_code == 403
    audit = admin.get("/-/admin/audit").get_data(as_text=True)
    assert "hide_comment" in audit and f"Caching (comment {cid})" in audit


def test_comments_are_rate_limited_per_user(app, make_page):
    app.config["RATELIMIT_ENABLED"] = True
    app.config["COMMENTS_PER_USER"] = "2 per minute"
    from wiki.web import ratelimit
    ratelimit.register(app)
    editor = login_as(app, "ed")
    make_page("Caching", BODY)
    assert start(editor, "one").status_code == 303
    assert start(editor, "two").status_code == 303
    response = start(editor, "three, kept")
    assert response.status_code == 429
    html = response.get_data(as_text=True)
    assert "Too many comments" in html and "three, kept" in html
    assert len(db_thread_ids(app)) == 2
    assert start(login_as(app, "other"), "someone else may").status_code == 303


def test_mentions_watchers_and_participants_are_notified(app, client, make_page):
    alice = login_as(app, "alice")
    bob = login_as(app, "bob")
    carol = login_as(app, "carol")
    make_page("Caching", BODY)
    post_form(carol, "/wiki/Caching/-/watch", {}, form_url="/wiki/Caching")  # carol watches the page
    tid = thread_id(start(alice, "Keys? cc @bob", "keys"))
    post_form(bob, f"{DISCUSSION}/{tid}/reply", {"body": "Hashes."}, form_url=DISCUSSION)

    def told(name):
        with app.app_context():
            user = db.session.scalar(db.select(User).where(User.username == name))
            return [(n.kind, n.number) for n in db.session.scalars(
                db.select(Notification).where(Notification.user_id == user.id).order_by(Notification.id))]

    assert told("bob") == [("comment-mention", tid)]  # mentioned: once, not also as a watcher
    assert told("carol") == [("thread", tid)]  # a watcher hears of the new thread, not of replies
    assert told("alice") == [("reply", tid)]  # a participant hears of the reply
    listing = alice.get("/-/notifications").get_data(as_text=True)
    assert "bob replied in a discussion of “Caching”: Hashes." in listing
    nid = re.search(r'/-/notifications/(\d+)', listing).group(1)
    response = alice.get(f"/-/notifications/{nid}")
    assert response.headers["Location"].endswith(f"/wiki/Caching/-/discussion#thread-{tid}")


def test_a_discussion_of_200_comments_runs_as_many_statements_as_one_of_40(app, make_page):
    client = login_as(app, "viewer")  # logged in: no anonymous page cache
    make_page("Caching", BODY)
    with app.app_context():
        page = db.session.scalar(db.select(Page))
        people = authors("talker", 20)

    def fill(count):
        with app.app_context():
            page = db.session.scalar(db.select(Page))
            users = list(db.session.scalars(db.select(User).where(User.username.like("talker%"))))
            for i in range(count // 5):
                anchor = (None, "keys", "eviction", "gone-heading")[i % 4]
                thread = DiscussionThread(page_id=page.id, author_id=users[i % 20].id, anchor=anchor,
                                          heading="H" if anchor else "", section_text="x", section_hash="y",
                                          revision_number=1, status="open" if i % 2 else "resolved")
                db.session.add(thread)
                for j in range(5):
                    db.session.add(DiscussionComment(thread=thread, author_id=users[(i + j) % 20].id,
                                                     body="text", html="<p>text</p>"))
            db.session.commit()

    def count(url):
        # Rows added here bump no version: forget the kept frames (issue 21), so the view renders.
        from wiki.web import fragments, frames
        app.extensions[frames.EXTENSION].entries.clear()
        app.extensions[frames.EXTENSION].size = 0
        fragments._cache.entries.clear()
        with counted_statements(app) as n:
            assert client.get(url).status_code == 200
        return n[0]

    fill(40)
    few = (count(DISCUSSION), count("/wiki/Caching"))
    fill(160)
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(DiscussionComment)) == 200
    many = (count(DISCUSSION), count("/wiki/Caching"))
    assert many == few
    assert people
    assert "text" in client.get(DISCUSSION).get_data(as_text=True)


def test_comments_in_recent_changes_contributions_and_feeds(app, client, make_page):
    alice = login_as(app, "alice")
    make_page("Caching", BODY)
    make_page("Other", "# Other\n")
    start(alice, "A thought <about> keys", "keys")
    hidden = thread_id(start(alice, "A rude remark"))
    with app.app_context():
        comment = db.session.scalar(db.select(DiscussionComment).where(DiscussionComment.thread_id == hidden))
        comment.hidden = True
        db.session.commit()
    recent = client.get("/-/recent").get_data(as_text=True)
    assert "A thought" not in recent  # a filter: off by default
    recent = client.get("/-/recent?comments=1").get_data(as_text=True)
    assert "On “Keys”: A thought &lt;about&gt; keys" in recent and "rude" not in recent
    assert 'name="comments" value="1" checked' in recent
    assert "A thought" not in client.get("/-/recent?comments=1&prefix=Oth").get_data(as_text=True)
    mine = client.get("/-/user/alice").get_data(as_text=True)
    assert "A thought" in mine and "/wiki/Caching/-/discussion#comment-" in mine
    assert "A thought" not in client.get("/-/user/alice?comments=0").get_data(as_text=True)
    feed = client.get("/-/recent.atom").get_data(as_text=True)
    assert "<title>Caching (comment on “Keys”)</title>" in feed and "A thought &lt;about&gt; keys" in feed
    assert "rude" not in feed and "Caching (revision 1)" in feed
    assert "A thought" not in client.get("/-/recent.atom?comments=0").get_data(as_text=True)
    page_feed = client.get("/wiki/Caching/-/history.atom").get_data(as_text=True)
    assert "Caching (comment on “Keys”)" in page_feed and "Caching (revision 1)" in page_feed
    assert "A thought" not in client.get("/wiki/Other/-/history.atom").get_data(as_text=True)


def test_comments_in_recent_changes_and_feeds_cost_the_same_for_5_or_25(app, make_page):
    client = login_as(app, "viewer")
    with app.app_context():
        people = authors("talker", 25)
        ids = [u.id for u in people]

    def fill(start, count):
        for i in range(start, start + count):
            make_page(f"Page {i}", f"# Page {i}\n")
            with app.app_context():
                page = page_service.find_page(f"Page {i}")
                thread = DiscussionThread(page_id=page.id, author_id=ids[i], revision_number=1, status="open")
                db.session.add(thread)
                db.session.add(DiscussionComment(thread=thread, author_id=ids[i], body=f"c{i}", html="<p>c</p>"))
                db.session.commit()

    def count(url):
        with counted_statements(app) as n:
            assert client.get(url).status_code == 200
        return n[0]

    urls = ("/-/recent?comments=1", "/-/recent.atom", "/-/user/talker3")
    fill(0, 5)
    few = [count(url) for url in urls]
    fill(5, 20)
    assert [count(url) for url in urls] == few
    assert "c24" in client.get("/-/recent?comments=1").get_data(as_text=True)


def test_comments_are_searchable_and_results_say_where_they_sit(app, client, make_page):
    alice = login_as(app, "alice")
    make_page("Caching", BODY)
    make_page("Notes/Other", "# Other\n\nNothing about it.\n")
    start(alice, "Keys could use a **capybara** hash.", "keys")
    start(alice, "The capybaras of the whole page.")
    start(alice, "Another capybara note.", title="Notes/Other")
    html = client.get("/-/search?q=capybara").get_data(as_text=True)
    section = html.split('<section class="search-comments">')[1]
    assert "In discussions" in section and section.count("<li>") == 3
    assert "discussion of the section “Keys”" in section and "discussion of the page" in section
    assert "<mark>capybara</mark>" in section  # stemmed: capybaras matches too
    assert re.search(r'href="/wiki/Caching/-/discussion#comment-\d+"', section)
    assert "Nothing found for “capybara” on the pages themselves." in html
    scoped = client.get("/-/search?q=capybara&in=Notes/").get_data(as_text=True).split("search-comments")[1]
    assert scoped.count("<li>") == 1 and "Notes/Other" in scoped
    assert "search-comments" not in client.get("/-/search?q=platypus").get_data(as_text=True)
    with app.app_context():
        from wiki.services import discussion_index
        assert discussion_index.reindex_all() == 3
        assert len(discussion_index.search("capybara")) == 3
        moves.delete_page(page_service.find_page("Notes/Other"),
                          db.session.scalar(db.select(User).where(User.username == "alice")))
    html = client.get("/-/search?q=capybara").get_data(as_text=True)
    assert html.split('<section class="search-comments">')[1].count("<li>") == 2  # not on a deleted page


def test_rerender_gives_pages_saved_before_the_upgrade_their_discuss_links(app, runner, make_page):
    make_page("Caching", BODY)
    with app.app_context():
        revision = page_service.find_page("Caching").current_revision
        revision.html = re.sub(r'<a class="section-discuss"[^>]*>discuss</a>', "", revision.html)  # as before
        db.session.commit()
    client = app.test_client()
    assert "section-discuss" not in client.get("/wiki/Caching").get_data(as_text=True)
    result = runner.invoke(args=["rerender"])
    assert result.exit_code == 0 and "Rendered 1 pages" in result.output, result.output
    assert 'href="/wiki/Caching/-/discussion?section=keys"' in client.get("/wiki/Caching").get_data(as_text=True)


def test_a_comment_posted_during_an_outage_comes_back_to_send_again(app, client, editor, make_page):
    from tests.web.test_outages import Faults, assert_outage_page, value_of

    make_page("Caching", BODY, editor)
    tid = thread_id(start(client, "First"))
    token = csrf_token(client, DISCUSSION)
    faults = Faults(app)
    try:
        faults.cut()
        for n, (url, data) in enumerate(((DISCUSSION, {"body": "My *question*", "section": "keys"}),
                          (f"{DISCUSSION}/{tid}/reply", {"body": "My reply"})), start=1):
            # the one refused statement: rendering the form again asked the database nothing
            page = assert_outage_page(client.post(url, data={**data, "csrf_token": token}), faults, refused=n)
            assert data["body"] in page and "Your comment was not saved" in page
            assert f'action="{url}"' in page
            if "section" in data:
                assert value_of(page, "section") == "keys"
    finally:
        faults.close()
    assert len(db_thread_ids(app)) == 1
    html = thread_html(client, tid)
    assert "My reply" not in html
