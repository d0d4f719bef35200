#!/usr/bin/python3
"""A provider adapter's provisioning API (SPEC §9) on 127.0.0.1 over HTTPS, for vrnum's tests.

  POST /allocate {country, days} -> {number, ref, expires_at} (409 when --none-free)
  POST /renew {ref, days}        -> {expires_at}
  POST /release {ref}            -> 204
Each request must carry `Authorization: Bearer --token` (else 401) and nothing but those
fields (422 otherwise, and for any `@`: it must never learn an email or an account id). A
request with an `Idempotency-Key` it has seen gets the first answer again (nothing is
allocated twice). Every request is recorded as one JSON line in --record.

Control (plain HTTP, second port): POST /control {mode, delay}: mode "ok" (the default),
"refuse" (409/4xx), "down" (503), "slow" (answers after `delay` seconds, having done the
work at once: a caller that timed out retries and gets the same answer). Prints
"listening PORT CONTROL".
"""
import argparse
import datetime
import json
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

FIELDS = {"/allocate": {"country", "days"}, "/renew": {"ref", "days"}, "/release": {"ref"}}


class State:
    def __init__(self, opts):
        self.opts = opts
        self.lock = threading.Lock()
        self.mode = "ok"
        self.delay = 0.0
        self.answers = {}  # Idempotency-Key -> (status, body)
        self.counter = 0
        self.held = {}  # ref -> number


def iso(ts):
    return datetime.datetime.fromtimestamp(ts, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def reply(handler, status, body):
    data = b"" if body is None else json.dumps(body).encode()
    handler.send_response(status)
    if body is not None:
        handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(data)))
    handler.end_headers()
    handler.wfile.write(data)


class ApiHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_POST(self):
        st = self.server.state
        raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        key = self.headers.get("Idempotency-Key", "")
        entry = {"path": self.path, "key": key,
                 "auth_ok": self.headers.get("Authorization") == "Bearer " + st.opts.token}
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        entry["body"] = body
        with st.lock:
            mode, delay = st.mode, st.delay
        status, answer = self.decide(st, body, entry, key, mode)
        entry["status"] = status
        with st.lock:
            with open(st.opts.record, "a") as f:
                f.write(json.dumps(entry) + "\n")
        if mode == "slow":
            time.sleep(delay)
        try:
            reply(self, status, answer)
        except OSError:
            pass  # the caller gave up waiting

    def decide(self, st, body, entry, key, mode):
        if not entry["auth_ok"]:
            return 401, {"error": "unauthorized"}
        if self.path not in FIELDS:
            return 404, {"error": "no such route"}
        if not isinstance(body, dict) or set(body) != FIELDS[self.path] or b"@" in json.dumps(body).encode():
            return 422, {"error": "unexpected fields"}
        if mode == "down":
            return 503, {"error": "down"}
        with st.lock:
            if key and key in st.answers:
                entry["replayed"] = True
                return st.answers[key]
            if mode == "refuse":
                result = (409, {"error": "none free"})
            elif self.path == "/allocate":
                st.counter += 1
                ref = "ref-%d" % st.counter
                number = "+3725560%04d" % st.counter
                st.held[ref] = number
                result = (200, {"number": number, "ref": ref,
                                "expires_at": iso(time.time() + body["days"] * 86400)})
            elif self.path == "/renew":
                if body["ref"] not in st.held:
                    result = (404, {"error": "unknown ref"})
                else:
                    result = (200, {"expires_at": iso(time.time() + body["days"] * 86400)})
            else:
                st.held.pop(body["ref"], None)
                result = (204, None)
            if key:
                st.answers[key] = result
            return result


class ControlHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_POST(self):
        st = self.server.state
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))) or b"{}")
        with st.lock:
            st.mode = body.get("mode", "ok")
            st.delay = float(body.get("delay", 0))
        reply(self, 200, {})


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--cert", required=True)
    p.add_argument("--key-file", required=True)
    p.add_argument("--token", required=True)
    p.add_argument("--record", required=True)
    opts = p.parse_args()
    state = State(opts)
    api = ThreadingHTTPServer(("127.0.0.1", 0), ApiHandler)
    api.state = state
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(opts.cert, opts.key_file)
    api.socket = ctx.wrap_socket(api.socket, server_side=True)
    control = ThreadingHTTPServer(("127.0.0.1", 0), ControlHandler)
    control.state = state
    threading.Thread(target=control.serve_forever, daemon=True).start()
    print("listening %d %d" % (api.server_address[1], control.server_address[1]), flush=True)
    api.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
