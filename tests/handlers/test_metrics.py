"""Every function writes what its invocation counted as EMF lines when it ends (app.py's
middleware): CloudWatch makes them metrics. Read here from the functions' stdout."""

import json

from helpers import post_report


def _emf(out: str) -> list[dict]:
    return [json.loads(line) for line in out.splitlines() if line.startswith('{"_aws"')]


def test_a_report_its_deliveries_and_an_escalation_run_are_counted(
    client, pump, report_body, capsys
):
    capsys.readouterr()
    reference = post_report(client, report_body).json_body["reference"]
    (accepted,) = _emf(capsys.readouterr().out)
    assert accepted["ReportsAccepted"] == 1 and accepted["Stage"] == "local"
    pump.run_until_idle()
    documents = _emf(capsys.readouterr().out)
    sent = {}
    for document in documents:
        if "DeliveriesSent" in document:
            sent[document["Channel"]] = (
                sent.get(document["Channel"], 0) + document["DeliveriesSent"]
            )
    assert sent == {"email": 3, "sms": 2}
    assert sum(d.get("MatchesFound", 0) for d in documents) == 0
    pump.tick_escalation()
    (escalations,) = _emf(capsys.readouterr().out)
    assert escalations["Escalations"] == 0
    # Nothing about the case in any line: names, stage and channel only.
    assert all(reference not in json.dumps(d) for d in [*documents, accepted, escalations])
