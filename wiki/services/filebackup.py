"""Files in an export (docs/backup.md, *Files*): ``files/blobs/<sha256>`` holds each blob
once, named by its checksum, and ``files/files.json`` lists every file (its page's title,
name, deleted flag) with its versions. An import checks every blob against its name before
anything is written, then puts the blobs in the configured store and the rows in the database."""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select

from wiki.core.backupformat import dump_json, format_time
from wiki.core.files import IMAGES, name_key
from wiki.core.titles import canonical_key
from wiki.extensions import db
from wiki.models import File, FileVersion, Page, User
from wiki.services import files as file_service
from wiki.services.blobstore import sha256_hex
from wiki.services.errors import InvalidInput

FOLDER = "files"
LISTING = "files.json"


def export_files(target: Path) -> int:
    """Write every file and blob; the number of files written."""
    folder = target / FOLDER / "blobs"
    rows = db.session.execute(
        select(File, Page.title).join(Page, Page.id == File.page_id).order_by(File.id)).all()
    if not rows:
        return 0
    folder.mkdir(parents=True)
    versions: dict[int, list[FileVersion]] = {}
    for version in db.session.scalars(select(FileVersion).order_by(FileVersion.file_id, FileVersion.number)):
        versions.setdefault(version.file_id, []).append(version)
    users = {u.id: u.username for u in db.session.scalars(select(User))}
    listing = []
    for file, title in rows:
        entries = []
        for v in versions.get(file.id, []):
            blob = folder / v.sha256
            if not blob.exists():
                blob.write_bytes(file_service.store().get(v.sha256))
            entries.append({"number": v.number, "sha256": v.sha256, "size": v.size, "media_type": v.media_type,
                            "width": v.width, "height": v.height, "uploader": users.get(v.uploader_id),
                            "created_at": format_time(v.created_at)})
        listing.append({"page": title, "name": file.name, "deleted": file.deleted,
                        "created_at": format_time(file.created_at), "versions": entries})
    (target / FOLDER / LISTING).write_bytes(dump_json(listing))
    return len(listing)


@dataclass(frozen=True)
class Files:
    root: Path
    listing: list


def read_files(root: Path) -> Files:
    """The export's files, every blob checked against its checksum; InvalidInput otherwise."""
    path = root / FOLDER / LISTING
    if not path.exists():
        return Files(root, [])
    try:
        listing = json.loads(path.read_bytes())
        for entry in listing:
            for v in entry["versions"]:
                blob = root / FOLDER / "blobs" / v["sha256"]
                if len(v["sha256"]) != 64 or not blob.is_file():
                    raise InvalidInput(f"{FOLDER}/blobs/{v['sha256']} is missing (file “{entry['name']}”).")
                data = blob.read_bytes()
                if sha256_hex(data) != v["sha256"] or len(data) != v["size"]:
                    raise InvalidInput(f"{FOLDER}/blobs/{v['sha256']} does not match its checksum: the export "
                                       "is damaged. Nothing was imported.")
    except (ValueError, KeyError, TypeError) as error:
        if isinstance(error, InvalidInput):
            raise
        raise InvalidInput(f"{FOLDER}/{LISTING} is not a valid file listing ({error}). Nothing was imported.") from None
    return Files(root, listing)


def restore_files(files: Files, users: dict[str, User]) -> None:
    """Write the files of ``files`` (read_files) into the store and the database; the pages
    they belong to must be written already (in this transaction)."""
    if not files.listing:
        return
    pages = {p.title_key: p for p in db.session.scalars(select(Page))}
    for entry in files.listing:
        page = pages.get(canonical_key(entry["page"]))
        if page is None:
            raise InvalidInput(f"The file “{entry['name']}” belongs to “{entry['page']}”, which is not in the export.")
        row = File(page_id=page.id, name=entry["name"], name_key=name_key(entry["name"]), deleted=entry["deleted"],
                   created_at=datetime.fromisoformat(entry["created_at"]))
        db.session.add(row)
        db.session.flush()
        for v in entry["versions"]:
            digest = file_service.store().put((files.root / FOLDER / "blobs" / v["sha256"]).read_bytes())
            uploader = users.get(v["uploader"].strip().casefold()) if v["uploader"] else None
            db.session.add(FileVersion(file_id=row.id, number=v["number"], sha256=digest, size=v["size"],
                                       media_type=v["media_type"], width=v["width"], height=v["height"],
                                       uploader_id=uploader.id if uploader else None,
                                       created_at=datetime.fromisoformat(v["created_at"])))
            if v["media_type"] in IMAGES and (v["width"] or 0) > 160:
                from wiki.services import jobs

                jobs.enqueue(file_service.MAKE_VARIANTS, sha256=digest)
    db.session.flush()
