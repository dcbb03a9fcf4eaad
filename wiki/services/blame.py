"""Blame of a page's current revision: each line with the revision that last changed it.

Kept apart from wiki.services.pages because it has its own cache and its own cost model:
the blame is built incrementally (wiki.core.diff.blame.BlameState) and cached per process.
"""
import threading
from collections import OrderedDict
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import joinedload, load_only

from wiki.core.diff.blame import BlameLine, BlameState
from wiki.extensions import db
from wiki.models import Page, Revision


@dataclass(frozen=True)
class BlameRow:
    line: BlameLine
    revision: Revision
    first_of_run: bool  # the first of consecutive lines from the same revision


class _BlameCache:
    """Blame states of current revisions, per process, bounded by the bytes of text held.

    Keyed by revision (database, id and time of saving, so a database rebuilt with
    the same ids never matches): a revision's text and its history never change, so an
    entry is never stale, and the blame of the revision saved next is its parent's state
    plus one diff.
    """

    def __init__(self, limit: int):
        self.limit, self.size = limit, 0
        self.entries: OrderedDict[tuple, BlameState] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: tuple) -> BlameState | None:
        with self.lock:
            state = self.entries.get(key)
            if state is not None:
                self.entries.move_to_end(key)
            return state

    def put(self, key: tuple, state: BlameState) -> None:
        cost = 2 * len(state.source or "") + 100
        if cost > self.limit // 2:
            return
        with self.lock:
            if key not in self.entries:
                self.entries[key] = state
                self.size += cost
            while self.size > self.limit:
                _id, old = self.entries.popitem(last=False)
                self.size -= 2 * len(old.source or "") + 100


BLAME_CACHE = _BlameCache(16 * 1024 * 1024)


def blame_page(page: Page) -> list[BlameRow]:
    """Each line of the current text with the revision that last changed it.

    The blame of the current revision is built incrementally (wiki.core.diff.blame.BlameState):
    from the cached state of its parent with one diff when there is one, else by streaming
    the page's sources oldest first, a few hundred at a time, so memory stays flat however
    long the history. Only the revisions that still own a line are then loaded, without
    their source or HTML.
    """
    current = page.current_revision
    database = str(db.session.get_bind().url)
    key = (database, current.id, current.created_at)
    state = BLAME_CACHE.get(key)
    if state is None:
        parent = None
        if current.parent_id is not None:
            saved = db.session.scalar(select(Revision.created_at).where(Revision.id == current.parent_id))
            parent = BLAME_CACHE.get((database, current.parent_id, saved))
        if parent is not None:
            state = parent.advance(current.source, current.number)
        else:
            state = BlameState()
            sources = db.session.execute(
                select(Revision.number, Revision.source)
                .where(Revision.page_id == page.id, Revision.number <= current.number)
                .order_by(Revision.number)
                .execution_options(yield_per=200)
            )
            for number, source in sources:
                state = state.advance(source, number)
        BLAME_CACHE.put(key, state)
    revisions = {
        revision.number: revision
        for revision in db.session.scalars(
            select(Revision)
            .options(load_only(Revision.number, Revision.created_at, Revision.summary, Revision.author_id),
                     joinedload(Revision.author))
            .where(Revision.page_id == page.id, Revision.number.in_(sorted(set(state.origins))))
        )
    }
    rows, previous = [], None
    for line in state.result():
        rows.append(BlameRow(line, revisions[line.origin], line.origin != previous))
        previous = line.origin
    return rows
