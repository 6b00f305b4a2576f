"""The words every service, the gateway and the console share: item sources, complexities,
statuses and verdicts, each with the Chinese label staff see.

Only words live here (and which status each item event leads to). Which command a status
allows is the item's rule (`services/assignment/domain.py`); how long a source may take is
the deadline service's (`services/deadline/policy.py`).
"""

from __future__ import annotations

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
}

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

SOURCES: tuple[str, ...] = get_args(Source)
COMPLEXITIES: tuple[str, ...] = get_args(Complexity)
STATUSES: tuple[str, ...] = get_args(Status)
VERDICTS: tuple[str, ...] = get_args(Verdict)
REPLY_CLASSES: tuple[str, ...] = get_args(ReplyClass)

# Sources whose items are problems: an accepted rectification crosses them off (销号).
RECTIFIABLE_SOURCES: tuple[str, ...] = ("finding", "upper_inspection")
# Sources whose author or citizen gives a verdict on the answer (回访).
SATISFACTION_SOURCES: tuple[str, ...] = ("proposal", "netizen", "hotline", "petition")
