"""Search by text (services/reporting/search.py): the keys an item is kept with, the keys a
query looks up, and that the two together find exactly the items whose title or content
contains what was typed, as the read model's query decides it."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from services.reporting.search import MAX_QUERY_KEYS, Query, normalized, query, searchable


def found(typed: str, title: str, content: str) -> bool:
    """The read model's decision (queries.py): every key of the query among the item's, then
    the text itself unless the keys decide alone."""
    text, keys = searchable(title, content)
    asked = query(typed)
    return set(asked.keys) <= set(keys) and (asked.exact or all(t in text for t in asked.terms))


def test_an_item_is_kept_with_its_bigrams_single_characters_and_marks():
    text, keys = searchable("道路破损", "请修复。")
    assert text == "道路破损\n请修复。"
    assert keys == sorted(
        ["道", "路", "破", "损", "道路", "路破", "破损", "请", "修", "复", "请修", "修复", "。"]
    )


def test_text_is_searched_without_regard_to_case_width_or_spacing():
    assert normalized("  ＡＢＣ１２３\u3000Road\t\n灯 ") == "abc123 road 灯"
    assert found("ｒｏａｄ", "Main ROAD lights", "")
    assert found("路灯 不亮", "路灯\u3000\u3000不亮", "")


def test_a_two_character_word_is_one_key_and_needs_no_reading_of_the_text():
    assert query("道路") == Query(("道路",), ("道路",), exact=True)
    assert query("路") == Query(("路",), ("路",), exact=True)
    assert query("，") == Query((",",), (",",), exact=True)


def test_a_longer_query_looks_up_its_bigrams_and_checks_the_text():
    assert query("道路维修") == Query(("道路维修",), ("道路", "路维", "维修"), exact=False)
    # a one-character word beside a longer one: its character is a key too
    assert query("修 道路") == Query(("修", "道路"), ("修", "道路"), exact=False)
    # only marks: they are the keys
    assert query("《》") == Query(("《》",), ("《", "》"), exact=False)


def test_words_typed_apart_are_each_looked_for_in_title_or_content():
    assert query(" 道路　破损  道路") == Query(("道路", "破损"), ("道路", "破损"), exact=False)
    assert found("道路 破损", "破损的道路", "")
    assert found("道路 硬化", "通村道路", "年内完成硬化")
    assert not found("道路 硬化", "通村道路", "")


def test_the_bigrams_alone_would_over_match_and_the_text_check_does_not():
    # 道路 and 路灯 are both there, 道路灯 is not
    assert not found("道路灯", "道路两侧", "路灯不亮")
    assert found("道路灯", "新装道路灯", "")


def test_title_and_content_do_not_run_into_each_other():
    assert not found("灯不", "路灯", "不亮")
    assert found("灯", "路灯", "不亮") and found("不亮", "路灯", "不亮")


def test_a_long_query_looks_up_at_most_its_share_of_keys_and_still_finds_exactly():
    typed = "县城东区供暖管网改造工程进度缓慢影响居民冬季取暖请尽快督促施工单位加快进度确保按期完工"
    asked = query(typed)
    assert len(asked.keys) == MAX_QUERY_KEYS and not asked.exact
    assert found(typed, "", f"反映：{typed}。")
    assert not found(typed, "", typed[:-1])


WORDS = st.text(alphabet="道路灯供暖不亮 a1，。Ａ", max_size=12)


@given(WORDS, WORDS, WORDS)
def test_an_item_is_found_exactly_when_its_title_or_content_contains_each_word(
    typed: str, title: str, content: str
):
    typed = typed.strip() or "路"  # the gateway strips a query, and refuses an empty one
    words = normalized(typed).split(" ")
    assert found(typed, title, content) == all(
        word in normalized(title) or word in normalized(content) for word in words
    )


@given(WORDS, WORDS, st.data())
def test_any_part_of_an_item_s_text_finds_it(title: str, content: str, data: st.DataObject):
    text = normalized(title)
    if text:
        start = data.draw(st.integers(0, len(text) - 1))
        end = data.draw(st.integers(start + 1, len(text)))
        part = text[start:end].strip()
        if part:
            assert found(part, title, content)
