"""Every size limit of the gateway's input, in one place, and the refusals that name them.

A request's length is checked against its route's limit before its body is read (werkzeug
refuses a longer `Content-Length` at once, and stops a chunked body that runs past it); an
upload is checked again, exactly, while it streams to storage; a spreadsheet's package is
checked before it is opened and its sheet while it is read.
"""

from __future__ import annotations

from typing import Any

from services.kernel.errors import Refused

KiB = 1024
MiB = 1024 * KiB

# A JSON body: the longest text field (20,000 characters, up to 6 bytes each as \\uXXXX)
# with room for the rest; nesting far deeper than any request model.
JSON_BYTES = 256 * KiB
JSON_DEPTH = 32
# Multipart framing around an upload: boundaries, part headers, the file's name.
FORM_BYTES = 64 * KiB
EVIDENCE_BYTES = 20 * MiB
# A short video from a phone (MP4, MOV): about a minute at 1080p. An upload's request may be
# this long; a file that is no video is refused once it passes EVIDENCE_BYTES.
VIDEO_BYTES = 100 * MiB
XLSX_BYTES = 10 * MiB
# What a workbook's parts may add up to unpacked: a 10 MB list of 20,000 rows of Chinese text
# unpacks to about 20 MB, while a crafted 20 KB file can declare gigabytes.
XLSX_UNPACKED_BYTES = 50 * MiB
XLSX_ROWS = 20_000  # below the header
XLSX_COLUMNS = 50
# Assignments in one request (the batch call; the rows of a proposal sheet that name units):
# each is one call to the assignment service, one after another, about 55 ms on a 2-core
# machine: 200 in some 11 s, a sheet of 500 in some 40 s (registering included), well inside
# the 5 minutes after which an Idempotency-Key is taken for lost. A county's session brings a
# few hundred suggestions and proposals. One assignment's co-units: more than any item has.
ASSIGN_BATCH = 200
IMPORT_ASSIGNMENTS = 500
CO_UNITS = 20


def size_label(limit: int) -> str:
    return f"{limit // MiB} MB" if limit % MiB == 0 else f"{limit // KiB} KB"


def too_large(
    code: str, what_zh: str, what_en: str, limit: int, advice: str = "请压缩或拆分后重新上传"
) -> Refused:
    """`advice`: what the person can do about it."""
    return Refused(
        code,
        f"{what_zh}超过 {size_label(limit)} 上限，{advice}",
        f"{what_en} larger than {limit} bytes",
        413,
    )


def json_depth(value: Any) -> int:
    """How deeply arrays and objects nest in a parsed JSON value (level by level: no recursion
    for a deep document to exhaust)."""
    depth, level = 0, [value]
    while containers := [v for v in level if isinstance(v, dict | list)]:
        depth += 1
        level = [inner for c in containers for inner in (c.values() if isinstance(c, dict) else c)]
    return depth
