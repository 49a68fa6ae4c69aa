"""Helpers of the crash and fault tests' checks (imported by the Python they run via run_checks)."""
import base64
import glob
import hashlib
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


# Tokens at rest (CONTRACT section 13): what the crash test's --token-key needs to read and write
# sealed tokens. AES-256-GCM is written out here, in plain Python, so that the checks need no
# crypto package (Debian's python3 has none); being independent of swift-crypto, it also checks
# the daemon's format: enc:v1:<key id>:<base64(nonce || ciphertext || tag)>, 96-bit nonce,
# the account id as associated data. Slow (about 3 ms a token) but the crash test opens a few
# dozen tokens a kill.
SEALED_PREFIX = "enc:v1:"


def sealed_key_id(stored):
    """The key id a stored token names, or None for plaintext."""
    if not stored.startswith(SEALED_PREFIX):
        return None
    return stored[len(SEALED_PREFIX):].split(":", 1)[0]


class TokenKey:
    """A key file of database.token_key_file (32 bytes, base64): its id and AES-256-GCM with it."""

    def __init__(self, path):
        with open(path) as f:
            raw = base64.b64decode(f.read().strip(), validate=True)
        if len(raw) != 32:
            raise ValueError(f"{path} holds {len(raw)} bytes, not 32")
        self.path = path
        self.id = hashlib.sha256(raw).hexdigest()[:8]
        self._aes = _AES256(raw)

    def open(self, stored, account):
        """The plaintext of a token stored for `account`, or None when it is not sealed with this
        key or does not authenticate (changed, or sealed for another account)."""
        if sealed_key_id(stored) != self.id:
            return None
        try:
            raw = base64.b64decode(stored.split(":", 3)[3], validate=True)
        except (IndexError, ValueError):
            return None
        if len(raw) < 12 + 16:
            return None
        nonce, body, tag = raw[:12], raw[12:-16], raw[-16:]
        if self._tag(nonce, body, account.encode()) != tag:
            return None
        try:
            return self._ctr(nonce, body).decode()
        except UnicodeDecodeError:
            return None

    def seal(self, token, account):
        """`token` sealed for `account` as the daemon stores it (a fresh random nonce)."""
        nonce = os.urandom(12)
        body = self._ctr(nonce, token.encode())
        sealed = nonce + body + self._tag(nonce, body, account.encode())
        return f"{SEALED_PREFIX}{self.id}:{base64.b64encode(sealed).decode()}"

    # GCM (NIST SP 800-38D) with a 96-bit nonce: counter block 1 masks the tag, the data is
    # encrypted from counter block 2 on.
    def _ctr(self, nonce, data):
        out = bytearray()
        for i in range(0, len(data), 16):
            stream = self._aes.encrypt(nonce + (2 + i // 16).to_bytes(4, "big"))
            out += bytes(a ^ b for a, b in zip(data[i:i + 16], stream))
        return bytes(out)

    def _tag(self, nonce, body, aad):
        h = int.from_bytes(self._aes.encrypt(bytes(16)), "big")
        y = 0
        for data in (aad, body):
            data += bytes(-len(data) % 16)
            for i in range(0, len(data), 16):
                y = _gf128_mul(y ^ int.from_bytes(data[i:i + 16], "big"), h)
        lengths = (len(aad) * 8).to_bytes(8, "big") + (len(body) * 8).to_bytes(8, "big")
        y = _gf128_mul(y ^ int.from_bytes(lengths, "big"), h)
        return (y ^ int.from_bytes(self._aes.encrypt(nonce + b"\0\0\0\1"), "big")).to_bytes(16, "big")


def _gf128_mul(x, y):
    """GHASH's multiplication in GF(2^128) (bit-reflected, SP 800-38D algorithm 1)."""
    z = 0
    for i in range(127, -1, -1):
        if x >> i & 1:
            z ^= y
        y = (y >> 1) ^ (0xE1 << 120) if y & 1 else y >> 1
    return z


def _xtime(b):
    return ((b << 1) ^ 0x1B) & 0xFF if b & 0x80 else b << 1


def _sbox():
    """The AES S-box (FIPS 197 5.1.1): inverse in GF(2^8) by walking the powers of 3, then the
    affine map."""
    box, p, q = [0x63] * 256, 1, 1
    while True:
        p ^= _xtime(p)  # p * 3
        q ^= q << 1  # q / 3
        q ^= q << 2
        q ^= q << 4
        q &= 0xFF
        if q & 0x80:
            q ^= 0x09
        rot = lambda n: ((q << n) | (q >> (8 - n))) & 0xFF
        box[p] = q ^ rot(1) ^ rot(2) ^ rot(3) ^ rot(4) ^ 0x63
        if p == 1:
            return box


_SBOX = _sbox()


class _AES256:
    """AES-256 block encryption (FIPS 197), the state as 16 bytes column by column."""

    def __init__(self, key):
        words = [list(key[i:i + 4]) for i in range(0, 32, 4)]
        rcon = 1
        for i in range(8, 60):
            t = list(words[i - 1])
            if i % 8 == 0:
                t = [_SBOX[b] for b in t[1:] + t[:1]]
                t[0] ^= rcon
                rcon = _xtime(rcon)
            elif i % 8 == 4:
                t = [_SBOX[b] for b in t]
            words.append([a ^ b for a, b in zip(words[i - 8], t)])
        self._round_keys = [sum(words[r * 4:r * 4 + 4], []) for r in range(15)]

    def encrypt(self, block):
        s = [a ^ b for a, b in zip(block, self._round_keys[0])]
        for r in range(1, 15):
            s = [_SBOX[b] for b in s]
            s = [s[(i + 4 * (i % 4)) % 16] for i in range(16)]  # ShiftRows
            if r != 14:  # MixColumns
                mixed = []
                for c in range(0, 16, 4):
                    a = s[c:c + 4]
                    t = a[0] ^ a[1] ^ a[2] ^ a[3]
                    mixed += [a[i] ^ t ^ _xtime(a[i] ^ a[(i + 1) % 4]) for i in range(4)]
                s = mixed
            s = [a ^ b for a, b in zip(s, self._round_keys[r])]
        return bytes(s)
