"""The JSON API under /api/v1/, its OpenAPI 3.1 document and its browsable docs."""
from wiki.blueprints.api.views import bp
from wiki.blueprints.api import paths  # noqa: F401 (issue 20: its routes join bp)

__all__ = ["bp"]
