#!/usr/bin/python3
"""A stand-in for Cloudflare Turnstile's siteverify on 127.0.0.1, for vrnum's account tests.

Like the real one it takes a form-encoded POST of `secret`, `response` and `remoteip` and
answers JSON `{"success": ...}`. It says yes only when the secret is --secret, the token is
--token and the client IP is --ip; anything else gets `success: false` with Cloudflare's
error codes. With --down it answers 500 to everything (the check must then fail closed).
Each request is recorded as one JSON line in --record. Prints "listening PORT" once it
accepts connections.
"""
import argparse
import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

PATH = "/turnstile/v0/siteverify"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def answer(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        raw = self.rfile.read(length).decode("utf-8", "replace")
        form = {k: v[0] for k, v in parse_qs(raw, keep_blank_values=True).items()}
        opts = self.server.opts
        entry = {
            "path": self.path,
            "content_type": self.headers.get("Content-Type", ""),
            "secret_ok": form.get("secret") == opts.secret,
            "response": form.get("response", ""),
            "remoteip": form.get("remoteip", ""),
        }
        with self.server.lock:
            with open(opts.record, "a") as f:
                f.write(json.dumps(entry) + "\n")
        if opts.down or self.path != PATH:
            self.answer(500, {"error": "down"})
            return
        codes = []
        if not entry["content_type"].startswith("application/x-www-form-urlencoded"):
            codes.append("bad-request")
        if not entry["secret_ok"]:
            codes.append("invalid-input-secret")
        if entry["response"] != opts.token:
            codes.append("invalid-input-response")
        if entry["remoteip"] != opts.ip:
            codes.append("invalid-input-response")
        self.answer(200, {"success": not codes, "error-codes": codes,
                          "hostname": "127.0.0.1", "challenge_ts": "2026-01-01T00:00:00Z"})


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--secret", required=True)
    p.add_argument("--token", required=True)
    p.add_argument("--ip", default="127.0.0.1")
    p.add_argument("--record", required=True)
    p.add_argument("--down", action="store_true")
    opts = p.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.opts = opts
    server.lock = threading.Lock()
    print("listening", server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
