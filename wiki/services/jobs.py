"""Jobs: the work a request causes beyond its own page, kept in the database (an outbox).

A service adds a job in its own transaction (``enqueue``), so the job exists exactly when
the change that caused it was committed: a crash, a killed worker or a broker that is down
can delay it but never lose it. After the commit the service calls ``dispatch``, which
hands the new ids to the queue (``wiki.queue`` sets the dispatcher at start-up; services
know no queue library). A worker then ``run``s a job by id:

- it *claims* the row first (one UPDATE that succeeds for one worker only), so a job
  delivered twice runs once; a claim is a lease that a worker killed mid-job lets expire,
  and ``overdue`` finds such jobs (and jobs whose message was lost) to send again;
- handlers work in batches, each its own transaction, and record a cursor: a job taken
  over after a crash resumes after the last page done, and redoing a page is harmless
  (rendering is recomputed from the current state; a link rewrite that is done finds no
  old link left);
- a job that raises is retried with back-off up to ``max_attempts`` times, then kept as
  "failed", with its error, for an admin to see and retry (``/-/admin/jobs``).

Jobs take ids and keys, never objects, and load what they need when they run.
"""
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Callable

from sqlalchemy import func, inspect, or_, select, update
from sqlalchemy.exc import SQLAlchemyError

from wiki.extensions import db
from wiki.models import Job, utcnow

# kind -> handler(job, settings); registered by the modules that define the work
HANDLERS: dict[str, Callable[["Job", "Settings"], None]] = {}


@dataclass(frozen=True)
class Settings:
    lease_seconds: int = 60
    max_attempts: int = 5
    batch: int = 100
    # Settings handlers need beyond these, by handler module (e.g. "notifications": its mail
    # settings), made from the app's configuration by the queue layer: services read no config.
    options: dict = field(default_factory=dict, compare=False, hash=False)


def handler(kind: str):
    """Register the function that runs jobs of ``kind``."""
    def register(function):
        HANDLERS[kind] = function
        return function
    return register


def _no_dispatch(ids: list[int]) -> None:
    """Until a queue is attached, jobs wait in the table (``overdue`` finds them)."""


_dispatcher: Callable[[list[int]], None] = _no_dispatch


def set_dispatcher(function: Callable[[list[int]], None] | None) -> None:
    """Called by the queue layer at start-up: how ids of committed jobs reach a worker."""
    global _dispatcher
    _dispatcher = function or _no_dispatch


def enqueue(kind: str, **payload) -> Job:
    """Add a job to the caller's transaction; call ``dispatch`` after committing it."""
    if kind not in HANDLERS:
        raise ValueError(f"no handler for job kind {kind!r}")
    job = Job(kind=kind, payload=json.dumps(payload, sort_keys=True), state="queued")
    db.session.add(job)
    pending = db.session.info.setdefault("nexus_jobs", [])
    pending.append(job)
    return job


def dispatch() -> None:
    """Send the jobs this session committed to the queue. Never raises: a job that cannot be
    sent now stays queued and is sent again by the sweeper (``overdue``)."""
    jobs = db.session.info.pop("nexus_jobs", [])
    # Only committed rows: a job of a rolled-back transaction is transient again. The id is
    # read from the identity, which needs no query on an object expired by the commit.
    ids = [state.identity[0] for state in map(inspect, jobs) if state.persistent and state.identity]
    if ids:
        _dispatcher(ids)


def discard() -> None:
    """Forget jobs of a transaction that was rolled back."""
    db.session.info.pop("nexus_jobs", None)


def commit() -> None:
    """Commit the session, then dispatch the jobs it added."""
    try:
        db.session.commit()
    except BaseException:
        discard()
        raise
    dispatch()


def payload(job: Job) -> dict:
    return json.loads(job.payload)


def claim(job_id: int, settings: Settings) -> Job | None:
    """Take job ``job_id`` for this worker, or None if it is done, failed, or someone else's."""
    now = utcnow()
    taken = db.session.execute(
        update(Job)
        .where(Job.id == job_id,
               or_(Job.state == "queued", (Job.state == "running") & (Job.lease_until < now)))
        .values(state="running", attempts=Job.attempts + 1, updated_at=now,
                lease_until=now + timedelta(seconds=settings.lease_seconds))
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    return db.session.get(Job, job_id, populate_existing=True) if taken else None


def extend(job: Job, settings: Settings, cursor: int, done: int) -> None:
    """Record a batch's progress and renew the lease, in the batch's own transaction."""
    job.cursor, job.done = cursor, job.done + done
    job.updated_at = utcnow()
    job.lease_until = job.updated_at + timedelta(seconds=settings.lease_seconds)


class Retry(Exception):
    """Raised by ``run`` for a job that failed and will be tried again after ``delay`` s."""

    def __init__(self, delay: float):
        super().__init__(f"retry in {delay:.0f} s")
        self.delay = delay


def run(job_id: int, settings: Settings) -> str:
    """Run one job by id: "done", "skipped" (not ours to run), "failed" (kept), or raise Retry."""
    try:
        job = claim(job_id, settings)
    except SQLAlchemyError as error:  # e.g. SQLite's write lock is busy: try again shortly
        db.session.rollback()
        raise Retry(2) from error
    if job is None:
        return "skipped"
    try:
        HANDLERS[job.kind](job, settings)
    except Exception as error:  # noqa: BLE001 - any failure is recorded on the job, then retried
        db.session.rollback()
        discard()
        job = db.session.get(Job, job_id, populate_existing=True)
        if job is None:
            return "skipped"
        job.error = f"{type(error).__name__}: {error}"[:4000]
        job.updated_at, job.lease_until = utcnow(), None
        if job.attempts >= settings.max_attempts:
            job.state = "failed"
            db.session.commit()
            return "failed"
        delay = min(2 ** job.attempts, 300)
        # Not due before its retry: the sweeper (``overdue``) leaves it alone until then.
        job.state, job.updated_at = "queued", job.updated_at + timedelta(seconds=delay)
        db.session.commit()
        raise Retry(delay) from error
    db.session.delete(job)
    commit()  # a handler may have queued follow-up jobs
    return "done"


def overdue(settings: Settings, grace_seconds: float = 30) -> list[int]:
    """Ids of jobs to send again: queued for longer than ``grace_seconds`` (their message was
    lost, or the broker was down) or running past their lease (their worker died)."""
    now = utcnow()
    return list(db.session.scalars(
        select(Job.id).where(or_(
            (Job.state == "queued") & (Job.updated_at < now - timedelta(seconds=grace_seconds)),
            (Job.state == "running") & (Job.lease_until < now),
        )).order_by(Job.id).limit(1000)
    ))


def touch(ids: list[int]) -> None:
    """Mark queued jobs as just sent, so the sweeper sends each at most once a grace period."""
    db.session.execute(
        update(Job).where(Job.id.in_(ids), Job.state == "queued").values(updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def retry(job_id: int) -> bool:
    """Queue a failed job again (an admin's retry button). False if it is not failed."""
    job = db.session.get(Job, job_id)
    if job is None or job.state != "failed":
        return False
    job.state, job.attempts, job.updated_at = "queued", 0, utcnow()
    db.session.info.setdefault("nexus_jobs", []).append(job)
    commit()
    return True


@dataclass(frozen=True)
class Counts:
    queued: int = 0
    running: int = 0
    failed: int = 0
    oldest: datetime | None = None  # when the oldest unfinished job was queued


def counts() -> Counts:
    """How many jobs wait, run and failed: for /healthz and the admin page."""
    rows = db.session.execute(
        select(Job.state, func.count(), func.min(Job.created_at)).group_by(Job.state)
    ).all()
    by_state = {state: (count, oldest) for state, count, oldest in rows}
    oldest = [o for state, (_c, o) in by_state.items() if state != "failed" and o is not None]
    return Counts(*(by_state.get(s, (0, None))[0] for s in ("queued", "running", "failed")),
                  oldest=min(oldest) if oldest else None)


def listing(limit: int = 200) -> list[Job]:
    """Unfinished and failed jobs, failed first, then oldest first."""
    return list(db.session.scalars(
        select(Job).order_by((Job.state != "failed"), Job.id).limit(limit)
    ))
