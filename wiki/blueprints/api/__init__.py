"""The JSON API under /api/v1/, its OpenAPI 3.1 document and its browsable docs."""
from wiki.blueprints.api.views import bp

__all__ = ["bp"]
