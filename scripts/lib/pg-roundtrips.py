"""Counts the database round trips a PostgreSQL client makes: a TCP proxy between the client and
the server that reads the client's half of the wire protocol (v3, no TLS) and writes one line per
round trip to a log, as it happens. Used by scripts/bench-sync.sh --postgres.

    python3 pg-roundtrips.py LISTEN_PORT SERVER_HOST SERVER_PORT LOG

A round trip is what makes the client wait for the server: a Sync (the end of an extended-query
batch; postgres-nio sends Parse, Describe, Bind, Execute and Sync of a statement together) or a
simple Query. Each log line is `connection<TAB>statement`, the statement being the SQL of that
batch's last Parse (or of the prepared statement its Bind named), whitespace collapsed and
quoted schema names dropped, cut to 60 characters. Prints "listening" once it accepts.
"""
import asyncio
import re
import struct
import sys

listen_port, server_host, server_port, log_path = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4]
log = open(log_path, "a", buffering=1)
connections = 0


def label(sql):
    sql = re.sub(r'"[A-Za-z0-9_]+"\.', "", re.sub(r"\s+", " ", sql).strip())
    return sql[:60]


async def pipe(reader, writer, inspect=None):
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            if inspect:
                inspect(data)
            writer.write(data)
            await writer.drain()
    except (ConnectionError, asyncio.CancelledError):
        pass
    finally:
        try:
            writer.close()
        except Exception:
            pass


async def handle(client_reader, client_writer):
    global connections
    connections += 1
    conn = connections
    server_reader, server_writer = await asyncio.open_connection(server_host, server_port)
    state = {"buf": b"", "started": False, "last": "", "prepared": {}}

    def inspect(data):
        state["buf"] += data
        buf = state["buf"]
        while True:
            if not state["started"]:
                # StartupMessage (or SSLRequest/CancelRequest): int32 length, no type byte.
                if len(buf) < 4:
                    break
                (n,) = struct.unpack("!I", buf[:4])
                if len(buf) < n:
                    break
                code = struct.unpack("!I", buf[4:8])[0] if n >= 8 else 0
                if code == 196608:  # protocol 3.0: what follows has type bytes
                    state["started"] = True
                buf = buf[n:]
                continue
            if len(buf) < 5:
                break
            kind = buf[:1]
            (n,) = struct.unpack("!I", buf[1:5])
            if len(buf) < 1 + n:
                break
            body = buf[5 : 1 + n]
            buf = buf[1 + n :]
            if kind == b"P":  # Parse: name, query, parameter types
                name, rest = body.split(b"\0", 1)
                query = rest.split(b"\0", 1)[0].decode("utf-8", "replace")
                state["prepared"][name] = query
                state["last"] = query
            elif kind == b"B":  # Bind: portal, statement
                statement = body.split(b"\0", 2)[1]
                state["last"] = state["prepared"].get(statement, state["last"])
            elif kind == b"S":
                log.write(f"{conn}\t{label(state['last'])}\n")
            elif kind == b"Q":
                query = body.rstrip(b"\0").decode("utf-8", "replace")
                log.write(f"{conn}\t{label(query)}\n")
        state["buf"] = buf

    await asyncio.gather(
        pipe(client_reader, server_writer, inspect), pipe(server_reader, client_writer), return_exceptions=True
    )


async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", listen_port)
    print("listening", flush=True)
    async with server:
        await server.serve_forever()


asyncio.run(main())
