import pytest

from wiki.core.markup.redirects import redirect_source, redirect_target


@pytest.mark.parametrize("source, target", [
    ("#REDIRECT [[New title]]\n", "New title"),
    ("#redirect [[concepts/Caching#Redis|x]]", "concepts/Caching"),
    ("  #REDIRECT[[A]] trailing text", "A"),
    ("# REDIRECT [[A]]", None),
    ("text\n#REDIRECT [[A]]", None),
    ("#REDIRECT [[]]", None),
    ("#REDIRECT [[ ]]", None),
    ("", None),
])
def test_redirect_target(source, target):
    assert redirect_target(source) == target


def test_round_trip():
    assert redirect_target(redirect_source("Café/日本")) == "Café/日本"
