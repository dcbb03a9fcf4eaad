"""Administration: users and roles, invitations, the audit log."""
from wiki.blueprints.admin.views import bp
from wiki.blueprints.admin import webhooks  # noqa: F401 - the webhook pages, on the same blueprint

__all__ = ["bp"]
