"""Accounts: register, log in, log out."""
from wiki.auth.views import bp

__all__ = ["bp"]
