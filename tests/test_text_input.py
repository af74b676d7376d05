"""What arrives from a client is made storable and showable (dialogs/text_input.py), and what a person typed
is shown as text (cards.base.plain): properties over any string, lone surrogates and controls included."""

from __future__ import annotations

import re
import unicodedata

from hypothesis import example, given
from hypothesis import strategies as st

from cards.base import plain
from dialogs.text_input import clean_payload, clean_text, valid_email, valid_locale, valid_time_zone

# Any code point, lone surrogates and controls included, with the characters Markdown gives a meaning to.
any_text = st.text(alphabet=st.characters(codec=None) | st.sampled_from(list("[]()*_`<>#~|\\-+.!\n\r\t\x00")),
                   max_size=300)
_UNESCAPED = re.compile(r"(?<!\\)(?:\\\\)*[\[\]*_`<>#~|]")


@given(text=any_text, limit=st.integers(0, 400), multiline=st.booleans())
@example(text="00\n0", limit=3, multiline=False)  # cut right after a space that joined two lines
def test_cleaned_text_can_be_stored_anywhere_and_cleaning_again_changes_nothing(
    text: str, limit: int, multiline: bool
) -> None:
    cleaned = clean_text(text, limit, multiline=multiline)

    cleaned.encode("utf-8")  # no lone surrogate: PostgreSQL, SQLite and JSON replies all take it
    assert "\x00" not in cleaned and len(cleaned) <= limit
    assert not [c for c in cleaned if unicodedata.category(c) == "Cc" and c not in "\t\n"]
    if not multiline:
        assert "\n" not in cleaned and "\t" not in cleaned and cleaned == cleaned.strip()
    assert clean_text(cleaned, limit, multiline=multiline) == cleaned


@given(payload=st.recursive(any_text | st.integers() | st.none(),
                            lambda inner: st.lists(inner, max_size=3) | st.dictionaries(any_text, inner, max_size=3),
                            max_leaves=10))
def test_a_payload_keeps_its_shape_and_every_string_in_it_is_cleaned(payload: object) -> None:
    cleaned = clean_payload(payload)

    def check(original: object, result: object) -> None:
        if isinstance(original, str):
            assert isinstance(result, str) and "\x00" not in result
            result.encode("utf-8")
        elif isinstance(original, dict):
            assert isinstance(result, dict) and len(result) <= len(original)
            for key, value in result.items():
                key.encode("utf-8")
                check(next(v for k, v in original.items() if clean_text(k, 4000) == key), value)
        elif isinstance(original, list):
            assert isinstance(result, list) and len(result) == len(original)
            for before, after in zip(original, result, strict=True):
                check(before, after)
        else:
            assert result == original

    check(payload, cleaned)


def test_a_payload_nested_deeper_than_the_recursion_limit_is_cleaned() -> None:
    deep: object = "\x00x"
    for _ in range(5_000):
        deep = [deep]
    cleaned = clean_payload(deep)
    for _ in range(5_000):
        assert isinstance(cleaned, list)
        cleaned = cleaned[0]
    assert cleaned == "x"


@given(text=any_text)
def test_plain_text_has_no_live_markdown_and_reads_back_as_typed(text: str) -> None:
    shown = plain(text)

    assert not _UNESCAPED.search(shown)
    for line in re.split(r"[\r\n]", shown):  # no list item, rule or heading underline
        assert not re.match(r"[ \t]*(?:[-+=]|\d{1,9}[.)](?:[ \t]|$))", line), line
    shown.encode("utf-8")
    unescaped = re.sub(r"\\(.)", r"\1", shown, flags=re.DOTALL)
    assert unescaped == re.sub("[\ud800-\udfff]", "\ufffd", text)


def test_time_zones_must_be_real_iana_keys() -> None:
    assert valid_time_zone("America/Los_Angeles") == "America/Los_Angeles"
    assert valid_time_zone("UTC") == "UTC"
    for bad in ("America", "America/", "x" * 300, "../../etc/passwd", "/etc/localtime", "Europe/Berlin\x00",
                "", None, 42, "Pacific Standard Time"):
        assert valid_time_zone(bad) is None, bad


def test_locales_and_addresses_must_look_like_them() -> None:
    assert valid_locale("en-US") == "en-US" and valid_locale("zh-Hant-TW") == "zh-Hant-TW"
    assert valid_locale("en_US\x00") is None and valid_locale("x" * 40) is None
    assert valid_email(" adele@contoso.example ") == "adele@contoso.example"
    for bad in ("adele", "a@b@c", "a b@c.example", "a@" + "c" * 400, "ad\x00ele@contoso.example", None):
        assert valid_email(bad) is None, bad
