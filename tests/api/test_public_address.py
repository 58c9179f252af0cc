"""A deployed stage's address: links in alerts use its https origin, and every URL a page
builds works under API Gateway's stage path (/api) of the default URL as well.

The app is run as a deployed stage sees it: the prod stage's settings with
HOMEWARD_PUBLIC_URL set, and requests as API Gateway passes them from the default URL,
whose requestContext.path carries the stage (/api/status for /status). Pages are then
read as a browser reads them: every href, src, action and script URL resolved against the
page's own address, and opened.
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
from formdata import FORM, form_fields, form_key
from helpers import EXAMPLE_REPORT

from chalicelib.web.pages import EXIT_URL

ORIGIN = "https://homeward.example.org"
STAGE = "https://a1b2c3d4e5.execute-api.eu-central-1.amazonaws.com/api"
LINK = re.compile(r"https?://[^\s\"<]+/ack/[A-Za-z0-9_-]+")


class _Urls(HTMLParser):
    """Every URL a page gives a browser: links, assets, form actions, and those its script
    uses (data-home, data-uploads)."""

    ATTRIBUTES = frozenset({"href", "src", "action", "data-home", "data-uploads"})

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, str, str]] = []  # (tag, attribute, value)

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in self.ATTRIBUTES and value is not None:
                self.found.append((tag, name, value))


def urls(page: str, page_url: str) -> list[tuple[str, str, str]]:
    parser = _Urls()
    parser.feed(page)
    return [
        (tag, name, urljoin(page_url, value))
        for tag, name, value in parser.found
        # Not a page of ours: phone numbers, and "Exit this page", off Homeward on purpose.
        if not value.startswith(("#", "data:", "tel:", "mailto:")) and value != EXIT_URL
    ]


class Stage:
    """A browser at API Gateway's default URL: opens absolute URLs under STAGE only."""

    def __init__(self, client, seen: dict) -> None:
        self._client = client
        self._seen = seen

    def open(self, url: str, method: str = "GET", body: str = "", headers=None):
        parts, stage = urlsplit(url), urlsplit(STAGE)
        assert parts.netloc == stage.netloc, f"{url} leaves the stage's origin"
        assert parts.path == stage.path or parts.path.startswith(stage.path + "/"), (
            f"{url} leaves the stage path"
        )
        # What API Gateway passes: the path below the stage, and its own full path.
        self._seen["path"] = parts.path
        path = (parts.path[len(stage.path) :] or "/") + (f"?{parts.query}" if parts.query else "")
        return self._client.http.request(method, path, headers=headers or {}, body=body.encode())


@pytest.fixture
def stage(app_module, aws, monkeypatch):
    from chalice.local import LambdaEventConverter
    from chalice.test import Client

    from chalicelib import wiring

    monkeypatch.setenv("HOMEWARD_STAGE", "prod")
    monkeypatch.setenv("HOMEWARD_PUBLIC_URL", ORIGIN)
    wiring.reset()
    seen = {"path": "/api/"}
    create = LambdaEventConverter.create_lambda_event

    def as_api_gateway(self, method, path, headers, body=None):
        event = create(self, method, path, headers, body)
        event["requestContext"].update(path=seen["path"], stage="api")
        return event

    monkeypatch.setattr(LambdaEventConverter, "create_lambda_event", as_api_gateway)
    with Client(app_module.app, stage_name="prod") as client:
        yield Stage(client, seen)


def text(response) -> str:
    return response.body.decode() if isinstance(response.body, bytes) else response.body


def _check_every_url(stage: Stage, page: str, page_url: str) -> set[str]:
    """Open every URL of the page (under the stage, or the test fails); their kinds."""
    kinds = set()
    for tag, attribute, url in urls(page, page_url):
        if attribute == "data-uploads":
            answer = stage.open(url, "POST", "{}", {"Content-Type": "application/json"})
            assert answer.status_code == 422, url  # the route is there, the request is not
        elif attribute == "action":
            answer = stage.open(url, "POST", "lang=en", {"Content-Type": FORM})
            assert answer.status_code in (200, 400, 404), url  # a page, not API Gateway's 403
            assert answer.headers["Content-Type"].startswith("text/html"), url
        else:
            answer = stage.open(url)
            # The receipt's mark answers with nothing (an image that is never shown).
            assert answer.status_code == (204 if "report/shown" in url else 200), url
        kinds.add(f"{tag}.{attribute}")
    return kinds


def test_every_url_a_page_builds_works_under_the_stage_path(stage):
    kinds = set()
    for path in ("/", "/?lang=en", "/status?lang=ru"):
        page_url = STAGE + path
        response = stage.open(page_url)
        assert response.status_code == 200
        kinds |= _check_every_url(stage, text(response), page_url)

    # The form's answers: refused (the form again) and received (the receipt).
    form_url = STAGE + "/report?lang=en"
    refused = stage.open(
        form_url,
        "POST",
        f"lang=en&submission_key={form_key('form-key-00000002')}",
        {"Content-Type": FORM},
    )
    assert refused.status_code == 422
    kinds |= _check_every_url(stage, text(refused), form_url)
    from urllib.parse import urlencode

    received = stage.open(
        form_url, "POST", urlencode(form_fields(lang="en")), {"Content-Type": FORM}
    )
    assert received.status_code == 201
    kinds |= _check_every_url(stage, text(received), form_url)

    assert {"link.href", "script.src", "a.href", "form.action", "form.data-home"} <= kinds
    assert "form.data-uploads" in kinds


def test_the_stage_opened_without_its_slash_is_sent_to_it(stage):
    for asked, sent_to in ((STAGE, STAGE + "/"), (STAGE + "?lang=en", STAGE + "/?lang=en")):
        answer = stage.open(asked)
        assert answer.status_code == 301
        assert urljoin(asked, answer.headers["Location"]) == sent_to
    # Nothing a visitor typed is sent back.
    answer = stage.open(STAGE + "?lang=%22%3E%3Cscript%3E")
    assert answer.headers["Location"] == "/api/"


def test_alerts_link_to_the_stages_https_origin_and_the_link_works(stage, pump):
    from infra.local.outbox import sent_messages

    answer = stage.open(
        STAGE + "/api/v1/reports",
        "POST",
        json.dumps(EXAMPLE_REPORT),
        {"Content-Type": "application/json"},
    )
    assert answer.status_code == 201
    pump.run_until_idle()
    links = {link for message in sent_messages() for link in LINK.findall(message["body"])}
    assert links and all(link.startswith(ORIGIN + "/ack/") for link in links)

    # The same link at the stage's default URL: a page whose stylesheet is found there too.
    page_url = STAGE + urlsplit(sorted(links)[0]).path
    page = stage.open(page_url)
    assert page.status_code == 200
    (stylesheet,) = [url for tag, _, url in urls(text(page), page_url) if tag == "link"]
    assert stylesheet.startswith(STAGE + "/static/form.css?v=")
    assert stage.open(stylesheet).status_code == 200


@pytest.mark.parametrize(
    "public_url",
    [None, "", "http://homeward.example.org", "homeward.example.org", "https://", "https://h/?a=1"],
)
def test_a_deployed_stage_refuses_to_start_without_an_https_public_url(public_url):
    from chalicelib import config

    env = {"HOMEWARD_STAGE": "prod", "HOMEWARD_SIGNING_KEY": "k"}
    if public_url is not None:
        env["HOMEWARD_PUBLIC_URL"] = public_url
    with pytest.raises(RuntimeError, match="HOMEWARD_PUBLIC_URL"):
        config.load(env)


def test_a_deployed_stage_keeps_its_address_as_given_without_a_trailing_slash():
    from chalicelib import config

    env = {"HOMEWARD_STAGE": "prod", "HOMEWARD_SIGNING_KEY": "k"}
    assert config.load({**env, "HOMEWARD_PUBLIC_URL": ORIGIN + "/"}).public_url == ORIGIN
    assert config.load({**env, "HOMEWARD_PUBLIC_URL": STAGE}).public_url == STAGE
    # A local run keeps its loopback default.
    local = config.load({"HOMEWARD_STAGE": "local"})
    assert local.public_url == "http://127.0.0.1:8000"
