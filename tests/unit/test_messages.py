"""Messages people can act on (issue 13, point 14): every refusal staff read is Chinese
throughout, names the field by its Chinese label, lists the allowed values with their labels,
shows the limit a value broke and says what to do next."""

from __future__ import annotations

import ast
import enum
import re
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

import pytest
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from gateway import schemas
from gateway.schemas import (
    FIELD_LABELS,
    MESSAGES,
    PATTERN_HINTS,
    VALUE_LABELS,
    field_errors,
    field_label,
    request_models,
)
from services.deadline.policy import TimeLimits
from services.kernel.errors import Refused

ROOT = Path(__file__).resolve().parents[2]
CJK = re.compile(r"[\u4e00-\u9fff]")
# Chinese text, its punctuation included (“：”, “，”)
CHINESE = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")
# A word as it stands in a message: `Idempotency-Key` and `.xlsx` are one word each.
WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:-[A-Za-z0-9]+)*")
LETTERS = re.compile(r"[A-Za-z]{3,}")
# Names staff meet as they are (formats, header names) and JSON's literals: no English prose.
NAMES = {
    "JSON",
    "true",
    "false",
    "Excel",
    "xlsx",
    "Word",
    "PDF",
    "JPEG",
    "PNG",
    "OFD",
    "MOV",
    "ASCII",
    "UUID",
    "HTTP",
    "Content-Length",
    "Expect",
    "Idempotency-Key",
}


def english(text: str) -> list[str]:
    """The English words of a message: words with three letters or more that are no name."""
    return [w for w in WORD.findall(text) if LETTERS.search(w) and w not in NAMES]


# --- every request field has a label, every value a label, every pattern a hint ---


def _literals(annotation: Any) -> list[str]:
    if get_origin(annotation) is Literal:
        return [str(v) for v in get_args(annotation)]
    return [v for arg in get_args(annotation) for v in _literals(arg)]


def _patterns(schema: Any) -> list[str]:
    """Every pattern a model's validator checks (its core schema, not its document)."""
    if isinstance(schema, dict):
        found = [schema["pattern"]] if schema.get("type") == "str" and "pattern" in schema else []
        return found + [p for value in schema.values() for p in _patterns(value)]
    if isinstance(schema, list):
        return [p for value in schema for p in _patterns(value)]
    return []


MODELS = request_models()


def test_the_request_models_are_found():
    assert len(MODELS) >= 40
    assert {"RegisterItem", "Review", "EvidenceRef", "ItemQuery", "NoDetails"} <= set(MODELS)


def test_every_field_of_every_request_model_has_a_chinese_label():
    missing = [
        f"{model.__name__}.{name}"
        for model in MODELS.values()
        for name in model.model_fields
        if not field_label(model, name)
    ]
    assert missing == []
    for label in FIELD_LABELS.values():
        assert CJK.search(label) and not english(label), label


def test_every_label_belongs_to_a_field():
    fields = {name for model in MODELS.values() for name in model.model_fields}
    for key in FIELD_LABELS:
        model, _, name = key.rpartition(".")
        if model:
            assert name in MODELS[model].model_fields, key
        else:
            assert key in fields, key


def test_a_name_with_another_meaning_in_one_model_has_its_own_label():
    assert field_label(MODELS["RegisterItem"], "title") == "标题"
    assert field_label(MODELS["LeaderRecord"], "title") == "职务"
    assert field_label(MODELS["ExtensionDecision"], "decision") == "审批结论"
    assert field_label(MODELS["Review"], "decision") == "审核结论"


def test_every_value_a_field_allows_has_a_chinese_label():
    unlabelled = [
        f"{model.__name__}.{name}={value}"
        for model in MODELS.values()
        for name, field in model.model_fields.items()
        for value in _literals(field.annotation)
        if not CJK.search(VALUE_LABELS.get(name, {}).get(value, ""))
    ]
    assert unlabelled == []


def test_every_pattern_a_request_is_checked_against_is_described():
    patterns = {p for model in MODELS.values() for p in _patterns(model.__pydantic_core_schema__)}
    assert len(patterns) == 6
    assert patterns <= set(PATTERN_HINTS)


# --- each pydantic error type, as staff read it ---


def message(model: type[BaseModel], data: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(ValidationError) as refused:
        model.model_validate(data)
    return {f["field"]: f["message"] for f in field_errors(refused.value)}


UUID_TEXT = "须为系统给出的 36 位编号，如 0b6a3c84-5d0e-4f0e-8f0e-6a1d2c3b4a59，请照原样复制"
SOURCES = (
    "instruction（领导批示和交办事项）、meeting（重要会议议定事项）、"
    "work_report（《政府工作报告》重点任务）、decision（重大决策部署和重点工作）、"
    "proposal（人大代表建议和政协委员提案）、netizen（网民留言）、hotline（12345 热线投诉）、"
    "petition（重点信访案件）、finding（督查发现问题）、upper_inspection（上级督查反馈问题）、"
    "special（阶段性工作和急事要事）"
)
ITEM = {"source": "hotline", "title": "路灯不亮", "content": "西河镇路灯不亮"}
INDICATOR = {"year": 2026, "number": "1", "kind": "indicator", "measure": "%"}


@pytest.mark.parametrize(
    ("kind", "model", "data", "field", "expected"),
    [
        ("missing", "RegisterItem", {"source": "hotline", "content": "x"}, "title",
         "标题：必填，请填写"),
        ("string_type", "TokenRequest", {"username": 5, "password": "x"}, "username",
         "用户名：须为文字，请填写文字"),
        ("string_too_short", "RegisterItem", {**ITEM, "title": ""}, "title",
         "标题：不能为空，请填写"),
        ("string_too_short", "PasswordReset", {"password": "short", "reason": "忘记"},
         "password", "密码：不能少于 8 个字符，请补充"),
        ("string_too_long", "RegisterItem", {**ITEM, "title": "路" * 201}, "title",
         "标题：不能超过 200 个字符（现有 201 个），请删减"),
        ("string_pattern_mismatch", "Progress", {"content": "x", "period": "2026-Q5"}, "period",
         "报告期：须为“年份-Q季度”，请按 2026-Q1 的格式填写"),
        ("string_pattern_mismatch", "IndicatorFigure", {"month": "2026-13", "value": 1},
         "month", "月份：须为“年份-月份”，请按 2026-01 的格式填写"),
        ("string_pattern_mismatch", "UserPath", {"username": "Zhang San"}, "username",
         "用户名：只能用小写字母、数字、点、下划线或连字符，以字母或数字开头，至多 63 个字符，"
         "请修改"),
        ("literal_error", "RegisterItem", {**ITEM, "source": "gossip"}, "source",
         f"事项来源：不是可选的取值，请选择以下之一：{SOURCES}"),
        ("literal_error", "Review", {"decision": "ok"}, "decision",
         "审核结论：不是可选的取值，请选择以下之一：accept（审核通过并办结）、return（退回重办）"),
        ("literal_error", "ExtensionDecision", {"decision": "ok"}, "decision",
         "审批结论：不是可选的取值，请选择以下之一：grant（同意延期）、deny（不同意延期）"),
        ("literal_error", "Feedback", {"content": "x", "reply_class": "E"}, "reply_class",
         "答复类别：不是可选的取值，请选择以下之一：A（已解决或采纳）、B（正在解决或列入计划）、"
         "C（因条件限制暂不能解决）、D（留作参考）"),
        ("date_from_datetime_parsing", "AssignItem", {"lead_unit": "water",
         "due_date": "2026-02-30"}, "due_date",
         "办理时限：须为有效的日期，格式如 2026-01-05，请检查年、月、日"),
        ("date_from_datetime_inexact", "LoginQuery", {"since": 5}, "since",
         "起始日期：须为有效的日期，格式如 2026-01-05，请检查年、月、日"),
        ("datetime_from_date_parsing", "SetClock", {"now": "yesterday"}, "now",
         "时间：须为带时区的时间，请按 2026-01-05T09:00:00+08:00 的格式填写"),
        ("timezone_aware", "SetClock", {"now": "2026-01-05T09:00:00"}, "now",
         "时间：须带时区，请在时间末尾加上时区，如 2026-01-05T09:00:00+08:00"),
        ("list_type", "AssignItem", {"lead_unit": "water", "co_units": "xihe"}, "co_units",
         "配合单位：须为列表，请把各项放在方括号 [ ] 中"),
        ("dict_type", "RegisterItem", {**ITEM, "details": 5}, "details",
         "事项详情：须为对象，请把各项放在花括号 { } 中"),
        ("model_type", "Feedback", {"content": "x", "evidence": ["a"]}, "evidence.0",
         "佐证材料第 1 项：须为对象，请把各项放在花括号 { } 中"),
        ("bool_parsing", "ItemQuery", {"overdue": "maybe"}, "overdue",
         "是否逾期：请选择以下之一：true（是）、false（否）"),
        ("int_parsing", "ItemQuery", {"limit": "ten"}, "limit",
         "每页条数：须为整数，请填写不带小数的数字"),
        ("int_type", "RegisterItem", {**ITEM, "source": "work_report",
         "details": {**INDICATOR, "year": 2026.5, "target": 8.5}}, "details.year",
         "年度：须为整数，请填写不带小数的数字"),
        ("float_type", "IndicatorFigure", {"month": "2026-01", "value": "8.5"}, "value",
         "数值：须为数值，请填写数字，如 8.5"),
        ("finite_number", "IndicatorFigure", {"month": "2026-01", "value": float("nan")},
         "value", "数值：须为有限的数值，请填写具体的数字"),
        ("greater_than_equal", "ItemQuery", {"limit": "0"}, "limit",
         "每页条数：不能小于 1，请改为 1 或更大的数"),
        ("less_than_equal", "LoginQuery", {"limit": "501"}, "limit",
         "每页条数：不能大于 500，请改为 500 或更小的数"),
        ("extra_forbidden", "Feedback", {"content": "x", "evidence": [{"sha": "0" * 64,
         "size": 1}]}, "evidence.0.size",
         "佐证材料第 1 项的“size”：不是可接受的字段，请删除；可填写的字段：sha（文件编号）、"
         "name（文件名）"),
        ("extra_forbidden", "RegisterItem", {**ITEM, "details": {"x": 1}}, "details.x",
         "“x”：不是可接受的字段：此类事项不填写事项详情，请删除"),
        ("uuid_parsing", "Merge", {"into": "abc", "reason": "重复"}, "into",
         f"合并到：{UUID_TEXT}"),
        ("uuid_type", "Merge", {"into": 5, "reason": "重复"}, "into", f"合并到：{UUID_TEXT}"),
        ("value_error", "AssignItem", {"lead_unit": "water", "due_date": "1999-12-31"},
         "due_date", "办理时限：须在 2000-01-01 至 2100-12-31 之间，请检查年份"),
        ("value_error", "RegisterItem", {**ITEM, "source": "work_report",
         "details": {**INDICATOR, "target": "两成"}}, "details.target",
         "年度目标：主要经济指标的年度目标须为数值，如 8.5"),
        ("value_error", "RegisterItem", {**ITEM, "source": "work_report",
         "details": {**INDICATOR, "kind": "task", "target": [1]}}, "details.target",
         "年度目标：须为数值（主要经济指标，如 8.5）或不超过 200 字的文字（重点任务，"
         "如“年内建成投用”）"),
        ("value_error", "YearPath", {"year": "MMXXVI"}, "year",
         "年度：须为 2000 至 2100 年之间的年份，如 2026"),
        ("value_error", "RegisterItem", {**ITEM, "source": "meeting", "details": {
         "meeting_date": "2026-01-05", "decision_number": "1"}}, "details.meeting_name",
         "会议名称：必填，请填写"),
        ("unstorable", "AssignItem", {"lead_unit": "water", "co_units": ["xi\x00he"]},
         "co_units.0",
         "配合单位第 1 项：含有无法保存的字符（空字符或残缺的字符编码），请删去后重新提交"),
        # "¹".isdigit() holds: a key is a key, never taken for a list's index
        ("unstorable", "RegisterItem", {**ITEM, "details": {"¹": "x\x00"}}, "details.¹",
         "事项详情的“¹”：含有无法保存的字符（空字符或残缺的字符编码），请删去后重新提交"),
    ],
)  # fmt: skip
def test_each_kind_of_bad_value_is_refused_in_chinese_naming_the_field_and_the_way_out(
    kind: str, model: str, data: dict[str, Any], field: str, expected: str
):
    assert message(MODELS[model], data) == {field: expected}


class Overdue(enum.Enum):
    closed = "closed"
    returned = "returned"


class Limited(BaseModel):
    """What no request model has yet: a list with bounds, strict bounds, an enumeration."""

    model_config = ConfigDict(extra="forbid")
    co_units: list[str] = Field([], min_length=1, max_length=2)
    limit: int = Field(1, gt=0, lt=10)
    status: Overdue = Overdue.closed


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"co_units": []}, {"co_units": "配合单位：至少须有 1 项，请补充"}),
        (
            {"co_units": ["a", "b", "c"]},
            {"co_units": "配合单位：不能超过 2 项（现有 3 项），请删减"},
        ),
        ({"limit": 0}, {"limit": "每页条数：须大于 0，请改为更大的数"}),
        ({"limit": 10}, {"limit": "每页条数：须小于 10，请改为更小的数"}),
        (
            {"status": "x"},
            {
                "status": "状态：不是可选的取值，请选择以下之一："
                "closed（已办结）、returned（退回重办）"
            },
        ),
    ],
)
def test_bounds_and_enumerations_show_the_limit(data: dict[str, Any], expected: dict[str, str]):
    assert message(Limited, data) == expected


def test_an_error_without_the_limit_its_template_names_is_still_answered():
    unexpected = {"type": "greater_than_equal", "ctx": {}, "input": 0}
    assert schemas._reason(unexpected, None, "limit") == "取值无效，请检查后重新填写"


def test_every_message_template_is_chinese_and_says_what_to_do():
    for kind, template in MESSAGES.items():
        text = re.sub(r"\{[^{}]*\}", "", template)  # its placeholders
        assert CJK.search(text) and not english(text), kind
        assert "请" in text, kind
    for pattern, hint in PATTERN_HINTS.items():
        assert CJK.search(hint) and not english(hint), pattern
        assert "请" in hint, pattern


# --- the time-limit policy names each setting in Chinese ---


def refusal(change: Any) -> str:
    limits = TimeLimits.defaults().to_dict()
    with pytest.raises(Refused) as refused:
        TimeLimits.from_dict(change(limits))
    assert refused.value.code == "invalid_policy"
    return refused.value.message_zh


def test_a_policy_refusal_names_the_setting_by_its_label():
    assert refusal(lambda p: {**p, "sources": {**p["sources"], "rumour": {}}}) == (
        f"各来源办理时限的“rumour”：不是事项来源，请删除或改为以下之一：{SOURCES}"
    )
    assert refusal(lambda p: {**p, "sources": {**p["sources"], "hotline": {"weeks": 1}}}) == (
        "各来源办理时限（12345 热线投诉）：须且只须指定一种时限，请选择以下之一："
        "working_days（工作日数）、months（月数）、by_complexity（按复杂程度分别给出工作日数）、"
        "named_date_required（以通知指定的日期为准）、quarterly_progress（按季度督查进展，年底办结）"
    )
    assert (
        refusal(
            lambda p: {**p, "dispatch_working_days": {**p["dispatch_working_days"], "hotline": 0}}
        )
        == "各来源派单时限（工作日）（12345 热线投诉）：须为 1 至 366 的整数，请改正"
    )
    assert refusal(lambda p: {**p, "escalation": [*p["escalation"], {"after_working_days": 1,
                                                                      "action": "fine"}]}) == (
        f"督办升级第 {len(TimeLimits.defaults().escalation) + 1} 级的措施：“fine”不是可选的措施，"
        "请选择以下之一：escalate_to_leader（提请县领导督促）、circulate_criticism（通报批评）、"
        "work_interview（工作约谈）、organisational_handling（组织处理（移交组织部门））、"
        "disciplinary_action（纪律处分（移交纪检监察机关））"
    )  # fmt: skip


# --- no English in any message in the code ---

# The calls whose arguments at these places are messages people read.
MESSAGE_ARGUMENTS = {
    "Refused": (1,),
    "LoginRefused": (1,),
    "NotFound": (0,),
    "FieldError": (1,),
    "invalid_policy": (1, 2),
    "too_large": (1, 4),
    "ValueError": (0,),
}
# The OpenAPI document's descriptions are for the developers who integrate with the API.
DOCUMENTATION = {"gateway/openapi.py", "gateway/answers.py"}


def _text(node: ast.expr) -> str | None:
    """A string's literal text (an f-string's without what it fills in), or None."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return re.sub(r"\{[^{}]*\}", "", node.value)  # a template's placeholders
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value for v in node.values if isinstance(v, ast.Constant))
    if isinstance(node, ast.BinOp):
        parts = [_text(node.left), _text(node.right)]
        return "".join(p for p in parts if p) or None
    return None


def _literal_values(node: ast.expr | None) -> list[ast.expr]:
    """The strings a constant holds, in dicts' values and in collections; not a call's."""
    if isinstance(node, ast.Dict):
        return [v for value in node.values for v in _literal_values(value)]
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        return [v for value in node.elts for v in _literal_values(value)]
    return [node] if isinstance(node, ast.Constant | ast.JoinedStr | ast.BinOp) else []


def _called(node: ast.Call) -> str:
    return getattr(node.func, "id", None) or getattr(node.func, "attr", "")


def _messages(tree: ast.Module) -> list[tuple[int, str]]:
    """Every message people read in a module: the message arguments of refusals and the
    `message` of a bad field (English or not), and the Chinese ones among what functions
    return, ValueErrors (a model's checks) and the module's constants (labels, templates)."""
    refusals: list[tuple[int, ast.expr]] = []
    chinese: list[tuple[int, ast.expr]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _called(node) in MESSAGE_ARGUMENTS:
            places = MESSAGE_ARGUMENTS[_called(node)]
            into = chinese if _called(node) == "ValueError" else refusals
            into += [(node.lineno, a) for i, a in enumerate(node.args) if i in places]
            into += [(node.lineno, k.value) for k in node.keywords if k.arg == "message_zh"]
        elif isinstance(node, ast.Dict):
            refusals += [
                (node.lineno, v)
                for k, v in zip(node.keys, node.values, strict=True)
                if isinstance(k, ast.Constant) and k.value == "message"
            ]
        elif isinstance(node, ast.Return) and node.value is not None:
            chinese.append((node.lineno, node.value))
    for node in tree.body:
        if isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Name) and t.id.lstrip("_").isupper() for t in targets):
                chinese += [(node.lineno, v) for v in _literal_values(node.value)]
    texts = [(line, _text(node), True) for line, node in refusals]
    texts += [(line, _text(node), False) for line, node in chinese]
    return [(line, t) for line, t, always in texts if t and (always or CHINESE.search(t))]


def people_messages() -> dict[str, list[tuple[int, str]]]:
    files = sorted([*(ROOT / "services").rglob("*.py"), *(ROOT / "gateway").rglob("*.py")])
    out = {}
    for path in files:
        name = str(path.relative_to(ROOT))
        if name not in DOCUMENTATION:
            out[name] = _messages(ast.parse(path.read_text(encoding="utf-8")))
    return out


def test_no_message_people_read_has_an_english_fragment():
    messages = people_messages()
    assert sum(len(m) for m in messages.values()) > 250
    assert len(messages["services/assignment/domain.py"]) > 30
    fragments = [
        f"{name}:{line}: {english(text)} in {text!r}"
        for name, found in messages.items()
        for line, text in found
        if english(text)
    ]
    assert fragments == []


def test_the_scan_finds_an_english_fragment_in_a_refusal():
    source = """
def check(day):
    raise Refused("not_a_working_day", f"办理时限：{day} is a Monday, not a Saturday", "x")
"""
    (found,) = _messages(ast.parse(source))
    assert english(found[1]) == ["Monday", "not", "Saturday"]


def test_the_schemas_module_is_scanned():
    assert "gateway/schemas.py" in people_messages()
    assert schemas.UNKNOWN_ERROR in {t for _, t in people_messages()["gateway/schemas.py"]}
