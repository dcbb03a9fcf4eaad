import pytest

from wiki.core.markup.rewrite import rewrite_wikilinks


def is_old(target):
    return target.replace("_", " ").casefold() == "old page"


@pytest.mark.parametrize("source, expected", [
    ("See [[Old page]].", "See [[New/Page]]."),
    ("[[old_PAGE|the label]]", "[[New/Page|the label]]"),
    ("[[Old page#Some part]] and [[Old page#Part|x]]", "[[New/Page#Some part]] and [[New/Page#Part|x]]"),
    ("[[Other]] [[#Local]]", "[[Other]] [[#Local]]"),
    ("`[[Old page]]` stays", "`[[Old page]]` stays"),
    ("```\n[[Old page]]\n```\n[[Old page]]\n", "```\n[[Old page]]\n```\n[[New/Page]]\n"),
    ("no links", "no links"),
    ("| [[Old page\\|x]] | [[Old page#P\\|y]] |", "| [[New/Page\\|x]] | [[New/Page#P\\|y]] |"),
])
def test_rewrite(source, expected):
    assert rewrite_wikilinks(source, is_old, "New/Page") == expected
