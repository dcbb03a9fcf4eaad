"""Where file contents live, behind one interface: content-addressed by SHA-256, written once.

Every blob has a row in ``blobs`` (its hash and size) whatever the backend, so the database
says which blobs exist and a backup can list them. The bytes live:

- ``FilesystemStore`` (FILES_STORAGE = "filesystem", the default): under FILES_DIR
  (instance/files/) as ``ab/cd/abcd…`` files, written to a temporary name and renamed, so a
  reader never sees half a file and two uploads of the same bytes agree;
- ``DatabaseStore`` ("database"): in ``blobs.data``, so app servers share no disk.

An S3-compatible store is the next backend behind the same three methods (docs/architecture.md).
Blobs are never deleted by ordinary use: a deleted file's versions keep theirs, for restore.
"""
from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from wiki.extensions import db
from wiki.models import Blob


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class BlobMissing(LookupError):
    """The database names a blob whose bytes are not where the store keeps them."""


class BlobStore:
    """put/get/exists of bytes by their SHA-256. Subclasses keep the bytes somewhere."""

    def put(self, data: bytes) -> str:
        """Store ``data`` (once: the same bytes again cost nothing) and return its hash.
        Runs in the caller's transaction: the blob row commits with the version naming it."""
        digest = sha256_hex(data)
        self._write(digest, data)
        table = Blob.__table__
        insert = pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
        db.session.execute(
            insert(table).values(sha256=digest, size=len(data), data=self._column(data), created_at=_now())
            .on_conflict_do_nothing(index_elements=["sha256"])
        )
        return digest

    def get(self, digest: str) -> bytes:
        raise NotImplementedError

    def _write(self, digest: str, data: bytes) -> None:
        raise NotImplementedError

    def _column(self, data: bytes) -> bytes | None:
        return None


def _now():
    from wiki.models import utcnow

    return utcnow()


class FilesystemStore(BlobStore):
    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)

    def path(self, digest: str) -> Path:
        return self.root / digest[:2] / digest[2:4] / digest

    def _write(self, digest: str, data: bytes) -> None:
        target = self.path(digest)
        if target.exists():
            return  # deduplicated: these bytes are stored already
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def get(self, digest: str) -> bytes:
        try:
            return self.path(digest).read_bytes()
        except FileNotFoundError:
            raise BlobMissing(digest) from None


class DatabaseStore(BlobStore):
    def _write(self, digest: str, data: bytes) -> None:
        pass  # the row written by put() holds the bytes

    def _column(self, data: bytes) -> bytes | None:
        return data

    def get(self, digest: str) -> bytes:
        data = db.session.scalar(select(Blob.data).where(Blob.sha256 == digest))
        if data is None:
            raise BlobMissing(digest)
        return bytes(data)


def store_for(settings: dict, instance_path: str) -> BlobStore:
    """The store FILES_STORAGE names."""
    kind = settings.get("FILES_STORAGE", "filesystem")
    if kind == "database":
        return DatabaseStore()
    if kind == "filesystem":
        return FilesystemStore(settings.get("FILES_DIR") or Path(instance_path) / "files")
    raise ValueError(f"FILES_STORAGE must be 'filesystem' or 'database', not {kind!r}")
