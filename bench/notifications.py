"""A save of a page watched by 5,000 users, against a save of a page nobody else watches.

Usage: .venv/bin/python bench/notifications.py [DATABASE_URL] [WATCHERS]
Default: a fresh SQLite file in a temporary folder, 5,000 watchers. For PostgreSQL pass e.g.
postgresql+psycopg://postgres@127.0.0.1:5432/bench (its public schema is dropped first).

Through the edit form (the test client, logged in), 20 saves of each page, alternating; the
job queue is an in-memory one nobody runs, so a save's time is the save's own (it queues
one ``notify_watchers`` job either way: the other page has one watcher besides its editor).
Then the queued fan-out of one save is run as a worker would (``jobs.run``): it creates a
notification for each of the 5,000 watchers, all with a confirmed address and "immediate"
mail, and queues their mail jobs (not sent here: MAIL_URL points at a closed port).
"""
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import func, insert, select  # noqa: E402

from bench.common import fresh_app  # noqa: E402
from wiki import create_app  # noqa: E402
from wiki.extensions import db  # noqa: E402
from wiki.jobqueue import queue_of  # noqa: E402
from wiki.models import Job, Notification, Page, User, UserPreferences, Watch, utcnow  # noqa: E402
from wiki.services import jobs, pages, users  # noqa: E402

SAVES = 20
PASSWORD = "bench password 1"


def main() -> None:
    _app, url = fresh_app(sys.argv[1] if len(sys.argv) > 1 else None)
    watchers = int(sys.argv[2]) if len(sys.argv) > 2 else 5000
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "RATELIMIT_ENABLED": False,
                      "JOBS_QUEUE_URL": "memory://", "JOBS_WORKER_THREADS": 0, "WTF_CSRF_ENABLED": False,
                      "MAIL_URL": "smtp://127.0.0.1:9", "MAIL_FROM": "bench@example.org",
                      "PUBLIC_URL": "http://bench.example"})
    with app.app_context():
        upgrade()
        editor = users.create_user("editor", PASSWORD)
        pages.save_page("Quiet", "text 0\n", "", editor, 0)
        pages.save_page("Busy", "text 0\n", "", editor, 0)
        busy = db.session.scalar(select(Page).where(Page.title == "Busy"))
        quiet = db.session.scalar(select(Page).where(Page.title == "Quiet"))
        now = utcnow()
        db.session.execute(insert(User), [
            {"username": f"w{i}", "username_key": f"w{i}", "password_hash": "!", "role": "editor", "active": True,
             "created_at": now, "session_token": f"{i:032d}"} for i in range(watchers + 1)])
        ids = list(db.session.scalars(select(User.id).where(User.username_key.like("w%")).order_by(User.id)))
        db.session.execute(insert(UserPreferences), [
            {"user_id": uid, "email": f"w{uid}@example.org", "email_verified_at": now, "mail": "immediate",
             "auto_watch": True} for uid in ids])
        db.session.execute(insert(Watch), [{"user_id": uid, "page_id": busy.id, "created_at": now} for uid in ids[1:]])
        db.session.execute(insert(Watch), [{"user_id": ids[0], "page_id": quiet.id, "created_at": now}])
        db.session.execute(db.delete(Job))
        db.session.commit()

    client = app.test_client()
    assert client.post("/-/login", data={"username": "editor", "password": PASSWORD}).status_code == 303
    times = {"Quiet": [], "Busy": []}
    for n in range(1, SAVES + 1):
        for title in ("Quiet", "Busy"):
            start = time.perf_counter()
            response = client.post(f"/wiki/{title}/-/edit", data={"body": f"text {n}\n", "summary": f"save {n}",
                                                                  "base_revision": str(n)})
            times[title].append(time.perf_counter() - start)
            assert response.status_code == 303, response.get_data(as_text=True)[:500]

    with app.app_context():
        queued = db.session.execute(select(Job.kind, func.count()).group_by(Job.kind)).all()
        job_id = db.session.scalar(select(Job.id).where(Job.kind == "notify_watchers", Job.payload.contains('"Busy"'))
                                   .order_by(Job.id))
        start = time.perf_counter()
        outcome = jobs.run(job_id, queue_of(app).settings)
        fan_out = time.perf_counter() - start
        created = db.session.scalar(select(func.count()).select_from(Notification))
        mail_jobs = db.session.scalar(select(func.count()).select_from(Job).where(Job.kind == "mail_page"))

    def ms(values):
        return f"median {statistics.median(values) * 1000:.1f} ms, max {max(values) * 1000:.1f} ms"

    print(f"database: {url.split(':')[0]}, {watchers} watchers, {SAVES} saves of each page")
    print(f"save of a page one other user watches: {ms(times['Quiet'])}")
    print(f"save of a page {watchers} users watch:   {ms(times['Busy'])}")
    print(f"jobs queued by the {2 * SAVES} saves: {dict(queued)}")
    print(f"one save's fan-out job ({outcome}): {fan_out:.2f} s for {created} notifications, "
          f"{mail_jobs} mail jobs queued")


if __name__ == "__main__":
    main()
