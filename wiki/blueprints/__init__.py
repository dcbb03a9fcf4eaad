"""One blueprint package per area of the wiki: ``views.py`` (thin: parse the request, call a
service, render) and ``forms.py``. Endpoint names mirror template paths (``pages.edit`` renders
``templates/pages/edit.html``)."""
from wiki.blueprints.admin import bp as admin
from wiki.blueprints.api import bp as api
from wiki.blueprints.auth import bp as auth
from wiki.blueprints.changes import bp as changes
from wiki.blueprints.diagrams import bp as diagrams
from wiki.blueprints.files import bp as files
from wiki.blueprints.discussion import bp as discussion
from wiki.blueprints.health import bp as health
from wiki.blueprints.history import bp as history
from wiki.blueprints.links import bp as links
from wiki.blueprints.moves import bp as moves
from wiki.blueprints.review import bp as review
from wiki.blueprints.pages import bp as pages
from wiki.blueprints.paths import bp as paths
from wiki.blueprints.search import bp as search
from wiki.blueprints.tags import bp as tags
from wiki.blueprints.watch import bp as watch

# In registration order (the access table in wiki.web.access covers every endpoint of these).
BLUEPRINTS = (pages, history, links, moves, changes, search, auth, admin, health, files, watch, api, diagrams,
              discussion, tags, review, paths)
