"""No N+1 queries on the files pages: as many SQL statements for N files (each with
versions by different uploaders, used by different pages) as for 5N."""
import pytest

from tests.blueprints.test_query_counts import authors, save, statements
from tests.files_support import png
from wiki.extensions import db
from wiki.services import files as file_service
from wiki.services import pages as page_service

N = 3


def fill(app, files: int, start: int) -> None:
    with app.app_context():
        uploaders = authors(f"up{start}_", files)
        for i in range(start, start + files):
            save(f"User {i}", f"![x](/wiki/Gallery/-/files/f{i}.png) [[File:missing{i}.png]]", uploaders[i - start])
            for color in (1, 2):
                page = page_service.find_page("Gallery")
                file_service.upload(page, f"f{i}.png", png(color=(i % 250, color, 0)),
                                    db.session.get(type(uploaders[0]), uploaders[i - start].id),
                                    max_bytes=10**7, quota=0)


@pytest.mark.parametrize("url", ["/wiki/Gallery/-/files", "/-/files"])
def test_files_pages_do_not_query_per_file(app, client, url):
    with app.app_context():
        save("Gallery", "[[File:f0.png]]")
    fill(app, N, 0)
    few = statements(app, client, url)
    fill(app, 4 * N, N)
    assert statements(app, client, url) == few
