"""The job queue: Huey carries job ids from the app to workers (docs/architecture.md, "Jobs").

What a job does and its state live in the database (``wiki.services.jobs``); Huey is the
transport and the runner. ``JOBS_QUEUE_URL`` picks its storage:

- unset: a SQLite file beside the wiki's (``instance/jobs.db``), served by worker threads
  inside the app process (``JOBS_WORKER_THREADS``, default 1): no other service;
- ``redis://host:6379/0``: Redis, for several app servers; workers are separate
  processes started with ``flask --app wsgi jobs-worker`` (set ``JOBS_WORKER_THREADS=0``);
- ``immediate``: each job runs inside the request, right after its commit (tests, and a
  way to do without any background work at all).

A message that cannot be sent (the broker is down) is not an error for the request: the
job is committed and stays queued, and the sweeper sends it again once the broker answers.
The sweeper runs in every worker every ``JOBS_SWEEP_SECONDS``; it also takes back jobs
whose worker died (their lease ran out), so a killed worker loses nothing.
"""
import logging
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from flask import Flask
from huey import MemoryHuey, RedisHuey, SqliteHuey
from huey.exceptions import RetryTask
import redis

from wiki.extensions import db
from wiki.services import fanout  # noqa: F401 - registers the fan-out job handlers
from wiki.services import files  # noqa: F401 - registers the file job handlers (variants, re-rendering)
from wiki.services import availability, jobs, linkhealth, notifications  # notifications: its job handlers too
from wiki.services import review  # issue 20: its job handler and its daily tick

EXTENSION = "nexus.jobqueue"
log = logging.getLogger("nexus.jobs")


@dataclass
class Queue:
    """The app's queue: its Huey, the one Huey task, and the settings jobs run with."""

    app: Flask
    huey: object
    kind: str  # "sqlite", "redis", "memory" or "immediate"
    settings: jobs.Settings
    threads: int
    sweep_seconds: float
    started: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)
    stop: threading.Event = field(default_factory=threading.Event)
    last_send_error: float = 0.0
    task: object = None  # the Huey task that runs a job by id

    def send(self, ids: list[int]) -> None:
        """Hand job ids to the queue; on failure they stay queued for the sweeper."""
        try:
            for job_id in ids:
                self.task(job_id)
        except Exception as error:  # noqa: BLE001 - any broker failure: the job is kept
            now = time.monotonic()
            if now - self.last_send_error > 60:  # one line a minute, not one a save
                log.warning("Job queue unreachable (%s: %s); %d job(s) kept in the database and "
                            "sent again when it answers.", type(error).__name__, error, len(ids))
            self.last_send_error = now

    def broker_state(self) -> tuple[str, int | None]:
        """("ok", messages waiting) or ("unreachable", None)."""
        try:
            return "ok", int(self.huey.pending_count())
        except Exception:  # noqa: BLE001 - a health check reports, it does not raise
            return "unreachable", None

    def sweep(self) -> int:
        """Send again the jobs that waited too long or whose worker died; their count."""
        with self.app.app_context():
            try:
                ids = jobs.overdue(self.settings, grace_seconds=self.sweep_seconds)
                if ids:
                    jobs.touch(ids)
            finally:
                db.session.remove()
        if ids:
            log.info("Sending %d overdue job(s) again.", len(ids))
            self.send(ids)
        self.tick()
        return len(ids)

    def tick(self) -> None:
        """Periodic work (mail held back by batching, the daily digest), queued at each sweep
        rather than by Huey's periodic tasks, so it runs wherever jobs run, the in-process
        default included; the database lets one worker only queue each run. A failure here
        is logged and tried again at the next sweep."""
        with self.app.app_context():
            try:
                options = self.settings.options[notifications.OPTIONS_KEY]
                notifications.tick(options)
                linkhealth.tick(options)  # issue 20: the weekly link-health digest
            except Exception as error:  # noqa: BLE001 - the database is down, or a bug: say so, go on
                db.session.rollback()
                log.warning("Periodic mail work failed (%s); trying again at the next sweep.", _reason(error),
                            exc_info=None if availability.unavailable(error) else error)
            try:
                review.tick()  # issue 20: tell owners and watchers of pages that fell due, once a day
            except Exception as error:  # noqa: BLE001 - as above
                db.session.rollback()
                log.warning("Periodic review work failed (%s); trying again at the next sweep.", _reason(error),
                            exc_info=None if availability.unavailable(error) else error)
            finally:
                db.session.remove()

    def start_threads(self) -> None:
        """Start the in-process workers (once per process), if this app runs any. Called
        before every request: a command such as ``flask import-markdown`` starts none, and
        the jobs it queued wait for the server's workers."""
        if self.started or self.threads <= 0 or self.kind == "immediate":
            return
        with self.lock:
            if self.started:
                return
            self.started = True
            for number in range(self.threads):
                threading.Thread(target=self.work, name=f"nexus-jobs-{number}", daemon=True).start()

    def work(self, sweeper: bool = True) -> None:
        """A worker loop for a thread: run tasks, move due retries, sweep now and then."""
        delay, next_sweep, next_schedule = 0.05, 0.0, 0.0
        while not self.stop.is_set():
            now = time.monotonic()
            try:
                if sweeper and now >= next_sweep:
                    next_sweep = now + self.sweep_seconds
                    self.sweep()
                if now >= next_schedule:
                    next_schedule = now + 1
                    for task in self.huey.read_schedule():
                        self.huey.enqueue(task)
                task = self.huey.dequeue()
            except Exception as error:  # noqa: BLE001 - the database or the broker is down: wait
                component = availability.unavailable(error) or "job queue"  # one line, no traceback
                log.warning("Background jobs paused: %s unreachable (%s); trying again in 5 s.", component,
                            _reason(error))
                self.stop.wait(5)
                continue
            if task is None:
                self.stop.wait(delay)
                delay = min(delay * 1.5, 1.0)
                continue
            delay = 0.05
            self.huey.execute(task)


def _make_huey(app: Flask, url: str | None, name: str):
    """(Huey, kind) for a JOBS_QUEUE_URL."""
    if url in (None, ""):
        url = "sqlite:///" + str(Path(app.instance_path) / "jobs.db")
    if url == "immediate":
        return MemoryHuey(name, immediate=True, results=False), "immediate"
    scheme = urlsplit(url).scheme
    if scheme == "memory":
        return MemoryHuey(name, results=False), "memory"
    if scheme == "sqlite":
        return SqliteHuey(name, filename=url[len("sqlite:///"):], results=False), "sqlite"
    if scheme in ("redis", "rediss", "unix"):
        # Timeouts: a broker that does not answer (a partition, not a refusal) must not hold a
        # save's answer, which sends its jobs after the commit, for longer than a few seconds.
        pool = redis.ConnectionPool.from_url(url, socket_connect_timeout=2, socket_timeout=5)
        return RedisHuey(name, connection_pool=pool, results=False, blocking=False), "redis"
    raise ValueError(f"JOBS_QUEUE_URL must be unset, 'immediate', memory://, sqlite:///PATH or redis://..., "
                     f"not {url!r}")


def register(app: Flask) -> Queue:
    """Attach the job queue to ``app`` and make it the dispatcher of committed jobs."""
    config = app.config
    huey, kind = _make_huey(app, config["JOBS_QUEUE_URL"], config["JOBS_QUEUE_NAME"])
    queue = Queue(
        app=app, huey=huey, kind=kind,
        settings=jobs.Settings(lease_seconds=int(config["JOBS_LEASE_SECONDS"]),
                               max_attempts=int(config["JOBS_MAX_ATTEMPTS"]),
                               batch=int(config["JOBS_BATCH"]),
                               options={notifications.OPTIONS_KEY: notifications.settings_from(config)}),
        threads=int(config["JOBS_WORKER_THREADS"]), sweep_seconds=float(config["JOBS_SWEEP_SECONDS"]),
    )

    @huey.task(name="nexus.run_job")
    def run_job(job_id: int):
        with app.app_context():
            try:
                outcome = jobs.run(job_id, queue.settings)
            except jobs.Retry as retry:
                outage = availability.unavailable(retry.__cause__) is not None  # no traceback for an outage
                log.warning("Job %s failed (%s); retrying in %.0f s.", job_id, _reason(retry.__cause__), retry.delay,
                            exc_info=None if outage else retry.__cause__)
                raise RetryTask(delay=retry.delay) from None
            except Exception as error:  # noqa: BLE001 - the database went away while recording a failure
                if availability.unavailable(error) is None:
                    raise
                log.warning("Job %s could not run: database unreachable (%s); retrying in 5 s.", job_id,
                            _reason(error))
                raise RetryTask(delay=5) from None
            finally:
                db.session.remove()
        if outcome == "failed":
            log.error("Job %s failed %d times; kept for an admin at /-/admin/jobs.", job_id,
                      queue.settings.max_attempts)
        return None

    queue.task = run_job
    app.extensions[EXTENSION] = queue
    jobs.set_dispatcher(lambda ids: _current().send(ids))
    if queue.threads > 0 and kind != "immediate":
        app.before_request(queue.start_threads)  # a restarted server picks up what was left
    return queue


def _current() -> Queue:
    from flask import current_app

    return current_app.extensions[EXTENSION]


def queue_of(app: Flask) -> Queue:
    return app.extensions[EXTENSION]


def run_worker(app: Flask, threads: int) -> None:
    """The dedicated worker process (``flask jobs-worker``): Huey's consumer runs the jobs,
    and one thread of ours sweeps. Stops on SIGINT/SIGTERM as Huey's consumer does."""
    queue = queue_of(app)
    queue.threads = 0  # this process runs Huey's consumer, not the in-process threads
    _log_to_stderr()
    if queue.kind in ("immediate", "memory"):
        raise ValueError(f"JOBS_QUEUE_URL is {queue.kind!r}: there is no queue for a separate worker to read.")
    sweeper = threading.Thread(target=_sweep_forever, args=(queue,), name="nexus-jobs-sweeper", daemon=True)
    sweeper.start()
    consumer = queue.huey.create_consumer(workers=threads, worker_type="thread", periodic=False,
                                          initial_delay=0.05, max_delay=1.0)
    log.info("Job worker started: %s queue, %d thread(s).", queue.kind, threads)
    consumer.run()


def _reason(error: BaseException | None) -> str:
    """One line saying what went wrong (the driver's first line, not a traceback)."""
    if error is None:
        return "unknown error"
    text = str(getattr(error, "orig", None) or error).strip().splitlines()
    return f"{type(error).__name__}: {text[0] if text else ''}"[:300]


def _log_to_stderr() -> None:
    """A worker's own lines (start, jobs taken over, failures) and Huey's, at INFO on stderr
    (the journal under systemd), unless logging is configured elsewhere."""
    if logging.getLogger().handlers:
        return
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s [%(name)s] %(message)s"))
    for name in ("nexus.jobs", "huey"):
        logger = logging.getLogger(name)
        if not logger.handlers:
            logger.setLevel(logging.INFO)
            logger.addHandler(handler)


def _sweep_forever(queue: Queue) -> None:
    while True:  # the first sweep at once: take over what a killed worker left
        try:
            queue.sweep()
        except Exception as error:  # noqa: BLE001 - keep sweeping through database or broker outages
            log.warning("Sweeping overdue jobs failed (%s); trying again.", _reason(error))
        if queue.stop.wait(queue.sweep_seconds):
            return
