"""The demo county: its units, its users, and a few items to look at."""

from __future__ import annotations

import psycopg

from gateway.accounts import Accounts
from gateway.auth import Passwords
from services.kernel.config import DatabaseAddress, Settings
from services.kernel.store import store_env

TOWNS = [
    ("chengguan", "城关镇"),
    ("dongchuan", "东川镇"),
    ("xihe", "西河镇"),
    ("nanshan", "南山镇"),
    ("beiyuan", "北塬镇"),
    ("liushu", "柳树镇"),
    ("shiqiao", "石桥镇"),
    ("xinji", "新集镇"),
    ("hongya", "红崖镇"),
    ("malian", "马莲镇"),
]
ZONES = [
    ("community-committee", "社区管理委员会（社管委）"),
    ("industrial-park", "工业园区管理委员会"),
]
DEPARTMENTS = [
    ("dev-reform", "县发展和改革局"),
    ("finance", "县财政局"),
    ("education", "县教育局"),
    ("public-security", "县公安局"),
    ("civil-affairs", "县民政局"),
    ("justice", "县司法局"),
    ("hr-social-security", "县人力资源和社会保障局"),
    ("natural-resources", "县自然资源局"),
    ("ecology-environment", "市生态环境局县分局"),
    ("housing-construction", "县住房和城乡建设局"),
    ("transport", "县交通运输局"),
    ("water", "县水务局"),
    ("agriculture", "县农业农村局"),
    ("commerce", "县商务局"),
    ("culture-tourism", "县文体广电和旅游局"),
    ("health", "县卫生健康局"),
    ("veterans", "县退役军人事务局"),
    ("emergency", "县应急管理局"),
    ("market-regulation", "县市场监督管理局"),
    ("statistics", "县统计局"),
    ("medical-security", "县医疗保障局"),
    ("forestry", "县林业和草原局"),
    ("rural-revitalization", "县乡村振兴局"),
    ("urban-management", "县城市管理综合执法局"),
    ("letters-visits", "县信访局"),
    ("government-services", "县政务服务中心"),
]
UNITS = (
    [(code, name, "town") for code, name in TOWNS]
    + [(code, name, "zone") for code, name in ZONES]
    + [(code, name, "department") for code, name in DEPARTMENTS]
)
# The county's leaders (code, name, title, login) and the units each is in charge of (分管);
# the executive deputy takes what no one else does.
DEMO_LEADERS = [
    ("county-head", "王建国", "县长", "leader", []),
    (
        "executive-deputy",
        "李明",
        "常务副县长",
        "leader-executive",
        ["finance", "dev-reform", "statistics", "market-regulation", "government-services"],
    ),
    (
        "deputy-economy",
        "张华",
        "副县长",
        "leader-economy",
        [
            "industrial-park",
            "commerce",
            "transport",
            "housing-construction",
            "urban-management",
            "natural-resources",
            "ecology-environment",
            "emergency",
        ],
    ),
    (
        "deputy-agriculture",
        "赵强",
        "副县长",
        "leader-agriculture",
        ["agriculture", "water", "forestry", "rural-revitalization", *(c for c, _ in TOWNS)],
    ),
    (
        "deputy-society",
        "陈静",
        "副县长",
        "leader-society",
        [
            "education",
            "health",
            "civil-affairs",
            "hr-social-security",
            "culture-tourism",
            "veterans",
            "medical-security",
            "justice",
            "public-security",
            "letters-visits",
            "community-committee",
        ],
    ),
]
DEFAULT_LEADER = "executive-deputy"

OFFICE_USERS = [
    ("supervisor", "县政府办公室督查室", "supervisor"),
    *((login, f"{title}{name}", "leader") for _, name, title, login, _ in DEMO_LEADERS),
    ("auditor", "县监察部门", "auditor"),
    ("admin", "系统管理员", "admin"),
]
SEEDER = {"user": "system:demo", "role": "system", "unit": None}

DEMO_ITEMS = [
    {
        "source": "instruction",
        "title": "关于加快推进城区老旧小区改造的批示",
        "content": "请县住建局牵头，会同城关镇加快推进老旧小区改造，按期反馈进展。",
        "issued_by": "县长",
        "external_ref": "demo-instruction-1",
        "assign": {"lead_unit": "housing-construction", "co_units": ["chengguan"]},
    },
    {
        "source": "hotline",
        "title": "12345 热线：新集镇自来水停水未提前通知",
        "content": "市民反映新集镇部分小区连续两日停水且未提前通知。",
        "complexity": "simple",
        "external_ref": "demo-12345-0001",
        "assign": {"lead_unit": "water", "co_units": ["xinji"]},
    },
    {
        "source": "proposal",
        "title": "关于加强农村学校寄宿条件建设的建议",
        "content": "建议加大农村寄宿制学校宿舍和食堂建设投入。",
        "external_ref": "demo-proposal-12",
        "details": {"session_year": 2026, "number": "12", "author": "王代表", "kind": "suggestion"},
    },
    {
        "source": "meeting",
        "title": "县政府常务会议：推进县城供暖管网改造",
        "content": "由县住建局牵头，年底前完成老旧供暖管网改造。",
        "external_ref": "demo-meeting-18-3",
        "due_in_days": 30,
        "details": {
            "meeting_name": "县政府第18次常务会议",
            "meeting_date": "2026-11-20",
            "decision_number": "18-3",
        },
    },
]


def seed_reference_data(settings: Settings) -> None:
    """Units (as the owner role, after migrations) and users, idempotently."""
    admin = DatabaseAddress.parse(settings.database_admin_url)
    with psycopg.connect(admin.conninfo()) as conn:
        conn.cursor().executemany(
            "INSERT INTO assignment.units (code, name, kind) VALUES (%s, %s, %s) "
            "ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, kind = EXCLUDED.kind",
            UNITS,
        )
    seed_users(settings)


def seed_users(settings: Settings) -> None:
    """Each demo user, created the first time through the gateway's event store like any
    other user; one that exists is left as it is (a changed password stays changed)."""
    users = [(u, name, role, None) for u, name, role in OFFICE_USERS] + [
        (f"handler-{code}", f"{name}联络员", "handler", code) for code, name, _ in UNITS
    ]
    accounts = Accounts(store_env(settings.database_url, "gateway", 1, cache_size=0))
    try:
        missing = [u for u in users if not accounts.exists(u[0])]
        if not missing:
            return
        password_hash = Passwords(1).hash(settings.demo_password)
        codes = {code for code, _, _ in UNITS}
        for username, name, role, unit in missing:
            accounts.create_user(
                username, name, role, unit, password_hash, SEEDER, "演示数据", codes
            )
    finally:
        accounts.close()
