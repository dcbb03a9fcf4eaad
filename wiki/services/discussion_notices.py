"""Who hears of a comment, as one job per comment (``discussion_notify``), through the
notifications of issue 15 (wiki.services.notifications.notify):

- users @mentioned in the comment: "comment-mention" (first, and only that);
- a new thread: the page's watchers (pages and title prefixes), "thread";
- a reply: the thread's participants (everyone who commented in it), "reply".

Never the comment's author. The job loads the comment by id (a deleted or hidden comment
tells nobody), and works in batches with a cursor like the other fan-outs: cursor -1 marks
the mentions and participants done, then it walks the watchers by user id.
"""
from sqlalchemy import select

from wiki.core import notices
from wiki.extensions import db
from wiki.models import DiscussionComment, DiscussionThread, Job, Page, User, Watch
from wiki.services import jobs, mailing, watching
from wiki.services.notifications import _last_mailed, _prefs_of, notify

NOTIFY = "discussion_notify"
EXCERPT = 200


def _excerpt(comment: DiscussionComment) -> str:
    text = " ".join(comment.body.split())
    return text if len(text) <= EXCERPT else text[:EXCERPT - 1] + "…"


def _tell(user_ids: list[int], kind: str, page: Page, thread: DiscussionThread, comment: DiscussionComment,
          options) -> None:
    prefs, last = _prefs_of(user_ids), _last_mailed(user_ids, page.id)
    for user_id in user_ids:
        notify(user_id, kind, page.id, page.title, comment.author_id, _excerpt(comment), thread.id, options,
               prefs[user_id], last.get(user_id))


@jobs.handler(NOTIFY)
def _discussion_notify(job: Job, settings: jobs.Settings) -> None:
    options = mailing.options_of(settings)
    data = jobs.payload(job)
    comment = db.session.get(DiscussionComment, data["comment_id"])
    if comment is None or comment.hidden:
        return
    thread = comment.thread
    page = db.session.get(Page, thread.page_id)
    if page is None or page.deleted:
        return
    actor = comment.author_id or 0
    names = notices.mentions(comment.body)
    mentioned = list(db.session.scalars(
        select(User.id).where(User.username_key.in_(names), User.active.is_(True), User.id != actor)
        .order_by(User.id))) if names else []
    told = set(mentioned) | {actor}
    if job.cursor == 0:
        if mentioned:
            _tell(mentioned, "comment-mention", page, thread, comment, options)
        participants = []
        if data["event"] == "reply":
            participants = [uid for uid in db.session.scalars(
                select(DiscussionComment.author_id).join(User, User.id == DiscussionComment.author_id)
                .where(DiscussionComment.thread_id == thread.id, User.active.is_(True))
                .distinct().order_by(DiscussionComment.author_id)) if uid not in told]
            if participants:
                _tell(participants, "reply", page, thread, comment, options)
        jobs.extend(job, settings, cursor=-1, done=len(mentioned) + len(participants))
        jobs.commit()
    if data["event"] != "thread":
        return
    after = max(job.cursor, 0)
    while True:
        batch = list(db.session.scalars(
            watching.watchers_query(page).where(Watch.user_id > after).order_by(Watch.user_id).limit(settings.batch)))
        if not batch:
            break
        after = batch[-1]
        recipients = [uid for uid in batch if uid not in told]
        if recipients:
            _tell(recipients, "thread", page, thread, comment, options)
        jobs.extend(job, settings, cursor=after, done=len(recipients))
        jobs.commit()
