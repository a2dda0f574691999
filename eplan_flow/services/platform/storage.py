"""Where attached files live: a tiny interface, the local-filesystem store and an S3-compatible one.

Files are content-addressed: the key is made from the SHA-256 of the bytes, so the same scan
attached twice is stored once, and a key can never point at other bytes than the ones hashed.

``ATTACHMENTS_STORAGE`` picks the store. ``"local"`` (the default) keeps files under
``ATTACHMENTS_DIR`` (default ``<instance>/attachments/``). ``"s3"`` keeps them in a bucket of an
S3-compatible store (AWS S3, MinIO, Ceph; ``ATTACHMENTS_S3_*`` settings) through boto3, the
optional ``s3`` extra (``pip install 'eplan-flow[s3]'``), imported only when that store is used.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from flask import current_app

_KEY = re.compile(r"^sha256/[0-9a-f]{2}/[0-9a-f]{64}$")


class StorageNotConfigured(RuntimeError):
    """``ATTACHMENTS_STORAGE`` names a store this build cannot use, or its settings are incomplete."""


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


# Raised by botocore when an object (or, for HEAD, anything) is not there.
_MISSING = {"404", "NoSuchKey", "NotFound"}
# What a conditional PutObject answers when the name is taken (S3: 412; some stores: 409).
_TAKEN = {"412", "409", "PreconditionFailed", "ConditionalRequestConflict"}


def _error_code(exc: Exception) -> str:
    return str(getattr(exc, "response", {}).get("Error", {}).get("Code", ""))


class S3Storage:
    """Objects in one bucket of an S3-compatible store, named ``<prefix>sha256/ab/<hash>``.

    The row keeps the same key as the local store (``sha256/ab/<hash>``), so moving files between
    stores is a copy. ``put`` first asks whether the object is there (then it is not written, and
    ``created`` is False, so a failed attach never removes a file another attachment holds); else
    it writes with ``If-None-Match: *``, so of two concurrent writers of the same bytes only one
    creates the object. An object is whole or absent: S3 never shows a half-written one.
    """

    def __init__(self, client: Any, bucket: str, prefix: str = "") -> None:
        self.client = client
        self.bucket = bucket
        self.prefix = prefix

    def object_name(self, key: str) -> str:
        # Keys are made here from a hash; anything else (a name from a request) is refused.
        if not _KEY.match(key):
            raise ValueError(f"not an attachment key: {key!r}")
        return self.prefix + key

    def put(self, data: bytes, sha256: str) -> Stored:
        key = key_for(sha256)
        if self.exists(key):
            return Stored(key, created=False)
        try:
            self.client.put_object(
                Bucket=self.bucket,
                Key=self.object_name(key),
                Body=data,
                IfNoneMatch="*",
                ContentType="application/octet-stream",
            )
        except Exception as exc:
            if _error_code(exc) in _TAKEN:
                return Stored(key, created=False)
            raise
        return Stored(key, created=True)

    def read(self, key: str) -> bytes:
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=self.object_name(key))
        except Exception as exc:
            if _error_code(exc) in _MISSING:
                raise FileNotFoundError(key) from None
            raise
        with contextlib.closing(response["Body"]) as body:
            return body.read()

    def exists(self, key: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=self.object_name(key))
        except Exception as exc:
            if _error_code(exc) in _MISSING:
                return False
            raise
        return True

    def delete(self, key: str) -> None:
        # S3 answers a delete of a missing object with success too.
        self.client.delete_object(Bucket=self.bucket, Key=self.object_name(key))


ADDRESSING_STYLES = ("auto", "path", "virtual")


def s3_settings(config) -> dict[str, Any]:
    """The S3 store's settings from the app config, checked; StorageNotConfigured if unusable."""
    bucket = str(config.get("ATTACHMENTS_S3_BUCKET") or "").strip()
    if not bucket:
        raise StorageNotConfigured(
            "ATTACHMENTS_STORAGE=s3 needs EPLAN_ATTACHMENTS_S3_BUCKET, the bucket attached files "
            "are kept in (see the README, 'Attachments')"
        )
    style = str(config.get("ATTACHMENTS_S3_ADDRESSING_STYLE") or "auto")
    if style not in ADDRESSING_STYLES:
        raise StorageNotConfigured(
            f"EPLAN_ATTACHMENTS_S3_ADDRESSING_STYLE={style!r} is not one of {', '.join(ADDRESSING_STYLES)}"
        )
    prefix = str(config.get("ATTACHMENTS_S3_PREFIX") or "").strip("/")
    return {
        "bucket": bucket,
        "prefix": f"{prefix}/" if prefix else "",
        "endpoint_url": config.get("ATTACHMENTS_S3_ENDPOINT_URL") or None,
        "region": config.get("ATTACHMENTS_S3_REGION") or None,
        "access_key_id": config.get("ATTACHMENTS_S3_ACCESS_KEY_ID") or None,
        "secret_access_key": config.get("ATTACHMENTS_S3_SECRET_ACCESS_KEY") or None,
        "addressing_style": style,
    }


def _boto3():
    try:
        import boto3  # the optional 's3' extra: imported only when the S3 store is used
        import botocore.config
    except ImportError:
        raise StorageNotConfigured(
            "ATTACHMENTS_STORAGE=s3 needs boto3, which is not installed: install the 's3' extra "
            "(pip install 'eplan-flow[s3]'); see the README, 'Attachments'"
        ) from None
    return boto3, botocore.config


def s3_storage(settings: dict[str, Any]) -> S3Storage:
    """An S3 store for these settings (its client made here; boto3 imported only now)."""
    boto3, botocore_config = _boto3()
    client = boto3.session.Session().client(
        "s3",
        endpoint_url=settings["endpoint_url"],
        region_name=settings["region"],
        # None: boto3's usual chain (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, profiles, roles).
        aws_access_key_id=settings["access_key_id"],
        aws_secret_access_key=settings["secret_access_key"],
        config=botocore_config.Config(
            s3={"addressing_style": settings["addressing_style"]},
            connect_timeout=5,
            read_timeout=60,
            retries={"max_attempts": 3, "mode": "standard"},
        ),
    )
    return S3Storage(client, settings["bucket"], settings["prefix"])


def storage(app=None) -> Storage:
    """The store the app's settings name (the S3 client is made once per app and settings)."""
    app = app or current_app
    kind = app.config.get("ATTACHMENTS_STORAGE") or "local"
    if kind == "local":
        root = app.config.get("ATTACHMENTS_DIR") or os.path.join(app.instance_path, "attachments")
        return LocalStorage(root)
    if kind == "s3":
        settings = s3_settings(app.config)
        cached = app.extensions.get("eplan_attachment_s3")
        if cached is not None and cached[0] == settings:
            return cached[1]
        store = s3_storage(settings)
        app.extensions["eplan_attachment_s3"] = (settings, store)
        return store
    raise StorageNotConfigured(f"ATTACHMENTS_STORAGE={kind!r} is not 'local' or 's3'")


__all__ = [
    "LocalStorage",
    "S3Storage",
    "Storage",
    "StorageNotConfigured",
    "Stored",
    "key_for",
    "s3_settings",
    "s3_storage",
    "storage",
]
