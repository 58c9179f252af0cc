"""`make bench`: Homeward's speed, size and cost figures, each with the command behind it.

Timings are compared with a baseline measured in the same run (these machines are shared
and noisy), so the ratios are the figures to read; targets are printed beside them.

    python -m infra.bench                 # everything
    python -m infra.bench import package  # some of: import package calls throughput
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import json
import logging
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from infra.bench_alerting import bench_alert_latency
from infra.bench_evidence import bench_anchor
from infra.bench_imports import bench_bulk_import
from infra.bench_telegram import bench_telegram

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable


def heading(title: str, command: str) -> None:
    print(f"\n== {title}\n   $ {command}")


def _wall(code: str, env: dict[str, str] | None = None) -> float:
    start = time.perf_counter()
    subprocess.run([PY, "-c", code], cwd=ROOT, check=True, env={**os.environ, **(env or {})})
    return time.perf_counter() - start


def _first_call_imports(handler: str) -> list[str]:
    """The modules a handler of chalicelib/handlers.py imports when it first runs (its
    function-level `from ... import ...`, and those of the handlers' helpers it calls)."""
    import ast

    tree = ast.parse((ROOT / "chalicelib" / "handlers.py").read_text())
    functions = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}
    modules: list[str] = []
    seen: set[str] = set()
    todo = [handler]
    while todo:
        name = todo.pop()
        if name in seen or name not in functions:
            continue
        seen.add(name)
        for node in ast.walk(functions[name]):
            if isinstance(node, ast.ImportFrom) and node.module:
                for alias in node.names:
                    modules.append(f"from {node.module} import {alias.name}")
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                todo.append(node.func.id)
    return sorted(set(modules))


def _functions() -> list[tuple[str, str, str]]:
    """(function, what it serves, its first call's imports) for every Lambda function."""
    import app

    functions = [
        # The public function's busiest route: POST /api/v1/reports (chalicelib/web/public.py)
        ("public intake (PublicHandler)", "public", "import chalicelib.services.intake"),
        ("staff API and console (APIHandler)", "staff", ""),
        # The Telegram bot's webhook: checks the secret, queues the update (web/telegram.py).
        (
            "Telegram webhook (TelegramHandler)",
            "telegram",
            "import boto3; import chalicelib.adapters.telegram",
        ),
    ]
    for source in app.app.event_sources:
        imports = "; ".join(_first_call_imports(source.name))
        functions.append((source.name, "events", imports))
    return functions


def bench_import(rounds: int = 15) -> None:
    """Each function's cold start: what Lambda's init imports (app.py, registering only the
    routes the function serves: chalicelib/web/blueprints.py), and with what its first
    call imports, as ratios to chalice+boto3+pydantic measured in the same rounds."""
    reference_code = "import chalice, boto3, pydantic"
    heading(
        "import time of each Lambda function vs chalice+boto3+pydantic (whole process, "
        "median; init = `import app` with the function's HOMEWARD_SERVES)",
        f'HOMEWARD_SERVES=public {PY} -c "import app"  vs  {PY} -c "{reference_code}"',
    )
    functions = _functions()
    inits = {"all routes (the local runner)": ""} | {
        s: s for s in ("public", "staff", "events", "telegram")
    }
    codes: dict[str, tuple[str, dict[str, str]]] = {"reference": (reference_code, {})}
    for name, serves in inits.items():
        codes[f"init {name}"] = ("import app", {"HOMEWARD_SERVES": serves})
    for name, serves, imports in functions:
        if imports:
            codes[f"first call {name}"] = (f"import app; {imports}", {"HOMEWARD_SERVES": serves})
    # What the intake pays once more on its first report: sealing's cryptography.
    codes["first call public intake, with sealing"] = (
        "import app; import chalicelib.services.intake; from chalicelib.adapters import "
        "sealing; from cryptography.hazmat.primitives.ciphers.aead import AESGCM",
        {"HOMEWARD_SERVES": "public"},
    )
    for code, env in codes.values():
        _wall(code, env)  # warm the file cache and bytecode
    times: dict[str, list[float]] = {name: [] for name in codes}
    for _ in range(rounds):  # interleaved, so all see the same machine load
        for name, (code, env) in codes.items():
            times[name].append(_wall(code, env))
    median = {name: statistics.median(values) for name, values in times.items()}
    reference = median["reference"]

    def figure(name: str) -> str:
        if name not in median:
            return "-"
        return f"{median[name] * 1000:.0f} ms ({median[name] / reference:.2f})"

    print(f"   reference (chalice+boto3+pydantic): {reference * 1000:.0f} ms")
    print(f"   app with every route (local runner): {figure('init all routes (the local runner)')}")
    print(f"   {'function':<38} {'init (ratio)':<18} + its handler's own imports (ratio)")
    for name, serves, _ in functions:
        print(f"   {name:<38} {figure(f'init {serves}'):<18} {figure(f'first call {name}')}")
    print(
        "   first call of the public intake with sealing: "
        f"{figure('first call public intake, with sealing')}"
    )
    print(
        "   target: init <= 1.00 of the reference for the public intake and the dispatcher "
        "(dispatch_alerts); a handler's imports are paid on its first call, once per container"
    )
    bench_metrics_import(rounds)


def bench_metrics_import(rounds: int = 15) -> None:
    """What writing metrics adds to a cold start: the EMF adapter Homeward uses, and
    Powertools Metrics (when installed, e.g. `pip install aws-lambda-powertools` into a
    scratch --target on PYTHONPATH) which it was chosen against."""
    import importlib.util

    ours = "import app; from chalicelib.adapters.metrics import EmfMetrics"
    powertools = "import app; from aws_lambda_powertools import Metrics"
    heading("import time of app with metrics: EMF adapter (and Powertools Metrics)", ours)
    codes = {"app": "import app", "EMF adapter": ours}
    if importlib.util.find_spec("aws_lambda_powertools"):
        codes["Powertools Metrics"] = powertools
    for code in codes.values():
        _wall(code)
    times: dict[str, list[float]] = {name: [] for name in codes}
    for _ in range(rounds):
        for name, code in codes.items():
            times[name].append(_wall(code))
    base = statistics.median(times["app"])
    for name in codes:
        extra = statistics.median(times[name]) - base
        print(f"   {name}: {statistics.median(times[name]) * 1000:.0f} ms ({extra * 1000:+.0f} ms)")
    if "Powertools Metrics" not in codes:
        print("   Powertools Metrics: not installed (see this function's docstring to compare)")


def bench_package() -> None:
    """`make package` as on a fresh clone: Chalice reuses the dependencies it built before
    (.chalice/deployments), so the build runs in a copy of the project without them."""
    from infra import package
    from infra.package import sizes

    scratch = Path(tempfile.mkdtemp(prefix="homeward-package-"))
    project, out = scratch / "homeward", scratch / "out"
    heading(
        "Lambda deployment package, built as on a fresh clone (no Chalice cache)",
        f"cd {project} && {PY} -m infra.package --stage dev --out {out}",
    )
    left_out = shutil.ignore_patterns(".venv", ".git", "build", "deployments", "node_modules")
    shutil.copytree(ROOT, project, ignore=left_out)
    env = {
        **os.environ,
        "AWS_DEFAULT_REGION": os.environ.get("AWS_DEFAULT_REGION", "eu-central-1"),
        # The Python 3.13 venv that runs Chalice is this project's, made once.
        "HOMEWARD_BUILDER_VENV": str(package.builder_python().parent.parent),
    }
    start = time.perf_counter()
    subprocess.run(
        [PY, "-m", "infra.package", "--stage", "dev", "--out", str(out)],
        cwd=project,
        check=True,
        env=env,
        stdout=subprocess.DEVNULL,
    )
    elapsed = time.perf_counter() - start
    zipped, unzipped = sizes(out / "deployment.zip")
    print(f"   built in {elapsed:.0f} s (target <= 180 s, and no compiler run)")
    print(f"   deployment.zip {zipped / 1e6:.2f} MB zipped (target <= 15 MB)")
    print(f"   deployment.zip {unzipped / 1e6:.2f} MB unzipped (Lambda's limit: 250 MB)")
    shutil.rmtree(scratch)


def bench_calls() -> None:
    heading(
        "AWS API calls on the request path of one accepted report (botocore event hooks)",
        f"{PY} -m infra.bench calls",
    )
    from infra.local import emulator

    with emulator.in_process("bench", HOMEWARD_SIGNING_KEY="bench"):
        from chalice.test import Client

        import app
        from chalicelib import wiring

        calls: list[str] = []

        def count(event_name: str, **_: object) -> None:
            calls.append(event_name.split(".", 1)[1])

        body = (ROOT / "tests" / "data" / "contract_report.json").read_text()
        headers = {"Content-Type": "application/json"}
        for service in ("dynamodb", "sqs", "ses", "sns", "secretsmanager", "kms"):
            wiring.client(service).meta.events.register("before-call", count)
        with Client(app.app, stage_name="local") as client:
            for label in ("first report (cold)", "second report (warm)"):
                calls.clear()
                response = client.http.post("/api/v1/reports", headers=headers, body=body)
                assert response.status_code == 201, response.body
                print(
                    f"   {label}: {len(calls)} call(s): {', '.join(calls)} "
                    "(target <= 2: one KMS data key, one write)"
                )
            calls.clear()
            headers["Idempotency-Key"] = "bench-retry-0001"
            client.http.post("/api/v1/reports", headers=headers, body=body)
            calls.clear()
            client.http.post("/api/v1/reports", headers=headers, body=body)
            print(f"   idempotent retry: {len(calls)} call(s): {', '.join(calls)}")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def _local_runner(**env: str):
    """`python -m infra.local` on a free port, once it answers; yields its base URL and
    stops it as Ctrl-C does (killed if that takes over 30 s)."""
    port = _free_port()
    runner = subprocess.Popen(
        [PY, "-m", "infra.local"],
        cwd=ROOT,
        env={**os.environ, "PORT": str(port), **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                _request(f"{base}/healthz")
                break
            except OSError:
                if runner.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the local runner did not start") from None
                time.sleep(0.2)
        yield base
    finally:
        runner.send_signal(signal.SIGINT)
        try:
            runner.wait(timeout=30)
        except subprocess.TimeoutExpired:
            runner.kill()


def _request(url: str, data: bytes | None = None) -> tuple[int, bytes, float]:
    headers = {"Content-Type": "application/json"} if data else {}
    request = urllib.request.Request(url, data=data, headers=headers)  # noqa: S310
    start = time.perf_counter()
    with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 - loopback
        return response.status, response.read(), time.perf_counter() - start


def _load(url: str, bodies: list[bytes | None], concurrency: int) -> tuple[list, float]:
    start = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(max_workers=concurrency) as pool:
        results = list(pool.map(lambda b: _request(url, b), bodies))
    return results, time.perf_counter() - start


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def bench_throughput(reports: int = 1000, concurrency: int = 8) -> None:
    heading(
        f"{reports} reports posted to the local runner over loopback, {concurrency} at a time",
        f"{PY} -m infra.bench throughput",
    )
    from chalicelib.domain.places import OBLASTS
    from infra.local import emulator

    with _local_runner(HOMEWARD_RATE_LIMIT=str(10 * reports)) as base:
        _, baseline_seconds = _load(f"{base}/healthz", [None] * reports, concurrency)
        baseline_rate = reports / baseline_seconds

        example = json.loads((ROOT / "tests" / "data" / "contract_report.json").read_text())
        rng = random.Random(2022)
        oblasts = sorted(OBLASTS)
        bodies, chosen = [], []
        for i in range(reports):
            example["residence"]["oblast"] = oblast = rng.choice(oblasts)
            example["child"]["given_name"] = f"Дитина {i}"
            chosen.append(oblast)
            bodies.append(json.dumps(example).encode())
        results, seconds = _load(f"{base}/api/v1/reports", bodies, concurrency)
        latencies = [latency for _, _, latency in results]
        references = [json.loads(body)["reference"] for _, body, _ in results]
        assert all(status == 201 for status, _, _ in results)
        rate = reports / seconds
        print(
            f"   {rate:.0f} reports/s, p50 {_percentile(latencies, 50) * 1000:.0f} ms, "
            f"p99 {_percentile(latencies, 99) * 1000:.0f} ms"
        )
        print(
            f"   baseline GET /healthz on the same server: {baseline_rate:.0f} requests/s "
            f"-> reports at {rate / baseline_rate:.2f} of the baseline rate"
        )

        # Every report's alerts, as routing says they should be, must arrive.
        directory = emulator.read_directory()
        from chalicelib.domain.alerts import Alert
        from chalicelib.domain.disclosure import ConsentGiven

        # The example report consents to every sharing: routing reaches every desk it names.
        consent = ConsentGiven.everything()
        expected: set[tuple[str, str, str]] = set()
        for reference, oblast in zip(references, chosen, strict=True):
            stub = Alert(
                reference, "report-received", "deported", oblast, False, "RU", None, consent
            )
            expected |= {(reference, d.channel, d.address) for d in directory.route(stub)}
        start = time.perf_counter()
        delivered: set[tuple[str, str, str]] = set()
        while time.perf_counter() - start < 900:
            _, body, _ = _request(f"{base}/dev/outbox")
            delivered = set()
            for message in json.loads(body)["messages"]:
                reference = (
                    message["body"].split("HW-", 1)[1][:9] if "HW-" in message["body"] else ""
                )
                delivered.add((f"HW-{reference}", message["channel"], message["to"]))
            if expected <= delivered:
                break
            time.sleep(5)  # each look at the outbox loads the emulator too
        drained = time.perf_counter() - start
        lost = expected - delivered
        duplicates = len(json.loads(body)["messages"]) - len(delivered)
        print(
            f"   {len(expected)} alerts expected, {len(expected & delivered)} delivered "
            f"{drained:.0f} s after the last report: {len(lost)} lost (target 0), "
            f"{duplicates} sent twice"
        )


def bench_paging(sizes: tuple[int, ...] = (1_000, 50_000)) -> None:
    heading(
        "DynamoDB calls and items read for one page of 50 cases, and for the console's "
        "inbox, a case page and a name search, by table size",
        f"{PY} -m infra.bench paging",
    )
    import datetime as dt

    from infra.local import emulator

    with emulator.in_process("bench", seed_contacts=False, HOMEWARD_SIGNING_KEY="bench"):
        from chalicelib import wiring
        from chalicelib.domain.alerts import Alert
        from chalicelib.domain.case import Case, new_reference
        from chalicelib.domain.casefile import Filters
        from chalicelib.domain.matching import blocking_keys
        from chalicelib.domain.names import name_groups
        from chalicelib.domain.report import Report, identity_of
        from chalicelib.domain.search import index_keys
        from chalicelib.domain.staff import StaffMember
        from chalicelib.services import casework, matching
        from chalicelib.services.access import Caller

        example = json.loads((ROOT / "tests" / "data" / "contract_report.json").read_text())
        rng = random.Random(2014)
        given = [(g.forms[0], g.sex) for g in name_groups().values()]
        surnames = [
            "Ковальчук",
            "Шевченко",
            "Бондаренко",
            "Ткаченко",
            "Мельник",
            "Кравченко",
            "Олійник",
            "Поліщук",
            "Лисенко",
            "Руденко",
            "Савченко",
            "Марченко",
        ]

        def someone() -> Report:
            """A child with a common name: the blocking keys see realistic collisions."""
            name, sex = rng.choice(given)
            body = json.loads(json.dumps(example))
            body["child"].update(
                family_name=rng.choice(surnames) + rng.choice(["", "", "ова", "ий"]),
                given_name=name,
                patronymic=None,
                other_names=[],
                sex=sex if sex in ("female", "male") else "unknown",
                date_of_birth=f"{rng.randint(2005, 2021)}-{rng.randint(1, 12):02d}-"
                f"{rng.randint(1, 28):02d}",
            )
            return Report.model_validate(body)

        stores = wiring.stores()
        calls: list[str] = []
        wiring.client("dynamodb").meta.events.register(
            "before-call", lambda event_name, **_: calls.append(event_name)
        )
        start = dt.datetime(2023, 1, 1, tzinfo=dt.UTC)
        scenarios = {
            "coordinator, all cases": (
                Caller(StaffMember("c", "coordinator", "UA-NIB"), "b"),
                Filters(),
            ),
            "coordinator, status=received": (
                Caller(StaffMember("c", "coordinator", "UA-NIB"), "b"),
                Filters(status="received"),
            ),
            "caseworker, own mandate": (
                Caller(StaffMember("w", "caseworker", "UA-NIB"), "b"),
                Filters(),
            ),
        }
        written = 0
        for size in sizes:
            begun = time.perf_counter()
            while written < size:
                report = someone()
                case = Case(new_reference(), start + dt.timedelta(minutes=written), report)
                # As intake and the dispatcher write it: the case, its alert waiting to be
                # acknowledged, its blocking and search keys, and the mandate of the agency
                # it was routed to.
                uow = stores.unit_of_work()
                stores.cases.open(uow, case)
                stores.alerts.add(
                    uow,
                    Alert.for_new_case(case),
                    acknowledge_by=case.received_at + dt.timedelta(days=1),
                )
                stores.match_index.add(
                    uow, case.reference, case.received_at, blocking_keys(identity_of(report))
                )
                stores.search.add(
                    uow, case.reference, case.received_at, index_keys(identity_of(report))
                )
                uow.commit()
                uow = stores.unit_of_work()
                stores.mandates.grant(uow, case.reference, case.received_at, ["UA-NIB"])
                uow.commit()
                written += 1
            print(f"   {size} cases in the table (filled in {time.perf_counter() - begun:.0f} s):")
            for label, (caller, filters) in scenarios.items():
                calls.clear()
                page = casework.list_cases(caller, filters, stores=stores, limit=50)
                kinds = ", ".join(
                    f"{calls.count(c)}x {c.rsplit('.', 1)[1]}" for c in dict.fromkeys(calls)
                )
                print(
                    f"     {label}: {len(page.cases)} cases, {page.items_read} items read, "
                    f"{len(calls)} calls ({kinds})"
                )
            # Matching a new report: the candidate lookup, not the pairs it then stores.
            newcomer = someone()
            calls.clear()
            found = matching.find_matches(new_reference(), newcomer, stores=stores)
            lookups = [c for c in calls if c.endswith(("Query", "BatchGetItem"))]
            print(
                f"     matching a new report: {len(lookups)} lookups "
                f"({sum(c.endswith('.Query') for c in lookups)} queries for "
                f"{found.queries} blocking keys, "
                f"{sum(c.endswith('.BatchGetItem') for c in lookups)} batch reads), "
                f"{found.candidates} candidates scored"
            )
            console_pages(calls, case.reference, report)


# KMU 2010, Ukraine's official transliteration: how an NGO abroad writes a child's name.
LATIN = dict(
    zip(
        "абвгґдеєжзиіїйклмнопрстуфхцчшщьюя'",
        (
            *("a", "b", "v", "h", "g", "d", "e", "ie", "zh", "z", "y", "i", "i", "i", "k", "l"),
            *("m", "n", "o", "p", "r", "s", "t", "u", "f", "kh", "ts", "ch", "sh", "shch"),
            *("_", "iu", "ia", "_"),
        ),
        strict=True,
    )
)


def latin(name: str) -> str:
    return "".join(LATIN.get(c, c) for c in name.lower()).replace("_", "").title()


def console_pages(calls: list[str], reference: str, report) -> None:
    """The console's pages as a browser asks for them (in process, signed in): DynamoDB
    calls and items read, once the directory and staff names are cached (the first
    request of a function pays a query for each), and their size compressed."""
    import gzip
    import re

    from chalice.test import Client

    import app
    from chalicelib import wiring
    from chalicelib.adapters.tokens import ensure_dev_key
    from chalicelib.web.console import render
    from infra.local import emulator

    ensure_dev_key(wiring.settings().dev_key_file)
    if not wiring.stores().directory.read().contacts:
        emulator.seed()
    read: list[int] = []

    def count(parsed: dict, **_: object) -> None:
        items = len(parsed.get("Items", []))
        items += sum(len(v) for v in (parsed.get("Responses") or {}).values())
        read.append(items + (1 if "Item" in parsed else 0))

    wiring.client("dynamodb").meta.events.register("after-call.dynamodb", count)
    css = len(gzip.compress(render.static_file("console.css")[0].encode()))
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    with Client(app.app, stage_name="local") as client:
        signed = client.http.post(
            "/staff/sign-in", headers=form, body="subject=demo-olena-koval&next=staff"
        )
        jar = {"Cookie": signed.headers["Set-Cookie"][0].split(";")[0]}
        client.http.get("/staff", headers=jar)  # warms the caches
        token = ""
        for label, method, path in (
            ("inbox (50 cases shown at most)", "GET", "/staff"),
            ("case page", "GET", f"/staff/cases/{reference}"),
            ("name search (Latin letters)", "POST", "/staff/search"),
        ):
            calls.clear()
            read.clear()
            if method == "GET":
                page = client.http.get(path, headers=jar)
                token = re.search(rb'name="csrf" value="([^"]+)"', page.body).group(1).decode()
            else:
                child = report.child
                typed = f"{latin(child.family_name)} {latin(child.given_name)}"
                body = f"csrf={token}&q={typed.replace(' ', '+')}"
                page = client.http.post(path, headers={**form, **jar}, body=body)
            assert page.status_code == 200, (label, page.status_code)
            kinds = ", ".join(
                f"{calls.count(c)}x {c.rsplit('.', 1)[1]}" for c in dict.fromkeys(calls)
            )
            size = len(gzip.compress(page.body)) + css
            print(
                f"     console {label}: {len(calls)} calls ({kinds}), {sum(read)} items read, "
                f"{size / 1024:.1f} KB gzipped with its stylesheet (target < 100 KB)"
            )
    wiring.client("dynamodb").meta.events.unregister("after-call.dynamodb", count)


def bench_sender(reports: int = 200) -> None:
    heading(
        "deliveries per second through the sender against moto, and AWS calls per delivery",
        f"{PY} -m infra.bench sender",
    )
    import collections

    from infra.local import emulator

    with emulator.in_process(
        "bench", HOMEWARD_SIGNING_KEY="bench", HOMEWARD_RATE_LIMIT=str(10 * reports)
    ) as outputs:
        from chalice.test import Client

        import app
        from chalicelib import wiring
        from infra.local.pump import EventPump

        pump = EventPump(app, outputs, emulator.REGION)
        body = (ROOT / "tests" / "data" / "contract_report.json").read_text()
        with Client(app.app, stage_name="local") as client:
            for i in range(reports):
                client.http.post(
                    "/api/v1/reports",
                    headers={"Content-Type": "application/json"},
                    body=body.replace("Олександр", f"Олександр {i}"),
                )
        while pump.pump_stream():
            pass
        calls: collections.Counter[str] = collections.Counter()

        def count(event_name: str, **_: object) -> None:
            calls[event_name.split(".", 1)[1]] += 1

        for service in ("dynamodb", "sqs", "ses", "sns"):
            wiring.client(service).meta.events.register("before-call", count)
        pump_client = pump._sqs
        pump_client.meta.events.register("before-call", count)
        start = time.perf_counter()
        delivered = 0
        while moved := pump.pump_queue():
            delivered += moved
        seconds = time.perf_counter() - start
        sender_calls = dict(calls)

        # Baseline: the emulated SES alone, in the same process, one e-mail at a time.
        ses = wiring.client("ses")
        begun = time.perf_counter()
        for _ in range(200):
            ses.send_email(
                Source=emulator.ALERT_SENDER,
                Destination={"ToAddresses": ["bench@example.org"]},
                Message={"Subject": {"Data": "b"}, "Body": {"Text": {"Data": "b"}}},
            )
        baseline = 200 / (time.perf_counter() - begun)
        rate = delivered / seconds
        print(
            f"   {delivered} deliveries in {seconds:.1f} s: {rate:.0f}/s; bare SES sends in the "
            f"same process {baseline:.0f}/s -> sender at {rate / baseline:.2f} of it"
        )
        per = {op: n / delivered for op, n in sorted(sender_calls.items())}
        dynamo = sum(v for k, v in per.items() if k.startswith("dynamodb."))
        sqs = sum(v for k, v in per.items() if k.startswith("sqs."))
        print(f"   per delivery: {dynamo:.2f} DynamoDB calls, {sqs:.2f} SQS calls")
        for op, value in per.items():
            print(f"     {op}: {value:.2f}")


def bench_flood(reports: int = 60, flood_per_report: int = 10) -> None:
    heading(
        f"the public intake while one source floods it: {reports} reports from others, "
        f"{flood_per_report} flood posts between each two (chalice's test client on moto)",
        f"{PY} -m infra.bench flood",
    )
    import random

    from chalice.local import LambdaEventConverter

    from infra.local import emulator

    with emulator.in_process("bench", seed_contacts=False, HOMEWARD_SIGNING_KEY="bench"):
        from chalice.test import Client

        import app
        from chalicelib import wiring

        limit = wiring.settings().rate_limit
        body = (ROOT / "tests" / "data" / "contract_report.json").read_text()
        rng = random.Random(23)
        flooders = {
            "one IPv4 address": lambda: "203.0.113.66",
            # A new address of its /64 for every post: what walked past WAF's per-address
            # count; the app counts the /64.
            "an IPv6 /64, a new address each post": lambda: (
                f"2001:db8:66:1:{rng.getrandbits(16):x}:{rng.getrandbits(16):x}"
                f":{rng.getrandbits(16):x}:{rng.getrandbits(16):x}"
            ),
        }

        def post(client, source: str, text: str) -> int:
            LambdaEventConverter.LOCAL_SOURCE_IP = source
            answer = client.http.post(
                "/api/v1/reports", headers={"Content-Type": "application/json"}, body=text
            )
            return answer.status_code

        def others(client, run: int, flooder=None) -> tuple[int, int, int, float]:
            accepted = flood_accepted = flood_refused = 0
            start = time.perf_counter()
            for i in range(reports):
                # Each reporter its own address (a documentation range, never a real one).
                source = f"198.51.{100 + run}.{i % 250 + 1}"
                text = body.replace("Олександр", f"Олександр {run}-{i}")
                accepted += post(client, source, text) == 201
                for _ in range(flood_per_report if flooder else 0):
                    status = post(client, flooder(), text)
                    flood_accepted += status == 201
                    flood_refused += status == 429
            return accepted, flood_accepted, flood_refused, time.perf_counter() - start

        try:
            with Client(app.app, stage_name="local") as client:
                accepted, _, _, seconds = others(client, 0)
                baseline = accepted / seconds * 60
                print(
                    f"   baseline, no flood: {accepted}/{reports} accepted, "
                    f"{baseline:.0f} reports/min from others"
                )
                for run, (name, flooder) in enumerate(flooders.items(), start=1):
                    accepted, flooded, refused, seconds = others(client, run, flooder)
                    rate = accepted / seconds * 60
                    print(
                        f"   flood from {name}: {accepted}/{reports} of others' reports "
                        f"accepted, {rate:.0f}/min ({rate / baseline:.2f} of the baseline, "
                        f"the machine shared with {reports * flood_per_report} flood posts); "
                        f"the flood: {flooded} accepted (its allowance: {limit} per "
                        f"{wiring.settings().rate_window_seconds // 60} min), {refused} refused"
                    )
        finally:
            LambdaEventConverter.LOCAL_SOURCE_IP = "127.0.0.1"


def bench_faults(reports: int = 500) -> None:
    test = (
        "tests/handlers/test_delivery_guarantees.py"
        "::test_reports_with_30_percent_transient_failures"
    )
    heading(
        f"{reports} reports against moto with 30% of e-mails and SMS failing: every delivery "
        "sent once or parked",
        f"FAULT_REPORTS={reports} {PY} -m pytest -q {test}",
    )
    start = time.perf_counter()
    result = subprocess.run(
        [PY, "-m", "pytest", "-q", test],
        cwd=ROOT,
        env={**os.environ, "FAULT_REPORTS": str(reports)},
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - start
    outcome = "passed" if result.returncode == 0 else "FAILED"
    print(f"   {outcome} in {seconds:.0f} s ({reports * 5} deliveries)")
    if result.returncode:
        print(result.stdout[-3000:])


# The suite runs these small (make test stays under 6 minutes); here at full size.
FULL_SIZE = [
    (
        "the staff API's state machine, 5 examples of 30 steps",
        {"HOMEWARD_FUZZ_EXAMPLES": "5", "HOMEWARD_FUZZ_STEPS": "30"},
        "tests/e2e/test_staff_state_machine.py",
    ),
    (
        "the OpenAPI document: schemathesis's coverage phase whole (every wrong type of every "
        "field, undeclared methods) and 20 random cases an operation",
        {"HOMEWARD_OPENAPI_COVERAGE": "all", "HOMEWARD_OPENAPI_EXAMPLES": "20"},
        "tests/e2e/test_openapi_fuzz.py",
    ),
    (
        "500 reports on the fakes with 30% of sends failing: every delivery sent once or parked",
        {"ALERTING_REPORTS": "500"},
        "tests/services/test_alerting.py::test_reports_with_30_percent_transient_failures",
    ),
]


def bench_fuzz() -> None:
    for title, env, test in FULL_SIZE:
        settings = " ".join(f"{name}={value}" for name, value in env.items())
        heading(title, f"{settings} {PY} -m pytest -q -n 0 {test}")
        start = time.perf_counter()
        result = subprocess.run(
            [PY, "-m", "pytest", "-q", "-n", "0", test],
            cwd=ROOT,
            env={**os.environ, **env},
            capture_output=True,
            text=True,
        )
        seconds = time.perf_counter() - start
        print(f"   {'passed' if result.returncode == 0 else 'FAILED'} in {seconds:.0f} s")
        if result.returncode:
            print(result.stdout[-3000:])


def bench_matching_scale(sizes: tuple[int, ...] = (1_000, 10_000, 50_000, 100_000)) -> None:
    heading(
        "matching at registry scale: candidate recall of a second report of the same child, "
        "and what each lookup costs (in-memory store answering queries by key)",
        f"{PY} -m infra.bench matching-scale",
    )
    import datetime as dt

    sys.path.insert(0, str(ROOT / "tests"))
    from fakes import fake_stores

    from chalicelib.services.matching import MAX_CANDIDATES
    from infra.population import Population, fill, measure

    population = Population()
    start = dt.datetime(2022, 3, 1, tzinfo=dt.UTC)
    people = list(population.people(max(sizes), start))
    stores = fake_stores()
    filled = 0
    for size in sizes:
        fill(stores, people[filled:size])
        filled = size
        results = measure(stores, population, people[:size], probes=300)
        print(f"   {size:,} cases:")
        for name, r in results.items():
            print(
                f"     {name:<36} recall {r.recall:.3f} ({r.found}/{r.probes}); queries <= "
                f"{r.max_queries}, candidates <= {r.max_candidates} (mean "
                f"{r.candidates / r.probes:.0f}; cap {MAX_CANDIDATES})"
            )
    print("   target: recall >= 0.99 for every kind at 100,000 cases")


def bench_cost() -> None:
    heading(
        "a month's cost: a pilot (300 reports, 20 staff) and registry scale (20,000 reports), "
        "from what reports measured on the fakes use and the dated prices in "
        "infra/data/prices.json",
        f"{PY} -m infra.bench cost",
    )
    from infra.costs import estimate, measure, prices

    logging.getLogger("homeward").setLevel(logging.ERROR)  # the escalations' warnings

    for policy, escalated, title in (
        (False, False, "without an SMS policy (every alert by SMS too, Cyrillic)"),
        (False, True, "without an SMS policy, nobody acknowledging: one escalation each"),
        (
            True,
            True,
            "with the deployed SMS policy (urgent and escalations, one Latin part), "
            "nobody acknowledging: one escalation each",
        ),
        (True, False, "with the deployed SMS policy, every alert acknowledged in time"),
    ):
        usage = measure(policy=policy, escalated=escalated)
        messages = usage.emails + usage.sms_messages
        parts = sum(usage.sms_parts.values())
        each = usage.reports
        print(f"   {title}")
        print(
            f"   per report: {messages / each:.2f} messages ({usage.emails / each:.2f} e-mails, "
            f"{usage.sms_messages / each:.2f} SMS in {parts / each:.2f} parts); prices as of "
            f"{prices()['as_of']}"
        )
        for label, reports, staff in (("pilot", 300, 20), ("registry scale", 20_000, 60)):
            result = estimate(usage, reports, staff)
            print(
                f"   {label}: {result.total:,.0f} USD a month, {result.per_report:.3f} USD a "
                f"report (SMS {result.sms / result.total:.0%} of it)"
            )
            if policy and escalated:
                for line, amount in sorted(result.lines.items(), key=lambda kv: -kv[1]):
                    print(f"     {line:<38} {amount:>10,.2f}")
    print("   target: at most 0.15 USD a report at 20,000 reports a month (with the policy)")


def bench_weight() -> None:
    heading(
        "the report form's page as a browser receives it, with and without compression",
        f"{PY} -m infra.bench weight",
    )
    import gzip
    from urllib.parse import urljoin

    with _local_runner() as base:
        form = f"{base}/?lang=uk"
        page = _fetch(form, gzip_ok=False)
        # The page names its assets relative to itself (./static/...), as behind API
        # Gateway's stage path.
        links = re.findall(r'(?:href|src)="([^"]*static/[^"]+)"', page.decode())
        for label, gzip_ok in (("uncompressed", False), ("gzip", True)):
            sizes = {"page": len(_fetch(form, gzip_ok=gzip_ok, raw=True))}
            for link in links:
                asset = urljoin(form, link)
                sizes[asset.removeprefix(base).split("?")[0]] = len(
                    _fetch(asset, gzip_ok=gzip_ok, raw=True)
                )
            parts = ", ".join(f"{name} {size / 1000:.1f} kB" for name, size in sizes.items())
            print(f"   {label:>12}: {sum(sizes.values()) / 1000:.1f} kB on the wire ({parts})")
        squeezed = len(gzip.compress(page)) / 1000
        print(f"   the HTML alone is {len(page) / 1000:.1f} kB, {squeezed:.1f} kB gzipped")


def _fetch(url: str, *, gzip_ok: bool, raw: bool = False) -> bytes:
    """A response body as it came over the wire (raw) or decoded."""
    import gzip

    headers = {"Accept-Encoding": "gzip"} if gzip_ok else {}
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 - loopback
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        body = response.read()
        if not raw and response.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        return body


BENCHES = {
    "weight": bench_weight,
    "import": bench_import,
    "metrics-import": bench_metrics_import,
    "package": bench_package,
    "calls": bench_calls,
    "throughput": bench_throughput,
    "paging": bench_paging,
    "sender": bench_sender,
    "faults": bench_faults,
    "fuzz": bench_fuzz,
    "flood": bench_flood,
    "cost": bench_cost,
    "matching-scale": bench_matching_scale,
    "bulk-import": lambda rows=20_000: bench_bulk_import(rows),
    "alert-latency": lambda count=20: bench_alert_latency(count, runner=_local_runner),
    "telegram": bench_telegram,
    "anchor": lambda items=20_000: bench_anchor(items),
}


def main(argv: list[str]) -> int:
    """Run the named benches (all by default); `throughput=200` sets the number of reports."""
    for name in argv or list(BENCHES):
        name, _, count = name.partition("=")
        counted = ("throughput", "faults", "bulk-import", "alert-latency", "anchor")
        BENCHES[name](*([int(count)] if count and name in counted else []))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
