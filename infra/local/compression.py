"""The local runner's HTTP server compressing as API Gateway does.

The deployed API compresses a response of at least `minimum_compression_size` bytes
(.chalice/config.json) when the client's Accept-Encoding allows gzip; Chalice's own local
server sends everything as it is. This handler does what API Gateway does, so that what
a browser receives from `make run` (and `make bench`'s page weight) is what it would
receive from AWS.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from chalice.local import ChaliceRequestHandler, CustomLocalChalice, LocalChalice, LocalDevServer

CONFIG = Path(__file__).resolve().parents[2] / ".chalice" / "config.json"


def minimum_compression_size() -> int | None:
    return json.loads(CONFIG.read_text()).get("minimum_compression_size")


def accepts_gzip(header: str | None) -> bool:
    """Whether an Accept-Encoding header allows gzip ("gzip;q=0" refuses it)."""
    for part in (header or "").split(","):
        coding, _, params = part.strip().partition(";")
        if coding.strip().lower() in ("gzip", "*"):
            quality = params.strip().removeprefix("q=") if params.strip().startswith("q=") else "1"
            try:
                return float(quality) > 0
            except ValueError:
                return False
    return False


class CompressingHandler(ChaliceRequestHandler):
    minimum: int | None = minimum_compression_size()

    def _send_http_response_with_body(self, code, headers, body) -> None:
        if not isinstance(body, bytes):
            body = body.encode("utf-8")
        if (
            self.minimum is not None
            and len(body) >= self.minimum
            and "Content-Encoding" not in headers
            and accepts_gzip(self.headers.get("Accept-Encoding"))
        ):
            body = gzip.compress(body, compresslevel=6)
            headers = {**headers, "Content-Encoding": "gzip", "Vary": "Accept-Encoding"}
        super()._send_http_response_with_body(code, headers, body)


def create_local_server(app_obj, config, host: str, port: int) -> LocalDevServer:
    """chalice.local.create_local_server, with the compressing handler."""
    CustomLocalChalice.__bases__ = (LocalChalice, app_obj.__class__)
    app_obj.__class__ = CustomLocalChalice
    return LocalDevServer(app_obj, config, host, port, handler_cls=CompressingHandler)
