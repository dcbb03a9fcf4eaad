"""Accounts: register, log in, log out."""
from wiki.blueprints.auth.views import bp
from wiki.blueprints.auth import tokens  # noqa: F401 - the token routes, on the same blueprint

__all__ = ["bp"]
