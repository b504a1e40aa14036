"""A webhook receiver on loopback that verifies every delivery with the `standardwebhooks`
package (the reference implementation, independent of the server's Rust signing) and
appends what it received to a JSON-lines log.

Usage: webhook_receiver.py LOG_FILE

Prints `listening on http://127.0.0.1:PORT` once ready. The test steers it through
`POST /control` with a JSON body, each key optional:
  {"secrets": {"/a": "whsec_..."}}   the secret to verify deliveries to each path with
  {"respond": {"/a": [500, 500]}}    statuses for the next deliveries to a path, then 204
  {"retry_after": "3"}               a Retry-After header on non-2xx answers
  {"delay_ms": 2000}                 wait this long before answering each delivery
A delivery is logged when it arrives, before any delay, as
{"id", "type", "path", "timestamp", "verified", "status", "body", "received_at"}.
"""

import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook

STATE = {"secrets": {}, "respond": {}, "retry_after": None, "delay_ms": 0}
LOCK = threading.Lock()


class Receiver(BaseHTTPRequestHandler):
    log_path = ""
    protocol_version = "HTTP/1.1"

    def log_message(self, *_args) -> None:
        pass

    def _answer(self, status: int, headers=None) -> None:
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("content-length", "0")
        self.end_headers()

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("content-length", "0")))
        if self.path == "/control":
            with LOCK:
                for key, value in json.loads(body).items():
                    if isinstance(STATE.get(key), dict):
                        STATE[key].update(value)
                    else:
                        STATE[key] = value
            self._answer(204)
            return
        with LOCK:
            secret = STATE["secrets"].get(self.path)
            queue = STATE["respond"].get(self.path, [])
            status = queue.pop(0) if queue else 204
            retry_after = STATE["retry_after"]
            delay_ms = STATE["delay_ms"]
        headers = {name.lower(): value for name, value in self.headers.items()}
        verified = False
        if secret is not None:
            try:
                Webhook(secret).verify(body.decode(), headers)
                verified = True
            except Exception as error:  # noqa: BLE001 - any failure means unverified
                print(f"verification failed on {self.path}: {error}", file=sys.stderr, flush=True)
        if not verified:
            status = 401
        record = {
            "id": headers.get("webhook-id"),
            "path": self.path,
            "timestamp": headers.get("webhook-timestamp"),
            "verified": verified,
            "status": status,
            "body": body.decode(errors="replace"),
            "received_at": time.time(),
        }
        try:
            record["type"] = json.loads(body).get("type")
        except ValueError:
            record["type"] = None
        with LOCK:
            with open(self.log_path, "a", encoding="utf-8") as log:
                log.write(json.dumps(record) + "\n")
        if delay_ms:
            time.sleep(delay_ms / 1000)
        answer_headers = {}
        if status >= 300 and retry_after is not None:
            answer_headers["retry-after"] = str(retry_after)
        self._answer(status, answer_headers)


def main(log_path: str) -> None:
    Receiver.log_path = log_path
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    print(f"listening on http://127.0.0.1:{server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main(sys.argv[1])
