"""Spreadsheet imports (.xlsx): the session's list of suggestions and proposals, and the year's
Government Work Report tasks and indicators. Every bad row is reported with its row number;
a file with any bad row imports nothing."""

from __future__ import annotations

import io
from typing import Any

from openpyxl import load_workbook
from pydantic import ValidationError

from gateway.schemas import RegisterItem, field_errors
from services.kernel.errors import Refused

PROPOSAL_COLUMNS = {
    "编号": "number",
    "类别": "kind",
    "提出人": "author",
    "标题": "title",
    "内容": "content",
}
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


class ImportRejected(Exception):
    def __init__(self, rows: list[dict[str, Any]]) -> None:
        super().__init__(rows)
        self.rows = rows


def read_rows(data: bytes, columns: dict[str, str]) -> list[tuple[int, dict[str, Any]]]:
    """(row number as Excel shows it, {field: value}) for each non-empty row of the first sheet."""
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        # read-only mode parses the sheet while iterating, so a damaged sheet fails here too
        table = list(book.worksheets[0].iter_rows(values_only=True))
    except Exception as e:
        # The bytes come from outside: a broken zip, broken XML or a missing part each raise
        # something else from openpyxl or zipfile, and each means the same to the office.
        raise Refused(
            "not_xlsx", "文件不是有效的 Excel（.xlsx）表格", f"not an xlsx file: {e!r}"
        ) from e
    rows = iter(table)
    header = [str(c).strip() if c is not None else "" for c in next(rows, ())]
    missing = [name for name in columns if name not in header]
    if missing:
        raise Refused(
            "missing_columns",
            f"表头缺少列：{'、'.join(missing)}（第 1 行）",
            f"header lacks columns: {', '.join(columns[m] for m in missing)}",
        )
    out = []
    for number, values in enumerate(rows, start=2):
        if values is None or all(v in (None, "") for v in values):
            continue
        record = {
            columns[name]: values[header.index(name)] if header.index(name) < len(values) else None
            for name in columns
        }
        out.append((number, record))
    if not out:
        raise Refused("empty_sheet", "表格中没有数据行", "the sheet has no data rows")
    return out


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def proposal_commands(data: bytes, session_year: int) -> list[tuple[int, dict[str, Any]]]:
    commands = []
    for row, r in read_rows(data, PROPOSAL_COLUMNS):
        number, kind = _text(r["number"]), PROPOSAL_KINDS.get(_text(r["kind"]), _text(r["kind"]))
        commands.append(
            (
                row,
                {
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
                },
            )
        )
    return commands


def work_report_commands(data: bytes, year: int) -> list[tuple[int, dict[str, Any]]]:
    commands = []
    for row, r in read_rows(data, WORK_REPORT_COLUMNS):
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
    bad: list[dict[str, Any]] = []
    good = []
    seen: dict[str, int] = {}
    for row, command in commands:
        try:
            good.append((row, RegisterItem.model_validate(command).model_dump(mode="json")))
        except ValidationError as e:
            for f in field_errors(e):
                bad.append({"row": row, "field": f["field"], "message": f["message"]})
            continue
        ref = command["external_ref"]
        if ref in seen:
            bad.append({"row": row, "field": "number", "message": f"编号与第 {seen[ref]} 行重复"})
        seen.setdefault(ref, row)
    if bad:
        raise ImportRejected(bad)
    return good
