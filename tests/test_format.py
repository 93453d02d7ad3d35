"""Alert rendering: escaping, links, Jakarta time and Telegram's length limit."""

from __future__ import annotations

import html
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.delivery.render import (
    AlertView,
    format_local,
    format_wib,
    render_alert,
    render_item_line,
    render_item_list,
    split_message,
    telegram_length,
)
from bot.standin.telegram_html import parse_telegram_html, utf16_length
from storage.models import TimeZone

LIMIT = 4096
PUBLISHED = datetime(2026, 11, 25, 7, 5, tzinfo=UTC)


def view(**changes: object) -> AlertView:
    """A typical alert, with some fields replaced."""
    fields: dict[str, object] = {
        "topics": ("Korea Utara",),
        "title": "Korea Utara Uji Coba Rudal Lagi",
        "summary": "Pyongyang meluncurkan rudal balistik ke Laut Jepang pada Selasa pagi.",
        "link": "https://www.antaranews.com/berita/123/korea-utara",
        "source_name": "ANTARA Terkini",
        "region": "Nasional",
        "published_at": PUBLISHED,
    }
    fields.update(changes)
    return AlertView(**fields)  # type: ignore[arg-type]


def visible(message: str) -> str:
    """The text Telegram would show, after checking that it accepts the HTML and length."""
    text = parse_telegram_html(message)
    assert utf16_length(text) <= LIMIT
    assert telegram_length(message) == utf16_length(text)
    return text


# --- render_alert --------------------------------------------------------------------------


def test_alert_layout() -> None:
    assert render_alert(view()) == (
        "\U0001f514 <b>Korea Utara</b>\n"
        "<b>Korea Utara Uji Coba Rudal Lagi</b>\n"
        "ANTARA Terkini \u00b7 Nasional \u00b7 25 Nov 2026 14:05 WIB\n"
        "\n"
        "Pyongyang meluncurkan rudal balistik ke Laut Jepang pada Selasa pagi.\n"
        "\n"
        '<a href="https://www.antaranews.com/berita/123/korea-utara">Baca selengkapnya</a>'
    )


def test_several_topics_are_joined() -> None:
    message = render_alert(view(topics=("Korea Utara", "rudal")))
    assert message.startswith("\U0001f514 <b>Korea Utara, rudal</b>\n")


def test_places_that_brought_an_alert_have_their_own_line() -> None:
    places = ("Garut, Jawa Barat", "Kota <Ternate>, Maluku Utara", "Sorong", "Bima", "Poso")
    topics = ("banjir @Jawa Barat", *(f"📍 {place}" for place in places))
    lines = visible(render_alert(view(topics=topics))).splitlines()
    assert lines[:4] == [
        "🔔 banjir @Jawa Barat",
        "Korea Utara Uji Coba Rudal Lagi",
        "ANTARA Terkini · Nasional · 25 Nov 2026 14:05 WIB",
        "📍 Garut, Jawa Barat · Kota <Ternate>, Maluku Utara · Sorong +2",
    ]


def test_a_followed_place_alone_is_said_where_topics_go() -> None:
    message = render_alert(view(topics=("📍 Garut, Jawa Barat",)))
    assert message.startswith("🔔 <b>📍 Garut, Jawa Barat</b>\n<b>Korea Utara")
    assert message.count("📍") == 1


def test_a_long_place_line_still_fits() -> None:
    topics = ("banjir", *(f"📍 {'Kabupaten ' * 60}{n}" for n in range(50)))
    text = visible(render_alert(view(topics=topics, title="J" * 5000, summary="s " * 3000)))
    assert "📍 Kabupaten" in text


@pytest.mark.parametrize(
    "title",
    [
        "<script>alert('x')</script> Banjir",
        "Tom & Jerry &amp; teman",
        "Judul </b> tutup <b> buka",
        "Kutipan \"langsung\" & 'tunggal'",
        "<a href='javascript:alert(1)'>klik</a>",
        "&lt;sudah escape&gt; &#x27; &#0; &bogus;",
        "<tg-spoiler>rahasia</tg-spoiler> <pre>kode",
    ],
)
def test_hostile_titles_are_shown_literally(title: str) -> None:
    message = render_alert(view(title=title, summary=title, topics=(title,), source_name=title))
    shown = visible(message)
    assert shown.count(title) == 4
    assert "<script" not in message


@pytest.mark.parametrize(
    "link",
    [
        "javascript:alert(1)",
        "JavaScript:alert(document.cookie)",
        "  javascript:alert(1)",
        "java\tscript:alert(1)",
        "data:text/html;base64,PHNjcmlwdD4=",
        "vbscript:msgbox(1)",
        "ftp://files.example.com/a",
        "//example.com/no-scheme",
        "/berita/relatif",
        "https://",
        "http:///path-only",
        "",
        "https://example.com/\x00nul",
    ],
)
def test_unsafe_links_are_not_shown(link: str) -> None:
    message = render_alert(view(link=link))
    assert "<a " not in message
    assert "Baca selengkapnya" not in visible(message)


def test_quotes_in_links_are_escaped_in_the_attribute() -> None:
    link = "https://example.com/cari?q=\"banjir\"&x=<1>'2'"
    message = render_alert(view(link=link))
    assert 'href="https://example.com/cari?q=&quot;banjir&quot;&amp;x=&lt;1&gt;&#x27;2&#x27;"' in (
        message
    )
    visible(message)


def test_uppercase_scheme_and_spaces_in_links() -> None:
    message = render_alert(view(link=" HTTPS://Example.com/berita banjir "))
    assert '<a href="HTTPS://Example.com/berita%20banjir">' in message


def test_long_summary_is_shortened_before_the_title() -> None:
    summary = "Warga mengungsi ke masjid terdekat. " * 400
    message = render_alert(view(summary=summary))
    shown = visible(message)
    assert utf16_length(shown) > LIMIT - 100
    assert "<b>Korea Utara Uji Coba Rudal Lagi</b>" in message
    assert shown.split("\n\n")[1].endswith("\u2026")
    assert message.endswith("Baca selengkapnya</a>")


def test_long_title_and_summary_shorten_both() -> None:
    title = "Rudal " * 2000
    message = render_alert(view(title=title, summary="Ringkasan " * 1000))
    shown = visible(message)
    blocks = shown.split("\n\n")
    assert len(blocks) == 2  # summary gone: header block and link
    title_line = blocks[0].split("\n")[1]
    assert title_line.endswith("Rudal\u2026")
    assert "ANTARA Terkini" in shown


@pytest.mark.parametrize(
    "text",
    [
        "\U0001f525\U0001f30a " * 5000,
        "\U0001f525" * 10_000,
        "\U0001f1ee\U0001f1e9" * 6000,
        "\U0001f468\u200d\U0001f469\u200d\U0001f467 keluarga " * 1500,
        "e\u0301" * 9000,
        "&<>" * 4000,
    ],
    ids=["emoji-words", "emoji-run", "flags", "zwj-family", "combining", "markup-chars"],
)
def test_very_long_emoji_heavy_fields_fit(text: str) -> None:
    message = render_alert(view(title=text, summary=text, source_name=text, topics=(text,)))
    shown = visible(message)
    assert "\ufffd" not in shown
    assert shown.count("\u2026") >= 2


def test_flags_are_not_split_when_cut_between_characters() -> None:
    message = render_alert(view(title="\U0001f1ee\U0001f1e9" * 6000, summary=""))
    title_line = visible(message).split("\n")[1]
    flags = title_line.removesuffix("\u2026")
    assert len(flags) % 2 == 0
    assert set(flags) == {"\U0001f1ee", "\U0001f1e9"}
    assert flags.startswith("\U0001f1ee")


def test_empty_region_source_and_time_are_omitted() -> None:
    message = render_alert(view(region="", source_name="", published_at=None))
    assert message.split("\n")[:3] == [
        "\U0001f514 <b>Korea Utara</b>",
        "<b>Korea Utara Uji Coba Rudal Lagi</b>",
        "",
    ]
    visible(message)


@pytest.mark.parametrize(
    ("source", "region", "published", "meta"),
    [
        ("Kompas", "", PUBLISHED, "Kompas \u00b7 25 Nov 2026 14:05 WIB"),
        ("", "Banten", PUBLISHED, "Banten \u00b7 25 Nov 2026 14:05 WIB"),
        ("Kompas", "Banten", None, "Kompas \u00b7 Banten"),
        ("", "", PUBLISHED, "25 Nov 2026 14:05 WIB"),
    ],
)
def test_meta_line_joins_what_is_present(
    source: str, region: str, published: datetime | None, meta: str
) -> None:
    message = render_alert(view(source_name=source, region=region, published_at=published))
    assert message.split("\n")[2] == meta


def test_alert_with_nothing_but_a_link() -> None:
    message = render_alert(AlertView((), "", "", "https://example.com", "", "", None))
    assert message == '<a href="https://example.com">Baca selengkapnya</a>'


def test_date_at_the_edge_of_the_calendar_is_left_out() -> None:
    message = render_alert(view(published_at=datetime(9999, 12, 31, 23, 0, tzinfo=UTC)))
    assert message.split("\n")[2] == "ANTARA Terkini \u00b7 Nasional"
    line = render_item_line(view(published_at=datetime.max.replace(tzinfo=UTC)), 1)
    assert line.endswith("\u2014 ANTARA Terkini")


def test_whitespace_and_control_characters_in_fields() -> None:
    message = render_alert(view(title="Banjir\n\tdi\x00 Serang\u2028lagi", summary="A\n\nB\x07"))
    assert "<b>Banjir di Serang lagi</b>" in message
    assert "\n\nA\nB\n\n" in message


# --- format_wib -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (datetime(2026, 11, 25, 23, 30, tzinfo=UTC), "26 Nov 2026 06:30 WIB"),
        (datetime(2026, 12, 31, 20, 0, tzinfo=UTC), "1 Jan 2027 03:00 WIB"),
        (datetime(2026, 3, 5, 0, 0, tzinfo=UTC), "5 Mar 2026 07:00 WIB"),
        (datetime(2026, 5, 1, 10, 0, tzinfo=timezone(timedelta(hours=9))), "1 Mei 2026 08:00 WIB"),
        (datetime(2026, 8, 17, 3, 0), "17 Agu 2026 10:00 WIB"),
    ],
    ids=["next-day", "next-year", "morning", "from-wit", "naive-is-utc"],
)
def test_format_wib(moment: datetime, expected: str) -> None:
    assert format_wib(moment) == expected


@pytest.mark.parametrize(
    ("zone", "expected"),
    [
        (TimeZone.WIB, "31 Des 2026 23:30 WIB"),
        (TimeZone.WITA, "1 Jan 2027 00:30 WITA"),
        (TimeZone.WIT, "1 Jan 2027 01:30 WIT"),
    ],
)
def test_a_reader_sees_the_time_on_the_chats_clock(zone: TimeZone, expected: str) -> None:
    moment = datetime(2026, 12, 31, 16, 30, tzinfo=UTC)
    assert format_local(moment, zone) == expected
    shown = render_alert(view(published_at=moment, time_zone=zone))
    assert expected in visible(shown)


def test_english_readers_get_english_months_and_link_text() -> None:
    moment = datetime(2026, 8, 17, 3, 0, tzinfo=UTC)
    assert format_wib(moment, "en") == "17 Aug 2026 10:00 WIB"
    message = render_alert(view(language="en"))
    assert "Read more" in visible(message)


def test_month_names_are_indonesian() -> None:
    names = [format_wib(datetime(2026, month, 15, tzinfo=UTC)).split()[1] for month in range(1, 13)]
    assert names == [
        "Jan",
        "Feb",
        "Mar",
        "Apr",
        "Mei",
        "Jun",
        "Jul",
        "Agu",
        "Sep",
        "Okt",
        "Nov",
        "Des",
    ]


# --- telegram_length -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("<b>a</b>", 1),
        ("&amp;&lt;&gt;&quot;&#x27;", 5),
        ("\U0001f514", 2),
        ('<a href="https://example.com/very/long">x</a>', 1),
        ("", 0),
        ("\u00e9\n", 2),
    ],
)
def test_telegram_length(message: str, expected: int) -> None:
    assert telegram_length(message) == expected


# --- render_item_line / render_item_list ------------------------------------------------------


def test_item_line() -> None:
    assert render_item_line(view(), 1) == (
        '1. <a href="https://www.antaranews.com/berita/123/korea-utara">'
        "Korea Utara Uji Coba Rudal Lagi</a> \u2014 ANTARA Terkini, 25 Nov 14:05 WIB"
    )


def test_item_line_escapes_and_drops_unsafe_links() -> None:
    line = render_item_line(view(title="<b>A & B</b>", link="javascript:x", source_name="S&P"), 3)
    assert line == "3. &lt;b&gt;A &amp; B&lt;/b&gt; \u2014 S&amp;P, 25 Nov 14:05 WIB"
    visible(line)


def test_item_line_without_title_source_or_time() -> None:
    line = render_item_line(view(title="", source_name="", published_at=None), 2)
    assert (
        line == '2. <a href="https://www.antaranews.com/berita/123/korea-utara">(tanpa judul)</a>'
    )


def test_item_line_is_compact_even_for_huge_fields() -> None:
    line = render_item_line(view(title="Banjir " * 3000, source_name="x" * 3000), 1)
    assert telegram_length(line) < 300
    visible(line)


def test_item_list() -> None:
    header = "<b>Berita terbaru untuk topik Anda:</b>"
    message = render_item_list([view(), view(title="Kedua", link="")], header)
    assert message.split("\n") == [
        header,
        render_item_line(view(), 1),
        "2. Kedua \u2014 ANTARA Terkini, 25 Nov 14:05 WIB",
    ]
    visible(message)


def test_item_list_drops_lines_that_do_not_fit() -> None:
    views = [view(title=f"Berita {n} " + "panjang " * 30) for n in range(100)]
    message = render_item_list(views, "<b>Terbaru</b>")
    shown = visible(message)
    lines = shown.split("\n")
    assert 1 < len(lines) < 101
    assert [line.split(".")[0] for line in lines[1:]] == [str(n) for n in range(1, len(lines))]
    next_line = render_item_line(views[len(lines) - 1], len(lines))
    assert telegram_length(message) + 1 + telegram_length(next_line) > LIMIT


def test_item_list_without_header_or_items() -> None:
    assert render_item_list([], "<b>Kosong</b>") == "<b>Kosong</b>"
    assert render_item_list([view()], "") == render_item_line(view(), 1)


# --- properties ------------------------------------------------------------------------------

_PIECE = st.text(
    alphabet=st.one_of(
        st.characters(exclude_categories=["Cs"]),
        st.sampled_from("<>&\"' \n\u2026\U0001f600\u200d"),
    ),
    max_size=40,
)
_FIELD = st.one_of(
    _PIECE, st.builds(lambda piece, times: piece * times, _PIECE, st.integers(1, 400))
)


@settings(max_examples=200, deadline=None)
@given(
    topics=st.lists(_FIELD, max_size=3),
    title=_FIELD,
    summary=_FIELD,
    source=_FIELD,
    region=_PIECE,
    link=st.one_of(_PIECE, st.builds("https://example.com/{}".format, _PIECE)),
    published=st.one_of(st.none(), st.datetimes(timezones=st.just(UTC))),
)
def test_rendered_alert_is_always_valid_and_short_enough(
    topics: list[str],
    title: str,
    summary: str,
    source: str,
    region: str,
    link: str,
    published: datetime | None,
) -> None:
    alert = AlertView(tuple(topics), title, summary, link, source, region, published)
    visible(render_alert(alert))


@settings(max_examples=100, deadline=None)
@given(titles=st.lists(_FIELD, max_size=40), sources=_PIECE)
def test_rendered_item_list_is_always_valid_and_short_enough(
    titles: list[str], sources: str
) -> None:
    views = [view(title=title, source_name=sources) for title in titles]
    visible(render_item_list(views, "<b>Terbaru</b>"))


LINES = st.lists(
    st.tuples(st.text(max_size=300), st.integers(0, 5000), st.booleans()).map(
        lambda t: f"<b>{html.escape(t[0])}</b> {'x' * t[1]}" if t[2] else html.escape(t[0])
    ),
    max_size=60,
)


@settings(max_examples=200, deadline=None)
@given(lines=LINES)
def test_a_long_reply_is_split_between_lines_into_messages_that_fit(lines: list[str]) -> None:
    messages = split_message(lines)
    for message in messages:
        parsed = parse_telegram_html(message)  # well-formed: never cut inside a tag or entity
        assert utf16_length(parsed) <= 4096
    fitting = [line for line in lines if telegram_length(line) <= 4096 and line.strip()]
    sent = "\n".join(messages)
    assert all(line in sent for line in fitting)  # every line that fits is sent whole
