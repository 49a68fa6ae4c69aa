"""Helpers of the crash and fault tests' checks (imported by the Python they run via run_checks)."""
import glob
import os
import re
from datetime import datetime

# The TikTok endpoints that count against its 600 requests per minute per endpoint.
TIKTOK_LIMITED = ("tiktok.video.list", "tiktok.video.query", "tiktok.user.info")


def ts(text):
    """Epoch seconds of an RFC 3339 timestamp."""
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def synclog_files(state):
    """Every SyncLog file of a state directory, oldest first (synclog.jsonl.N ... .1, then synclog.jsonl)."""
    def order(path):
        m = re.search(r"\.jsonl\.(\d+)$", path)
        return -int(m.group(1)) if m else 1
    return sorted(glob.glob(os.path.join(state, "synclog.jsonl*")), key=order)


def over_limit(requests, limit=600):
    """TikTok requests beyond `limit` a minute per endpoint: the simulator's sliding window
    replayed over its request log (same whole-second clock, same order)."""
    windows, over = {}, 0
    for r in requests:
        if r["endpoint"] not in TIKTOK_LIMITED:
            continue
        t = ts(r["at"])
        w = [x for x in windows.get(r["endpoint"], []) if x > t - 60]
        if len(w) >= limit:
            over += 1
        else:
            w.append(t)
        windows[r["endpoint"]] = w
    return over


def print_table(table, name_width, value_width, expected_width, rule):
    """Prints the figures (name, value, expected, ok: None for information) between rules of
    `rule` dashes, after a blank line; returns how many checks failed."""
    print()
    print(f"{'figure':<{name_width}} {'value':>{value_width}} {'expected':>{expected_width}}  result")
    print("-" * rule)
    failures = 0
    for name, value, expected, ok in table:
        result = "" if ok is None else ("ok" if ok else "FAIL")
        failures += ok is False
        print(f"{name:<{name_width}} {str(value):>{value_width}} {expected:>{expected_width}}  {result}")
    print("-" * rule)
    return failures


def open_store(state):
    """The daemon's store, for reading (and the crash test's repairs): the SQLite file of the
    state directory, or, when $CHECK_DATABASE_URL is set, the PostgreSQL schema
    $CHECK_DATABASE_SCHEMA through psql (so that the checks need no Python driver). SQL is
    written with unqualified table names and `?` placeholders; rows come back as tuples of
    strings (and None), or of SQLite's own types."""
    url = os.environ.get("CHECK_DATABASE_URL")
    if url:
        return PsqlStore(url, os.environ.get("CHECK_DATABASE_SCHEMA", "postsync"))
    return SQLiteStore(os.path.join(state, "postsync.sqlite"))


class SQLiteStore:
    def __init__(self, path):
        import sqlite3
        self.db = sqlite3.connect(path, timeout=30)

    def rows(self, sql, params=()):
        return self.db.execute(sql, params).fetchall()

    def execute(self, sql, params=()):
        self.db.execute(sql, params)
        self.db.commit()


class PsqlStore:
    # COPY's text format: backslash escapes, \N for NULL, tabs between fields, a row a line.
    _ESCAPES = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v", "\\": "\\"}

    def __init__(self, url, schema):
        self.url, self.schema = url, schema

    def _psql(self, sql, params):
        import subprocess
        # Each ? becomes a psql variable, quoted by psql as a literal (:'p0'); None becomes NULL.
        pieces = sql.split("?")
        if len(pieces) != len(params) + 1:
            raise ValueError(f"{len(params)} parameter(s) for {len(pieces) - 1} placeholder(s): {sql}")
        text, variables = pieces[0], []
        for i, (value, piece) in enumerate(zip(params, pieces[1:])):
            if value is None:
                text += "NULL" + piece
            else:
                text += f":'p{i}'" + piece
                variables += ["-v", f"p{i}={value}"]
        script = f'SET search_path TO "{self.schema}";\n{text};\n'
        result = subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", *variables, self.url],
                                input=script, capture_output=True, text=True)
        if result.returncode != 0:
            raise RuntimeError(f"psql failed ({result.returncode}): {result.stderr.strip()}")
        return result.stdout

    @classmethod
    def _field(cls, text):
        if text == "\\N":
            return None
        if "\\" not in text:
            return text
        out, i = [], 0
        while i < len(text):
            c = text[i]
            if c == "\\" and i + 1 < len(text):
                nxt = text[i + 1]
                if nxt in "01234567":
                    j = i + 1
                    while j < len(text) and j < i + 4 and text[j] in "01234567":
                        j += 1
                    out.append(chr(int(text[i + 1 : j], 8)))
                    i = j
                    continue
                out.append(cls._ESCAPES.get(nxt, nxt))
                i += 2
                continue
            out.append(c)
            i += 1
        return "".join(out)

    def rows(self, sql, params=()):
        out = self._psql(f"COPY ({sql}) TO STDOUT", params)
        return [tuple(self._field(f) for f in line.split("\t")) for line in out.split("\n") if line != ""]

    def execute(self, sql, params=()):
        self._psql(sql, params)
