"""Helpers the tests share (fixtures live in conftest.py)."""

from __future__ import annotations

import contextlib
import json
import re
from pathlib import Path

EXAMPLE_REPORT = json.loads((Path(__file__).parent / "data" / "contract_report.json").read_text())


def case_for(**changes):
    """CONTRACT.md's example as a case, with sections changed: case_for(urgent=True)."""
    import datetime as dt

    from chalicelib.domain.case import Case
    from chalicelib.domain.report import Report

    body = json.loads(json.dumps(EXAMPLE_REPORT))
    for section, values in changes.items():
        body[section].update(values) if isinstance(values, dict) else body.update({section: values})
    report = Report.model_validate(body)
    return Case("HW-7K3M-Q9TX", dt.datetime(2026, 11, 28, 9, 15, tzinfo=dt.UTC), report)


def commit(stores, *stage):
    """One unit of work on `stores`: each step stages a write in it, then it commits."""
    uow = stores.unit_of_work()
    for step in stage:
        step(uow)
    return uow.commit()


def refused_names(stores, *stage) -> frozenset:
    """The conditions a unit of work was refused for (it must be refused)."""
    import pytest

    from chalicelib.domain.errors import Refused

    with pytest.raises(Refused) as refused:
        commit(stores, *stage)
    return refused.value.names


def post_report(client, body, *, key: str | None = None, headers: dict | None = None):
    all_headers = {"Content-Type": "application/json", **(headers or {})}
    if key:
        all_headers["Idempotency-Key"] = key
    payload = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return client.http.post("/api/v1/reports", headers=all_headers, body=payload)


def file_three_cases(client, pump, body) -> dict[str, str]:
    """Three reports, dispatched so that their mandates exist: oblast -> reference. By the
    demo routing rules: UA-65 (deported) reaches UA-OMBUDSMAN, UA-NIB and CA-GAC; UA-14
    (missing) reaches UA-JUVPOL and UA-NIB, not CA-GAC, whose rule is for deportations;
    UA-46 reaches the coordinators (UA-NIB) only."""
    references = {}
    for oblast, category, urgent in [
        ("UA-65", "deported", False),
        ("UA-14", "missing", True),
        ("UA-46", "deported", False),
    ]:
        body["residence"]["oblast"] = oblast
        body["event"]["category"] = category
        body["urgent"] = urgent
        references[oblast] = post_report(client, body).json_body["reference"]
    pump.run_until_idle()
    return references


ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def get_json(url: str, headers: dict | None = None) -> dict:
    import urllib.request

    request = urllib.request.Request(url, headers=headers or {})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


@contextlib.contextmanager
def local_runner(log_path: Path, **env: str):
    """`make run`'s runner as a subprocess on a free port; yields (base URL, process, log)."""
    import os
    import subprocess
    import sys
    import time
    import urllib.error

    port = free_port()
    environment = {**os.environ, "PORT": str(port), **env}
    for leaked in (
        "HOMEWARD_STAGE",
        "HOMEWARD_TABLE",
        "HOMEWARD_UPLOADS_BUCKET",
        "AWS_ENDPOINT_URL",
    ):
        environment.pop(leaked, None)
    environment.pop("AWS_ENDPOINT_URL", None)
    with log_path.open("w+") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "infra.local"], cwd=ROOT, env=environment, stdout=log, stderr=log
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if get_json(f"{base}/healthz") == {"status": "ok"}:
                        break
                except (urllib.error.URLError, ConnectionError):
                    pass
                if process.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    raise RuntimeError(f"the local runner did not start:\n{log.read()}")
                time.sleep(0.2)
            yield base, process, log
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()


def runner_post(site: str, body: dict) -> str:
    """A report sent to a local runner's API; its reference."""
    import urllib.request

    request = urllib.request.Request(
        f"{site}/api/v1/reports",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.loads(answer.read())["reference"]


def runner_outbox(site: str) -> list[dict]:
    """What a local runner sent (its /dev/outbox)."""
    return get_json(f"{site}/dev/outbox")["messages"]


def wait_for(what, seconds: float = 20, pause: float = 0.3):
    """What `what()` answers once it is truthy: a runner's queues, senders and streams work
    on their own time. Fails if that takes over `seconds`; asks again every `pause`."""
    import time

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = what()
        if found:
            return found
        time.sleep(pause)
    raise AssertionError("waited in vain")


def logged_errors(output: str) -> list[str]:
    """A runner log's unhandled errors: each "unhandled" line, and each traceback's last
    frames with its exception, so that a failing check says what broke. Call it after
    checking that the log names no one: then the excerpt is safe to print."""
    lines = output.splitlines()
    found = [line for line in lines if "unhandled" in line]
    for start, line in enumerate(lines):
        if line.startswith("Traceback"):
            end = start + 1
            while end < len(lines) and lines[end].startswith(" "):
                end += 1
            found.append("\n".join(lines[max(start, end - 6) : end + 1]))
    return found


def fail_sends(service: str, operation: str, code: str, times: int = 10**6):
    """Make the app's own client for `service` fail `times` calls of `operation`."""
    calls = {"n": 0}

    def refuse(**kwargs):
        if calls["n"] < times:
            calls["n"] += 1
            raise ClientError(
                {"Error": {"Code": code, "Message": "injected"}, "ResponseMetadata": {}},
                operation,
            )

    from botocore.exceptions import ClientError

    from chalicelib import wiring

    wiring.client(service).meta.events.register(f"before-call.{service}.{operation}", refuse)
    return calls


def demo_directory():
    """The demo contacts and routing rules of infra/demo, as a Directory."""
    from infra.local.emulator import read_directory

    return read_directory()


FORM = {"Content-Type": "application/x-www-form-urlencoded"}


class Console:
    """The staff console in process, as one demo person's browser: its session cookie,
    and the form token of the page it last read."""

    FORM = FORM

    def __init__(self, client, subject: str, lang: str = "en") -> None:
        from urllib.parse import urlencode

        self.client = client
        self.cookies: dict[str, str] = {}
        answer = client.http.post(
            "/staff/sign-in", headers=self.FORM, body=urlencode({"subject": subject})
        )
        assert answer.status_code == 303, answer.body
        self._keep(answer)
        self.lang = lang
        self.csrf = ""

    def _keep(self, answer) -> None:
        found = answer.headers.get("Set-Cookie") or []
        for cookie in [found] if isinstance(found, str) else found:
            name, _, rest = cookie.partition("=")
            value = rest.split(";", 1)[0]
            if value:
                self.cookies[name] = value
            else:
                self.cookies.pop(name, None)

    @property
    def headers(self) -> dict[str, str]:
        return {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}

    def get(self, path: str):
        import re

        separator = "&" if "?" in path else "?"
        answer = self.client.http.get(f"{path}{separator}lang={self.lang}", headers=self.headers)
        self._keep(answer)
        found = re.search(rb'name="csrf" value="([^"]+)"', answer.body or b"")
        if found:
            self.csrf = found.group(1).decode()
        return answer

    def post(self, path: str, fields: dict | list, headers: dict | None = None):
        from urllib.parse import urlencode

        items = list(fields.items()) if isinstance(fields, dict) else list(fields)
        answer = self.client.http.post(
            path,
            headers={**self.FORM, **self.headers, **(headers or {})},
            body=urlencode([("csrf", self.csrf), *items]),
        )
        self._keep(answer)
        return answer


def refuse_inverted_between():
    """Make the app's DynamoDB client refuse a key condition `BETWEEN :low AND :high` whose
    bounds are the wrong way round, with the ValidationException DynamoDB answers and moto
    does not."""
    import re

    from botocore.exceptions import ClientError

    from chalicelib import wiring

    between = re.compile(r"BETWEEN\s+(:\w+)\s+AND\s+(:\w+)", re.IGNORECASE)

    def check(params, **kwargs):
        values = params.get("ExpressionAttributeValues", {})
        for low, high in between.findall(params.get("KeyConditionExpression", "")):
            ((kind, lower),) = values[low].items()
            ((_, upper),) = values[high].items()
            if kind == "N":
                lower, upper = float(lower), float(upper)
            if lower > upper:
                error = {
                    "Code": "ValidationException",
                    "Message": "Invalid KeyConditionExpression: The BETWEEN operator requires "
                    "upper bound to be greater than or equal to lower bound",
                }
                raise ClientError({"Error": error, "ResponseMetadata": {}}, "Query")

    wiring.client("dynamodb").meta.events.register("before-parameter-build.dynamodb.Query", check)


def photo_jpeg(padding: bytes = b"") -> bytes:
    """A small real JPEG (a form's photo is decoded and encoded again when filed), with
    `padding` after its end, as a larger photo would be."""
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (16, 12), (90, 160, 60)).save(out, format="JPEG")
    return out.getvalue() + padding


# What a person must never read on a console page.
RAW = [
    re.compile(r"\b\d{4}-\d{2}-\d{2}\b"),  # an ISO date
    re.compile(r"\b\d{4}-W\d{2}\b"),  # an ISO week
    re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b"),  # a UUID
    re.compile(
        r"\b(?:forcibly_transferred|held_in_facility|adopted_or_placed|return_in_progress)\b"
    ),
    re.compile(r"\bdemo-[a-z-]+\b"),  # a login id
    re.compile(r"\b(?:read-matches|match-confirmed|read-audit|put-rule)\b"),  # an audit code
    re.compile(r"\b(?:child_at_risk|child_located|data_request|legal_order)\b"),  # a reason
]


def visible(html: str) -> str:
    """The text of a page as a person reads it: no tags, attributes, scripts or styles."""
    import html as markup

    text = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return markup.unescape(re.sub(r"<[^>]+>", " ", text))


def assert_words_only(html: str) -> None:
    text = visible(html)
    for pattern in RAW:
        found = pattern.search(text)
        assert found is None, (pattern.pattern, text[max(found.start() - 80, 0) : found.end() + 80])
