"""Worst-case rendering time of pathological page bodies (the save path renders them).

Usage: .venv/bin/python bench/pathological.py [--http] [NAME-PREFIX ...]

Each body is at most MAX_PAGE_BYTES (1 MiB). Times render_markdown (Markdown + sanitizing,
the work a save does besides the database) once per case, and with --http the whole save
and view through the Flask test client on SQLite in a temporary folder. A case taking
longer than LIMIT seconds is stopped and reported as such. Prints one line per case and
the worst case last.
"""
import signal
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from wiki.core.markup import render_markdown  # noqa: E402
from wiki.core.markup.budget import MAX_MARKUP_COST, markup_cost  # noqa: E402

MiB = 1024 * 1024
LIMIT = 30  # seconds


def fill(unit: str, size: int = MiB) -> str:
    """``unit`` repeated to just under ``size`` bytes of UTF-8."""
    return unit * (size // len(unit.encode("utf-8")))


def nested_list(depth: int) -> str:
    return "".join("  " * i + "- x\n" for i in range(depth))


CASES = {
    "100k [[": "[[" * 100_000,
    "50k backticks": "`" * 50_000,
    "1 MiB of backticks": fill("`"),
    "1 MiB of [": fill("["),
    "1 MiB of [[x]]": fill("[[x]] "),
    "2000-deep list (2 spaces)": nested_list(2000),
    "2000-deep list (4 spaces)": "".join("    " * i + "- x\n" for i in range(2000)),
    "2000 list markers on one line": "- " * 2000 + "x\n",
    "2000-deep quote": ">" * 2000 + " x\n",
    "1 MiB of > lines": fill("> > > > x\n"),
    "50k *": "*" * 50_000,
    "1 MiB of *": fill("*"),
    "1 MiB of _": fill("_"),
    "1 MiB of *a ": fill("*a "),
    "1000 nested **": "**a " * 1000 + "x" + " a**" * 1000,
    "1 MiB of **a** ": fill("**a** "),
    "1 MiB of _a_ ": fill("_a_ "),
    "10k-column table": "|" + "a|" * 10_000 + "\n|" + "-|" * 10_000 + "\n|" + "b|" * 10_000 + "\n",
    "1 MiB table rows": "|a|b|\n|-|-|\n" + fill("|x|y|\n", MiB - 20),
    "many tables": fill("|a|b|\n|-|-|\n|c|d|\n\n"),
    "1 MiB of # h": fill("# h\n"),
    "1 MiB of distinct headings": "".join(f"# h{i}\n" for i in range(MiB // 10)),
    "1 MiB of setext": fill("a\n===\n"),
    "1 MiB of ---": fill("---\n\n"),
    "1 MiB line without spaces": fill("a"),
    "1 MiB URL-ish line": fill("https://x/"),
    "1 MiB of paragraphs": fill("a\n\n"),
    "1 MiB of list items": fill("- a\n"),
    "1 MiB of prose": fill("The quick brown fox jumps over the lazy dog. "),
    "many footnotes": "".join(f"x[^{i}]\n" for i in range(20_000)) + "\n" + "".join(f"[^{i}]: n{i}\n" for i in range(20_000)),
    "many references": "".join(f"[a][r{i}] " for i in range(20_000)) + "\n\n" + "".join(f"[r{i}]: /x{i}\n" for i in range(20_000)),
    "1 MiB of <a ": fill("<a "),
    "1 MiB of <div>": fill("<div>"),
    "1 MiB of <b>x</b>": fill("<b>x</b>"),
    "1 MiB of &amp;": fill("&amp;"),
    "1 MiB of <!--": fill("<!--"),
    "1 MiB of [a](": fill("[a]("),
    "1 MiB of ```\\n": fill("```\n"),
    "1 MiB of code spans": fill("`a` "),
    "1 MiB of autolinks": fill("<http://a> "),
    "1 MiB of entities": fill("&#x41;"),
    "1 MiB of - [ ]": fill("- [ ] a\n"),
    "1 MiB code block of words": "```python\n" + fill("a b c d e f g h i j k l m n o p q r s t u v w " * 9 + "\n", MiB - 20) + "```\n",
    "1 MiB indented code of words": fill("    " + "a b c d e f g h i j k l m n o p q r s t u v w " * 9 + "\n"),
    "highlighting budget: 20 KB of words": "```python\n" + fill("a b c d e f g h i j k l m n o p q r s t u v w\n", 19_900) + "```\n",
}




def at_budget(unit: str) -> str:
    """``unit`` repeated as often as the markup budget allows: the slowest pages that are
    still formatted (anything costlier is shown as text, in milliseconds)."""
    n = MAX_MARKUP_COST // max(1, markup_cost(unit * 2) - markup_cost(unit))
    while markup_cost(unit * n) > MAX_MARKUP_COST:
        n -= 1
    return unit * n


DENSE_UNITS = ["# h\n", "a\n===\n", "a\n\n", "- a\n", "- [ ] a\n", "> a\n\n", "[[x]] ", "[a](/x) ",
               "**a** ", "_a_ ", "`a` ", "<b>x</b>", "&amp;", "<a ", "<!--", "<http://a> ", "|x|y|\n",
               "|a|b|\n|-|-|\n|c|d|\n\n", "x[^1] ", "```\nx\n```\n", "```python\nx = 1\n```\n",
               "    code\n\n", "---\n\n", "![i](/i.png) ", "a\n", "x" * 60 + "\n", "- " * 50 + "x\n\n",
               "1. " * 40 + "x\n\n", "+ " * 50 + "x\n\n", "* " * 50 + "x\n\n", "- > " * 25 + "x\n\n",
               "1) " * 40 + "x\n\n", "a\n-\n", "a\n=\n", "a\n-\n\n", "[x]: /a\n", "*a*\n", "a\n  "]
CASES.update({f"at budget: {unit!r}": at_budget(unit) for unit in DENSE_UNITS})
CASES["at budget: 30-level nested lists"] = at_budget("".join("  " * i + "- a\n" for i in range(30)))


def footnotes(n: int) -> str:
    return "".join(f"x[^{i}]\n" for i in range(n)) + "\n" + "".join(f"[^{i}]: n\n" for i in range(n))


CASES["at budget: footnotes"] = footnotes(next(n for n in range(MAX_MARKUP_COST // 10, 0, -1)
                                            if markup_cost(footnotes(n)) <= MAX_MARKUP_COST))


class Timeout(Exception):
    pass


def _alarm(_signum, _frame):
    raise Timeout


def http_client():
    """A logged-in test client of the wiki on SQLite in a temporary folder."""
    import re

    from flask_migrate import upgrade

    from bench.common import fresh_app
    from wiki.services import users

    app, _url = fresh_app("")
    with app.app_context():
        upgrade()
        users.create_user("bench", "bench password 1")
    client = app.test_client()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', client.get("/-/login").text).group(1)
    client.post("/-/login", data={"username": "bench", "password": "bench password 1", "csrf_token": token})
    return client


def save_and_view(client, n: int, source: str) -> str:
    """Save ``source`` as a new page through the edit form, then read the page."""
    import re

    url = f"/wiki/Case_{n}"
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', client.get(url + "/-/edit").text).group(1)
    saved = client.post(url + "/-/edit", data={"body": source, "base_revision": "0", "csrf_token": token})
    viewed = client.get(url)
    return f"save {saved.status_code}, view {viewed.status_code}"


def main(argv: list[str]) -> None:
    prefixes = [a for a in argv if not a.startswith("--")]
    names = [name for name in CASES if not prefixes or name.startswith(tuple(prefixes))]
    signal.signal(signal.SIGALRM, _alarm)
    worst = ("", 0.0)
    client = http_client() if "--http" in argv else None
    for counter, name in enumerate(names):
        source = CASES[name]
        signal.alarm(LIMIT)
        start = time.perf_counter()
        try:
            if client is not None:
                outcome = save_and_view(client, counter, source)
            else:
                rendered = render_markdown(source)
                outcome = f"{len(rendered.html):>9,} chars of HTML"
        except Timeout:
            outcome = f"STOPPED after {LIMIT} s"
        finally:
            signal.alarm(0)
        seconds = time.perf_counter() - start
        print(f"{name:32} {len(source.encode()):>9,} B {seconds:7.2f} s  {outcome}", flush=True)
        if seconds > worst[1]:
            worst = (name, seconds)
    print(f"worst: {worst[0]} {worst[1]:.2f} s")


if __name__ == "__main__":
    main(sys.argv[1:])
