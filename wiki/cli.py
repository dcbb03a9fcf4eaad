"""Command-line tools: ``flask --app wsgi create-user NAME --role admin``, backups, imports.

Commands parse arguments, call a service and print its result; the work is in the services.
"""
import sys
import time
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from wiki.models import ROLES
from wiki.services import users
from wiki.services.errors import DomainError, InvalidInput


def register(app: Flask) -> None:
    """Add the wiki's commands to ``flask``."""
    for command in (create_user, set_password, search_reindex, export_command, import_command,
                    render_history, import_markdown, load_starter, jobs_worker, mail_tick, create_token,
                    rerender):
        app.cli.add_command(command)


def _read_password() -> str:
    """A new password from a prompt (typed twice), or one line of stdin when piped."""
    if sys.stdin.isatty():
        return click.prompt("Password", hide_input=True, confirmation_prompt=True)
    return sys.stdin.readline().rstrip("\r\n")


@click.command("create-user")
@click.argument("username")
@click.option("--role", type=click.Choice(ROLES), default="editor", show_default=True)
@with_appcontext
def create_user(username: str, role: str) -> None:
    """Create an account. The password is read from a prompt, or one line of stdin."""
    password = _read_password()
    try:
        user = users.create_user(username, password, role=role,
                                 min_length=current_app.config["MIN_PASSWORD_LENGTH"],
                                 hash_method=current_app.config["PASSWORD_HASH_METHOD"])
    except InvalidInput as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Created {user.role} {user.username}.")


@click.command("create-token")
@click.argument("username")
@click.option("--scope", type=click.Choice(("read", "write")), required=True,
              help="read: acts as a reader; write: with the account's own role.")
@click.option("--expires", "days", type=click.IntRange(1, 3650), default=None,
              help="Days until it stops working (default: never).")
@click.option("--name", default="command line", show_default=True, help="What the token is for.")
@with_appcontext
def create_token(username: str, scope: str, days: int | None, name: str) -> None:
    """Make a personal access token for the JSON API; it is printed once, on the last line."""
    from wiki.services import apitokens as tokens

    user = users.find_user(username)
    if user is None:
        raise click.ClickException(f"There is no user called “{username}”.")
    if not user.active:
        raise click.ClickException(f"{user.username} is deactivated: a token of theirs would not work.")
    try:
        made = tokens.create_token(user, name, scope, days)
    except InvalidInput as error:
        raise click.ClickException(str(error)) from None
    until = f"until {made.token.expires_at:%Y-%m-%d %H:%M} UTC" if made.token.expires_at else "with no expiry"
    click.echo(f"Token “{made.token.name}” for {user.username}, scope {scope}, {until}. "
               "It is shown only now; store it safely:", err=True)
    click.echo(made.secret)


@click.command("set-password")
@click.argument("username")
@with_appcontext
def set_password(username: str) -> None:
    """Give an account a new password (read like create-user's), e.g. after an import."""
    password = _read_password()
    try:
        user = users.set_password_by_name(username, password,
                                          min_length=current_app.config["MIN_PASSWORD_LENGTH"],
                                          hash_method=current_app.config["PASSWORD_HASH_METHOD"])
    except DomainError as error:
        raise click.ClickException(str(error)) from None
    note = "" if user.active else " The account is inactive, so it still cannot log in."
    click.echo(f"Password of {user.username} set.{note}")


@click.command("search-reindex")
@with_appcontext
def search_reindex() -> None:
    """Rebuild the full-text search index from every live page's current revision (and the
    discussion comments' index, and the pages' tags)."""
    from wiki.services import discussion_index, search, tags

    click.echo(f"Indexed {search.reindex_all()} pages.")
    click.echo(f"Indexed {discussion_index.reindex_all()} comments.")
    click.echo(f"Stored {tags.rebuild_all()} tags.")


@click.command("rerender")
@with_appcontext
def rerender() -> None:
    """Render every revision's stored HTML again with this version's renderer (after an
    upgrade that changes rendering, e.g. display titles in 0011); safe to interrupt and rerun."""
    from wiki.services import fanout

    pages, revisions = fanout.rerender_everything()
    click.echo(f"Rendered {pages} pages and {revisions} old revisions again.")


def _jobs_option(command):
    return click.option(
        "--jobs", type=click.IntRange(1, 64), default=None,
        help="Processes that render pages side by side (default: one per CPU; 1 renders in this process)."
    )(command)


@click.command("export")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--with-password-hashes", is_flag=True,
              help="Include password hashes, so that users keep their passwords (keep the export private).")
@click.option("--with-emails", is_flag=True,
              help="Include users' mail addresses, which are private to each user (keep the export private).")
@with_appcontext
def export_command(directory: Path, with_password_hashes: bool, with_emails: bool) -> None:
    """Write every page, its whole history, and the users to DIRECTORY (new or empty).

    The format is described in docs/backup.md.
    """
    from wiki.services import backup

    try:
        summary = backup.export_wiki(directory, with_password_hashes=with_password_hashes, with_emails=with_emails)
    except DomainError as error:
        raise click.ClickException(str(error)) from None
    hashes = "with" if with_password_hashes else "without"
    click.echo(f"Exported {summary.pages} pages ({summary.revisions} revisions) and "
               f"{summary.users} users ({hashes} password hashes) to {directory}."
               + (" Their mail addresses are included." if with_emails else ""))


@click.command("import")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@_jobs_option
@with_appcontext
def import_command(directory: Path, jobs: int | None) -> None:
    """Restore an export made by `flask export` into an empty database.

    The whole export is checked first; if anything is wrong nothing is written.
    """
    from wiki.services import backup, bulkpages

    try:
        export = backup.load_export(directory)
    except (DomainError, backup.InvalidExport) as error:
        raise click.ClickException(f"Nothing was imported. {error}") from None
    units, bar = backup.import_units(export), _Progress("Importing", "steps (a revision written, a page rendered)")
    try:
        summary = backup.import_export(export, progress=lambda n: bar.advance(n, units), files_root=Path(directory),
                                       jobs=jobs or bulkpages.default_jobs())
    except DomainError as error:  # a damaged files/ folder (wiki.services.filebackup), a dead worker
        raise click.ClickException(f"Nothing was imported. {error}") from None
    except KeyboardInterrupt:
        bar.close()
        click.echo("Interrupted. Nothing was imported (an import is one transaction).", err=True)
        sys.exit(130)
    finally:
        bar.close()
    click.echo(f"Imported {summary.pages} pages ({summary.revisions} revisions) and {summary.users} users.")
    without = sum(1 for user in export.users if user.password_hash is None)
    if without:
        who = "1 user was" if without == 1 else f"{without} users were"
        click.echo(f"{who} exported without a password and cannot log in until an administrator "
                   "runs `flask --app wsgi set-password NAME`.")
    _render_history()


@click.command("render-history")
@with_appcontext
def render_history() -> None:
    """Render the old revisions an import left as plain source (an interrupted import's rest)."""
    _render_history()


def _render_history() -> None:
    from wiki.services import backup

    pending = backup.count_unrendered()
    if not pending:
        return
    click.echo(f"The wiki is ready. Rendering {pending} old revisions for their history pages "
               "(if interrupted, `flask --app wsgi render-history` finishes it)...")
    with click.progressbar(length=pending, label="Rendering", file=sys.stderr) as bar:
        done = backup.render_history(progress=bar.update)
    click.echo(f"Rendered {done} old revisions.")


@click.command("import-markdown")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--user", "username", required=True, help="The account the revisions are saved by.")
@click.option("--create-user", is_flag=True,
              help="Create the account, inactive and without a password, if it does not exist.")
@click.option("--prefix", default=None, help="Put every page under this title (the root README becomes it).")
@_jobs_option
@with_appcontext
def import_markdown(directory: Path, username: str, create_user: bool, prefix: str | None, jobs: int | None) -> None:
    """Import a folder of Markdown files (*.md), one page per file; run again to update.

    A file's page is titled by its path: concepts/caching.md -> concepts/caching; a folder's
    README.md or index.md -> the folder's title; the root one -> Home. Relative links
    between the files become wiki links. See docs/backup.md.
    """
    from wiki.services import bulkpages, mdimport

    planning = _Progress("Planning", "steps (each file is read, then converted)")
    try:
        user = _import_user(username, create_user)
        plan = mdimport.plan_import(directory, prefix=prefix, max_bytes=current_app.config["MAX_PAGE_BYTES"],
                                    progress=planning.to, workers=jobs or bulkpages.default_jobs())
    except DomainError as error:
        raise click.ClickException(str(error)) from None
    finally:
        planning.close()
    importing = _Progress("Importing", "files")
    try:
        report = mdimport.run_import(plan, user, max_bytes=current_app.config["MAX_PAGE_BYTES"],
                                     progress=lambda n: importing.advance(n, len(plan.files)),
                                     jobs=jobs or bulkpages.default_jobs())
    except mdimport.ImportInterrupted as stopped:
        importing.close()
        _echo_report(stopped.report)
        click.echo("Interrupted. The pages above were written whole; run the same command again to import "
                   "the rest.", err=True)
        sys.exit(130)
    except mdimport.ImportStopped as stopped:
        importing.close()
        _echo_report(stopped.report)
        raise click.ClickException(str(stopped)) from None
    finally:
        importing.close()
    _echo_report(report)


class _Progress:
    """Progress on stderr, with the rate and the time left: a bar redrawn in place on a
    terminal; otherwise (a log, a pipe) a line every LOG_EVERY seconds and one at the end,
    so a long import never looks stuck."""

    LOG_EVERY = 10.0
    DRAW_EVERY = 0.2
    WIDTH = 28

    def __init__(self, label: str, unit: str):
        self.label, self.unit, self.done, self.total = label, unit, 0, 0
        self.started = time.monotonic()
        self.logged = self.started  # the first line after LOG_EVERY seconds, or at the end
        self.tty, self.printed, self.drawn, self.closed = sys.stderr.isatty(), None, 0.0, False

    def to(self, done: int, total: int) -> None:
        """Record that ``done`` of ``total`` steps are done."""
        self.advance(done - self.done, total)

    def advance(self, steps: int, total: int) -> None:
        self.done, self.total = self.done + steps, total
        now = time.monotonic()
        if self.tty:
            if now - self.drawn >= self.DRAW_EVERY or self.done >= self.total:
                self.drawn = now
                self._draw()
        elif now - self.logged >= self.LOG_EVERY:
            self._line()

    def rate_and_left(self) -> str:
        """", 412 files/s, 3 min 2 s left" (the rate so far), or "" before the first step."""
        seconds = time.monotonic() - self.started
        if seconds <= 0 or not self.done:
            return ""
        rate = self.done / seconds
        left = max(self.total - self.done, 0) / rate
        shown = f"{left:.0f} s" if left < 60 else f"{int(left // 60)} min {int(left % 60)} s"
        return f", {rate:,.0f} {self.unit.split()[0]}/s, {shown} left"

    def _draw(self) -> None:
        filled = int(self.WIDTH * self.done / self.total) if self.total else 0
        bar = "#" * filled + "-" * (self.WIDTH - filled)
        sys.stderr.write(f"\r{self.label} [{bar}] {self.done:,}/{self.total:,}{self.rate_and_left()}\x1b[K")
        sys.stderr.flush()
        self.printed = self.done

    def _line(self) -> None:
        self.logged, self.printed = time.monotonic(), self.done
        click.echo(f"{self.label}: {self.done:,} of {self.total:,} {self.unit}{self.rate_and_left()}", err=True)

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        if self.tty and self.printed is not None:
            self._draw()
            sys.stderr.write("\n")
        elif self.total and not self.tty and self.printed != self.done:
            self._line()


def _import_user(username: str, create: bool):
    if create:
        user, created = users.get_or_create_system_user(username)
        if created:
            click.echo(f"Created the inactive account {user.username} for the imported revisions.")
        return user
    user = users.find_user(username)
    if user is None:
        raise click.ClickException(f"There is no user called “{username}”; create it first, "
                                   "or add --create-user for an inactive system account.")
    return user


def _echo_report(report) -> None:
    click.echo(report.summary_line())
    for line in report.detail_lines():
        click.echo(line)


@click.command("load-starter")
@with_appcontext
def load_starter() -> None:
    """Import the starter pages (config STARTER_CONTENT_DIR) as the user "Nexus"; quiet when
    nothing changed. Turned off by NEXUS_STARTER_CONTENT=false."""
    from wiki.services import mdimport

    config = current_app.config
    if not config.get("STARTER_CONTENT", True):
        click.echo("The starter content is turned off (STARTER_CONTENT).")
        return
    try:
        report = mdimport.load_starter(config.get("STARTER_CONTENT_DIR"), config["MAX_PAGE_BYTES"])
    except DomainError as error:
        raise click.ClickException(str(error)) from None
    if report is None:
        click.echo(f"No starter content at {mdimport.default_starter_dir()}; nothing to load.")
    elif report.changed:
        click.echo("Starter content: " + report.summary_line())
        for line in report.detail_lines():
            click.echo(line)


@click.command("jobs-worker")
@click.option("--threads", type=click.IntRange(1, 64), default=2, show_default=True,
              help="Jobs run side by side in this process.")
@with_appcontext
def jobs_worker(threads: int) -> None:
    """Run queued jobs (fan-out after saves, renames, deletes) until stopped (SIGINT/SIGTERM).

    For several app servers sharing a queue in Redis (JOBS_QUEUE_URL); start as many as
    needed, on any machine. Jobs already taken by a worker that died are taken over.
    """
    from wiki import jobqueue

    try:
        jobqueue.run_worker(current_app._get_current_object(), threads)
    except ValueError as error:
        raise click.ClickException(str(error)) from None


@click.command("mail-tick")
@with_appcontext
def mail_tick() -> None:
    """Queue the mail that is due now: changes held back by batching, the daily digest, the
    notices of pages that fell due for review, and the weekly link-health digest.

    Every job worker does this at each sweep; run it from cron only when no worker runs
    (JOBS_QUEUE_URL=immediate)."""
    from wiki.jobqueue import queue_of
    from wiki.services import linkhealth, notifications, review

    options = queue_of(current_app).settings.options[notifications.OPTIONS_KEY]
    queued = notifications.tick(options) + linkhealth.tick(options)  # issue 20: the weekly link digest
    queued += review.tick()  # issue 20: pages that fell due for review
    click.echo("Queued: " + (", ".join(queued) if queued else "nothing was due") + ".")
