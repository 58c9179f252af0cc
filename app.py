"""Homeward's Lambda functions. Wiring only: each handler is one call into chalicelib."""

import logging
import os

from chalice import Chalice, Cron, Rate

from chalicelib import handlers
from chalicelib.web import blueprints, http, problems

app = Chalice(app_name="homeward")
app.log.setLevel(logging.INFO)
# The report form sent without JavaScript carries its photos: API Gateway must pass such
# a body to the function base64-encoded, byte for byte, not as text (chalicelib/web/form.py).
app.api.binary_types.append("multipart/form-data")
# Each function registers only the routes it serves, and imports only their pages and
# models (chalicelib/web/blueprints.py); unset, as locally, everything.
for blueprint in blueprints.serving(os.environ.get("HOMEWARD_SERVES")):
    app.register_blueprint(blueprint)
# Every route inside the one error boundary: problem+json or an error page, never
# Chalice's own 500 with a logged traceback.
problems.guard_routes(app)
# What each invocation counted is written as it ends (chalicelib/adapters/metrics.py).
app.register_middleware(handlers.flush_metrics, "all")
# HSTS, nosniff and a policy on every answer, static files and refusals included.
app.register_middleware(http.security_headers_everywhere, "http")

# The stream and queue ARNs here are placeholders: infra/package.py points each event
# source at the resources of infra/template.yaml in the merged CloudFormation. They are
# plain strings on purpose: Chalice's merge keeps both keys when one intrinsic ({"Fn::Sub"},
# which `queue=` produces) meets another ({"Fn::GetAtt"}), and CloudFormation refuses that;
# a string is simply replaced. tests/infra/test_packaging.py checks none survives the merge.
CASES_STREAM = "arn:aws:dynamodb:eu-central-1:000000000000:table/placeholder/stream/infra"
DELIVERY_QUEUE = "arn:aws:sqs:eu-central-1:000000000000:placeholder-infra"
WEBHOOK_QUEUE = "arn:aws:sqs:eu-central-1:000000000000:placeholder-webhooks-infra"
DELIVERY_EVENTS = "arn:aws:sns:eu-central-1:000000000000:placeholder-infra"
SMS_REPLIES = "arn:aws:sns:eu-central-1:000000000000:placeholder-sms-replies-infra"
TELEGRAM_QUEUE = "arn:aws:sqs:eu-central-1:000000000000:placeholder-telegram-infra.fifo"


@app.on_dynamodb_record(stream_arn=CASES_STREAM, batch_size=25, starting_position="TRIM_HORIZON")
def dispatch_alerts(event):
    return handlers.dispatch_alerts(event)


# The stream's second and last reader (DynamoDB Streams throttle above two per shard):
# new cases matched, withdrawals carried out, webhooks queued.
@app.on_dynamodb_record(stream_arn=CASES_STREAM, batch_size=10, starting_position="TRIM_HORIZON")
def follow_up_new_items(event):
    return handlers.follow_up_new_items(event)


@app.on_sqs_message(queue_arn=DELIVERY_QUEUE, batch_size=10)
def send_deliveries(event):
    return handlers.send_deliveries(event)


@app.on_sqs_message(queue_arn=WEBHOOK_QUEUE, batch_size=10)
def send_webhooks(event):
    return handlers.send_webhooks(event)


@app.on_sns_message(topic=DELIVERY_EVENTS)
def record_delivery_events(event):
    return handlers.record_delivery_events(event)


@app.on_sns_message(topic=SMS_REPLIES)
def record_sms_replies(event):
    return handlers.record_sms_replies(event)


@app.schedule(Rate(1, unit=Rate.MINUTES))
def requeue_stale_deliveries(event):
    return handlers.requeue_stale_deliveries(event)


@app.schedule(Rate(1, unit=Rate.MINUTES))
def escalate_unacknowledged(event):
    return handlers.escalate_unacknowledged(event)


@app.schedule(Cron(0, 6, "*", "*", "?", "*"))
def send_daily_digest(event):
    return handlers.send_daily_digest(event)


@app.schedule(Cron(30, 0, "*", "*", "?", "*"))
def anchor_custody(event):
    return handlers.anchor_custody(event)


@app.schedule(Rate(1, unit=Rate.MINUTES))
def send_import_digests(event):
    return handlers.send_import_digests(event)


@app.schedule(Rate(1, unit=Rate.HOURS))
def anonymise_expired(event):
    return handlers.anonymise_expired(event)


@app.schedule(Rate(1, unit=Rate.HOURS))
def alert_overdue_follow_ups(event):
    return handlers.alert_overdue_follow_ups(event)


# The Telegram bot (README "Telegram"): updates its webhook queued, one chat's in order.
@app.on_sqs_message(queue_arn=TELEGRAM_QUEUE, batch_size=10)
def handle_telegram_updates(event):
    return handlers.handle_telegram_updates(event)


@app.schedule(Rate(1, unit=Rate.MINUTES))
def tidy_telegram_chats(event):
    return handlers.tidy_telegram_chats(event)
