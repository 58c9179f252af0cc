"""The restore runbook (README, "Operating"), rehearsed in moto: a case deleted by mistake
comes back from point-in-time recovery, deliveries and all, and nothing is sent twice.

moto's RestoreTableToPointInTime copies the table as it is when called (it ignores the
time), so here the restore is taken before the mistake; in AWS it is taken after, as of
a moment before it. Everything else is the runbook's own code."""

import datetime as dt
import re

import boto3
from helpers import post_report

from chalicelib import wiring
from infra import restore


def test_a_case_deleted_by_mistake_is_restored_and_its_alerts_not_sent_again(
    client, aws, pump, report_body, capsys
):
    reference = post_report(client, report_body).json_body["reference"]
    pump.run_until_idle()
    before = wiring.stores().cases.get(reference)
    sent = len(wiring.stores().deliveries.of_case(reference))
    assert before is not None and sent
    at = dt.datetime.now(dt.UTC).isoformat()
    capsys.readouterr()
    assert restore.main(["--stage", "local", "--at", at, reference]) == 0
    restored = re.search(r"restored as of \S+: (\S+)", capsys.readouterr().out).group(1)
    assert restored.startswith("homeward-local-cases-restored-")

    # The mistake: the case's whole partition deleted.
    dynamodb = boto3.client("dynamodb")
    table = aws["TableName"]
    for sk in list(restore._partition(dynamodb, table, reference)):
        dynamodb.delete_item(
            TableName=table, Key={"pk": {"S": f"CASE#{reference}"}, "sk": {"S": sk}}
        )
    assert wiring.stores().cases.get(reference) is None

    args = ["--stage", "local", "--at", at, "--restored", restored]
    assert restore.main([*args, reference]) == 0
    out = capsys.readouterr().out
    assert f"{reference}: " in out and "nothing written" in out
    assert wiring.stores().cases.get(reference) is None  # only shown, until --apply
    assert restore.main([*args, "--apply", reference]) == 0
    assert "written back" in capsys.readouterr().out
    assert wiring.stores().cases.get(reference) == before
    assert len(wiring.stores().deliveries.of_case(reference)) == sent

    # Written back, the alert reaches the dispatcher again; its deliveries are all
    # settled, so nobody is alerted twice.
    emails = len(pump_sent(aws))
    pump.run_until_idle()
    assert len(pump_sent(aws)) == emails
    # And a second run finds nothing left to bring back.
    assert restore.differences(dynamodb, "local", restored, reference) == []


def pump_sent(aws):
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    from infra.local.emulator import REGION

    return list(ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages)
