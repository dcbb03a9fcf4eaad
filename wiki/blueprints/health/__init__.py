"""/healthz: is the database up and fully migrated."""
from wiki.blueprints.health.views import bp

__all__ = ["bp"]
