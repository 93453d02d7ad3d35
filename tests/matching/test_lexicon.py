"""The shipped list of attested Indonesian words and the script that rebuilds it."""

from __future__ import annotations

from bot.matching.lexicon import load_lexicon, parse_lexicon
from bot.matching.lexicon_refresh import UPSTREAM, UPSTREAM_VERSION, render, target


def test_the_list_records_its_source_and_holds_derived_forms() -> None:
    text = "\n".join(target().read_text(encoding="utf-8").splitlines()[:12])
    assert f"{UPSTREAM} {UPSTREAM_VERSION}" in text
    assert "CC BY-SA 4.0" in text
    lexicon = load_lexicon()
    assert len(lexicon) > 20_000
    # Derived forms with their sound changes, not only roots.
    for word in ("menulis", "penulisan", "menyapu", "memakai", "pemakaian", "pengiriman"):
        assert word in lexicon, word


def test_the_refresh_keeps_words_only_with_their_frequency() -> None:
    rendered = render("9.9", [["yang", "00"], [], ["jum'at", "menulis", "yang"]])
    lexicon = parse_lexicon(rendered.splitlines())
    assert dict(lexicon.zipf) == {"yang": 9.0, "menulis": 8.98}
    assert "# words:   2" in rendered
