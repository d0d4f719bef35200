#!/usr/bin/python3
"""A stand-in for Cryptomus's payment API on 127.0.0.1 over HTTPS, for vrnum's wallet tests.

API (HTTPS), each request checked as Cryptomus checks it: the `merchant` header must be
--merchant and `sign` md5(base64(the exact body bytes) + --key), else 401.
  POST /v1/payment       creates an invoice. Refuses (422) a request that carries anything but
                         an invoice's own fields, or an `@` anywhere: Cryptomus must never learn
                         a customer's email or account id.
  POST /v1/payment/info  {uuid} or {order_id}: the invoice as it stands (404 when unknown).
With --down every API request gets 503.

Control (plain HTTP on a second port, for the test itself):
  POST /control/notify {uuid, status, is_final, payment_amount_usd?, times?, tamper?}
      sets the invoice's state and posts Cryptomus's payment webhook to its url_callback
      `times` times at once (default 1; `info_status` makes payment-info disagree), signed as
      Cryptomus signs it: md5(base64(PHP's
      json_encode($data, JSON_UNESCAPED_UNICODE) of the payload) + key), computed by php-cli
      itself. The body is written as Python writes JSON (spaces, \\u escapes, `/` unescaped),
      so only a PHP-compatible re-encoding verifies it. tamper: "value" (the amount changed
      after signing), "naive" (signed over the body bytes as sent), "key" (a wrong key).
      Answers {"statuses": [...]} with vrnumd's answers.
  POST /control/info {down: bool}   makes payment-info answer 503 (or not).
  POST /control/notify_order {order_id, ...}   as notify, for an invoice vrnumd never recorded.

Every API request is recorded as one JSON line in --record. Prints "listening PORT CONTROL"
once it accepts connections.
"""
import argparse
import base64
import hashlib
import json
import ssl
import subprocess
import sys
import threading
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ALLOWED = {"amount", "currency", "order_id", "url_callback", "lifetime", "url_return",
           "url_success", "is_payment_multiple", "to_currency", "subtract", "accuracy_payment_percent",
           "additional_data", "currencies", "except_currencies", "course_source", "from_referral_code",
           "discount_percent", "is_refresh"}

PHP_SIGN = ('$d = json_decode(file_get_contents("php://stdin"), true);'
            'echo md5(base64_encode(json_encode($d, JSON_UNESCAPED_UNICODE)) . $argv[1]);')


def php_sign(payload_json, key):
    out = subprocess.run(["php", "-r", PHP_SIGN, key], input=payload_json.encode(),
                         capture_output=True, check=True)
    return out.stdout.decode()


class State:
    def __init__(self, opts):
        self.opts = opts
        self.lock = threading.Lock()
        self.invoices = {}  # uuid -> invoice
        self.info_down = False

    def record(self, entry):
        with self.lock:
            with open(self.opts.record, "a") as f:
                f.write(json.dumps(entry) + "\n")


def reply(handler, status, body):
    data = json.dumps(body).encode()
    handler.send_response(status)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(data)))
    handler.end_headers()
    handler.wfile.write(data)


def invoice_result(inv):
    status = inv.get("info_status") or inv["status"]
    final = inv["is_final"] if not inv.get("info_status") else False
    return {"uuid": inv["uuid"], "order_id": inv["order_id"], "amount": inv["amount"],
            "payment_amount": inv.get("payment_amount"), "payer_currency": "USDT",
            "currency": "USD", "network": "tron", "address": None, "from": None, "txid": None,
            "payment_status": status, "status": status, "is_final": final,
            "payment_amount_usd": inv.get("payment_amount_usd"),
            "url": "https://pay.cryptomus.example/pay/" + inv["uuid"], "additional_data": None}


class ApiHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def answer(self, status, body, entry):
        reply(self, status, body)
        entry["status"] = status
        self.server.state.record(entry)

    def do_POST(self):
        st = self.server.state
        opts = st.opts
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
        if self.path not in ("/v1/payment", "/v1/payment/info"):
            return self.answer(404, {"state": 1, "message": "no such route"}, entry)
        if not entry["merchant_ok"] or not entry["sign_ok"]:
            return self.answer(401, {"state": 1, "message": "Unauthorized"}, entry)
        allowed = {"uuid", "order_id"} if self.path == "/v1/payment/info" else ALLOWED
        if set(body) - allowed or b"@" in raw:
            return self.answer(422, {"state": 1, "message": "unexpected fields"}, entry)
        if self.path == "/v1/payment/info":
            if st.info_down:
                return self.answer(503, {"state": 1, "message": "down"}, entry)
            with st.lock:
                found = [i for i in st.invoices.values()
                         if i["uuid"] == body.get("uuid") or
                         ("uuid" not in body and i["order_id"] == body.get("order_id"))]
            if not found:
                return self.answer(404, {"state": 1, "message": "Not found"}, entry)
            return self.answer(200, {"state": 0, "result": invoice_result(found[0])}, entry)
        inv = {"uuid": str(uuid.uuid4()), "order_id": body.get("order_id"),
               "amount": body.get("amount"), "url_callback": body.get("url_callback"),
               "status": "check", "is_final": False}
        with st.lock:
            st.invoices[inv["uuid"]] = inv
        self.answer(200, {"state": 0, "result": invoice_result(inv)}, entry)


def post_webhook(url, body):
    req = urllib.request.Request(url, data=body, method="POST",
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=20) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code
    except OSError:
        return 0


class ControlHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_POST(self):
        st = self.server.state
        raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        body = json.loads(raw or b"{}")
        if self.path == "/control/info":
            st.info_down = bool(body.get("down"))
            return reply(self, 200, {})
        if self.path == "/control/notify_order":
            # An invoice Cryptomus made but vrnumd never heard of (or lost).
            inv = {"uuid": str(uuid.uuid4()), "order_id": body["order_id"],
                   "amount": body.get("amount", "1.00"), "url_callback": body["url_callback"],
                   "status": "check", "is_final": False}
            with st.lock:
                st.invoices[inv["uuid"]] = inv
            body["uuid"] = inv["uuid"]
        elif self.path != "/control/notify":
            return reply(self, 404, {})
        with st.lock:
            inv = st.invoices.get(body["uuid"])
            if inv is None:
                return reply(self, 404, {"message": "no such invoice"})
            inv["status"] = body["status"]
            inv["is_final"] = body.get("is_final", True)
            # What payment-info says, when it is to disagree with the webhook.
            inv["info_status"] = body.get("info_status")
            if "payment_amount_usd" in body:
                inv["payment_amount_usd"] = body["payment_amount_usd"]
            inv = dict(inv)
        # Cryptomus's webhook: nested objects, an empty object, nulls, booleans, numbers,
        # non-ASCII text and slashes, as its payloads carry them.
        payload = {"type": "payment", "uuid": inv["uuid"], "order_id": inv["order_id"],
                   "amount": inv["amount"], "payment_amount": inv.get("payment_amount_usd"),
                   "payment_amount_usd": inv.get("payment_amount_usd"),
                   "merchant_amount": inv.get("payment_amount_usd"), "commission": "0.00",
                   "is_final": inv["is_final"], "status": inv["status"],
                   "from": "TXguLRFtrAFrEDA17WuPfrxB84jVzJcNNV", "wallet_address_uuid": None,
                   "network": "tron", "currency": "USD", "payer_currency": "USDT",
                   "payer_amount": 12.5, "confirmations": 20,
                   "additional_data": "Счёт / оплата — ok", "convert": {
                       "to_currency": "USDT", "commission": None, "rate": "1.00010000",
                       "amount": "5.00"},
                   "txid": "6f0d9c8374db57cac0d806251473de754f361c83a03cd805f74aa9da3193486b",
                   "extra": {}, "sign": None}
        del payload["sign"]
        key = st.opts.key + ("-wrong" if body.get("tamper") == "key" else "")
        plain = json.dumps(payload)
        sign = php_sign(plain, key)
        if body.get("tamper") == "naive":
            sign = hashlib.md5(base64.b64encode(plain.encode()) + key.encode()).hexdigest()
        payload["sign"] = sign
        if body.get("tamper") == "value":
            payload["payment_amount_usd"] = "999999.00"
        data = json.dumps(payload).encode()
        times = int(body.get("times", 1))
        with ThreadPoolExecutor(max_workers=times) as pool:
            statuses = list(pool.map(lambda _: post_webhook(inv["url_callback"], data),
                                     range(times)))
        reply(self, 200, {"statuses": statuses, "uuid": inv["uuid"]})


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--cert", required=True)
    p.add_argument("--key-file", required=True)
    p.add_argument("--merchant", required=True)
    p.add_argument("--key", required=True)
    p.add_argument("--record", required=True)
    p.add_argument("--down", action="store_true")
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
