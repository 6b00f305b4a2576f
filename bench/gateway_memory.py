"""The gateway's memory under what is sent to wear it down, beside its idle memory: 20
oversized .xlsx imports (each kind the limits refuse), 50 wrong logins (each for a name of its
own, with the per-address throttle lifted, so that every one runs a password hash), then both
at once.

    python -m bench.gateway_memory

Starts its own stack in a database, role and vhost of its own, and prints a table in
bench/RESULTS.md's style. Resident memory is read from /proc, the gunicorn master's and its
worker's together: idle, at the peak of each load (VmHWM, the kernel's high-water mark, reset
before each) and after it. The target is a peak under 300 MiB (the Kubernetes limit is 384 Mi).
"""

from __future__ import annotations

import io
import re
import time
import zipfile
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path

import requests
from openpyxl import Workbook

from deploy.stack import Stack, isolated_env
from gateway import limits

LOGINS = 50
IMPORTS_PER_KIND = 5
TARGET_MIB = 300


def status_kb(pid: int, field: str) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(next(line.split()[1] for line in status.splitlines() if line.startswith(field)))


def gateway_pids(stack: Stack) -> list[int]:
    """The gunicorn master and its workers."""
    master = stack.processes["gateway"].pid
    return [master, *map(int, Path(f"/proc/{master}/task/{master}/children").read_text().split())]


def mib(stack: Stack, field: str) -> float:
    """The gateway's memory by `field` of /proc/<pid>/status (VmRSS now, VmHWM its peak)."""
    return sum(status_kb(pid, field) for pid in gateway_pids(stack)) / 1024


def reset_peaks(stack: Stack) -> None:
    for pid in gateway_pids(stack):
        Path(f"/proc/{pid}/clear_refs").write_text("5")  # Linux: VmHWM starts again from VmRSS


# --- what is sent --------------------------------------------------------------------------


def sheet(edit: Callable[[str], str] = lambda xml: xml) -> bytes:
    """A small proposals workbook, its sheet's XML edited as a crafted file's would be."""
    book = Workbook()
    book.active.append(["编号", "类别", "提出人", "标题", "内容"])
    book.active.append(["1", "建议", "王代表", "标题", "内容"])
    plain = io.BytesIO()
    book.save(plain)
    out = io.BytesIO()
    with zipfile.ZipFile(plain) as source, zipfile.ZipFile(out, "w") as target:
        for part in source.infolist():
            data = source.read(part)
            if part.filename == "xl/worksheets/sheet1.xml":
                data = edit(data.decode()).encode()
            target.writestr(part, data, compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def far_row(xml: str) -> str:
    """Declares the largest sheet Excel allows and puts a cell in its last row."""
    xml = re.sub(r"<dimension [^>]*/>", '<dimension ref="A1:XFD1048576"/>', xml)
    cell = '<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>'
    return xml.replace("</sheetData>", f"{cell}</sheetData>")


def unpacks_big(xml: str) -> str:
    """100 MB of whitespace in the sheet, which zips to about 100 KB."""
    return xml.replace("</sheetData>", " " * 100_000_000 + "</sheetData>")


def far_right(xml: str) -> str:
    """An empty cell in the last column Excel has (XFD, the 16,384th), in 20,000 rows."""
    rows = "".join(f'<row r="{n}"><c r="XFD{n}" s="0"/></row>' for n in range(3, 20_003))
    return xml.replace("</sheetData>", f"{rows}</sheetData>")


def oversized_imports() -> dict[str, bytes]:
    return {
        "11 MB file": sheet() + b"\0" * (limits.XLSX_BYTES + limits.MiB),
        "declares 1,048,576 rows x 16,384 columns": sheet(far_row),
        "unpacks to 100 MB": sheet(unpacks_big),
        "20,000 rows 16,384 columns wide": sheet(far_right),
    }


# --- the run -------------------------------------------------------------------------------


def login(url: str, n: int) -> int:
    """A wrong password for a name of its own: no name is locked out before its hash runs."""
    answer = requests.post(
        f"{url}/api/v1/auth/token",
        json={"username": f"guess-{n}", "password": "wrong"},
        timeout=120,
    )
    return answer.status_code


def import_one(url: str, token: str, data: bytes) -> int:
    answer = requests.post(
        f"{url}/api/v1/imports/proposals",
        params={"session_year": 2099},
        files={"file": ("list.xlsx", data)},
        headers={"Authorization": f"Bearer {token}"},
        timeout=120,
    )
    return answer.status_code


def measure(stack: Stack) -> None:
    stack.prepare()
    stack.start()
    url = stack.gateway_url
    token = requests.post(
        f"{url}/api/v1/auth/token",
        json={"username": "supervisor", "password": stack.settings.demo_password},
        timeout=30,
    ).json()["access_token"]
    files = oversized_imports()
    imports = [data for data in files.values() for _ in range(IMPORTS_PER_KIND)]
    for data in files.values():  # each kind once, so every code path is loaded when idle
        import_one(url, token, data)
    loads: dict[str, list[Callable[[], int]]] = {
        f"{len(imports)} oversized imports": [partial(import_one, url, token, d) for d in imports],
        f"{LOGINS} wrong logins": [partial(login, url, n) for n in range(LOGINS)],
    }
    loads["both at once"] = [call for calls in loads.values() for call in calls]

    print("## Gateway memory (resident MiB, gunicorn master and worker)\n")
    print("| load | idle | peak | after | answers | seconds |")
    print("|---|---|---|---|---|---|")
    peaks = []
    for name, calls in loads.items():
        idle = mib(stack, "VmRSS")
        reset_peaks(stack)
        started = time.perf_counter()
        with ThreadPoolExecutor(len(calls)) as pool:
            answers = Counter(pool.map(lambda call: call(), calls))
        seconds = time.perf_counter() - started
        peaks.append(mib(stack, "VmHWM"))
        statuses = ", ".join(f"{n} × {status}" for status, n in sorted(answers.items()))
        print(
            f"| {name} | {idle:.0f} | {peaks[-1]:.0f} | {mib(stack, 'VmRSS'):.0f} |"
            f" {statuses} | {seconds:.1f} |"
        )
    verdict = "met" if max(peaks) < TARGET_MIB else "**not met**"
    print(f"\nTarget: peak under {TARGET_MIB} MiB: {verdict}.")
    print(f"\nThe imports, {IMPORTS_PER_KIND} of each kind:")
    for kind, data in files.items():
        print(f"- {kind} ({len(data):,} bytes)")


def main() -> None:
    # every wrong login runs a password hash, the worst case for memory: the per-address
    # throttle, which would answer most of them 429 unhashed, is lifted
    with isolated_env(
        "sv_bench_memory", LOG_LEVEL="WARNING", LOGIN_ADDRESS_FAILURES="100000"
    ) as env:
        stack = Stack(env, Path("var/bench-logs"))
        try:
            measure(stack)
        finally:
            stack.stop()


if __name__ == "__main__":
    main()
