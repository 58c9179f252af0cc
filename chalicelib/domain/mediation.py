"""Mediation lists: the verified children a coordinator hands to a named mediator.

A mediator (a state that negotiates returns: Qatar received a list of 561 children) gets
exactly what the disclosure policy releases for mediation (domain/disclosure.py,
Release.MEDIATION), for children whose reporters' consent allows it; each export is a new
version of the list, recorded with who made it and when.
"""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict

from chalicelib.domain.aftercare import AftercareError


class ListExport(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    version: int
    at: dt.datetime
    by: str
    children: int


class MediationList(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    list_id: str
    mediator: str
    created_by: str
    created_at: dt.datetime
    references: tuple[str, ...] = ()
    exports: tuple[ListExport, ...] = ()
    version: int = 0

    def with_child(self, reference: str) -> MediationList:
        if reference in self.references:
            raise AftercareError("the child is on this list already")
        return self.model_copy(update={"references": (*self.references, reference)})

    def without_child(self, reference: str) -> MediationList:
        """The list with a child's entry gone (their case was anonymised); the exports
        made keep their counts, which name nobody."""
        kept = tuple(r for r in self.references if r != reference)
        return self.model_copy(update={"references": kept})

    def exported(self, *, by: str, now: dt.datetime) -> MediationList:
        if not self.references:
            raise AftercareError("an empty list is not exported")
        export = ListExport(
            version=len(self.exports) + 1, at=now, by=by, children=len(self.references)
        )
        return self.model_copy(update={"exports": (*self.exports, export)})
