"""The API's request and response models (pydantic). Their JSON Schemas are the spec's."""
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from wiki.core.edits import MAX_SUMMARY_LENGTH
from wiki.core.titles import MAX_TITLE_LENGTH

Cursor = Annotated[Annotated[str, Field(min_length=1, max_length=1024)] | None,
                   Field(default=None, description="`next_cursor` of the previous page")]
Limit = Annotated[int, Field(default=50, ge=1, le=100, description="Items per page")]


def _integral(value):
    """JSON Schema counts 3.0 as an integer; strict pydantic would not."""
    return int(value) if isinstance(value, float) and value.is_integer() and abs(value) < 2**53 else value


Number = Annotated[int, Field(ge=1, le=2**31 - 1), BeforeValidator(_integral)]  # a revision number


class Strict(BaseModel):
    """Requests: no coercion (a string is not a number) and no unknown members."""
    model_config = ConfigDict(strict=True, extra="forbid")


class Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- requests ---

class PageListQuery(Strict):
    prefix: Annotated[str, Field(max_length=MAX_TITLE_LENGTH, description="Only titles starting with this "
                                 "(any letter case, `_` for space), e.g. `concepts/`")] = ""
    limit: Limit = 50
    cursor: Cursor = None


class BrokenLinksQuery(Strict):
    """Issue 20: the filters of /-/links/broken."""
    kind: Annotated[Literal["page", "section", "file"] | None,
                    Field(default=None, description="Only this kind: a missing `page`, `section` or `file`")] = None
    prefix: Annotated[str, Field(max_length=MAX_TITLE_LENGTH, description="Only on pages whose title starts with "
                                 "this (any letter case, `_` for space)")] = ""
    limit: Limit = 50
    cursor: Cursor = None


class HistoryQuery(Strict):
    limit: Limit = 50
    cursor: Cursor = None


class DiffQuery(Strict):
    from_: Annotated[Number | None, Field(default=None, alias="from",
                                          description="Older revision (default: the one before `to`)")] = None
    to: Annotated[Number | None, Field(default=None, description="Newer revision (default: the current one)")] = None


class SearchQuery(Strict):
    q: Annotated[str, Field(min_length=1, max_length=500, description='Words, "phrases", -word, in:prefix/, tag:name (only pages with the tag; '
                                                                 'tags alone list their pages)')]
    prefix: Annotated[str, Field(max_length=MAX_TITLE_LENGTH, description="Only titles starting with this")] = ""
    limit: Annotated[int, Field(default=20, ge=1, le=50, description="Results per page")] = 20
    cursor: Cursor = None


class ChangesQuery(Strict):
    prefix: Annotated[str, Field(max_length=MAX_TITLE_LENGTH, description="Only titles starting with this")] = ""
    user: Annotated[Annotated[str, Field(min_length=1, max_length=64)] | None,
                    Field(default=None, description="Only changes by this user")] = None
    hide_minor: Annotated[bool, Field(description="Leave out minor edits")] = False
    limit: Limit = 50
    cursor: Cursor = None


PageText = Annotated[str, Field(description="The page's Markdown source")]
Summary = Annotated[str, Field(max_length=MAX_SUMMARY_LENGTH, description="What changed, and why")]


class PageCreate(Strict):
    title: Annotated[str, Field(min_length=1, max_length=MAX_TITLE_LENGTH, description="The new page's title")]
    body: PageText
    summary: Summary = ""
    minor: bool = False


class PageUpdate(Strict):
    body: PageText
    summary: Summary = ""
    minor: bool = False
    base_revision: Annotated[Number | None, Field(
        default=None,
        description="The revision your text is based on (as the web editor sends it). If the page "
                    "moved on since, your change is merged three-way; overlapping changes answer 409. "
                    "Give this or an If-Match header.")] = None


# --- responses ---

class Problem(BaseModel):
    """An RFC 9457 problem document."""
    model_config = ConfigDict(extra="allow")
    type: str
    title: str
    status: int
    detail: str


class PageSummary(Out):
    title: str
    display_title: str = Field(description="What readers see as its title: the title: setting or the opening # heading; \"\" when it sets none")
    revision: int
    updated_at: datetime
    author: str | None
    is_redirect: bool


class PageList(Out):
    items: list[PageSummary]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null at the end")


class Page(Out):
    title: str
    display_title: str = Field(description="What readers see as its title: the title: setting or the opening # heading; \"\" when it sets none")
    tags: list[str] = Field(description="The page's tags (its tags: front matter, normalised), in the order written")
    revision: int = Field(description="The current revision's number; send it back as `base_revision`")
    etag: str = Field(description="The current revision's ETag, for If-Match")
    source: str
    html: str = Field(description="Rendered, sanitized HTML")
    updated_at: datetime
    author: str | None
    summary: str
    minor: bool


class Saved(Page):
    saved: bool = Field(description="False when the text was identical: no new revision was made")
    merged_with: int | None = Field(description="The newer revision your change was merged with, if any")


class RevisionSummary(Out):
    number: int
    created_at: datetime
    author: str | None
    summary: str
    minor: bool
    size: int
    size_change: int


class History(Out):
    title: str
    items: list[RevisionSummary]
    next_cursor: str | None


class Revision(RevisionSummary):
    title: str
    source: str
    html: str
    current: bool


class DiffLine(Out):
    kind: Literal["equal", "delete", "insert"]
    old_line: int | None
    new_line: int | None
    text: str


class Hunk(Out):
    old_start: int
    old_len: int
    new_start: int
    new_len: int
    lines: list[DiffLine]


class Diff(Out):
    title: str
    from_: int = Field(alias="from", serialization_alias="from")
    to: int
    added: int
    removed: int
    hunks: list[Hunk]


class Backlink(Out):
    title: str
    whole_page: bool = Field(description="It links to the page itself")
    sections: list[str] = Field(description="Sections of this page it links to")


class Backlinks(Out):
    title: str
    items: list[Backlink]


class BrokenLink(Out):
    """Issue 20: one broken link of a page's current revision."""
    page: str = Field(description="The title of the page with the link")
    kind: Literal["page", "section", "file"] = Field(description="What is missing: the page, its section, or a file")
    target: str = Field(description="The page linked to (for a file: the page that should hold it)")
    section: str | None = Field(description="The missing section as written (for a file: the file's name)")
    line: int | None = Field(description="The line of the page's source showing the link (1 = the first)")
    section_number: int | None = Field(description="The section holding that line: edit it with `?section=` "
                                       "of the editor; null for text before the first heading")
    suggestion: str | None = Field(description="For a missing section: the closest existing heading of the target")
    edit_url: str = Field(description="The editor at that section")


class BrokenLinks(Out):
    items: list[BrokenLink]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null at the end")


class SearchHit(Out):
    title: str
    snippet: str = Field(description="HTML: escaped text with <mark> around the matches")
    updated_at: datetime


class SearchResults(Out):
    items: list[SearchHit]
    next_cursor: str | None


class Change(Out):
    title: str
    revision: int
    created_at: datetime
    author: str | None
    summary: str
    minor: bool
    size_change: int


class Changes(Out):
    items: list[Change]
    next_cursor: str | None


class Session(Out):
    user: str | None = Field(description="Who this request acts as; null for an anonymous visitor")
    role: Literal["reader", "editor", "admin"] | None
    scope: Literal["read", "write"] | None = Field(description="The bearer token's scope; null for a session")
    csrf_token: str | None = Field(description="For same-origin JavaScript using the session cookie: send "
                                               "it as X-CSRFToken on writes")


class ConflictRegion(Out):
    base: list[str]
    theirs: list[str]
    yours: list[str]
    start_line: int = Field(description="Line of the '<<<<<<< yours' marker in text_with_markers")


class EditConflict(Out):
    """The 409 of an overlapping edit (an RFC 9457 problem with the conflict's parts)."""
    type: str
    title: str
    status: int
    detail: str
    current_revision: int
    base_revision: int
    current_source: str
    yours: str
    text_with_markers: str
    conflicts: list[ConflictRegion]


# --- Issue 20: tags ---

class TagListQuery(Strict):
    limit: Annotated[int, Field(default=100, ge=1, le=500, description="Tags per page")] = 100
    cursor: Cursor = None


class TagPagesQuery(Strict):
    limit: Limit = 50
    cursor: Cursor = None


# --- Issue 20: review dates ---

class ReviewQuery(Strict):
    owner: Annotated[str, Field(max_length=64, description="Only reviews this user owns")] = ""
    prefix: Annotated[str, Field(max_length=MAX_TITLE_LENGTH, description="Only titles starting with this")] = ""
    soon: Annotated[bool, Field(description="Due within the next two weeks instead of due now")] = False
    limit: Limit = 50
    cursor: Cursor = None


class TagCount(Out):
    tag: str = Field(description="The tag, normalised (lower case, `-` for spaces)")
    pages: int = Field(description="How many live pages have it")


class TagList(Out):
    items: list[TagCount] = Field(description="Tags in alphabetical order")
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null at the end")


class TagPages(Out):
    tag: str = Field(description="The tag, normalised")
    pages: int = Field(description="How many live pages have it")
    items: list[PageSummary] = Field(description="Its pages in title order")
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null at the end")
class VerifyRequest(Strict):
    section: Annotated[Annotated[str, Field(min_length=1, max_length=255)] | None,
                       Field(default=None, description="A section's heading id; none: the page and its sections")] = None


class DueReview(Out):
    title: str
    section: str | None = Field(description="The section's heading id; null: the whole page")
    heading: str = Field(description="The section's heading; \"\" for the whole page")
    due_at: datetime
    overdue_days: int = Field(description="Whole days since it fell due; -1: not due yet (with soon)")
    owner: str | None
    interval_days: int
    verified_at: datetime | None


class DueReviews(Out):
    items: list[DueReview]
    next_cursor: str | None


class ReviewInfo(Out):
    interval_days: int | None = Field(description="The page's review interval; null: only its sections have one")
    owner: str | None
    due_at: datetime | None
    due: bool
    overdue_days: int = Field(description="Whole days since it fell due; -1: not due")
    verified_at: datetime | None
    verified_by: str | None
    due_sections: list[str] = Field(description="Heading ids of the sections due for review")
    problem: str = Field(description="Review settings of the source that could not be used; \"\" if none")


class PageWithReview(Page):
    review: ReviewInfo | None = Field(default=None, description="The page's review dates; null: it has none")
# --- Issue 20: learning paths ---

class PathSummary(Out):
    title: str
    display_title: str
    steps: int = Field(description="How many steps the path has")
    done: int | None = Field(description="How many of them the token's user marked done (null: anonymous)")


class PathList(Out):
    items: list[PathSummary]


class PathStep(Out):
    position: int
    title: str = Field(description="The step's page (as written while it does not exist)")
    label: str = Field(description="What the step reads as: its label, or the page's display title (and section)")
    section: str = Field(description="The section of the page (\"\" for the whole page)")
    note: str
    exists: bool = Field(description="False: the page does not exist (a red link)")
    is_self: bool = Field(description="The step is the path's own page")
    summary: str = Field(description="The first paragraph of the page's text, shortened")
    done: bool = Field(description="The token's user marked it done")


class DoneEarlier(Out):
    title: str
    section: str


class PathDetail(Out):
    title: str
    display_title: str
    steps: list[PathStep]
    problems: list[str] = Field(description="What is wrong with the path's block: lines that are no step, "
                                            "missing pages, the path as its own step")
    done: int | None = Field(description="Steps done by the token's user (null: anonymous)")
    done_earlier: list[DoneEarlier] = Field(description="Steps the user marked done that are no longer in the path")


class PathProgressUpdate(Strict):
    page: Annotated[str, Field(min_length=1, max_length=MAX_TITLE_LENGTH, description="The step's page title")]
    section: Annotated[str, Field(max_length=255, description="The step's section (\"\" for the whole page)")] = ""
    done: Annotated[bool, Field(description="true: mark the step done; false: not done any more")] = True
