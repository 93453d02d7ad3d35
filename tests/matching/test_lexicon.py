"""The shipped list of attested Indonesian words and the script that rebuilds it."""

from __future__ import annotations

import re

from bot.matching.lexicon import load_lexicon, parse_lexicon
from bot.matching.lexicon_refresh import (
    ROOTS_UPSTREAM,
    ROOTS_VERSION,
    UPSTREAM,
    UPSTREAM_VERSION,
    render,
    render_roots,
    target,
)


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


def test_the_shipped_list_is_as_the_refresh_writes_it() -> None:
    # Never edited by hand: sorted words of letters a-z, each with its frequency, and the
    # header's count agreeing with the lines.
    lines = target().read_text(encoding="utf-8").splitlines()
    header = [line for line in lines if line.startswith("#")]
    body = [line for line in lines if not line.startswith("#")]
    words = [line.split("\t")[0] for line in body]
    assert words == sorted(words)
    assert all(re.fullmatch(r"[a-z]{2,}\t\d\.\d\d", line) for line in body)
    assert f"# words:   {len(body)}" in header


def test_the_root_list_records_its_source_and_keeps_to_attested_words() -> None:
    text = target("roots-id.txt").read_text(encoding="utf-8")
    assert f"{ROOTS_UPSTREAM} {ROOTS_VERSION}" in text
    assert "MIT" in text
    lexicon = load_lexicon()
    assert {"beras", "keras", "teras", "pemuda"} <= lexicon.roots
    assert lexicon.roots <= set(lexicon.zipf)
    assert "menulis" not in lexicon.roots
    rendered = render_roots("9.9", ["beras\n", "zzz"], ["beras", "menulis"])
    assert rendered.endswith("beras\n")
    assert "# roots:   1" in rendered
