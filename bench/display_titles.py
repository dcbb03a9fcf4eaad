"""What display titles add to a save's rendering (issue 19): the title is found in the
source by rendering the opening heading alone (wiki.core.markup.display_title), on top of
the page's own rendering. Pure rendering, no database: the starter pages of content/hub.

    .venv/bin/python -m bench.display_titles
"""
import time
from pathlib import Path

from wiki.core.markup import display_title, render_markdown

ROUNDS = 5


def per_page_ms(function, sources) -> float:
    start = time.perf_counter()
    for _ in range(ROUNDS):
        for source in sources:
            function(source)
    return (time.perf_counter() - start) / (ROUNDS * len(sources)) * 1000


if __name__ == "__main__":
    sources = [p.read_text(encoding="utf-8") for p in sorted(Path("content/hub").rglob("*.md"))]
    whole = per_page_ms(render_markdown, sources)
    title = per_page_ms(display_title, sources)
    print(f"{len(sources)} pages: render_markdown {whole:.1f} ms per page, of which display_title {title:.2f} ms "
          f"({title / whole:.1%})")
