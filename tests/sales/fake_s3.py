"""A minimal S3-compatible object store on 127.0.0.1 for the storage tests: PUT, GET (with Range),
HEAD and DELETE of objects in path-style addressing, as boto3 speaks them. No signature checks, no
network beyond the loopback; objects live in a dict the test reads."""

import hashlib
import re
import threading
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote, urlsplit


def _decode_aws_chunked(body):
    """boto3 streams uploads as aws-chunked: '<hex size>[;chunk-signature=…]\\r\\n<data>\\r\\n' … '0…'."""
    data, position = bytearray(), 0
    while True:
        end = body.index(b"\r\n", position)
        size = int(body[position:end].split(b";")[0], 16)
        if size == 0:
            return bytes(data)
        data += body[end + 2 : end + 2 + size]
        position = end + 2 + size + 2


class FakeS3:
    def __init__(self):
        self.objects = {}  # "bucket/key" -> bytes
        self.requests = []  # (method, path) in order
        store = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _key(self):
                return unquote(urlsplit(self.path).path).lstrip("/")

            def _reply(self, status, body=b"", headers=None):
                self.send_response(status)
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            def _missing(self):
                body = b"<?xml version='1.0'?><Error><Code>NoSuchKey</Code><Message>missing</Message></Error>"
                self._reply(404, body, {"Content-Type": "application/xml"})

            def do_PUT(self):
                store.requests.append(("PUT", self._key()))
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if "aws-chunked" in self.headers.get("Content-Encoding", ""):
                    body = _decode_aws_chunked(body)
                store.objects[self._key()] = body
                self._reply(200, headers={"ETag": f'"{hashlib.md5(body).hexdigest()}"'})  # noqa: S324

            def do_GET(self):
                store.requests.append(("GET", self._key()))
                body = store.objects.get(self._key())
                if body is None:
                    return self._missing()
                headers = {
                    "Content-Type": "application/octet-stream",
                    "ETag": f'"{hashlib.md5(body).hexdigest()}"',  # noqa: S324
                    "Last-Modified": formatdate(usegmt=True),
                    "Accept-Ranges": "bytes",
                }
                wanted = re.match(r"bytes=(\d+)-(\d*)", self.headers.get("Range", ""))
                if wanted:
                    start = int(wanted.group(1))
                    end = int(wanted.group(2)) if wanted.group(2) else len(body) - 1
                    headers["Content-Range"] = f"bytes {start}-{end}/{len(body)}"
                    return self._reply(206, body[start : end + 1], headers)
                return self._reply(200, body, headers)

            def do_HEAD(self):
                store.requests.append(("HEAD", self._key()))
                body = store.objects.get(self._key())
                if body is None:
                    return self._reply(404)
                self._reply(
                    200,
                    body,
                    {"ETag": f'"{hashlib.md5(body).hexdigest()}"', "Last-Modified": formatdate(usegmt=True)},  # noqa: S324
                )

            def do_DELETE(self):
                store.requests.append(("DELETE", self._key()))
                store.objects.pop(self._key(), None)
                self._reply(204)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
