"""Spreadsheet imports (.xlsx): the session's list of suggestions and proposals, and the year's
Government Work Report tasks and indicators. Every bad row is reported with its row number;
a file with any bad row imports nothing. A proposal sheet may name each row's units (主办单位,
协办单位): those rows are assigned on import (`gateway/assigning.py`), their units checked first
(`gateway/units.py`).

A workbook is a zip of XML parts, and what it says of itself is not trusted: its file size, the
size its parts unpack to, its rows and its columns are each limited (gateway/limits.py), the
first two before it is opened, the others while its sheet is read (in read-only mode, which
parses the sheet row by row, with the sheet's declared size set aside).
"""

from __future__ import annotations

import os
import re
import threading
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import IO, Any

from openpyxl import load_workbook
from pydantic import ValidationError

from gateway import limits
from gateway.schemas import RegisterItem, field_errors
from gateway.units import SHEET, Terms, UnitRegister, checked_units
from services.kernel.errors import Refused

PROPOSAL_COLUMNS = {
    "编号": "number",
    "类别": "kind",
    "提出人": "author",
    "标题": "title",
    "内容": "content",
}
# optional: a sheet without them is registered only, as before units were read
PROPOSAL_UNIT_COLUMNS = {"主办单位": "lead_unit", "协办单位": "co_units"}
# how a cell separates several units: 、，, ; ； or spaces (full-width ones too)
UNIT_SEPARATORS = re.compile(r"[、，,;；\s]+")
WORK_REPORT_COLUMNS = {
    "编号": "number",
    "类别": "kind",
    "标题": "title",
    "内容": "content",
    "年度目标": "target",
    "计量单位": "measure",
}
PROPOSAL_KINDS = {"建议": "suggestion", "提案": "proposal"}
WORK_REPORT_KINDS = {
    "重点任务": "task",
    "任务": "task",
    "主要指标": "indicator",
    "指标": "indicator",
}
# What each sheet's 类别 column takes: a refused row lists these words, not the API's values.
SHEET_KINDS = {"proposal": PROPOSAL_KINDS, "work_report": WORK_REPORT_KINDS}


# One workbook is read at a time in a process: reading one holds its shared strings in memory
# (up to what the limits allow), so memory stays bounded however many arrive at once.
READING = threading.BoundedSemaphore(1)
READING_WAIT_SECONDS = 10.0


class ImportRejected(Exception):
    def __init__(self, rows: list[dict[str, Any]]) -> None:
        super().__init__(rows)
        self.rows = rows


def read_rows(
    upload: IO[bytes], columns: dict[str, str], optional: dict[str, str] | None = None
) -> list[tuple[int, dict[str, Any]]]:
    """(row number as Excel shows it, {field: value}) for each non-empty row of the first sheet;
    a field of an `optional` column the sheet lacks is absent."""
    if upload.seek(0, os.SEEK_END) > limits.XLSX_BYTES:
        raise limits.too_large("file_too_large", "文件", "file", limits.XLSX_BYTES)
    upload.seek(0)
    if not READING.acquire(timeout=READING_WAIT_SECONDS):
        raise Refused("busy", "其他表格正在读取，请稍后重试", "another workbook is being read", 503)
    try:
        return _read_rows(upload, columns, optional or {})
    except Refused:
        raise
    except Exception as e:
        # The bytes come from outside: a broken zip, broken XML or a missing part each raise
        # something else from openpyxl or zipfile, and each means the same to the office.
        raise Refused(
            "not_xlsx",
            "文件不是有效的 Excel（.xlsx）表格，请用 Excel 另存为 .xlsx 后重新上传",
            f"not an xlsx file: {e!r}",
        ) from e
    finally:
        READING.release()


def _read_rows(
    upload: IO[bytes], columns: dict[str, str], optional: dict[str, str]
) -> list[tuple[int, dict[str, Any]]]:
    with zipfile.ZipFile(upload) as package:
        # what each part declares it unpacks to: zipfile never gives more than that
        unpacked = sum(part.file_size for part in package.infolist())
    if unpacked > limits.XLSX_UNPACKED_BYTES:
        raise limits.too_large(
            "xlsx_unpacked_too_large",
            "表格解压后",
            "unpacked workbook",
            limits.XLSX_UNPACKED_BYTES,
            "请删去图片和多余的工作表，或拆分为几个表格分别导入",
        )
    upload.seek(0)
    book = load_workbook(upload, read_only=True, data_only=True)
    try:
        sheet = book.worksheets[0]
        # each row as wide as its own last cell, not as the sheet declares itself
        sheet.reset_dimensions()
        return _records(sheet.iter_rows(values_only=True), columns, optional)
    finally:
        book.close()


def _records(
    rows: Iterable[tuple[Any, ...]], columns: dict[str, str], optional: dict[str, str]
) -> list[tuple[int, dict[str, Any]]]:
    numbered = enumerate(rows, start=1)
    _, first = next(numbered, (1, ()))
    _within_limits(1, first)
    header = [str(c).strip() if c is not None else "" for c in first]
    missing = [name for name in columns if name not in header]
    if missing:
        raise Refused(
            "missing_columns",
            f"表头缺少列：{'、'.join(missing)}（第 1 行），请按模板补上这些列",
            f"header lacks columns: {', '.join(columns[m] for m in missing)}",
        )
    fields = {
        header.index(name): field
        for name, field in {**columns, **optional}.items()
        if name in header
    }
    out = []
    for number, values in numbered:
        _within_limits(number, values)
        if all(v in (None, "") for v in values):
            continue
        record = {field: values[i] if i < len(values) else None for i, field in fields.items()}
        out.append((number, record))
    if not out:
        raise Refused(
            "empty_sheet", "表格中没有数据行，请在表头下逐行填写", "the sheet has no data rows"
        )
    return out


def _within_limits(number: int, values: tuple[Any, ...]) -> None:
    """Refuses the sheet at its first row past the row limit, empty or not (a sheet may
    place a cell a million rows down), and at its first row with a cell past the column
    limit, an empty formatted one too (a sheet may place one in every row, 16,384 columns
    wide): nothing past a limit is read beyond one row."""
    if number > limits.XLSX_ROWS + 1:
        raise Refused(
            "too_many_rows",
            f"表格超过 {limits.XLSX_ROWS} 行上限（不含表头），请拆分为几个表格分别导入",
            f"more than {limits.XLSX_ROWS} rows below the header",
            413,
        )
    if len(values) > limits.XLSX_COLUMNS:
        raise Refused(
            "too_many_columns",
            f"表格超过 {limits.XLSX_COLUMNS} 列上限，请删去模板以外的列",
            f"more than {limits.XLSX_COLUMNS} columns",
            413,
        )


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def unit_names(cell: Any) -> list[str]:
    """The units a cell names, as a sheet separates them (、，, ; or spaces)."""
    return [name for name in UNIT_SEPARATORS.split(_text(cell)) if name]


@dataclass(frozen=True)
class ProposalRow:
    """A row of the proposal sheet: its registration and the units it names, as written."""

    row: int
    command: dict[str, Any]
    lead_unit: list[str]  # one is right; a row errs with none or several
    co_units: list[str]

    @property
    def names_units(self) -> bool:
        return bool(self.lead_unit or self.co_units)


def proposal_rows(upload: IO[bytes], session_year: int) -> list[ProposalRow]:
    rows = []
    for row, r in read_rows(upload, PROPOSAL_COLUMNS, PROPOSAL_UNIT_COLUMNS):
        number, kind = _text(r["number"]), PROPOSAL_KINDS.get(_text(r["kind"]), _text(r["kind"]))
        command = {
            "source": "proposal",
            "title": _text(r["title"]),
            "content": _text(r["content"]),
            "external_ref": f"{session_year}-{kind}-{number}",
            "details": {
                "session_year": session_year,
                "number": number,
                "author": _text(r["author"]),
                "kind": kind,
            },
        }
        lead, co = unit_names(r.get("lead_unit")), unit_names(r.get("co_units"))
        rows.append(ProposalRow(row, command, lead, co))
    return rows


def work_report_commands(upload: IO[bytes], year: int) -> list[tuple[int, dict[str, Any]]]:
    commands = []
    for row, r in read_rows(upload, WORK_REPORT_COLUMNS):
        number = _text(r["number"])
        kind = WORK_REPORT_KINDS.get(_text(r["kind"]), _text(r["kind"]))
        target = r["target"]
        details: dict[str, Any] = {"year": year, "number": number, "kind": kind}
        if target not in (None, ""):
            # an indicator's target is a figure; a task's is words, whatever the cell holds
            details["target"] = target if kind == "indicator" else _text(target)
        if _text(r["measure"]):
            details["measure"] = _text(r["measure"])
        commands.append(
            (
                row,
                {
                    "source": "work_report",
                    "title": _text(r["title"]),
                    "content": _text(r["content"]) or _text(r["title"]),
                    "external_ref": f"work-report-{year}-{number}",
                    "details": details,
                },
            )
        )
    return commands


def validated(commands: list[tuple[int, dict[str, Any]]]) -> list[tuple[int, dict[str, Any]]]:
    """Every row checked, kept with its Excel row number; raises ImportRejected naming each bad
    row and field."""
    good, bad = _checked(commands)
    if bad:
        raise ImportRejected(bad)
    return good


def validated_proposals(
    rows: list[ProposalRow], units: Callable[[], UnitRegister]
) -> list[tuple[int, dict[str, Any], Terms | None]]:
    """As `validated`, and each row's units checked against the county's register (`units`,
    asked for only when a row names units): (row number, command, the assignment it asks for
    or None)."""
    good, bad = _checked([(r.row, r.command) for r in rows])
    terms: dict[int, Terms | None] = {}
    named = [r for r in rows if r.names_units]
    if len(named) > limits.IMPORT_ASSIGNMENTS:
        raise Refused(
            "too_many_assignments",
            f"主办单位：一次导入最多交办 {limits.IMPORT_ASSIGNMENTS} 件（本表 {len(named)} 行"
            "填写了主办单位），请分成几个表格导入",
            f"more than {limits.IMPORT_ASSIGNMENTS} rows name their units",
            413,
        )
    register = units() if named else None
    for r in rows:
        if register is None or not r.names_units:
            terms[r.row] = None
            continue
        if len(r.co_units) > limits.CO_UNITS:
            bad.append(
                {
                    "row": r.row,
                    "field": "co_units",
                    "message": f"协办单位：最多 {limits.CO_UNITS} 个"
                    f"（本行有 {len(r.co_units)} 个），请删减",
                }
            )
            continue
        found = checked_units(r.lead_unit, r.co_units, register, SHEET)
        if isinstance(found, Terms):
            terms[r.row] = found
        else:
            bad += [{"row": r.row, **problem} for problem in found]
    if bad:
        raise ImportRejected(sorted(bad, key=lambda b: b["row"]))
    return [(row, command, terms[row]) for row, command in good]


def _checked(
    commands: list[tuple[int, dict[str, Any]]],
) -> tuple[list[tuple[int, dict[str, Any]]], list[dict[str, Any]]]:
    bad: list[dict[str, Any]] = []
    good = []
    seen: dict[str, int] = {}
    for row, command in commands:
        try:
            good.append((row, RegisterItem.model_validate(command).model_dump(mode="json")))
        except ValidationError as e:
            for f in field_errors(e):
                if f["field"] == "details.kind":
                    words = "、".join(f"“{w}”" for w in SHEET_KINDS[command["source"]])
                    f["message"] = f"类别：请填写{words}之一"
                bad.append({"row": row, "field": f["field"], "message": f["message"]})
            continue
        ref = command["external_ref"]
        if ref in seen:
            bad.append(
                {
                    "row": row,
                    "field": "number",
                    "message": f"编号：与第 {seen[ref]} 行重复，请改正或删去重复的一行",
                }
            )
        seen.setdefault(ref, row)
    return good, bad
