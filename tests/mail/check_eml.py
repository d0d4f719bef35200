#!/usr/bin/python3
"""Parses an .eml file with Python's email package (the modern policy, which is strict about
headers and decodes RFC 2047 words) and prints what a mail client would show as one JSON
object: headers, the text and HTML parts, and every link in them."""
import email
import email.policy
import json
import re
import sys
from html.parser import HTMLParser


class Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self.links += [v for k, v in attrs if k == "href"]


def main(path):
    with open(path, "rb") as f:
        msg = email.message_from_binary_file(f, policy=email.policy.default)
    text = msg.get_body(("plain",))
    html = msg.get_body(("html",))
    parser = Links()
    parser.feed(html.get_content())
    out = {
        "defects": [str(d) for d in msg.defects],
        "subject": str(msg["Subject"]),
        "from": str(msg["From"]),
        "to": str(msg["To"]),
        "message_id": str(msg["Message-ID"]),
        "date": str(msg["Date"]),
        "content_type": msg.get_content_type(),
        "parts": [p.get_content_type() for p in msg.iter_parts()],
        "charsets": [p.get_content_charset() for p in msg.iter_parts()],
        "text": text.get_content(),
        "html": html.get_content(),
        "html_links": parser.links,
        "text_links": re.findall(r"https?://\S+", text.get_content()),
        "max_line": max(len(l) for l in open(path, "rb").read().split(b"\r\n")),
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv[1])
