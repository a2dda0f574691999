"""Where attached files live: a tiny interface, and the local-filesystem store behind it.

Files are content-addressed: the key is made from the SHA-256 of the bytes, so the same scan
attached twice is stored once, and a key can never point at other bytes than the ones hashed.

``ATTACHMENTS_STORAGE`` picks the store. ``"local"`` (the default) keeps files under
``ATTACHMENTS_DIR`` (default ``<instance>/attachments/``). An S3-compatible store (``"s3"``) is
described in the README (its settings and the same four operations); its backend needs boto3,
which this build does not ship, so asking for it fails at the first use with a clear message.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from flask import current_app

_KEY = re.compile(r"^sha256/[0-9a-f]{2}/[0-9a-f]{64}$")


class StorageNotConfigured(RuntimeError):
    """``ATTACHMENTS_STORAGE`` names a store this build cannot use."""


@dataclass(frozen=True)
class Stored:
    key: str
    # Whether this call wrote the file (False: the same bytes were already stored): only a file
    # a failed attach created may be removed again.
    created: bool


class Storage(Protocol):
    """What the attachment service needs of a store."""

    def put(self, data: bytes, sha256: str) -> Stored:
        """Store ``data`` (whose SHA-256 is ``sha256``) under its content key, atomically."""
        ...

    def read(self, key: str) -> bytes:
        """The bytes stored under ``key`` (FileNotFoundError when missing)."""
        ...

    def exists(self, key: str) -> bool: ...

    def delete(self, key: str) -> None:
        """Remove the file under ``key``; a missing file is not an error."""
        ...


def key_for(sha256: str) -> str:
    """The content key of bytes with this SHA-256 (hex): ``sha256/ab/ab…``."""
    key = f"sha256/{sha256[:2]}/{sha256}"
    if not _KEY.match(key):
        raise ValueError("not a SHA-256 in lowercase hex")
    return key


class LocalStorage:
    """Files under one directory, written to a temporary file and then linked into place."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        # Keys are made here from a hash; anything else (a path from elsewhere) is refused.
        if not _KEY.match(key):
            raise ValueError(f"not an attachment key: {key!r}")
        return self.root / key

    def put(self, data: bytes, sha256: str) -> Stored:
        key = key_for(sha256)
        path = self._path(key)
        if path.exists():
            return Stored(key, created=False)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".upload-", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.chmod(tmp, 0o640)
            try:
                # A hard link fails if the name exists: whoever links first wrote the file, and
                # a reader never sees a half-written one.
                os.link(tmp, path)
            except FileExistsError:
                return Stored(key, created=False)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
        return Stored(key, created=True)

    def read(self, key: str) -> bytes:
        return self._path(key).read_bytes()

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def delete(self, key: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self._path(key).unlink()


def storage(app=None) -> Storage:
    """The store the app's settings name."""
    app = app or current_app
    kind = app.config.get("ATTACHMENTS_STORAGE") or "local"
    if kind == "local":
        root = app.config.get("ATTACHMENTS_DIR") or os.path.join(app.instance_path, "attachments")
        return LocalStorage(root)
    if kind == "s3":
        raise StorageNotConfigured(
            "ATTACHMENTS_STORAGE=s3 needs the S3 backend (boto3), which is not installed: "
            "see the README, 'Attachments'"
        )
    raise StorageNotConfigured(f"ATTACHMENTS_STORAGE={kind!r} is not 'local' or 's3'")


__all__ = ["LocalStorage", "Storage", "StorageNotConfigured", "Stored", "key_for", "storage"]
