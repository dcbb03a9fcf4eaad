"""No N+1 queries in the tag lists (issue 20): /-/tags, /-/tags/<tag>, All pages and search with
a tag filter, a tagged page view, and the API's lists run as many SQL statements for N rows as
for 5N (counted as in test_query_counts)."""
import pytest

from tests.blueprints.test_query_counts import N, authors, counted_statements, save, statements


def tagged(tags, body="Some words about caching."):
    return f"---\ntags: {', '.join(tags)}\n---\n{body}\n"


# Each builder makes ``n`` rows of its list (names unique by ``tag``) and returns its URL.

def all_tags(tag, n):
    for i, user in enumerate(authors(f"t{tag}u", n)):
        save(f"Tags {tag} {i}", tagged([f"{tag}-t{i}", f"{tag}-shared"]), user)
    return "/-/tags"


def tag_pages(tag, n):
    for i, user in enumerate(authors(f"p{tag}u", n)):
        save(f"Tagged {tag}/{i}", tagged([f"topic-{tag}", f"{tag}-x{i}"], f"# Shown title {i}\n\nOpening words."),
             user)
    return f"/-/tags/topic-{tag}"


def pages_filtered(tag, n):
    tag_pages(tag, n)
    return f"/-/pages?tag=topic-{tag}"


def search_filtered(tag, n):
    tag_pages(tag, n)
    return f"/-/search?q=opening+tag:topic-{tag}"


def search_tag_only(tag, n):
    tag_pages(tag, n)
    return f"/-/search?q=tag:topic-{tag}"


def page_view(tag, n):
    save(f"Viewed {tag}", tagged([f"v{tag}{i}" for i in range(n)]))
    return f"/wiki/Viewed_{tag}?x=1"  # a query string: rendered by the view, not the page cache


def api_tag_pages(tag, n):
    tag_pages(tag, n)
    return f"/api/v1/tags/topic-{tag}"


def api_tags(tag, n):
    all_tags(tag, n)
    return "/api/v1/tags"


LISTS = [all_tags, tag_pages, pages_filtered, search_filtered, search_tag_only, page_view, api_tag_pages, api_tags]


@pytest.mark.parametrize("build", LISTS, ids=[b.__name__ for b in LISTS])
def test_statements_do_not_grow_with_the_rows_shown(app, client, build):
    with app.app_context():
        small_url = build("a", N)
    small = statements(app, client, small_url)
    with app.app_context():
        large_url = build("b", 5 * N)
    large = statements(app, client, large_url)
    assert large == small, f"{build.__name__}: {small} statements for {N} rows, {large} for {5 * N}"


def test_a_save_runs_as_many_statements_with_many_tags_as_with_one(app, client, editor):
    from tests.conftest import post_form

    def count_save(title, tags):
        with app.app_context():
            save(title, "first\n")
        with counted_statements(app) as count:
            response = post_form(client, f"/wiki/{title.replace(' ', '_')}/-/edit",
                                 {"body": tagged(tags), "summary": "", "base_revision": "1"})
        assert response.status_code == 303
        return count[0]

    assert count_save("One tag", ["a"]) == count_save("Twenty tags", [f"t{i}" for i in range(20)])
