"""Adapter between Airbyte's source-instagram connector (4.1.0) and `postsync simulate`, for
scripts/bench-airbyte.sh.

    airbyte-sim-proxy.py --port PORT --simulator URL

The two speak different dialects of the Instagram Graph API:

- Airbyte uses Facebook Login: one user token (Bearer) lists the Pages with GET /v21.0/me/accounts
  and reads every account's /{ig-user-id}/media pages and every carousel child (GET /{media-id})
  with that same token. The simulator has no /me/accounts, issues one token per Instagram account
  and checks it against the account in the path.
- Airbyte asks for the fields ig_id, is_comment_enabled and owner, which the simulator rejects
  (postsync does not read them), and it fetches each carousel child on its own, a node the
  simulator does not serve.

So this proxy answers:

  /{version}/me/accounts     here: one Page per Instagram account of the simulator, paged with
                             limit/after like the Graph API (no `after` on the last page)
  /{version}/{ig}/media      forwarded with that account's own token, the three unknown fields
                             taken out of `fields` and put back on each item, so that the records
                             keep the shape Airbyte's schema gives them
  /{version}/{child-id}      here, from the parent item the proxy forwarded earlier
  /_sim/accounts             here: the simulator's Instagram accounts only (for `postsync
                             dev-import`, so that both tools sync the same accounts)
  /_proxy/stats              here: the requests answered so far, by kind (JSON)
  anything else              forwarded unchanged

Everything the proxy answers itself counts in Airbyte's requests: it is work the real Graph API
would do. Prints "listening ..." once it accepts connections. Standard library only.
"""
import argparse
import collections
import http.client
import json
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# Fields of Airbyte's media query that the simulator rejects, and the value each item gets back.
ADDED_FIELDS = {
    "ig_id": lambda ig, item: "3" + item["id"],
    "is_comment_enabled": lambda ig, item: True,
    "owner": lambda ig, item: {"id": ig},
}
# Response headers the proxy sets itself.
OWN_HEADERS = {"content-length", "content-type", "connection", "transfer-encoding", "date", "server"}


class Simulator:
    """The simulator behind the proxy: one keep-alive connection per handler thread."""

    def __init__(self, url):
        parts = urllib.parse.urlsplit(url)
        self.host, self.port = parts.hostname, parts.port or 80
        self.local = threading.local()

    def get(self, target, headers=None):
        """GET target: (status, headers, body); one retry on a fresh connection."""
        for attempt in (0, 1):
            conn = getattr(self.local, "conn", None)
            if conn is None:
                conn = self.local.conn = http.client.HTTPConnection(self.host, self.port, timeout=120)
            try:
                conn.request("GET", target, headers=headers or {})
                response = conn.getresponse()
                return response.status, response.getheaders(), response.read()
            except (http.client.HTTPException, OSError):
                conn.close()
                self.local.conn = None
                if attempt:
                    raise


def split_fields(text):
    """Top-level comma split of a Graph `fields` value (the commas inside {...} stay)."""
    fields, depth, current = [], 0, ""
    for ch in text:
        if ch == "," and depth == 0:
            fields.append(current)
            current = ""
            continue
        depth += (ch == "{") - (ch == "}")
        current += ch
    fields.append(current)
    return [f.strip() for f in fields if f.strip()]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Set by main(): the simulator, its Instagram accounts and their tokens.
    simulator = None
    accounts = []
    tokens = {}
    lock = threading.Lock()
    stats = collections.Counter()
    children = {}  # child media id -> (ig user id, parent item)

    def log_message(self, *args):
        pass

    def reply(self, status, body, headers=()):
        data = body if isinstance(body, bytes) else json.dumps(body, separators=(",", ":")).encode()
        self.send_response(status)
        for name, value in headers:
            if name.lower() not in OWN_HEADERS:
                self.send_header(name, value)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def count(self, kind):
        with self.lock:
            self.stats[kind] += 1

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(url.query, keep_blank_values=True))
        parts = [p for p in url.path.split("/") if p]
        if parts and parts[0].startswith("v") and parts[0][1:].replace(".", "").isdigit():
            parts = parts[1:]  # the Graph version
        if url.path == "/_proxy/stats":
            with self.lock:
                return self.reply(200, dict(self.stats))
        if url.path == "/_sim/accounts":
            self.count("sim.accounts")
            return self.reply(200, self.accounts)
        if parts == ["me", "accounts"]:
            self.count("me.accounts")
            return self.me_accounts(query)
        if len(parts) == 2 and parts[1] == "media" and parts[0] in self.tokens:
            self.count("media")
            return self.media(url.path, query, parts[0])
        if len(parts) == 1 and parts[0] in self.children:
            self.count("child")
            return self.child(parts[0])
        self.count("other")
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
        status, response_headers, body = self.simulator.get(self.path, headers)
        self.reply(status, body, response_headers)

    def me_accounts(self, query):
        limit = int(query.get("limit") or 25)
        start = int(query.get("after") or 0)
        page = self.accounts[start : start + limit]
        body = {
            "data": [
                {"id": "10" + a["externalId"][-13:], "instagram_business_account": {"id": a["externalId"]}} for a in page
            ]
        }
        if start + limit < len(self.accounts):
            body["paging"] = {"cursors": {"before": str(start), "after": str(start + limit)}}
        self.reply(200, body)

    def media(self, path, query, ig):
        query["fields"] = ",".join(f for f in split_fields(query.get("fields", "")) if f not in ADDED_FIELDS)
        target = path + "?" + urllib.parse.urlencode(query)
        status, headers, body = self.simulator.get(target, {"Authorization": "Bearer " + self.tokens[ig]})
        if status == 200:
            page = json.loads(body)
            for item in page.get("data", []):
                for name, value in ADDED_FIELDS.items():
                    item.setdefault(name, value(ig, item))
                for child in (item.get("children") or {}).get("data", []):
                    with self.lock:
                        self.children[child["id"]] = (ig, item)
            body = json.dumps(page, separators=(",", ":")).encode()
        self.reply(status, body, headers)

    def child(self, child_id):
        ig, parent = self.children[child_id]
        self.reply(
            200,
            {
                "id": child_id,
                "ig_id": "3" + child_id,
                "media_type": "IMAGE",
                "media_url": f"https://scontent.cdninstagram.com/v/t51.29350-15/{child_id}_n.jpg?_nc_cat=1&oh=sim",
                "owner": {"id": ig},
                "permalink": parent.get("permalink"),
                "shortcode": parent.get("shortcode"),
                "timestamp": parent.get("timestamp"),
                "username": parent.get("username"),
            },
        )


def main():
    parser = argparse.ArgumentParser(description="Adapter between Airbyte's source-instagram and `postsync simulate`.")
    parser.add_argument("--port", type=int, required=True, help="port to listen on (127.0.0.1)")
    parser.add_argument("--simulator", required=True, help="base URL of the simulator, e.g. http://127.0.0.1:18961")
    args = parser.parse_args()

    Handler.simulator = Simulator(args.simulator)
    status, _, body = Handler.simulator.get("/_sim/accounts")
    if status != 200:
        raise SystemExit(f"airbyte-sim-proxy: {args.simulator}/_sim/accounts answered {status}")
    Handler.accounts = [a for a in json.loads(body) if a["platform"] == "instagram"]
    Handler.tokens = {a["externalId"]: a["accessToken"] for a in Handler.accounts}

    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    print(f"listening on 127.0.0.1:{args.port}, {len(Handler.accounts)} Instagram account(s)", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
