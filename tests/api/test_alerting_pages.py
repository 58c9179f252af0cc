"""The statistics a coordinator answers for, in process: time to acknowledge per desk and
per week in words (never an ISO week code) on the page, and the same figures in the
staff API."""

from __future__ import annotations

import html
import re

from helpers import Console, post_report


def test_time_to_acknowledge_reads_in_words_and_the_api_gives_the_figures(
    client, pump, report_body, staff
):
    report_body["urgent"] = True
    reference = post_report(client, report_body).json_body["reference"]
    pump.run_until_idle()
    coordinator = staff("coordinator")
    moved = coordinator.post(
        f"/cases/{reference}/status", {"status": "triaged", "note": "seen", "version": 1}
    )
    assert moved.status_code == 200  # the owning desk's triage acknowledges the alert

    figures = coordinator.get("/statistics").json_body["responses"]
    (desk,) = figures["by_desk"]
    assert desk["key"] == "UA-NIB" and desk["count"] == 1 and desk["late"] == 0
    assert 0 <= desk["median_seconds"] == desk["p90_seconds"] < 600
    (week,) = figures["by_week"]
    assert re.fullmatch(r"\d{4}-W\d{2}", week["key"])

    page = html.unescape(Console(client, "demo-olena-koval").get("/staff/statistics").body.decode())
    assert "Time to acknowledge, the last 12 weeks" in page and "9 in 10 within" in page
    assert "National Information Bureau (demo)" in page
    assert not re.search(r"\d{4}-W\d{2}", page)  # weeks in words
    assert "week of " in page


def test_the_staff_api_lists_every_waiting_alert_with_its_rung_and_who_was_tried(
    client, pump, report_body, staff
):
    report_body["urgent"] = True
    reference = post_report(client, report_body).json_body["reference"]
    pump.run_until_idle()
    answer = staff("coordinator").get("/alerts/waiting?show=desk").json_body
    assert (answer["total"], answer["page"], answer["pages"]) == (1, 1, 1)
    (alert,) = answer["alerts"]
    assert (alert["reference"], alert["what"], alert["level"]) == (reference, "new_report", 0)
    assert {t["contact_id"] for t in alert["tried"]} >= {"south-ua-ombudsman", "ca-liaison"}
    assert 0 < alert["seconds_left"] <= 15 * 60 and alert["my_desk"]
    assert staff("coordinator").get("/alerts/waiting?show=nobody").status_code == 422
