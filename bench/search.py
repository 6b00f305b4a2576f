"""Searching items by text (`GET /api/v1/items?q=`) over 100,000 items, beside the plain
substring scan (ILIKE) that the bigram index replaces, measured in the same run.

    python -m bench.search [--items 100000] [--repeat 40]

Starts the gateway alone on a database of its own (migrated, the demo users seeded) and fills
the read model directly in bulk: each item's row, as reporting keeps it, and its search row,
made by the same function the reporting projection uses. The text is generated from a fixed
seed in the words of the county's complaints and tasks, so a word's share of items is the same
every run (printed beside each figure). Each query is timed through the gateway (as the office
and a unit's handler ask it) and as the read model's SQL alone; the baseline is the same list
query with the text matched by ILIKE on every item's title and content instead of the keys.
The target: two-character words in under 50 ms at 100,000 items.
"""

from __future__ import annotations

import argparse
import os
import random
import time
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import requests

from bench.run import pct, wait_for_gateway
from deploy.demo import UNITS
from deploy.stack import Stack, isolated_env
from services.kernel.config import DatabaseAddress, Settings
from services.reporting.queries import ReadModel
from services.reporting.search import searchable

TARGET_MS = 50.0
PLACES = [
    "城关镇",
    "东关镇",
    "西河镇",
    "南山镇",
    "北坪镇",
    "龙泉镇",
    "清水镇",
    "白石镇",
    "柳林镇",
    "桃源镇",
    "工业园区",
    "社管委",
    "东环路",
    "西环路",
    "滨河路",
    "解放路",
    "人民路",
    "建设街",
    "幸福小区",
    "锦绣花园",
    "阳光家园",
    "县第一中学",
    "县人民医院",
    "汽车站",
    "农贸市场",
]
# (what the item is about, how often, the words it is told in)
TOPICS: list[tuple[str, int, list[str]]] = [
    ("道路破损", 40, ["道路坑洼不平", "路面破损严重", "道路塌陷"]),
    ("道路积水", 15, ["雨后道路积水", "排水不畅"]),
    ("供暖不热", 12, ["供暖温度不达标", "暖气不热", "供暖管网老化"]),
    ("路灯不亮", 25, ["路灯损坏", "夜间照明不足"]),
    ("噪音扰民", 30, ["夜间施工噪音", "广场舞噪音扰民"]),
    ("违章停车", 25, ["乱停乱放", "占用消防通道停车"]),
    ("物业纠纷", 30, ["物业服务不到位", "物业费收取不合理"]),
    ("拖欠工资", 20, ["拖欠农民工工资", "工程款未结清"]),
    ("垃圾清运", 25, ["垃圾堆放未及时清运", "垃圾桶满溢"]),
    ("污水排放", 15, ["生活污水直排", "污水管道堵塞"]),
    ("违法建设", 15, ["私搭乱建", "违规加盖"]),
    ("食品安全", 12, ["过期食品", "无证经营"]),
    ("学校周边", 10, ["上下学交通拥堵", "校园周边摊贩"]),
    ("医疗服务", 10, ["挂号排队时间长", "医保报销"]),
    ("自来水", 12, ["停水未提前通知", "水质浑浊"]),
    ("燃气安全", 6, ["燃气管道漏气", "燃气表故障"]),
    ("拆迁补偿", 8, ["征收补偿标准", "安置房交付延期"]),
    ("公交线路", 8, ["公交班次少", "公交站点设置不合理"]),
    ("营商环境", 10, ["审批时间长", "企业开办手续繁琐"]),
    ("项目建设", 20, ["重点项目进度滞后", "年内建成投用"]),
]
OPENINGS = ["群众反映", "居民反映", "网民留言反映", "来电人反映", "县领导批示", "督查发现"]
# sentences most items share: the common words (问题, 群众, 工作, 尽快)
FILLERS = [
    "该问题已持续较长时间，影响周边群众正常生活。",
    "请相关部门核实情况并尽快处理。",
    "希望有关单位高度重视，切实解决群众急难愁盼问题。",
    "要求落实工作责任，明确整改时限。",
    "此前多次反映，至今未得到解决。",
    "请承办单位及时反馈办理结果。",
    "按照县政府工作安排，加快推进相关工作。",
    "涉及群众切身利益，请妥善处理。",
]
WORDS = ["道路", "供暖", "路灯", "噪音", "停车", "污水", "拆迁", "燃气"]
COMMON = ["问题", "群众", "工作", "处理"]
PHRASES = ["道路坑洼不平", "供暖温度不达标", "拖欠农民工工资"]
SINGLE = ["路", "暖"]


def generated(rng: random.Random) -> tuple[str, str]:
    """A title and content as the office registers them."""
    topic, _, words = rng.choices(TOPICS, weights=[w for _, w, _ in TOPICS])[0]
    place = rng.choice(PLACES)
    title = f"{place}{topic}问题" if rng.random() < 0.5 else f"关于{place}{topic}的督办"
    sentences = [f"{rng.choice(OPENINGS)}{place}{rng.choice(words)}。"]
    sentences += rng.sample(FILLERS, rng.randint(1, 4))
    sentences.append(f"具体位置：{place}附近，编号{rng.randint(1, 99999)}。")
    return title, "".join(sentences)


def fill(settings: Settings, items: int) -> None:
    """The read model's rows and search rows of `items` items, by COPY (one connection for
    each table, so neither waits for the other's rows in memory)."""
    rng = random.Random(2026)
    units = [code for code, _, _ in UNITS]
    start = datetime(2026, 1, 1, tzinfo=UTC)
    admin = DatabaseAddress.parse(settings.database_admin_url).conninfo()
    with psycopg.connect(admin, autocommit=True) as conn:
        # built once after the rows are in, as the migration builds it, not row by row
        index = conn.execute(
            "SELECT indexdef FROM pg_indexes WHERE indexname = 'item_search_keys'"
        ).fetchone()[0]
        conn.execute("DROP INDEX reporting.item_search_keys")
    with (
        psycopg.connect(admin) as rows_conn,
        psycopg.connect(admin) as texts_conn,
        rows_conn.cursor().copy(
            "COPY reporting.items (item_id, version, source, title, external_ref, status,"
            " lead_unit, units_involved, due_date, registered_at, updated_at,"
            " notice_number, notice_numbers) FROM STDIN"
        ) as rows,
        texts_conn.cursor().copy(
            "COPY reporting.item_search (item_id, body, keys) FROM STDIN"
        ) as texts,
    ):
        for n in range(items):
            item_id = uuid.uuid4()
            title, content = generated(rng)
            unit = rng.choice(units)
            at = start + timedelta(minutes=5 * n)
            notice = f"督转〔2026〕{n + 1}号"
            rows.write_row(
                (
                    item_id,
                    4,
                    "hotline",
                    title,
                    f"12345-{n}",
                    rng.choice(["assigned", "acknowledged", "closed"]),
                    unit,
                    [unit],
                    date(2026, 1, 5) + timedelta(days=rng.randint(0, 360)),
                    at,
                    at,
                    notice,
                    [notice],
                )
            )
            texts.write_row((item_id, *searchable(title, content)))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(index)
        conn.execute("VACUUM ANALYZE reporting.items")
        conn.execute("VACUUM ANALYZE reporting.item_search")


def share(settings: Settings, word: str) -> float:
    """The share of items whose text contains `word`."""
    with psycopg.connect(DatabaseAddress.parse(settings.database_url).conninfo()) as conn:
        found, total = conn.execute(
            "SELECT count(*) FILTER (WHERE strpos(body, %s) > 0), count(*)"
            " FROM reporting.item_search",
            (word,),
        ).fetchone()
    return found / total


def ilike(conn: psycopg.Connection, word: str) -> int:
    """The baseline: the list's count and first page, the text matched by ILIKE on each
    item's title and content (no index can serve a two-character substring)."""
    pattern = f"%{word}%"
    condition = (
        " WHERE status NOT IN ('cancelled', 'merged') AND item_id IN"
        " (SELECT item_id FROM reporting.item_search WHERE body ILIKE %s)"
    )
    total = conn.execute(f"SELECT count(*) FROM reporting.items{condition}", (pattern,)).fetchone()
    conn.execute(
        f"SELECT * FROM reporting.items{condition} ORDER BY registered_at DESC, item_id LIMIT 50",
        (pattern,),
    ).fetchall()
    return total[0]


def timed(ask: Callable[[str], Any], words: list[str], repeat: int) -> list[float]:
    times = []
    for n in range(repeat):
        word = words[n % len(words)]
        t = time.perf_counter()
        ask(word)
        times.append((time.perf_counter() - t) * 1e3)
    return times


def login(url: str, username: str, password: str) -> requests.Session:
    session = requests.Session()
    token = session.post(
        f"{url}/api/v1/auth/token", json={"username": username, "password": password}, timeout=10
    ).json()["access_token"]
    session.headers["Authorization"] = f"Bearer {token}"
    return session


def through_gateway(session: requests.Session, url: str) -> Callable[[str], Any]:
    def ask(word: str) -> Any:
        answer = session.get(f"{url}/api/v1/items", params={"q": word, "limit": 50}, timeout=30)
        answer.raise_for_status()
        return answer.json()["total"]

    return ask


def figures(times: list[float]) -> str:
    return "/".join(f"{pct(times, p):.0f}" for p in (50, 95, 99))


def measure(stack: Stack, args: argparse.Namespace) -> None:
    stack.prepare()
    settings = stack.settings
    print(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the start.\n")
    t = time.perf_counter()
    fill(settings, args.items)
    print(f"{args.items:,} items written and analysed in {time.perf_counter() - t:.0f} s.\n")
    stack.start_gateway()
    wait_for_gateway(stack.gateway_url)
    url, password = stack.gateway_url, settings.demo_password
    office = through_gateway(login(url, "supervisor", password), url)
    unit = through_gateway(login(url, "handler-water", password), url)
    conninfo = DatabaseAddress.parse(settings.database_url).conninfo()
    reads = ReadModel(conninfo, 1.0)
    everything = WORDS + COMMON + PHRASES + SINGLE
    for ask in (office, unit):  # connections and caches warm, as in service
        timed(ask, everything, len(everything))
    print(
        f"ms p50/p95/p99 of {args.repeat} queries per word through the gateway (the office,"
        " and a unit's handler), of the read model's SQL alone, and of the baseline"
        f" ({max(5, args.repeat // 4)} queries); the target: p99 < {TARGET_MS:g} ms for"
        " two-character words.\n"
    )
    print("| word | in items | office | a unit | SQL alone | baseline: ILIKE | ratio (p50) |")
    print("|---|---|---|---|---|---|---|")
    with psycopg.connect(conninfo) as conn:
        for word in everything:
            office_times = timed(office, [word], args.repeat)
            unit_times = timed(unit, [word], args.repeat)
            sql_times = timed(lambda w: reads.items(q=w), [word], args.repeat)
            baseline = timed(lambda w: ilike(conn, w), [word], max(5, args.repeat // 4))
            ratio = pct(baseline, 50) / pct(office_times, 50)
            print(
                f"| {word} | {share(settings, word):.1%} | {figures(office_times)}"
                f" | {figures(unit_times)} | {figures(sql_times)} | {figures(baseline)}"
                f" | {ratio:.1f}× |",
                flush=True,
            )
    print(f"\nLoad average {os.getloadavg()[0]:.1f} at the end.")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=40, help="queries per word")
    args = parser.parse_args()
    with isolated_env("sv_bench_search", LOG_LEVEL="WARNING") as env:
        stack = Stack(env, Path("var/bench-logs"))
        try:
            measure(stack, args)
        finally:
            stack.stop()


if __name__ == "__main__":
    main()
