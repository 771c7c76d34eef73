"""The one outbound HTTP client against a real HTTP server the test starts: transient failures are
retried, a send the other side may have acted on is not, and every failure is one OutboundError."""

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from accounts.outbound import OutboundError, _session, post_json


class Script(BaseHTTPRequestHandler):
    """Answers each POST with the next (status, body, delay) of the server's script; records the bodies."""

    def do_POST(self):  # noqa: N802 (the stdlib's name)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.received.append(json.loads(body))
        status, answer, delay = self.server.script.pop(0) if self.server.script else (200, {"ok": True}, 0)
        if delay:
            threading.Event().wait(delay)
        raw = answer if isinstance(answer, bytes) else json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        try:
            self.wfile.write(raw)
        except BrokenPipeError:
            pass  # the client timed out first: that is what the slow answer is for

    def log_message(self, *args):
        pass


@pytest.fixture
def server(settings):
    settings.OUTBOUND_HTTP_BACKOFF_SECONDS = 0.01
    settings.OUTBOUND_HTTP_READ_TIMEOUT_SECONDS = 0.5
    settings.OUTBOUND_HTTP_RETRIES = 2
    _session.cache_clear()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Script)
    httpd.script, httpd.received = [], []
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()
    _session.cache_clear()


def url(httpd) -> str:
    return f"http://127.0.0.1:{httpd.server_address[1]}/send"


def test_a_503_then_a_success_is_one_call_that_succeeds(server):
    server.script = [(503, {"error": "busy"}, 0), (200, {"status": 0}, 0)]
    assert post_json(url(server), {"text": "Привіт"}) == {"status": 0}
    assert server.received == [{"text": "Привіт"}, {"text": "Привіт"}]


def test_a_server_that_keeps_failing_gives_up_after_the_retries(server):
    server.script = [(502, {}, 0)] * 5
    with pytest.raises(OutboundError, match="HTTP 502"):
        post_json(url(server), {"n": 1})
    assert len(server.received) == 3  # the call and 2 retries


def test_a_slow_answer_times_out_and_is_not_sent_twice(server):
    server.script = [(200, {"late": True}, 1.5)]
    with pytest.raises(OutboundError, match="ReadTimeout|ConnectionError"):
        post_json(url(server), {"n": 1})
    assert len(server.received) == 1  # it may have been delivered: no second message


def test_a_refused_connection_and_a_non_json_answer_are_outbound_errors(server):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    with pytest.raises(OutboundError, match="ConnectionError"):
        post_json(f"http://127.0.0.1:{closed_port}/send", {"n": 1})
    server.script = [(200, b"<html>ok</html>", 0)]
    with pytest.raises(OutboundError, match="not JSON"):
        post_json(url(server), {"n": 1})
