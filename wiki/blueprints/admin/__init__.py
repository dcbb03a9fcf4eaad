"""Administration: users and roles, invitations, the audit log."""
from wiki.blueprints.admin.views import bp

__all__ = ["bp"]
