"""What ships: requirements.txt derived from pyproject.toml, and the merged CloudFormation."""

import json
import zipfile
from pathlib import Path

import pytest

from infra import package, requirements


def test_requirements_txt_is_derived_from_pyproject():
    assert (requirements.ROOT / "requirements.txt").read_text() == requirements.render()
    assert "boto3" not in requirements.render()  # the Lambda runtime provides it


def _chalice_names():
    import app

    names = {"APIHandler"}
    for source in app.app.event_sources:
        names.add("".join(part.capitalize() for part in source.name.split("_")))
    return names


def test_every_function_chalice_builds_gets_its_environment_policy_and_sources():
    merged = package.merge_template("dev")["Resources"]
    functions = _chalice_names()
    assert functions == {
        "APIHandler",
        "DispatchAlerts",
        "FindMatches",
        "SendDeliveries",
        "RequeueStaleDeliveries",
        "EscalateUnacknowledged",
        "SendDailyDigest",
    }
    for function in functions:
        assert "HOMEWARD_TABLE" in merged[function]["Properties"]["Environment"]["Variables"]
        role = "ApiHandlerRole" if function == "APIHandler" else f"{function}Role"
        assert merged[role]["Properties"]["Policies"]


def test_stream_and_queue_sources_report_partial_failures_and_park_poison():
    merged = package.merge_template("dev")["Resources"]
    for function, kind in (("DispatchAlerts", "alert"), ("FindMatches", "case")):
        (source,) = merged[function]["Properties"]["Events"].values()
        properties = source["Properties"]
        assert properties["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
        assert properties["MaximumRetryAttempts"] == package.STREAM_RETRIES
        assert properties["BisectBatchOnFunctionError"] is True
        assert "OnFailure" in properties["DestinationConfig"]
        pattern = json.loads(properties["FilterCriteria"]["Filters"][0]["Pattern"])
        assert pattern["dynamodb"]["NewImage"]["kind"]["S"] == [kind]
    (queue,) = merged["SendDeliveries"]["Properties"]["Events"].values()
    assert queue["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]


def test_the_audit_table_can_only_be_appended_to_and_read():
    merged = package.merge_template("dev")["Resources"]
    audit = {"Fn::GetAtt": ["AuditTable", "Arn"]}
    allowed = set()
    for role, statements in package.POLICIES.items():
        for statement in statements:
            if audit in statement["Resource"]:
                assert statement["Resource"] == [audit], role
                allowed |= set(statement["Action"])
    assert allowed == {"dynamodb:PutItem", "dynamodb:Query"}
    assert merged["AuditTable"]["Properties"]["DeletionProtectionEnabled"] is True


def test_delivery_attempts_match_the_queues_redrive_policy():
    from chalicelib.services.delivery import MAX_ATTEMPTS

    template = package.load_template()
    redrive = template["Resources"]["DeliveryQueue"]["Properties"]["RedrivePolicy"]
    assert redrive["maxReceiveCount"] == MAX_ATTEMPTS


def test_operators_are_paged_when_alerting_itself_is_in_trouble():
    merged = package.merge_template("dev")["Resources"]
    alarms = {name: r for name, r in merged.items() if r.get("Type") == "AWS::CloudWatch::Alarm"}
    watched = {
        (a["Properties"]["MetricName"], json.dumps(a["Properties"]["Dimensions"][0]["Value"]))
        for a in alarms.values()
    }
    for queue in ("DeliveryDeadLetterQueue", "StreamFailureQueue"):
        assert any(m == "ApproximateNumberOfMessagesVisible" and queue in v for m, v in watched), (
            queue
        )
    for function in ("DispatchAlerts", "SendDeliveries", "EscalateUnacknowledged"):
        assert ("Errors", json.dumps({"Ref": function})) in watched, function
    for alarm in alarms.values():
        assert alarm["Properties"]["AlarmActions"] == [{"Ref": "OperatorsTopic"}]


def test_the_deployed_template_has_no_emulation_switch():
    merged = package.merge_template("dev")
    assert "Emulated" not in merged["Parameters"]
    assert "InAws" not in merged.get("Conditions", {})
    assert not [name for name, r in merged["Resources"].items() if "Condition" in r]
    # The local runner still deploys the switch, to leave out what moto cannot create.
    template = package.load_template()
    assert template["Parameters"]["Emulated"]["Default"] == "false"
    assert template["Resources"]["SigningKey"]["Condition"] == "InAws"


LIBSTDCXX = Path("/usr/lib/x86_64-linux-gnu/libstdc++.so.6")


def test_the_native_library_check_refuses_what_was_built_on_this_host(tmp_path):
    if not LIBSTDCXX.exists():
        pytest.skip(f"no host library to check against ({LIBSTDCXX})")
    deployment = tmp_path / "deployment.zip"
    with zipfile.ZipFile(deployment, "w") as archive:
        # what Chalice packages when it compiles an sdist here: a linux_x86_64 wheel
        # whose libraries need this host's glibc
        archive.write(LIBSTDCXX, "fuzzy/_native.cpython-311-x86_64-linux-gnu.so")
        archive.writestr(
            "fuzzy-1.0.dist-info/WHEEL",
            "Wheel-Version: 1.0\nRoot-Is-Purelib: false\nTag: cp311-cp311-linux_x86_64\n",
        )
        archive.writestr(
            "wide-1.0.dist-info/WHEEL",
            "Wheel-Version: 1.0\nRoot-Is-Purelib: false\n"
            "Tag: cp311-cp311-manylinux_2_27_x86_64\nTag: cp311-cp311-manylinux_2_28_x86_64\n",
        )
        archive.writestr(
            "old-1.0.dist-info/WHEEL",
            "Wheel-Version: 1.0\nRoot-Is-Purelib: false\nTag: cp311-abi3-manylinux2014_x86_64\n",
        )
        archive.writestr(
            "pure-1.0.dist-info/WHEEL",
            "Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
        )
    problems = package.check_package(deployment)
    assert any(p.startswith("fuzzy/_native") and "GLIBC_2." in p for p in problems)
    assert any(p.startswith("fuzzy-1.0.dist-info") and "linux_x86_64" in p for p in problems)
    assert any(p.startswith("wide-1.0.dist-info") for p in problems)
    assert not any(p.startswith(("old-", "pure-")) for p in problems)
    # and requirements.txt's packages are all missing from this one
    assert any(p.startswith("rapidfuzz: not in the package") for p in problems)
