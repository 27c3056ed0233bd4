"""Write the report as one HTML file: CSS, script and data inline (the data as gzip + base64, unpacked
by the browser's own DecompressionStream), so it opens offline from disk with no server and no CDN."""

from __future__ import annotations

import base64
import gzip
import json
import re
from importlib.resources import files
from pathlib import Path
from typing import Any

from evalkit.io import atomic_write


def _asset(name: str) -> str:
    return files("evalkit.report").joinpath("assets", name).read_text(encoding="utf-8")


def pack(value: Any) -> str:
    """JSON, gzip, base64: what the page's script unpacks (the inverse is `unpack`)."""
    data = gzip.compress(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8"), 6, mtime=0)
    return base64.b64encode(data).decode("ascii")


def unpack(blob: str) -> Any:
    return json.loads(gzip.decompress(base64.b64decode(blob)))


def render(payload: dict[str, Any]) -> str:
    """The page; the grid's data and the responses are two blobs, so the page is drawn before the
    (much larger) responses are unpacked."""
    index = {k: v for k, v in payload.items() if k != "details"}
    title = payload.get("title", "evalkit report").replace("&", "&amp;").replace("<", "&lt;")
    parts = {"CSS": _asset("report.css"), "JS": _asset("report.js"), "TITLE": title,
             "DATA": pack(index), "DETAILS": pack(payload["details"])}
    # one pass over the template only: nothing inserted is scanned again for markers
    return re.sub(r"@@(CSS|JS|TITLE|DATA|DETAILS)@@", lambda m: parts[m.group(1)], _asset("report.html"))


def write(payload: dict[str, Any], path: Path) -> int:
    """Write atomically (never a half-written report); return the file size in bytes."""
    text = render(payload)
    atomic_write(path, text)
    return len(text.encode("utf-8"))
