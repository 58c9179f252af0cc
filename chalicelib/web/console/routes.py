"""Every console page, on one blueprint for app.py to register."""

from chalicelib.web.console import (  # noqa: F401 - each registers its routes on bp
    actions,
    aftercare,
    assets,
    audit,
    auth,
    cases,
    coordination,
    evidence,
    hotline,
    matches,
    on_call,
    preview,
    statements,
    statistics,
    tools,
)
from chalicelib.web.console.base import bp

__all__ = ["bp"]
