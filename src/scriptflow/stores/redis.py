"""RedisStore: sessions shared by many app servers (needs ``pip install 'scriptflow[redis]'``).

Keys (``prefix`` defaults to ``scriptflow:``)::

    {prefix}s:{id}      hash: version, script, current_script, node, status, result, code,
                        customer, started_at, updated_at, head (JSON)
    {prefix}e:{id}      list: the session's events as JSON, oldest first (seq = index)
    {prefix}l:{id}      list: the session's state log (see scriptflow.stores.delta)
    {prefix}index       sorted set: session id by updated_at (list, expire, events)
    {prefix}c:{key}     hash: version, updated_at, tracker (JSON) of a customer
    {prefix}customers   set of customer keys

A save is one Lua script (check version and event count, write head, append events and
the state record, index) — atomic and one round trip. A save with a customer merges
trackers in Python, so it runs as WATCH/MULTI/EXEC instead and retries only when the
customer changed. While Redis is down every call raises :class:`StoreError` naming the
URL; the client reconnects by itself once Redis is back. What survives a restart of Redis itself is
Redis's persistence setting: run it with ``appendonly yes`` (``appendfsync always`` to
lose nothing a save returned for; ``everysec`` risks the last second).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from ..engine.clock import Clock
from ..engine.session import Session
from ..errors import StoreError
from .base import (
    Merge,
    OnCorrupt,
    RawSession,
    Salvaged,
    SessionInfo,
    SessionNotFoundError,
    Store,
    conflict,
    corrupt,
    in_window,
    parse_events,
    salvage,
)
from .delta import Pending, event_json, to_json

try:
    import redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry
except ImportError:  # pragma: no cover - exercised by a test that hides redis
    raise ImportError("RedisStore needs the redis package: "
                      "pip install 'scriptflow[redis]'") from None

# ARGV: 1 expected version, 2 stored event count, 3 updated_at, 4 script, 5 started_at,
# 6 id, 7 the state record ('' for none), 8 the stored record count ('': replace the
# log), then the listing fields 9 current_script, 10 node, 11 status, 12 result, 13 code,
# 14 head, 15 customer ('': leave it as it is); from 16 on, the new events. Field names
# are written here, not sent: each argument costs packing in Python and parsing in Redis.
_SAVE = """
local cur = tonumber(redis.call('HGET', KEYS[1], 'version') or '0')
if cur ~= tonumber(ARGV[1]) then return {-1, cur} end
local n = redis.call('LLEN', KEYS[2])
if n ~= tonumber(ARGV[2]) then return {-2, n} end
if ARGV[8] == '' then redis.call('DEL', KEYS[4])
else
  local m = redis.call('LLEN', KEYS[4])
  if m ~= tonumber(ARGV[8]) then return {-3, m} end
end
if cur == 0 then redis.call('HSET', KEYS[1], 'script', ARGV[4], 'started_at', ARGV[5]) end
redis.call('HSET', KEYS[1], 'version', cur + 1, 'current_script', ARGV[9], 'node', ARGV[10],
           'status', ARGV[11], 'result', ARGV[12], 'code', ARGV[13], 'updated_at', ARGV[3],
           'head', ARGV[14])
if ARGV[15] ~= '' then redis.call('HSET', KEYS[1], 'customer', ARGV[15]) end
if #ARGV > 15 then redis.call('RPUSH', KEYS[2], unpack(ARGV, 16)) end
if ARGV[7] ~= '' then redis.call('RPUSH', KEYS[4], ARGV[7]) end
redis.call('ZADD', KEYS[3], ARGV[3], ARGV[6])
return {cur + 1, n}
"""
_EXPIRE = """
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[1])
for _, id in ipairs(ids) do
  redis.call('DEL', ARGV[2] .. 's:' .. id, ARGV[2] .. 'e:' .. id, ARGV[2] .. 'l:' .. id)
  redis.call('ZREM', KEYS[1], id)
end
return #ids
"""
_FIELDS = ("version", "script", "current_script", "node", "status", "result", "code",
           "customer", "started_at", "updated_at")
_BIG = 2000  # events in one save beyond which Lua's unpack() could overflow its stack


def _without_password(url: str) -> str:
    """``url`` with any password replaced by ``***``."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}{port}"))


def _bulks(args: Iterable[str | int | float]) -> list[bytes]:
    """Arguments as bulk strings of Redis's protocol, as redis-py packs them (str() of a
    float is its repr(), as redis-py sends it)."""
    return [b"$%d\r\n%b\r\n" % (len(data), data) for data in [str(a).encode() for a in args]]


def _read_save_reply(sock: Any) -> list[int]:
    """The save script's reply, ``*2 :a :b``, read off the socket; an error reply raises
    the error redis-py would. The connection serves saves only, one at a time, so
    nothing else is ever in its buffer."""
    data = b""
    while True:
        try:
            chunk = sock.recv(4096)
        except OSError as exc:
            raise redis.ConnectionError(f"reading the reply of a save: {exc}") from None
        if not chunk:
            raise redis.ConnectionError("Redis closed the connection during a save")
        data += chunk
        if data[:1] == b"-" and data.endswith(b"\r\n"):
            message = data[1:-2].decode(errors="replace")
            if message.startswith("NOSCRIPT"):
                raise redis.exceptions.NoScriptError(message)
            raise redis.ResponseError(message)
        if data.count(b"\r\n") >= 3:
            head, first, second, *_rest = data.split(b"\r\n")
            if head != b"*2" or first[:1] != b":" or second[:1] != b":":
                raise redis.ConnectionError(f"unexpected reply to a save: {data[:60]!r}")
            return [int(first[1:]), int(second[1:])]


def _none(text: Any) -> str | None:
    return str(text) if text else None


class RedisStore(Store):
    """Sessions in Redis: compare-and-set in one Lua script, events in a list each."""

    def __init__(self, url: str = "redis://127.0.0.1:6379/0", *, clock: Clock | None = None,
                 prefix: str = "scriptflow:", timeout: float = 5.0) -> None:
        super().__init__(_without_password(url), clock)  # url shows up in messages
        self.prefix = prefix
        # No silent retries: a write whose reply was lost must surface, not run twice.
        self._r = redis.Redis.from_url(url, decode_responses=True,
                                       socket_timeout=timeout,
                                       socket_connect_timeout=timeout,
                                       retry=Retry(NoBackoff(), 0),
                                       health_check_interval=15)
        self._save = self._r.register_script(_SAVE)
        self._expire_script = self._r.register_script(_EXPIRE)
        self._index = f"{prefix}index"
        # What every save sends first: the command, the script, the number of keys.
        self._evalsha = b"".join(_bulks(("EVALSHA", self._save.sha, 4)))
        self._index_bulk = _bulks((self._index,))[0]
        # Saves go over a connection of their own, command packed and reply read
        # directly: half the cost of redis-py's full call path, which is most of a save.
        self._conn: Any = self._r.connection_pool.make_connection()
        self._conn_lock = threading.Lock()

    @contextmanager
    def _guard(self) -> Iterator[None]:
        try:
            yield
        except (redis.ConnectionError, redis.TimeoutError) as exc:
            raise StoreError(f"Redis at {self.url} is not reachable ({exc}); stored sessions"
                             " are kept there: retry once it is back") from None
        except redis.RedisError as exc:
            raise StoreError(f"Redis at {self.url} failed: {exc}") from None

    def _keys(self, session_id: str) -> tuple[str, str, str]:
        """The session's hash, its events and its state log."""
        p = self.prefix
        return f"{p}s:{session_id}", f"{p}e:{session_id}", f"{p}l:{session_id}"

    # -- sessions ------------------------------------------------------------------------
    def _write(self, info: SessionInfo, expected: int, pending: Pending, session: Session,
               merge: Merge | None) -> None:
        hkey, ekey, lkey = self._keys(info.id)
        events = session.events
        with self._guard():
            count = pending.events_from
            if count is None:
                count = 0 if expected == 0 else int(self._r.llen(ekey))
            if merge is not None or len(events) - count > _BIG:
                self._write_watched(info, expected, pending, session, merge)
                return
            args = _bulks((hkey, ekey, lkey, expected, count, info.updated_at, info.script,
                           info.started_at, info.id, pending.record or "",
                           "" if pending.log_from is None else pending.log_from,
                           info.current_script, info.node, info.status, info.result or "",
                           info.code or "", pending.head, info.customer or "",
                           *[event_json(e) for e in events[count:]]))
            version, stored = self._run_save(args)
        if version == -1:
            raise conflict(info.id, expected, stored or None)
        if version == -2:
            raise corrupt(info.id, f"the store has {stored} events where version "
                                   f"{expected} had {count}", self.url)
        if version == -3:
            raise corrupt(info.id, f"the store has {stored} state records where version "
                                   f"{expected} had {pending.log_from}", self.url)

    def _run_save(self, args: list[bytes]) -> list[int]:
        """EVALSHA of the save script; ``args``: the keys of the session's hash, events
        and state log, then ARGV, packed by :func:`_bulks` (the index key goes third).
        Loads the script when Redis lacks it (a restarted server): NOSCRIPT means it did
        not run, so running it again is safe."""
        hkey, ekey, lkey, *argv = args
        packed = b"".join((b"*%d\r\n" % (len(args) + 4), self._evalsha, hkey, ekey,
                           self._index_bulk, lkey, *argv))
        with self._conn_lock:
            try:
                self._conn.send_packed_command((packed,))
                try:
                    return _read_save_reply(self._conn._sock)
                except redis.exceptions.NoScriptError:
                    self._r.script_load(_SAVE)
                    self._conn.send_packed_command((packed,))
                    return _read_save_reply(self._conn._sock)
            except redis.ResponseError:
                raise
            except BaseException:
                self._conn.disconnect()  # a reply may be left unread: start afresh
                raise

    def _fields(self, info: SessionInfo, head: str) -> dict[Any, str | int | float]:
        fields: dict[Any, str | int | float] = {
            "version": info.version, "current_script": info.current_script,
            "node": info.node, "status": info.status, "result": info.result or "",
            "code": info.code or "", "updated_at": info.updated_at, "head": head}
        if info.customer is not None:
            fields["customer"] = info.customer
        return fields

    def _write_watched(self, info: SessionInfo, expected: int, pending: Pending,
                       session: Session, merge: Merge | None) -> None:
        hkey, ekey, lkey = self._keys(info.id)
        ckey = f"{self.prefix}c:{info.customer}"
        with self._r.pipeline() as pipe:
            while True:
                try:
                    pipe.watch(hkey, ekey, lkey, ckey)  # type: ignore[no-untyped-call]
                    stored = pipe.hget(hkey, "version")
                    if int(stored or 0) != expected:
                        raise conflict(info.id, expected,
                                       None if stored is None else int(stored))
                    count = int(pipe.llen(ekey))
                    if count > len(session.events):
                        raise corrupt(info.id, f"the store has {count} events, the session "
                                               f"{len(session.events)}", self.url)
                    records = int(pipe.llen(lkey))
                    if not pending.base and records != pending.log_from:
                        raise corrupt(info.id, f"the store has {records} state records "
                                               f"where version {expected} had "
                                               f"{pending.log_from}", self.url)
                    tracker = None
                    if merge is not None and info.customer is not None:
                        old = pipe.hget(ckey, "tracker")
                        tracker = merge(None if old is None else str(old))
                    pipe.multi()
                    if expected == 0:
                        pipe.hset(hkey, mapping={"script": info.script,
                                                 "started_at": info.started_at})
                    pipe.hset(hkey, mapping=self._fields(info, pending.head))
                    new = session.events_since(count)
                    if new:
                        pipe.rpush(ekey, *[to_json(e) for e in new])
                    if pending.base:
                        pipe.delete(lkey)
                    if pending.record is not None:
                        pipe.rpush(lkey, pending.record)
                    pipe.zadd(self._index, {info.id: info.updated_at})
                    if tracker is not None:
                        pipe.hset(ckey, mapping={"updated_at": info.updated_at,
                                                 "tracker": tracker})
                        pipe.hincrby(ckey, "version", 1)
                        pipe.sadd(f"{self.prefix}customers", str(info.customer))
                    pipe.execute()
                    return
                except redis.WatchError:
                    continue  # someone wrote meanwhile: the version check decides

    def _read(self, session_id: str, events: bool = True) -> RawSession:
        hkey, ekey, lkey = self._keys(session_id)
        with self._guard():
            pipe = self._r.pipeline(transaction=True)  # one snapshot
            pipe.hmget(hkey, ["version", "head", "customer"])
            if events:
                pipe.lrange(ekey, 0, -1)
                pipe.lrange(lkey, 0, -1)
            (version, head, customer), *rest = pipe.execute()
        texts, log = rest if rest else ([], [])
        if version is None or head is None:
            raise SessionNotFoundError(session_id, self.url)
        try:
            number = int(version)
        except ValueError:
            raise corrupt(session_id, f"its version is {version!r}", self.url) from None
        items = parse_events(session_id, texts, self.url) if events else []
        return RawSession(number, head, items, _none(customer), [str(t) for t in log])

    def _infos(self, ids: list[str], on_corrupt: OnCorrupt | None = None) -> list[SessionInfo]:
        with self._guard():
            pipe = self._r.pipeline(transaction=False)
            for sid in ids:
                pipe.hmget(self._keys(sid)[0], list(_FIELDS))
            rows = pipe.execute()
        out = []
        for sid, row in zip(ids, rows, strict=True):
            if row[0] is None:
                continue  # deleted between the index read and this one
            v, script, cur, node, status, result, code, customer, started, updated = row
            try:
                out.append(SessionInfo(sid, script or "", cur or "", node or "", status or "",
                                       _none(result), _none(code), _none(customer),
                                       float(started or 0), float(updated or 0), int(v)))
            except ValueError:
                error = corrupt(sid, f"its listing fields are malformed (version {v!r}, "
                                     f"started_at {started!r}, updated_at {updated!r})",
                                self.url)
                if on_corrupt is None:
                    raise error from None
                on_corrupt(error)
        return out

    def _list(self, script: str | None, status: str | None, cutoff: float | None,
              limit: int | None, on_corrupt: OnCorrupt | None = None) -> list[SessionInfo]:
        with self._guard():
            top = "+inf" if cutoff is None else f"({cutoff!r}"
            ids = [str(i) for i in self._r.zrevrangebyscore(self._index, top, "-inf")]
        found = [i for i in self._infos(ids, on_corrupt) if (script is None or i.script == script)
                 and (status is None or i.status == status)]
        found.sort(key=lambda i: (-i.updated_at, i.id))
        return found if limit is None else found[:limit]

    def _info(self, session_id: str) -> SessionInfo | None:
        found = self._infos([session_id])
        return found[0] if found else None

    def delete(self, session_id: str) -> bool:
        with self._guard():
            pipe = self._r.pipeline(transaction=True)
            pipe.delete(*self._keys(session_id))
            pipe.zrem(self._index, session_id)
            removed, _ = pipe.execute()
        return bool(removed)

    def _expire(self, cutoff: float) -> int:
        with self._guard():
            return int(self._expire_script(keys=[self._index], args=[cutoff, self.prefix]))

    def _events(self, session_id: str | None, since: float | None,
                until: float | None) -> Iterator[dict[str, Any]]:
        with self._guard():
            if session_id is not None:
                ids = [session_id]
            else:  # a session's events all happen before its last update
                low = "-inf" if since is None else repr(since)
                ids = [str(i) for i in self._r.zrangebyscore(self._index, low, "+inf")]
            pipe = self._r.pipeline(transaction=False)
            for sid in ids:
                pipe.lrange(self._keys(sid)[1], 0, -1)
            lists = pipe.execute()
        out: list[dict[str, Any]] = []
        for sid, texts in zip(ids, lists, strict=True):
            for seq, event in enumerate(parse_events(sid, texts, self.url)):
                if in_window(float(event.get("at", 0)), since, until):
                    out.append({**event, "session_id": sid, "seq": seq})
        out.sort(key=lambda e: (e["at"], e["session_id"], e["seq"]))
        return iter(out)

    def _salvage(self, session_id: str) -> Salvaged:
        hkey, ekey, _lkey = self._keys(session_id)
        with self._guard():
            pipe = self._r.pipeline(transaction=True)
            pipe.exists(hkey)
            pipe.lrange(ekey, 0, -1)
            found, texts = pipe.execute()
        if not found:
            raise SessionNotFoundError(session_id, self.url)
        return salvage([str(t) for t in texts])

    # -- customers -----------------------------------------------------------------------
    def _customer_raw(self, customer: str) -> str | None:
        with self._guard():
            text = self._r.hget(f"{self.prefix}c:{customer}", "tracker")
        return None if text is None else str(text)

    def customers(self) -> Iterator[tuple[str, int, float, str]]:
        with self._guard():
            keys = sorted(str(k) for k in self._r.smembers(f"{self.prefix}customers"))
            pipe = self._r.pipeline(transaction=False)
            for key in keys:
                pipe.hmget(f"{self.prefix}c:{key}", ["version", "updated_at", "tracker"])
            rows = pipe.execute()
        found = []
        for key, (version, updated_at, tracker) in zip(keys, rows, strict=True):
            if tracker is None:
                continue
            try:
                found.append((key, int(version), float(updated_at), str(tracker)))
            except (TypeError, ValueError):
                raise StoreError(
                    f"the memory of customer {key!r} in {self.url} is corrupt: its version "
                    f"or updated_at field is not a number ({version!r}, {updated_at!r}); "
                    f"remove it with store.forget_customer({key!r}), or `redis-cli DEL "
                    f"{self.prefix}c:{key}` (the customer's next contact then starts "
                    "afresh)") from None
        return iter(found)

    def forget_customer(self, customer: str) -> bool:
        with self._guard():
            pipe = self._r.pipeline(transaction=True)
            pipe.delete(f"{self.prefix}c:{customer}")
            pipe.srem(f"{self.prefix}customers", customer)
            removed, _ = pipe.execute()
        return bool(removed)

    def close(self) -> None:
        with self._conn_lock:
            self._conn.disconnect()
        self._r.close()
