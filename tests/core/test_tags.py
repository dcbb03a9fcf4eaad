"""Tags as plain values (issue 20): the tags: syntax, normalisation, and the problems reported."""
import pytest

from wiki.core.edits import Edit, InvalidTags
from wiki.core.searchtext import parse_query
from wiki.core.tags import (MAX_TAG_LENGTH, MAX_TAGS, InvalidTag, new_problems, normalize_tag, parse_tags,
                            source_tags)
from wiki.core.titles import Title


@pytest.mark.parametrize("raw, tag", [
    ("redis", "redis"),
    ("  Redis ", "redis"),
    ("Machine   Learning", "machine-learning"),
    ("C++", "c++"),
    ("c#", "c#"),
    ("node.js", "node.js"),
    ("web_dev", "web_dev"),
    ("ＲＥＤＩＳ", "redis"),  # full-width letters: NFKC
    ("Straße", "strasse"),  # case-folded, not just lower-cased
    ("日本語", "日本語"),
    ("हिन्दी", "हिन्दी"),  # combining marks inside a word
    ("2fa", "2fa"),
])
def test_tags_are_normalised(raw, tag):
    assert normalize_tag(raw) == tag


@pytest.mark.parametrize("raw, says", [
    ("", "cannot be empty"),
    ("   ", "cannot be empty"),
    ("a/b", "“/”"),
    ("<script>", "“<”"),
    ("semi;colon", "“;”"),
    ("zero\u200bwidth", "U+200B"),
    ("right\u202eleft", "U+202E"),
    ("-leading", "must start with a letter or a digit"),
    ("#hashtag", "must start with a letter or a digit"),
    (".hidden", "must start with a letter or a digit"),
    ("x" * (MAX_TAG_LENGTH + 1), f"longer than {MAX_TAG_LENGTH} characters"),
])
def test_what_cannot_be_a_tag_is_refused_with_a_reason(raw, says):
    with pytest.raises(InvalidTag) as error:
        normalize_tag(raw)
    assert says in str(error.value)


def test_the_longest_tag_is_accepted():
    assert normalize_tag("x" * MAX_TAG_LENGTH) == "x" * MAX_TAG_LENGTH


@pytest.mark.parametrize("value, tags", [
    ("redis, caching", ("redis", "caching")),
    ("[redis, caching]", ("redis", "caching")),
    ('"redis", \'caching\'', ("redis", "caching")),
    ("redis,, caching,", ("redis", "caching")),
    ("Redis, redis, REDIS", ("redis",)),
    ("", ()),
    ("[]", ()),
    ("single", ("single",)),
])
def test_the_value_syntax(value, tags):
    assert parse_tags(value).tags == tags
    assert parse_tags(value).problems == ()


def test_bad_items_are_reported_and_the_good_ones_kept():
    found = parse_tags("redis, a/b, caching, <x>")
    assert found.tags == ("redis", "caching")
    assert len(found.problems) == 2
    assert "a/b" in found.problems[0] and "<x>" in found.problems[1]


def test_too_many_tags_keep_the_first_ones_and_say_so():
    found = parse_tags(", ".join(f"t{i}" for i in range(MAX_TAGS + 5)))
    assert found.tags == tuple(f"t{i}" for i in range(MAX_TAGS))
    assert f"at most {MAX_TAGS} tags" in found.problems[0]


def test_tags_come_from_the_front_matter_only():
    assert source_tags("---\ntitle: Caching\ntags: redis, caching\n---\n# Caching\n").tags == ("redis", "caching")
    assert source_tags("tags: redis\n\nText").tags == ()  # no front matter: an ordinary line
    assert source_tags("---\ntitle: x\n---\n").tags == ()
    assert source_tags("# Title\n").tags == ()


def test_only_new_problems_count_for_a_typed_text():
    old = "---\ntags: a/b\n---\ntext"
    assert new_problems(old + " more", old) == ()  # the line nobody touched
    assert new_problems("---\ntags: a/b, c;d\n---\n", old) == (parse_tags("c;d").problems[0],)
    assert new_problems("---\ntags: a/b\n---\n", "") == parse_tags("a/b").problems


def test_an_edit_typed_with_bad_tags_is_refused():
    title = Title.parse("Page")
    with pytest.raises(InvalidTags) as error:
        Edit.make(title, "---\ntags: ok, not/ok\n---\nText", max_bytes=10_000, previous="")
    assert "not/ok" in str(error.value) and "Nothing was saved" in str(error.value)
    # Saved by other means (an import, a revert): the good tags are kept, nothing refused.
    assert Edit.make(title, "---\ntags: ok, not/ok\n---\nText", max_bytes=10_000).body.startswith("---")


def test_search_queries_take_tag_filters():
    query = parse_query("cache tag:Redis tag:redis tag:databases in:concepts/")
    assert query.words == ("cache",)
    assert query.tags == ("redis", "databases")
    assert query.prefix == "concepts/"
    assert not query.empty
    alone = parse_query("tag:redis")
    assert alone.empty and alone.tags == ("redis",)
    bad = parse_query("x tag:a/b")
    assert bad.tags == () and "a/b" in bad.tag_problems[0]
    many = parse_query(" ".join(f"tag:t{i}" for i in range(8)))
    assert len(many.tags) == 5 and "at most 5 tags" in many.tag_problems[0]
    assert parse_query("x").with_tags(["Redis", ""]).tags == ("redis",)
    assert parse_query("tag:").words == ("tag",)  # a bare "tag:" is a word, as before
