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
