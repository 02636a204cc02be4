"""The example database a run shares: Hypothesis's own, plus the failing cases chunkattn found.

``--db redis://HOST:PORT/N`` is Hypothesis's :class:`~hypothesis.extra.redis.RedisExampleDatabase`
(one corpus for every worker, machine, CI run and laptop); ``--db PATH`` a local directory
database. Hypothesis stores *choice sequences*, which replay only through the very strategy that
drew them; so beside them every failure found is also stored as its case (``{check, target,
case}`` as JSON under one key), which any later run replays as an explicit example whatever its
strategies, and which ``chunkattn seeds export`` turns into regression seeds.

Whoever can write to the database can write a case, so a stored entry is replayed only if it fits
its check's case schema (declared with it: :mod:`chunkattn._internal.engine.cases`): any other is set aside, never run,
and :func:`screen_failures` says how many and why.

A database that cannot be reached, or goes away in the middle of a run, raises
:class:`DatabaseLost` (a ``BaseException``, so Hypothesis does not take it for a failure of the
check) with one line naming the database.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from hypothesis.database import DirectoryBasedExampleDatabase, ExampleDatabase

from chunkattn._internal.engine.registry import Case

__all__ = [
    "FAILURES_KEY",
    "DatabaseError",
    "DatabaseLost",
    "GuardedDatabase",
    "StoredFailures",
    "open_database",
    "record_failure",
    "screen_failures",
    "stored_cases",
    "stored_failures",
]

#: the database key under which chunkattn keeps the failing cases it found
FAILURES_KEY = b"chunkattn:failures"
#: how long Redis keeps a corpus nobody reads (Hypothesis's default is 8 days)
EXPIRE_AFTER = timedelta(days=90)


class DatabaseLost(BaseException):  # noqa: N818 (reads as what happened)
    """The shared example database cannot be reached (at the start, or any time later)."""


class DatabaseError(Exception):
    """:class:`DatabaseLost` where a plain error is wanted: in a pytest run, the test that was
    using the database fails with this one line instead of the whole session stopping."""


class GuardedDatabase(ExampleDatabase):
    """``inner`` with every error of the database turned into one ``error`` naming ``url``
    (:class:`DatabaseLost` by default)."""

    def __init__(
        self, inner: ExampleDatabase, url: str, error: type[BaseException] = DatabaseLost
    ) -> None:
        super().__init__()
        self.inner, self.url, self.error = inner, url, error

    def __repr__(self) -> str:
        return f"GuardedDatabase({self.url!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, GuardedDatabase) and other.url == self.url

    def __hash__(self) -> int:
        return hash(self.url)

    def _call(self, method: str, *args: Any) -> Any:
        try:
            result = getattr(self.inner, method)(*args)
            return list(result) if method == "fetch" else result
        except Exception as exc:
            raise self.error(
                f"example database {self.url}: {exc.__class__.__name__}: {exc}".rstrip(": ")
            ) from None

    def fetch(self, key: bytes) -> Iterable[bytes]:
        return self._call("fetch", key)

    def save(self, key: bytes, value: bytes) -> None:
        self._call("save", key, value)

    def delete(self, key: bytes, value: bytes) -> None:
        self._call("delete", key, value)

    def move(self, src: bytes, dest: bytes, value: bytes) -> None:
        self._call("move", src, dest, value)


def open_database(url: str, error: type[BaseException] = DatabaseLost) -> GuardedDatabase:
    """The database at ``url``: ``redis://HOST:PORT/N`` (checked reachable now) or a directory.

    Raises ``ValueError`` for a URL of another scheme and :class:`DatabaseLost` for a Redis
    that does not answer, each one line naming ``url``.
    """
    if "://" not in url:
        return GuardedDatabase(DirectoryBasedExampleDatabase(Path(url)), url, error)
    scheme = url.split("://", 1)[0].lower()
    if scheme not in ("redis", "rediss", "unix"):
        raise ValueError(
            f"--db {url}: expected redis://HOST:PORT/N (or a directory path), not {scheme}://"
        )
    try:
        import redis
        from hypothesis.extra.redis import RedisExampleDatabase
    except ImportError:
        raise ValueError(
            f"--db {url}: the redis client is not installed (pip install 'chunkattn[redis]')"
        ) from None
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=3, socket_timeout=10)
    except ValueError as exc:
        raise ValueError(f"--db {url}: {exc}") from None
    database = GuardedDatabase(RedisExampleDatabase(client, expire_after=EXPIRE_AFTER), url, error)
    try:
        client.ping()
    except Exception as exc:
        raise error(
            f"example database {url}: cannot connect: {exc.__class__.__name__}: {exc}"
        ) from None
    return database


def _encode(check: str, target: str, case: Case) -> bytes:
    return json.dumps({"check": check, "target": target, "case": case}, sort_keys=True).encode()


def record_failure(database: ExampleDatabase, check: str, target: str, case: Case) -> bool:
    """Keep the failing ``case`` of ``check`` on ``target``; False if it cannot be stored as JSON
    or would be set aside when read (a case pinned outside the check's bounds by a target's
    fixed geometry): it then lives on only as Hypothesis's own entry."""
    try:
        value = _encode(check, target, case)
    except (TypeError, ValueError):
        return False
    if _problem(value)[1] is not None:
        return False
    database.save(FAILURES_KEY, value)
    return True


#: stored cases a check replays per run at most: a genuine failure is found again by the first
#: one that still fails; thousands of stored cases (each a call, or a model build) would stall it
MAX_REPLAYS = 32


@dataclass(frozen=True)
class StoredFailures:
    """What a database holds under :data:`FAILURES_KEY`: the entries that may be replayed, and
    how many were set aside (with the first reason, one line) because they do not fit."""

    entries: list[dict[str, Any]]
    set_aside: int = 0
    reason: str | None = None
    #: distinct cases past the :data:`MAX_REPLAYS` a check replays (kept, exported, not run)
    over_cap: int = 0

    def note(self, where: str) -> str | None:
        """The one line a run prints about the entries set aside (None if there are none)."""
        parts = []
        if self.set_aside:
            parts.append(f"set aside {self.described(where)}, never run (first: {self.reason})")
        if self.over_cap:
            parts.append(
                f"{self.over_cap} stored cases past the first {MAX_REPLAYS} of their check not "
                "replayed (seeds export keeps them)"
            )
        return "; ".join(parts) or None

    def described(self, where: str = "") -> str:
        """``6 stored entries [in WHERE] that do not fit their check's case schema``."""
        one = self.set_aside == 1
        return (
            f"{self.set_aside} stored {'entry' if one else 'entries'}"
            + (f" in {where}" if where else "")
            + f" that {'does' if one else 'do'} not fit {'its' if one else 'their'} check's "
            "case schema"
        )


def _problem(value: bytes) -> tuple[dict[str, Any] | None, str | None]:
    """The entry stored as ``value`` and None, or None and why it may not be replayed."""
    from chunkattn._internal.engine.registry import validate

    try:
        entry = json.loads(value)
    except (ValueError, UnicodeDecodeError):
        return None, f"not JSON: {bytes(value)[:40]!r}"
    if not (
        isinstance(entry, dict)
        and isinstance(entry.get("check"), str)
        and isinstance(entry.get("target"), str)
        and "case" in entry
    ):
        return None, f"not a {{check, target, case}} object: {json.dumps(entry)[:60]}"
    reason = validate(entry["check"], entry["case"])
    if reason is not None:
        return None, reason if reason.startswith("unknown check") else f"{entry['check']}: {reason}"
    return entry, None


def screen_failures(database: ExampleDatabase) -> StoredFailures:
    """Every stored ``{check, target, case}`` that fits its check's case schema, in a stable
    order; the others are counted, never returned."""
    entries, reasons = [], []
    for value in sorted(database.fetch(FAILURES_KEY)):
        entry, reason = _problem(value)
        if entry is None:
            reasons.append(reason)
        else:
            entries.append(entry)
    entries.sort(key=lambda e: json.dumps(e, sort_keys=True))
    per_check: dict[str, list[Case]] = {}
    for entry in entries:
        cases = per_check.setdefault(entry["check"], [])
        if entry["case"] not in cases:
            cases.append(entry["case"])
    over = sum(max(0, len(cases) - MAX_REPLAYS) for cases in per_check.values())
    return StoredFailures(entries, len(reasons), reasons[0] if reasons else None, over)


def stored_failures(database: ExampleDatabase) -> list[dict[str, Any]]:
    """Every ``{check, target, case}`` stored that fits its check, in a stable order."""
    return screen_failures(database).entries


def stored_cases(database: ExampleDatabase, check: str, target: str | None = None) -> list[Case]:
    """The distinct failing cases of ``check`` stored in ``database`` (found on any target) that
    fit its case schema: those ``target`` itself failed first, then the others, each in a stable
    order, the first :data:`MAX_REPLAYS` of them. The only way runs read stored cases, so neither
    a bad entry nor a flood of good ones can stall a run, and a target's own failures are
    always replayed."""
    entries = [e for e in stored_failures(database) if e["check"] == check]
    entries.sort(key=lambda e: e.get("target") != target)  # stable: own first, order kept
    cases: list[Case] = []
    for entry in entries:
        if entry["case"] not in cases:
            cases.append(entry["case"])
    return cases[:MAX_REPLAYS]
