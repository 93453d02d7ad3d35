"""The shared topic index agrees with evaluating every topic on its own."""

from __future__ import annotations

from collections.abc import Callable

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.matching import (
    MatchDocument,
    TopicIndex,
    TopicQuery,
    TopicSyntaxError,
    parse_topic,
    prepare_document,
)

TOPIC_WORDS = [
    "Korea",
    "Utara",
    "Korut",
    "Jakarta",
    "Jakartanya",
    "Serang",
    "banjir",
    "Bogor",
    "rudal",
    "AS",
    "as",
    "Amerika Serikat",
    "DPR",
    "Dewan Perwakilan Rakyat",
    "Jabar",
    "Jawa Barat",
    "sekolah",
    "masa",
]
TEXT_WORDS = [
    *(word for phrase in TOPIC_WORDS for word in phrase.split()),
    "Serangan",
    "diserang",
    "Daerah",
    "masalah",
    "Pemprov",
    "Selatan",
    "dan",
    "di",
]

CASINGS: list[Callable[[str], str]] = [str, str.lower, str.upper]

FLOOD = prepare_document("Banjir rendam Kota Serang", "Ratusan warga Serang mengungsi.")
MISSILE = prepare_document("Korut luncurkan rudal", "Peluncuran dari Pyongyang, kata Seoul.")


def brute_force(topics: dict[int, TopicQuery], doc: MatchDocument) -> set[int]:
    """Evaluate every topic on its own."""
    return {topic_id for topic_id, query in topics.items() if query.matches(doc)}


def try_parse(text: str) -> TopicQuery | None:
    """Parse `text`, or None when it is not a valid topic."""
    try:
        return parse_topic(text)
    except TopicSyntaxError:
        return None


def _combine(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    pairs = st.tuples(inner, inner)
    return st.one_of(
        pairs.map(lambda pair: f"({pair[0]} OR {pair[1]})"),
        pairs.map(lambda pair: f"{pair[0]} AND {pair[1]}"),
        pairs.map(lambda pair: f"{pair[0]} -({pair[1]})"),
    )


phrases = st.lists(st.sampled_from(TOPIC_WORDS), min_size=1, max_size=2).map(" ".join)
topics = (
    st.recursive(phrases, _combine, max_leaves=3)
    .map(try_parse)
    .filter(lambda query: query is not None)
    .map(lambda query: query if query is not None else parse_topic("never"))
)
text_words = st.tuples(
    st.sampled_from(TEXT_WORDS),
    st.sampled_from(["", "", "", "nya", "lah"]),
    st.sampled_from(CASINGS),
    st.sampled_from([" ", " ", "-", ", "]),
).map(lambda parts: parts[2](parts[0] + parts[1]) + parts[3])
texts = st.lists(text_words, max_size=14).map("".join)
documents = st.builds(prepare_document, texts, texts)


@settings(max_examples=300, deadline=None)
@given(st.lists(topics, min_size=1, max_size=12), st.lists(documents, min_size=1, max_size=4))
def test_index_agrees_with_brute_force(
    queries: list[TopicQuery], docs: list[MatchDocument]
) -> None:
    index = TopicIndex()
    model = dict(enumerate(queries))
    for topic_id, query in model.items():
        index.add(topic_id, query)
    for doc in docs:
        assert index.match(doc) == brute_force(model, doc)


operations = st.lists(
    st.one_of(
        st.tuples(st.just("add"), st.integers(0, 6), topics),
        st.tuples(st.just("remove"), st.integers(0, 6), st.none()),
        st.tuples(st.just("match"), st.integers(0, 0), st.none()),
    ),
    max_size=20,
)


@settings(max_examples=200, deadline=None)
@given(operations, documents)
def test_index_follows_adds_and_removes(
    steps: list[tuple[str, int, TopicQuery | None]], doc: MatchDocument
) -> None:
    index = TopicIndex()
    model: dict[int, TopicQuery] = {}
    for action, topic_id, query in steps:
        if action == "add" and query is not None:
            index.add(topic_id, query)
            model[topic_id] = query
        elif action == "remove":
            index.remove(topic_id)
            model.pop(topic_id, None)
        assert len(index) == len(model)
        assert index.match(doc) == brute_force(model, doc)


def test_matches_only_topics_whose_whole_expression_holds() -> None:
    index = TopicIndex()
    index.add(1, parse_topic("banjir AND Serang"))
    index.add(2, parse_topic("banjir -Serang"))
    index.add(3, parse_topic("Serang"))
    index.add(4, parse_topic("Korea Utara"))
    index.add(5, parse_topic("(rudal OR nuklir) AND Korea Utara"))
    index.add(6, parse_topic("banjir Serang"))
    assert index.match(FLOOD) == {1, 3}
    assert index.match(MISSILE) == {4, 5}


def test_topics_sharing_an_expression_all_match() -> None:
    index = TopicIndex()
    for topic_id in range(100):
        index.add(topic_id, parse_topic("Korea Utara" if topic_id % 2 else "korut"))
    assert index.match(MISSILE) == set(range(100))
    assert len(index) == 100


def test_add_replaces_the_topic_with_the_same_id() -> None:
    index = TopicIndex()
    index.add(7, parse_topic("Korut"))
    assert index.match(MISSILE) == {7}
    index.add(7, parse_topic("banjir"))
    assert index.match(MISSILE) == set()
    assert index.match(FLOOD) == {7}
    assert len(index) == 1


def test_remove_and_re_add() -> None:
    index = TopicIndex()
    index.add(1, parse_topic("Serang"))
    index.add(2, parse_topic("Serang"))
    assert index.match(FLOOD) == {1, 2}
    index.remove(1)
    index.remove(1)
    index.remove(99)
    assert index.match(FLOOD) == {2}
    index.remove(2)
    assert index.match(FLOOD) == set()
    assert len(index) == 0
    index.add(3, parse_topic("serang"))
    assert index.match(FLOOD) == {3}


def test_topics_added_after_a_match_are_found() -> None:
    index = TopicIndex()
    assert index.match(FLOOD) == set()
    index.add(1, parse_topic("banjir"))
    assert index.match(FLOOD) == {1}
    index.add(2, parse_topic("Kota Serang"))
    assert index.match(FLOOD) == {1, 2}


def test_clitic_and_case_sensitive_topics() -> None:
    index = TopicIndex()
    index.add(1, parse_topic("Jakarta"))
    index.add(2, parse_topic("Jakartanya"))
    index.add(3, parse_topic("AS"))
    index.add(4, parse_topic("as roda"))
    index.add(5, parse_topic("DPR"))
    assert index.match(prepare_document("", "Jakartanya macet, dolar AS menguat")) == {1, 2, 3}
    assert index.match(prepare_document("", "Jakarta macet, as roda truk patah")) == {1, 4}
    assert index.match(prepare_document("", "Dewan Perwakilan Rakyat Daerah rapat")) == set()
    assert index.match(prepare_document("", "Dewan Perwakilan Rakyat rapat")) == {5}


def test_many_removals_then_additions() -> None:
    index = TopicIndex()
    for topic_id in range(3000):
        index.add(topic_id, parse_topic(f"Serang OR kode{topic_id}"))
    assert len(index.match(FLOOD)) == 3000
    for topic_id in range(2990):
        index.remove(topic_id)
    assert index.match(FLOOD) == set(range(2990, 3000))
    index.add(5, parse_topic("banjir -Bogor"))
    assert index.match(FLOOD) == {5, *range(2990, 3000)}
