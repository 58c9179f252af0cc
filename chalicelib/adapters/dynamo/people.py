"""The reporters' blind index in the cases table: which cases a person reported.

One item per case and per e-mail address or phone number of its reporter, under a keyed
hash of it (domain/erasure.py): a coordinator answering a person's request finds every
case they reported with one query, and the table never holds the address in the clear.
"""

from __future__ import annotations

from chalicelib.adapters.dynamo import keys
from chalicelib.adapters.dynamo.pointers import CasePointers


class ReporterIndex(CasePointers):
    """`REPORTER#<keyed hash>`: the cases a person reported, newest first."""

    operation = "reporter-key"
    kind = "reporter"
    partition = staticmethod(keys.reporter_partition)
    item_key = staticmethod(keys.reporter)
