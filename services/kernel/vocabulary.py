"""The words every service, the gateway and the console share: item sources, complexities,
statuses and verdicts, each with the Chinese label staff see.

Only words live here (and which status each item event leads to). Which command a status
allows is the item's rule (`services/assignment/domain.py`); how long a source may take is
the deadline service's (`services/deadline/policy.py`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal, get_args

Source = Literal[
    "instruction",
    "meeting",
    "work_report",
    "decision",
    "proposal",
    "netizen",
    "hotline",
    "petition",
    "finding",
    "upper_inspection",
    "special",
]
SOURCE_LABELS: dict[str, str] = {
    "instruction": "领导批示和交办事项",
    "meeting": "重要会议议定事项",
    "work_report": "《政府工作报告》重点任务",
    "decision": "重大决策部署和重点工作",
    "proposal": "人大代表建议和政协委员提案",
    "netizen": "网民留言",
    "hotline": "12345 热线投诉",
    "petition": "重点信访案件",
    "finding": "督查发现问题",
    "upper_inspection": "上级督查反馈问题",
    "special": "阶段性工作和急事要事",
}

Complexity = Literal["simple", "complex", "difficult"]
COMPLEXITY_LABELS: dict[str, str] = {"simple": "简单", "complex": "复杂", "difficult": "疑难"}

Status = Literal[
    "registered",
    "assigned",
    "acknowledged",
    "feedback_submitted",
    "feedback_accepted",
    "returned",
    "returned_by_unit",
    "closed",
    "cancelled",
    "merged",
]
STATUS_LABELS: dict[str, str] = {
    "registered": "待交办",
    "assigned": "已交办",
    "acknowledged": "已签收",
    "feedback_submitted": "已反馈",
    "feedback_accepted": "审核通过",
    "returned": "退回重办",
    "returned_by_unit": "单位退回待改派",
    "closed": "已办结",
    "cancelled": "已撤销",
    "merged": "已合并",
}
# Statuses an item no longer moves from: it is done, withdrawn, or folded into another.
FINAL_STATUSES: tuple[Status, ...] = ("closed", "cancelled", "merged")
# Statuses in which the lead unit's answer is awaited: its clock runs toward the due date.
AWAITING_ANSWER: tuple[Status, ...] = ("assigned", "acknowledged", "returned")

# The status an item is in after each event of its stream that moves it: the item itself and
# every read model take it from here.
STATUS_AFTER: dict[str, Status] = {
    "ItemReceived": "registered",
    "Assigned": "assigned",
    "Reassigned": "assigned",
    "ReturnedByUnit": "returned_by_unit",
    "Acknowledged": "acknowledged",
    "FeedbackSubmitted": "feedback_submitted",
    "FeedbackReturned": "returned",
    "FeedbackAccepted": "feedback_accepted",
    "Reopened": "returned",
    "Closed": "closed",
    "ItemCancelled": "cancelled",
    "ItemMerged": "merged",
}

Verdict = Literal["satisfied", "basically_satisfied", "unsatisfied"]
VERDICT_LABELS: dict[str, str] = {
    "satisfied": "满意",
    "basically_satisfied": "基本满意",
    "unsatisfied": "不满意",
}

ReplyClass = Literal["A", "B", "C", "D"]
REPLY_CLASS_LABELS: dict[str, str] = {
    "A": "已解决或采纳",
    "B": "正在解决或列入计划",
    "C": "因条件限制暂不能解决",
    "D": "留作参考",
}

# What the office decides on an answer (审核) and on a request for more time (延期审批).
ReviewOutcome = Literal["accept", "return"]
REVIEW_OUTCOME_LABELS: dict[str, str] = {"accept": "审核通过并办结", "return": "退回重办"}
# How the office verified a rectification or an answer before deciding (核查方式).
Verification = Literal["paper", "site"]
VERIFICATION_LABELS: dict[str, str] = {"paper": "书面核查", "site": "现场核查"}
ExtensionOutcome = Literal["grant", "deny"]
EXTENSION_OUTCOME_LABELS: dict[str, str] = {"grant": "同意延期", "deny": "不同意延期"}

# What a Government Work Report line is, and what a deputy or a member put forward.
WorkReportKind = Literal["task", "indicator"]
WORK_REPORT_KIND_LABELS: dict[str, str] = {"task": "重点任务", "indicator": "主要经济指标"}
ProposalKind = Literal["suggestion", "proposal"]
PROPOSAL_KIND_LABELS: dict[str, str] = {"suggestion": "人大代表建议", "proposal": "政协委员提案"}

# The penalty ladder (问责建议): what the office recommends against a unit that lags.
Penalty = Literal[
    "circulate_criticism", "work_interview", "organisational_handling", "disciplinary_action"
]
PENALTY_LABELS: dict[str, str] = {
    "circulate_criticism": "通报批评",
    "work_interview": "工作约谈",
    "organisational_handling": "组织处理（移交组织部门）",
    "disciplinary_action": "纪律处分（移交纪检监察机关）",
}
# A step of the escalation ladder: to a county leader, or a penalty recommended.
EscalationAction = Literal[
    "escalate_to_leader",
    "circulate_criticism",
    "work_interview",
    "organisational_handling",
    "disciplinary_action",
]
ESCALATION_LABELS: dict[str, str] = {"escalate_to_leader": "提请县领导督促", **PENALTY_LABELS}

# What a reminder (催办) is about: the due date coming or here, an item not signed for, an
# item the office has not yet assigned, a month's indicator figure or a quarter's progress.
ReminderKind = Literal["before", "due_today", "unsigned", "dispatch", "indicator", "progress"]
REMINDER_LABELS: dict[str, str] = {
    "before": "临近办理时限",
    "due_today": "今日到期",
    "unsigned": "交办后未签收",
    "dispatch": "登记后未按时交办",
    "indicator": "月度指标数据未报送",
    "progress": "季度进展未报送",
}

# Inspection campaigns (督查活动): their kinds, how they are carried out, how grave a finding is.
CampaignKind = Literal["periodic", "random", "special", "upper"]
CAMPAIGN_KIND_LABELS: dict[str, str] = {
    "periodic": "定期综合督查",
    "random": "日常随机督查",
    "special": "专项督查",
    "upper": "承接上级督查",
}
UpperLevel = Literal["state_council", "province", "city"]
UPPER_LEVEL_LABELS: dict[str, str] = {
    "state_council": "国务院",
    "province": "省政府",
    "city": "市政府",
}
Method = Literal[
    "unannounced", "clue_check", "urging", "tracking", "incident_investigation", "special"
]
METHOD_LABELS: dict[str, str] = {
    "unannounced": "四不两直",
    "clue_check": "线索核查",
    "urging": "催办督查",
    "tracking": "跟踪督查",
    "incident_investigation": "事件调查",
    "special": "专项督查",
}
# 三督三查: check the task, the progress and the result; check awareness, responsibility, conduct.
Check = Literal["task", "progress", "result", "awareness", "responsibility", "conduct"]
CHECK_LABELS: dict[str, str] = {
    "task": "督任务",
    "progress": "督进度",
    "result": "督成效",
    "awareness": "查认识",
    "responsibility": "查责任",
    "conduct": "查作风",
}
Severity = Literal["general", "serious", "grave"]
SEVERITY_LABELS: dict[str, str] = {"general": "一般", "serious": "较重", "grave": "严重"}
CampaignStatus = Literal["draft", "underway", "closed"]
CAMPAIGN_STATUS_LABELS: dict[str, str] = {
    "draft": "方案草稿",
    "underway": "督查中",
    "closed": "已结束",
}
# The units a campaign's scope may name by kind (the rest of a scope are unit codes).
UNIT_KIND_LABELS: dict[str, str] = {
    "town": "镇",
    "zone": "社管委、工业园区",
    "department": "县直部门",
}

SOURCES: tuple[str, ...] = get_args(Source)
COMPLEXITIES: tuple[str, ...] = get_args(Complexity)
STATUSES: tuple[str, ...] = get_args(Status)
VERDICTS: tuple[str, ...] = get_args(Verdict)
REPLY_CLASSES: tuple[str, ...] = get_args(ReplyClass)
PENALTIES: tuple[str, ...] = get_args(Penalty)
ESCALATION_ACTIONS: tuple[str, ...] = get_args(EscalationAction)
CAMPAIGN_KINDS: tuple[str, ...] = get_args(CampaignKind)
SEVERITIES: tuple[str, ...] = get_args(Severity)

# Sources whose items are problems: an accepted rectification crosses them off (销号).
RECTIFIABLE_SOURCES: tuple[str, ...] = ("finding", "upper_inspection")
# Sources whose author or citizen gives a verdict on the answer (回访).
SATISFACTION_SOURCES: tuple[str, ...] = ("proposal", "netizen", "hotline", "petition")


def choices(labels: Mapping[str, str]) -> str:
    """The values a person may choose from, each with its label, as every refusal lists them:
    satisfied（满意）、basically_satisfied（基本满意）、unsatisfied（不满意）."""
    return "、".join(f"{value}（{label}）" for value, label in labels.items())
