"""Accounts: register, log in, log out."""
from wiki.blueprints.auth.views import bp

__all__ = ["bp"]
