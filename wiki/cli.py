"""Command-line tools: ``flask --app wsgi create-user NAME --role admin``."""
import sys

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from wiki.models import ROLES
from wiki.services import users
from wiki.services.errors import InvalidInput


def register(app: Flask) -> None:
    """Add the wiki's commands to ``flask``."""
    app.cli.add_command(create_user)
    app.cli.add_command(search_reindex)


@click.command("create-user")
@click.argument("username")
@click.option("--role", type=click.Choice(ROLES), default="editor", show_default=True)
@with_appcontext
def create_user(username: str, role: str) -> None:
    """Create an account. The password is read from a prompt, or one line of stdin."""
    if sys.stdin.isatty():
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    try:
        user = users.create_user(username, password, role=role,
                                 min_length=current_app.config["MIN_PASSWORD_LENGTH"],
                                 hash_method=current_app.config["PASSWORD_HASH_METHOD"])
    except InvalidInput as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Created {user.role} {user.username}.")


@click.command("search-reindex")
@with_appcontext
def search_reindex() -> None:
    """Rebuild the full-text search index from every live page's current revision."""
    from wiki.services import search

    click.echo(f"Indexed {search.reindex_all()} pages.")
