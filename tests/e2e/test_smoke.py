"""`homeward smoke` against a stand-in stage, served under an /api stage path as API
Gateway's default URL is: all well, then each thing a bad release could break.
(tests/infra/test_deploy.py runs it against the local runner, after `make deploy`.)"""

from __future__ import annotations

import io
import json
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from chalicelib import cli
from chalicelib.cli.smoke import smoke

CSP = "default-src 'self'; script-src 'self'"


class FakeStage(ThreadingHTTPServer):
    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.origin = f"http://127.0.0.1:{self.server_address[1]}"
        self.broken: set[str] = set()
        self.asked: list[tuple[str, str]] = []


class _Handler(BaseHTTPRequestHandler):
    server: FakeStage

    def _answer(self, status: int, body: str = "", kind: str = "text/html", **headers) -> None:
        raw = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(raw)))
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.end_headers()
        self.wfile.write(raw)

    def do_GET(self) -> None:
        stage, broken = self.server, self.server.broken
        path = urllib.parse.urlsplit(self.path).path
        stage.asked.append(("GET", path))
        up = "/" if "root-relative" in broken else "./"
        if path == "/api/healthz":
            self._answer(200, '{"status": "ok"}', "application/json")
        elif path == "/api/":
            page = (
                f'<link rel="stylesheet" href="{up}static/form.css?v=1">'
                f'<script src="{up}static/form.js?v=1" defer></script>'
                f'<form id="report" method="post" action="{up}report?lang=uk">'
                '<input type="hidden" name="submission_key" value="k1"></form>'
            )
            self._answer(200, page, Content_Security_Policy=CSP)
        elif path == "/api/static/form.css":
            self._answer(200, "body{}", "text/css; charset=utf-8")
        elif path == "/api/static/form.js":
            self._answer(200, "", "text/javascript; charset=utf-8")
        elif path == "/api/status":
            self._answer(200, "<p>status</p>")
        elif path == "/api/api/v1/staff/cases":
            self._answer(200 if "open-staff-api" in broken else 401, "{}", "application/json")
        elif path == "/api/api/v1/sign-in":
            found = {
                "authorization_endpoint": f"{stage.origin}/oauth2/authorize",
                "token_endpoint": f"{stage.origin}/oauth2/token",
                "client_id": "4kq9example0client0id",
            }
            self._answer(200, json.dumps(found), "application/json")
        elif path == "/oauth2/authorize":
            where = "/error?error=redirect_mismatch" if "callback" in broken else "/login?x=1"
            self._answer(302, Location=where)
        elif path == "/api/dev/outbox" and "outbox" in broken:
            self._answer(200, "[]", "application/json")
        else:
            self._answer(403 if path.startswith("/static/") else 404)

    def _bucket_allows(self) -> str | None:
        """The uploads bucket's CORS: the stage's origin, or (broken) a placeholder's."""
        allowed = "https://homeward.example" if "cors" in self.server.broken else self.server.origin
        origin = self.headers.get("Origin")
        return origin if origin == allowed else None

    def do_OPTIONS(self) -> None:
        self.server.asked.append(("OPTIONS", self.path))
        allowed = self._bucket_allows()
        if self.path == "/bucket" and allowed:
            self._answer(
                200, Access_Control_Allow_Origin=allowed, Access_Control_Allow_Methods="POST"
            )
        else:
            self._answer(403)

    def do_POST(self) -> None:
        stage = self.server
        stage.asked.append(("POST", self.path))
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path == "/api/report/uploads" and self.headers.get("Origin"):
            grant = {"slot": 1, "url": f"{stage.origin}/bucket", "fields": {"key": "uploads/k1/1"}}
            self._answer(200, json.dumps(grant), "application/json")
        elif self.path == "/bucket" and (allowed := self._bucket_allows()):
            self._answer(204, Access_Control_Allow_Origin=allowed)
        else:
            self._answer(405)

    def log_message(self, format, *args):
        pass


@pytest.fixture
def stage():
    fake = FakeStage()
    threading.Thread(target=fake.serve_forever, daemon=True).start()
    yield fake
    fake.shutdown()
    fake.server_close()


def test_a_stage_in_order_passes_every_check_and_nothing_is_posted(stage):
    out = io.StringIO()
    assert smoke(stage.origin + "/api/", out, local=False)
    lines = out.getvalue().splitlines()[1:]
    assert [line.split()[0] for line in lines] == ["ok"] * 7, out.getvalue()
    assert "sign-in: the managed login sends staff to its sign-in page" in out.getvalue()
    assert f"upload: a photo uploaded from {stage.origin}" in out.getvalue()
    # No report filed: the only posts are one upload slot and its photo.
    posts = [path for method, path in stage.asked if method == "POST"]
    assert posts == ["/api/report/uploads", "/bucket"]


@pytest.mark.parametrize(
    ("broken", "failed"),
    [
        ("root-relative", "form: the page's stylesheet (http://127.0.0.1:"),
        ("open-staff-api", "staff API: the staff API answered 200 without a token, not 401"),
        ("callback", "sign-in: the managed login answered 302 /error"),
        ("outbox", "outbox: /dev/outbox answered 200 in a deployed stage"),
        ("cors", "upload: the uploads bucket's CORS refuses http://127.0.0.1:"),
    ],
)
def test_each_thing_a_bad_release_breaks_fails_by_name(stage, broken, failed):
    stage.broken.add(broken)
    out = io.StringIO()
    assert not smoke(stage.origin + "/api", out, local=False)
    (line,) = [line for line in out.getvalue().splitlines() if "FAIL" in line]
    assert line.split("FAIL", 1)[1].strip().startswith(failed), line


def test_the_command_says_it_by_its_exit_code(stage, capsys):
    assert cli.main(["smoke", "--url", stage.origin + "/api/"]) == 0
    stage.broken.add("open-staff-api")
    assert cli.main(["--url", stage.origin + "/api/", "smoke"]) == 1
    assert "FAIL  staff API" in capsys.readouterr().out
