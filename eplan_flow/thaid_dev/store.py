"""What the stand-in ThaiD remembers: authorization codes, access tokens and its signing key.

In Redis when the app has one (``REDIS_URL``: every web process then shares codes and the key),
else in this process's memory. Entries expire on their own; ``take`` reads and deletes in one
step, so a code can be exchanged once only.
"""

from __future__ import annotations

import json
import threading
import time
from typing import cast

import redis
from joserfc.jwk import RSAKey

PREFIX = "thaid-dev:"
_SIGNING_KEY = "signing-key"


class MemoryStore:
    def __init__(self) -> None:
        self._items: dict[str, tuple[float | None, str]] = {}
        self._lock = threading.Lock()

    def put(self, key: str, value: dict, ttl: int | None) -> None:
        expires = time.monotonic() + ttl if ttl else None
        with self._lock:
            self._items[key] = (expires, json.dumps(value))

    def add(self, key: str, value: dict) -> bool:
        """Store ``value`` unless ``key`` holds one already; return whether it was stored."""
        with self._lock:
            if self._live(key) is not None:
                return False
            self._items[key] = (None, json.dumps(value))
            return True

    def get(self, key: str) -> dict | None:
        with self._lock:
            raw = self._live(key)
        return json.loads(raw) if raw is not None else None

    def take(self, key: str) -> dict | None:
        with self._lock:
            raw = self._live(key)
            self._items.pop(key, None)
        return json.loads(raw) if raw is not None else None

    def delete(self, key: str) -> None:
        with self._lock:
            self._items.pop(key, None)

    def _live(self, key: str) -> str | None:
        item = self._items.get(key)
        if item is None:
            return None
        expires, raw = item
        if expires is not None and expires < time.monotonic():
            del self._items[key]
            return None
        return raw


class RedisStore:
    def __init__(self, url: str) -> None:
        # No connection is made until the first command.
        self._redis = redis.Redis.from_url(url)

    def put(self, key: str, value: dict, ttl: int | None) -> None:
        self._redis.set(PREFIX + key, json.dumps(value), ex=ttl)

    def add(self, key: str, value: dict) -> bool:
        return bool(self._redis.set(PREFIX + key, json.dumps(value), nx=True))

    def get(self, key: str) -> dict | None:
        # redis-py types its replies for both its sync and async clients; this one is sync.
        raw = cast(bytes | None, self._redis.get(PREFIX + key))
        return json.loads(raw) if raw is not None else None

    def take(self, key: str) -> dict | None:
        raw = cast(bytes | None, self._redis.getdel(PREFIX + key))
        return json.loads(raw) if raw is not None else None

    def delete(self, key: str) -> None:
        self._redis.delete(PREFIX + key)


def make_store(redis_url: str | None) -> MemoryStore | RedisStore:
    return RedisStore(redis_url) if redis_url else MemoryStore()


def signing_key(store) -> RSAKey:
    """The RS256 key, made on first use; whichever process stores one first wins, so all agree."""
    stored = store.get(_SIGNING_KEY)
    if stored is None:
        key = RSAKey.generate_key(2048, parameters={"use": "sig", "alg": "RS256"}, auto_kid=True)
        store.add(_SIGNING_KEY, key.as_dict(private=True))
        stored = store.get(_SIGNING_KEY)
    return RSAKey.import_key(stored)
