"""Full-text search on both engines (FTS5 and tsvector), with the same cases."""
import pytest

from tests.conftest import post_form


@pytest.fixture
def corpus(make_page, make_user):
    ann = make_user("ann")
    make_page("concepts/Caching", "# Caching\n\nA cache keeps hot data close. Cached reads are fast.", ann)
    make_page("concepts/Queues", "# Queues\n\nCelery workers read jobs from RabbitMQ. Caching is unrelated here.", ann)
    make_page("challenges/Slow API", "The API was slow until we added a cache in front of the database.", ann)
    make_page("Redis", "Redis is an in-memory store, used for caching and for queues.", ann)
    make_page("Secret <b>markup</b> page".replace("<b>", "").replace("</b>", ""),
              "Text with <img src=x onerror=alert(1)> and caching words.", ann)


def search(client, query, **params):
    response = client.get("/-/search", query_string={"q": query, **params})
    assert response.status_code == 200
    return response.get_data(as_text=True)


def result_titles(html):
    import re
    return re.findall(r'class="result-title" href="/wiki/([^"]+)"', html)


def test_stemming_finds_word_forms_and_titles_rank_first(client, corpus):
    titles = result_titles(search(client, "caching"))
    assert titles[0] == "concepts/Caching"
    assert set(titles) == {"concepts/Caching", "concepts/Queues", "challenges/Slow_API", "Redis",
                           "Secret_markup_page"}


def test_snippets_are_highlighted_and_escaped(client, corpus):
    html = search(client, "caching")
    assert "<mark>" in html
    assert "onerror=alert(1)>" not in html


def test_phrase_exclusion_and_prefix(client, corpus):
    assert result_titles(search(client, '"hot data"')) == ["concepts/Caching"]
    assert "concepts/Queues" not in result_titles(search(client, "caching -celery"))
    assert set(result_titles(search(client, "caching in:concepts/"))) == {"concepts/Caching", "concepts/Queues"}
    assert set(result_titles(search(client, "caching", **{"in": "concepts"}))) == {"concepts/Caching", "concepts/Queues"}


def test_exact_title_is_offered_and_missing_title_can_be_created(client, corpus, editor):
    html = search(client, "redis")
    assert 'Go to page: <a href="/wiki/Redis">' in html
    html = search(client, "Brand new topic")
    assert 'href="/wiki/Brand_new_topic/-/edit"' in html


@pytest.mark.parametrize("query", [
    "", "   ", "!!!", "-", "- - -", '"', '"""', "NEAR(caching redis)", "cach*", "title:caching", "^caching",
    "caching OR", "AND", "'; DROP TABLE pages; --", "%_", "\\", "x" * 10_000, "caching " * 2000,
    "the", "-caching", "in:", "in:%", '"unbalanced caching',
])
def test_bad_queries_never_fail(client, corpus, query):
    html = search(client, query)
    assert "Something went wrong" not in html


def test_only_operators_says_nothing_to_search(client, corpus):
    assert "Nothing to search for" in search(client, "-caching")
    assert "Nothing found" in search(client, "zyxwvut")


def test_index_follows_saves_renames_and_deletes(client, make_user, login, make_page):
    make_page("Topic", "nothing yet")
    login(make_user("alice"))
    assert result_titles(search(client, "kubernetes")) == []
    post_form(client, "/wiki/Topic/-/edit", {"body": "now about kubernetes", "base_revision": "1"}, form_url="/-/login")
    assert result_titles(search(client, "kubernetes")) == ["Topic"]
    post_form(client, "/wiki/Topic/-/rename", {"new_title": "Orchestration", "leave_redirect": "y"})
    assert result_titles(search(client, "kubernetes")) == ["Orchestration"]  # not the redirect
    post_form(client, "/wiki/Orchestration/-/delete", {}, form_url="/wiki/Orchestration/-/delete")
    assert result_titles(search(client, "kubernetes")) == []


def test_old_revisions_are_not_searched(client, make_page):
    make_page("Doc", "first version mentions zeppelins")
    make_page("Doc", "second version mentions balloons")
    assert result_titles(search(client, "zeppelins")) == []
    assert result_titles(search(client, "balloons")) == ["Doc"]


def test_pagination(client, make_page):
    for n in range(25):
        make_page(f"Page {n:02}", "common word lighthouse")
    first = result_titles(search(client, "lighthouse"))
    second = result_titles(search(client, "lighthouse", page=2))
    assert len(first) == 20 and len(second) == 5 and not set(first) & set(second)


def test_reindex_command(client, runner, make_page):
    make_page("Doc", "searchable marmalade")
    result = runner.invoke(args=["search-reindex"])
    assert result.exit_code == 0 and "Indexed 1 pages." in result.output
    assert result_titles(search(client, "marmalade")) == ["Doc"]


@pytest.fixture
def tldr(make_page, make_user):
    """Pages shaped like tldr-pages', where the page named by the query is short and others
    repeat its words (bm25 alone put common/git-commit 8th, common/tar 2nd, common/python 3rd)."""
    ann = make_user("ann")
    make_page("common/git-commit", "# git commit\n\n> Commit files to the repository.\n\n- Commit staged files: "
              "`git commit --message {{message}}`", ann)
    for name in ("git-commit-tree", "git-commit-graph", "git-verify-commit",
                 "git-rebase", "git-revert", "git-log", "git-cherry-pick", "git-amend"):
        make_page(f"common/{name}", f"# {name}\n\n> Git commit tools: git commit, commit a git commit.\n\n"
                  "- git commit git commit: `git commit`; after a git commit, commit again.", ann)
    examples = "\n".join(f"- Example {n} with options and files: `{{{{path/to/file{n}}}}}`" for n in range(12))
    make_page("common/tar", f"# tar\n\n> Archiving utility.\n\n{examples}", ann)
    make_page("common/python", f"# python\n\n> Language interpreter.\n\n{examples}", ann)
    for name in ("git-get-tar-commit-id", "python-tar-tools", "tar-python"):
        make_page(f"common/{name}", f"# {name}\n\n> Python tar python tar: tar python tar for Python.\n\n"
                  "- python python tar tar python tar", ann)


@pytest.mark.parametrize("query, first", [
    ("git commit", "common/git-commit"),
    ("git-commit", "common/git-commit"),
    ('"git commit"', "common/git-commit"),
    ("tar", "common/tar"),
    ("python", "common/python"),
    ("Python", "common/python"),
])
def test_a_page_named_by_the_query_comes_first(client, tldr, query, first):
    assert result_titles(search(client, query))[0] == first


def test_a_whole_title_comes_before_a_last_segment(client, tldr, make_page):
    make_page("tar", "# tar\n\nThe page about tar.")
    assert result_titles(search(client, "tar"))[:2] == ["tar", "common/tar"]


def test_among_pages_named_by_the_query_the_shortest_title_comes_first(client, tldr, make_page):
    # tldr-pages with every language: pages.ja/common/tar is short on words bm25 counts.
    make_page("pages.ja/common/tar", "# tar\n\n> アーカイブ tar")
    make_page("pages/common/tar", "# tar\n\n> Archiving utility. " + "Options and files. " * 30)
    assert result_titles(search(client, "tar"))[:3] == ["common/tar", "pages/common/tar", "pages.ja/common/tar"]


# issue 21: a word found on most pages is not ranked over every match, only over the title
# matches and the first BODY_CANDIDATES others; the caps are made small here instead of
# creating thousands of pages.
@pytest.fixture
def lighthouses(make_page, make_user):
    ann = make_user("ann")
    for n in range(12):
        make_page(f"notes/Coast {n:02}", f"The lighthouse number {n} stands on the coast.", ann)
    make_page("notes/Foggy lighthouse", "A tower in the fog.", ann)
    make_page("guides/Lighthouse", "How a lamp works.", ann)


def test_title_matches_come_before_other_matches(client, lighthouses):
    titles = result_titles(search(client, "lighthouse"))
    assert titles[:2] == ["guides/Lighthouse", "notes/Foggy_lighthouse"]  # named by the query, then a title match
    assert len(titles) == 14


def test_a_frequent_word_lists_its_title_matches_and_the_first_other_matches(client, lighthouses, monkeypatch):
    from wiki.services import search as search_service
    monkeypatch.setattr(search_service, "BODY_CANDIDATES", 5)
    html = search(client, "lighthouse")
    titles = result_titles(html)
    # The title matches were written last, after the first five others: they still come first.
    assert titles[:2] == ["guides/Lighthouse", "notes/Foggy_lighthouse"]
    assert len(titles) == 7 and "Many pages match" in html and "Next →" not in html
    assert "Many pages match" not in search(client, "tower")


def test_a_frequent_word_pages_through_its_ranked_candidates(app, lighthouses, monkeypatch):
    from wiki.services import search as search_service
    monkeypatch.setattr(search_service, "BODY_CANDIDATES", 8)
    with app.app_context():
        pages = [search_service.search("lighthouse", page_number=n, per_page=4) for n in (1, 2, 3)]
    assert pages[0].capped and pages[0].has_more
    titles = [hit.title for page in pages for hit in page.hits]
    assert len(titles) == 10 == len(set(titles)) and not pages[-1].has_more


def test_exclusions_and_prefixes_apply_to_title_matches(client, lighthouses):
    assert "notes/Foggy_lighthouse" not in result_titles(search(client, "lighthouse -fog"))
    assert "guides/Lighthouse" in result_titles(search(client, "lighthouse -fog"))
    assert "guides/Lighthouse" not in result_titles(search(client, "lighthouse in:notes/"))
    assert result_titles(search(client, "lighthouse in:guides/")) == ["guides/Lighthouse"]


def test_the_title_index_follows_renames_and_deletes(client, make_user, login, make_page):
    make_page("Beacon", "a light")
    login(make_user("alice"))
    post_form(client, "/wiki/Beacon/-/rename", {"new_title": "Signal", "leave_redirect": "y"},
              form_url="/-/login")
    assert result_titles(search(client, "beacon")) == []
    assert result_titles(search(client, "signal")) == ["Signal"]
    post_form(client, "/wiki/Signal/-/delete", {}, form_url="/wiki/Signal/-/delete")
    assert result_titles(search(client, "signal")) == []
