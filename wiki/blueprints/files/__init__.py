"""Files and images attached to pages: the files list and upload form, serving, delete and restore."""
from wiki.blueprints.files.views import bp

__all__ = ["bp"]
