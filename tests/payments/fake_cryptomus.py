#!/usr/bin/python3
"""A stand-in for Cryptomus's payment API on 127.0.0.1 over HTTPS, for vrnum's wallet tests.

POST /v1/payment creates an invoice when the `merchant` header is --merchant and `sign` is
md5(base64(the exact body bytes) + --key), as Cryptomus checks it; a wrong one gets 401. It
also refuses (422) a request that carries anything but the invoice's own fields, or an `@`
anywhere: Cryptomus must never learn a customer's email or account id. With --down every
request gets 503. Each request is recorded as one JSON line in --record. Prints "listening
PORT" once it accepts connections.
"""
import argparse
import base64
import hashlib
import json
import ssl
import sys
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ALLOWED = {"amount", "currency", "order_id", "url_callback", "lifetime", "url_return",
           "url_success", "is_payment_multiple", "to_currency", "subtract", "accuracy_payment_percent",
           "additional_data", "currencies", "except_currencies", "course_source", "from_referral_code",
           "discount_percent", "is_refresh"}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def answer(self, status, body, entry):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        entry["status"] = status
        with self.server.lock:
            with open(self.server.opts.record, "a") as f:
                f.write(json.dumps(entry) + "\n")

    def do_POST(self):
        opts = self.server.opts
        raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        expected = hashlib.md5(base64.b64encode(raw) + opts.key.encode()).hexdigest()
        entry = {"path": self.path, "merchant_ok": self.headers.get("merchant") == opts.merchant,
                 "sign_ok": self.headers.get("sign") == expected}
        try:
            body = json.loads(raw)
        except ValueError:
            return self.answer(400, {"state": 1, "message": "not JSON"}, entry)
        entry["body"] = body
        if opts.down:
            return self.answer(503, {"state": 1, "message": "down"}, entry)
        if self.path != "/v1/payment":
            return self.answer(404, {"state": 1, "message": "no such route"}, entry)
        if not entry["merchant_ok"] or not entry["sign_ok"]:
            return self.answer(401, {"state": 1, "message": "Unauthorized"}, entry)
        if set(body) - ALLOWED or b"@" in raw:
            return self.answer(422, {"state": 1, "message": "unexpected fields"}, entry)
        invoice = str(uuid.uuid4())
        self.answer(200, {"state": 0, "result": {
            "uuid": invoice, "order_id": body.get("order_id"), "amount": body.get("amount"),
            "currency": body.get("currency"), "payment_status": "check", "status": "check",
            "url": "https://pay.cryptomus.example/pay/" + invoice, "is_final": False}}, entry)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--cert", required=True)
    p.add_argument("--key-file", required=True)
    p.add_argument("--merchant", required=True)
    p.add_argument("--key", required=True)
    p.add_argument("--record", required=True)
    p.add_argument("--down", action="store_true")
    opts = p.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.opts = opts
    server.lock = threading.Lock()
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(opts.cert, opts.key_file)
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
    print("listening %d" % server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
