"""Searching items' titles and contents for what staff type: mostly two-character words
(道路, 供暖), which trigram indexes cannot serve.

Each item's text is kept normalized beside its keys: every pair of neighbouring letters,
digits or ideographs (a bigram), every single one, and every other mark it contains. A query
asks for the items whose keys contain all of its own (a GIN index answers that), then checks
the text itself, so it finds exactly the items whose title or content contains each word
typed, never more. A one- or two-character word is decided by its keys alone.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

# Title and content are kept as one text; normalized text never contains this separator, so
# no query matches across the two.
SEPARATOR = "\n"
# The most keys a query looks up: more only cost index lookups, since the text is checked
# anyway (a query of 50 characters whose folding made it longer has hundreds).
MAX_QUERY_KEYS = 24


def normalized(text: str) -> str:
    """Text as it is searched and as a query is read: full-width forms folded to their usual
    ones (ＡＢＣ１２３ → abc123), case ignored, every run of white space one space."""
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())
    return " ".join(folded.split())


def _runs(text: str) -> list[str]:
    """The runs of letters, digits and ideographs, split at spaces and punctuation."""
    runs, current = [], []
    for ch in text:
        if ch.isalnum():
            current.append(ch)
        elif current:
            runs.append("".join(current))
            current = []
    if current:
        runs.append("".join(current))
    return runs


def _marks(text: str) -> set[str]:
    """Punctuation and symbols: keys only of a query that has nothing else."""
    return {ch for ch in text if not ch.isalnum() and not ch.isspace()}


def _bigrams(run: str) -> list[str]:
    return [run[i : i + 2] for i in range(len(run) - 1)]


def searchable(title: str, content: str) -> tuple[str, list[str]]:
    """An item's text as kept for search, and its keys (sorted, each once)."""
    text = normalized(title) + SEPARATOR + normalized(content)
    keys = _marks(text) - {SEPARATOR}
    for run in _runs(text):
        keys.update(run)  # single characters, for a one-character query
        keys.update(_bigrams(run))
    return text, sorted(keys)


@dataclass(frozen=True)
class Query:
    """What an item's text must contain (each of `terms`), the keys its keys must all
    contain, and whether those keys decide it alone (`exact`), with no need to read the text."""

    terms: tuple[str, ...]
    keys: tuple[str, ...]
    exact: bool


def query(typed: str) -> Query:
    """Words typed apart are each looked for (道路 破损 finds 道路破损 and 破损的道路).
    A query's keys: the bigrams of its words, a single character where a word has only one,
    and only for a query with no letter, digit or ideograph at all, its marks."""
    terms = tuple(dict.fromkeys(normalized(typed).split(" ")))
    runs = [run for term in terms for run in _runs(term)]
    keys: list[str] = []
    for run in runs:
        keys += _bigrams(run) if len(run) > 1 else [run]
    if not keys:
        keys = sorted(set().union(*map(_marks, terms)))
    keys = list(dict.fromkeys(keys))
    # one word of one or two characters, or a single mark: an item has that key exactly
    # when its text contains it
    word = terms[0]
    exact = len(terms) == 1 and len(word) <= 2 and (runs == [word] or len(word) == 1)
    if len(keys) > MAX_QUERY_KEYS:
        step = len(keys) / MAX_QUERY_KEYS
        keys = [keys[int(i * step)] for i in range(MAX_QUERY_KEYS)]
    return Query(terms, tuple(keys), exact)
