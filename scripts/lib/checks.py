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
