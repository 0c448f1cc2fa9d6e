"""Rasa's WhitespaceTokenizer separator rule, found in time linear in the text's length.

Rasa writes the rule as one regex (kept below as `SEPARATORS`, the specification). Python's regex
engine retries every start position inside a run of punctuation and rescans the run each time, so
a 40,000-character word of punctuation took seconds to minutes while holding the GIL (issue 18).
`blank_separators` gives exactly `SEPARATORS.sub(" ", text)` (a property test compares them): the
regex where its rescans are short (it is ~5x faster on ordinary messages), otherwise a scan that
answers each of the regex's three alternatives in constant time from run lengths computed once.
"""

from __future__ import annotations

import re

__all__ = ["SEPARATORS", "blank_separators", "linear_blank_separators"]

# Characters that become separators. Three cases, tried in order at each position:
SEPARATORS = re.compile(
    # 1. non-word characters (except # @ &) right before whitespace or the end
    r"[^\w#@&]+(?=\s|$)"
    # 2. non-word characters (except # @ &) right after whitespace or the start,
    #    unless a digit follows (keeps "-5" and ".5")
    r"|(?:\s|^)[^\w#@&]+(?=[^0-9\s])"
    # 3. inside a word, between two non-digits: everything that is neither a word
    #    character nor a character URLs, e-mails or codes use
    r"|(?<=[^0-9\s])[^\w._~:/?#\[\]()@!$&*+,;=-]+(?=[^0-9\s])"
)
_KEPT_BY_CASE_3 = frozenset("._~:/?#[]()@!$&*+,;=-")
_DIGITS = frozenset("0123456789")
# The regex rescans only runs of non-word characters; below this length its work is ~linear.
_LONG_RUN = re.compile(r"\W{33}")


def _is_word(char: str) -> bool:
    return char.isalnum() or char == "_"  # what the regex engine calls \w for str patterns


def _run_ends(flags: list[bool]) -> list[int]:
    """ends[i]: where the run of True starting at i stops (i itself when flags[i] is False)."""
    ends = list(range(len(flags) + 1))
    for i in range(len(flags) - 1, -1, -1):
        if flags[i]:
            ends[i] = ends[i + 1]
    return ends


def _last_before(flags: list[bool]) -> list[int]:
    """last[e]: the largest k < e with flags[k], or -1."""
    last = [-1] * (len(flags) + 1)
    for k, flag in enumerate(flags):
        last[k + 1] = k if flag else last[k]
    return last


def blank_separators(text: str) -> str:
    """`SEPARATORS.sub(" ", text)`, in time linear in the text's length."""
    return linear_blank_separators(text) if _LONG_RUN.search(text) else SEPARATORS.sub(" ", text)


def linear_blank_separators(text: str) -> str:
    """`SEPARATORS.sub(" ", text)` without the regex: each position answered in constant time."""
    n = len(text)
    space = [c.isspace() for c in text]
    word = [_is_word(c) for c in text]
    punct = [not word[i] and text[i] not in "#@&" for i in range(n)]  # [^\w#@&]
    inner = [not word[i] and text[i] not in _KEPT_BY_CASE_3 for i in range(n)]  # case 3's class
    edge = [not space[i] and text[i] not in _DIGITS for i in range(n)]  # [^0-9\s]
    punct_end, inner_end = _run_ends(punct), _run_ends(inner)
    last_space, last_edge = _last_before(space), _last_before(edge)

    def run_before_edge(start: int, end: int) -> int:
        """End of the longest match of a run start..end followed by [^0-9\\s]; -1 if none."""
        if end < n and edge[end]:
            return end
        k = last_edge[end]
        return k if k > start else -1

    def match_at(i: int) -> int:
        """End of the regex's match at i, or -1."""
        if punct[i]:  # case 1
            end = punct_end[i]
            if end == n:
                return n
            if last_space[end] > i:
                return last_space[end]
        starts = ([i + 1] if space[i] else []) + ([0] if i == 0 else [])  # case 2: \s first, then ^
        for start in starts:
            if start < n and punct_end[start] > start:
                found = run_before_edge(start, punct_end[start])
                if found != -1:
                    return found
        if i > 0 and edge[i - 1] and inner_end[i] > i:  # case 3
            return run_before_edge(i, inner_end[i])
        return -1

    pieces: list[str] = []
    kept_from = i = 0
    while i < n:
        end = match_at(i)
        if end == -1:
            i += 1
            continue
        pieces.append(text[kept_from:i])
        pieces.append(" ")
        kept_from = i = end
    pieces.append(text[kept_from:])
    return "".join(pieces)
