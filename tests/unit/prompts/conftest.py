"""A loopback stub of an OpenAI-compatible chat endpoint (127.0.0.1 only, stops with the test)."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 (http.server API)
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.requests.append({"path": self.path, "body": body, "auth": self.headers.get("Authorization")})
        status, payload = self.server.reply(body)
        data = json.dumps(payload).encode() if not isinstance(payload, bytes) else payload
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


def lines_reply(body):
    """Five event lines naming the requested subject, plus one junk and one duplicate line."""
    user = body["messages"][-1]["content"]
    subject = user.split(": ")[1].split(".")[0] if ": " in user else "scene"
    lines = ["Sure! Here is the list:", f"1. a person near {subject} number one"]
    lines += [f"{i + 1}. a person near {subject} number {w}" for i, w in enumerate(["one", "two", "three", "four"])]
    return 200, {"choices": [{"message": {"role": "assistant", "content": "\n".join(lines)}}]}


@pytest.fixture
def chat_stub():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.requests = []
    server.reply = lines_reply
    server.timeout = 5
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
