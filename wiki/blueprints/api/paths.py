"""The JSON API's learning paths (issue 20): the list, one path with the caller's progress,
and marking a step done or not done (a write token, or the session with its CSRF token)."""
from flask import abort
from flask_login import current_user

from wiki.blueprints.api import schemas as s
from wiki.blueprints.api.spec import WRITE_ERRORS, Response, operation
from wiki.blueprints.api.views import V1, answer, bp, live
from wiki.services import pages as page_service
from wiki.services import path_progress, paths
from wiki.services.errors import InvalidInput
from wiki.core.titles import InvalidTitle

PATH = f"{V1}/paths/<title:title>"


def _user_id() -> int | None:
    return current_user.id if current_user.is_authenticated else None


def _detail(page) -> s.PathDetail:
    user_id = _user_id()
    view = paths.path_view(page, user_id)
    return s.PathDetail(
        title=view.title, display_title=view.label,
        steps=[s.PathStep(position=step.position, title=step.title, label=step.label, section=step.section,
                          note=step.note, exists=step.page_id is not None, is_self=step.is_self,
                          summary=step.summary, done=step.done) for step in view.steps],
        problems=list(view.problems), done=view.done if user_id is not None else None,
        done_earlier=[s.DoneEarlier(title=e.title, section=e.section) for e in view.done_earlier])


def _path(title: str):
    page = live(title)
    if paths.path_view(page, summaries=False) is None:
        abort(404, description=f"“{page.title}” declares no learning path (a ```path block).")
    return page


@bp.get(f"{V1}/paths")
@operation("List learning paths", "paths", {200: Response(s.PathList, "Every learning path, by title")})
def list_paths():
    user_id = _user_id()
    items = [s.PathSummary(title=p.title, display_title=p.label, steps=p.steps,
                           done=p.done if user_id is not None else None) for p in paths.list_paths(user_id)]
    return answer(s.PathList(items=items))


@bp.get(PATH)
@operation("Get a learning path", "paths", {200: Response(s.PathDetail, "Its steps and the caller's progress")})
def get_path(title):
    return answer(_detail(_path(title)))


@bp.put(f"{PATH}/-/progress")
@operation("Mark a step done or not done", "paths",
           {200: Response(s.PathDetail, "The path with the caller's progress")},
           body=s.PathProgressUpdate, errors=WRITE_ERRORS,
           description="Progress is the caller's own: it needs a token with the write scope (or the "
                       "session cookie with its CSRF token). A page that is not a step of the path is a 422.")
def mark_step(title, body: s.PathProgressUpdate):
    page = _path(title)
    try:
        step = page_service.find_page(body.page)
    except InvalidTitle as invalid:
        raise InvalidInput(f"No page can have this title: {invalid}", field="page") from None
    if step is None:
        abort(422, description=f"There is no page called “{body.page}”, so it is no step of this path.")
    path_progress.mark(current_user._get_current_object(), page, step.id, body.section, body.done)
    return answer(_detail(page_service.get_page(page.title)))
