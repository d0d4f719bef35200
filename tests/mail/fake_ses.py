#!/usr/bin/python3
"""A stand-in for Amazon SES v2 SendEmail on 127.0.0.1, over HTTPS, for vrnum's mail tests.

Every request's AWS Signature Version 4 is checked with botocore (an implementation
independent of vrnum's); a wrong or stale one gets 403 InvalidSignatureException. A valid
SendEmail gets the next status of --script (then 200 for ever after); 1200 is a 200 that
takes 2 s, creating RECORD.inflight as it starts. Each request is
recorded as one JSON line in --record: its status, and for a SendEmail the mail's fields.
Prints "listening PORT" once it accepts connections.
"""
import argparse
import datetime
import hmac
import json
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

PATH = "/v2/email/outbound-emails"


def parse_authorization(value):
    scheme, _, rest = value.partition(" ")
    if scheme != "AWS4-HMAC-SHA256":
        return None
    fields = {}
    for part in rest.split(","):
        k, _, v = part.strip().partition("=")
        fields[k] = v
    if not {"Credential", "SignedHeaders", "Signature"} <= fields.keys():
        return None
    return fields


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def answer(self, status, body, error_type=None, record=None):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        if error_type:
            self.send_header("x-amzn-ErrorType", error_type + ":http://internal.amazon.com/")
        self.end_headers()
        self.wfile.write(data)
        entry = {"status": status, "error_type": error_type}
        entry.update(record or {})
        self.server.record(entry)

    def signature_problem(self, body):
        cfg = self.server.cfg
        auth = parse_authorization(self.headers.get("Authorization", ""))
        if auth is None:
            return "missing or malformed Authorization"
        amz_date = self.headers.get("X-Amz-Date", "")
        try:
            when = datetime.datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ")
        except ValueError:
            return "bad X-Amz-Date"
        if abs((datetime.datetime.utcnow() - when).total_seconds()) > 300:
            return "Signature expired"
        scope = "/".join([cfg.access_key, amz_date[:8], cfg.region, "ses", "aws4_request"])
        if auth["Credential"] != scope:
            return "credential scope " + auth["Credential"]
        signed = auth["SignedHeaders"].split(";")
        for required in ("host", "x-amz-date", "content-type"):
            if required not in signed:
                return "header not signed: " + required
        headers = {}
        for name in signed:
            values = self.headers.get_all(name)
            if values is None:
                return "signed header missing: " + name
            headers[name] = ",".join(values)
        url = "https://" + self.headers["Host"] + self.path
        request = AWSRequest(method=self.command, url=url, headers=headers, data=body)
        request.context["timestamp"] = amz_date
        signer = SigV4Auth(Credentials(cfg.access_key, cfg.secret_key), "ses", cfg.region)
        canonical = signer.canonical_request(request)
        expected = signer.signature(signer.string_to_sign(request, canonical), request)
        if not hmac.compare_digest(expected, auth["Signature"]):
            return "The request signature we calculated does not match the signature you provided."
        return None

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        if self.path != PATH:
            return self.answer(404, {"message": "unknown path " + self.path}, "NotFoundException")
        problem = self.signature_problem(body)
        if problem:
            return self.answer(403, {"message": problem}, "InvalidSignatureException")
        try:
            req = json.loads(body)
            simple = req["Content"]["Simple"]
            mail = {
                "from": req["FromEmailAddress"],
                "to": req["Destination"]["ToAddresses"],
                "subject": simple["Subject"]["Data"],
                "text": simple["Body"]["Text"]["Data"],
                "html": simple["Body"]["Html"]["Data"],
                "charsets": [simple["Subject"]["Charset"], simple["Body"]["Text"]["Charset"],
                             simple["Body"]["Html"]["Charset"]],
            }
        except (ValueError, KeyError, TypeError) as e:
            return self.answer(400, {"message": "bad SendEmail body: %r" % e}, "BadRequestException")
        status = self.server.next_status()
        if status == 1200:  # "slow": a 200 that takes 2 s, with a marker file while it waits
            open(self.server.cfg.record + ".inflight", "w").close()
            time.sleep(2)
            status = 200
        if status == 200:
            n = self.server.next_id()
            return self.answer(200, {"MessageId": "fake-%d" % n}, None, mail)
        if status == 400:
            text = ("Email address is not verified. The following identities failed the check "
                    "in region EU-WEST-1: " + ", ".join(mail["to"]))
            return self.answer(400, {"message": text}, "MessageRejected", mail)
        if status == 429:
            return self.answer(429, {"message": "Maximum sending rate exceeded."},
                               "TooManyRequestsException", mail)
        return self.answer(status, {"message": "Service unavailable"}, "ServiceUnavailable", mail)


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, cfg):
        super().__init__(("127.0.0.1", cfg.port), Handler)
        self.cfg = cfg
        self.script = [int(s) for s in cfg.script.split(",") if s]
        self.lock = threading.Lock()
        self.count = 0

    def next_status(self):
        with self.lock:
            return self.script.pop(0) if self.script else 200

    def next_id(self):
        with self.lock:
            self.count += 1
            return self.count

    def record(self, entry):
        with self.lock, open(self.cfg.record, "a") as f:
            f.write(json.dumps(entry) + "\n")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--cert", required=True)
    p.add_argument("--key", required=True)
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--access-key", required=True)
    p.add_argument("--secret-key", required=True)
    p.add_argument("--region", default="eu-west-1")
    p.add_argument("--script", default="")
    p.add_argument("--record", required=True)
    cfg = p.parse_args()
    server = Server(cfg)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cfg.cert, cfg.key)
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
    print("listening %d" % server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
