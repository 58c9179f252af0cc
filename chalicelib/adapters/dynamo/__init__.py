"""Homeward's stores on DynamoDB: one per aggregate, on one unit of work (keys.py maps the
items, unit_of_work.py commits them). wiring.dynamo_stores() builds them together."""
