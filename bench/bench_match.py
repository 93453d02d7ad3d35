"""Benchmark TopicIndex against a naive loop of one compiled regex per topic.

Run: python bench/bench_match.py [--items N] [--topics N] [--chats N] [--naive-items N]
       [--locate-pairs N [--locate-batch N]]

With --locate-pairs, it also times what locating adds to matching, as the poller runs both:
N interleaved pairs, old (prepare the document, match) and new (locate the item as the poller
does, then prepare and match; with --locate-batch B, B items are located, then matched, as the
poller does with a poll's new items) alternating every 25 items, on the generated teasers and on
4,000-character bodies; the figure is the median over the pairs of (new - old) CPU time per
item. Locating is also timed where it runs within new, between two items' matching (the
caches as cold as the poller leaves them), which the difference confirms with less noise.

     python bench/bench_match.py --pairs 5 [--words 3500]: what the word-form and spelling rules
     cost, old (without them) and new (with them) built and matched in turn
"""

from __future__ import annotations

import argparse
import os
import random
import re
import resource
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.report import append_result
from bot.matching import TopicIndex, TopicQuery, parse_topic, prepare_document
from bot.matching.abbreviations import load_table
from bot.matching.lexicon import load_lexicon
from bot.matching.nodes import And, Node, Not, Or, Phrase
from bot.matching.normalize import CLITICS, fold_word, raw_words
from bot.matching.syntax import MAX_LENGTH
from bot.places.follow import places_of_item
from bot.places.gazetteer import Gazetteer

SEED = 20240917


def _names(block: str) -> list[str]:
    """Split a block of names separated by bars or line ends."""
    return [name.strip() for name in re.split(r"[|\n]", block) if name.strip()]


PLACES = _names(
    """Jakarta|Bogor|Depok|Tangerang|Bekasi|Serang|Cilegon|Bandung|Cimahi|Garut|Tasikmalaya
Cirebon|Sukabumi|Karawang|Purwakarta|Subang|Indramayu|Semarang|Solo|Surakarta|Magelang
Pekalongan|Tegal|Kudus|Jepara|Cilacap|Banyumas|Purwokerto|Klaten|Boyolali|Yogyakarta|Sleman
Bantul|Gunungkidul|Kulon Progo|Surabaya|Malang|Kediri|Blitar|Madiun|Jember|Banyuwangi
Sidoarjo|Gresik|Mojokerto|Pasuruan|Probolinggo|Lumajang|Tuban|Bojonegoro|Lamongan|Madura
Bangkalan|Sumenep|Denpasar|Badung|Gianyar|Buleleng|Mataram|Lombok Timur|Bima|Kupang|Ende
Labuan Bajo|Medan|Binjai|Deli Serdang|Pematangsiantar|Sibolga|Padang|Bukittinggi|Pariaman
Pekanbaru|Dumai|Batam|Tanjungpinang|Jambi|Palembang|Lubuklinggau|Bengkulu|Bandar Lampung
Metro|Pangkalpinang|Banda Aceh|Lhokseumawe|Meulaboh|Pontianak|Singkawang|Palangka Raya
Banjarmasin|Banjarbaru|Samarinda|Balikpapan|Bontang|Tarakan|Makassar|Gowa|Maros|Parepare
Palopo|Manado|Bitung|Gorontalo|Palu|Donggala|Kendari|Baubau|Mamuju|Ambon|Ternate|Sorong
Jayapura|Merauke|Timika|Manokwari|Jawa Barat|Jawa Tengah|Jawa Timur|Banten|Bali|Papua
Sumatera Utara|Sumatera Barat|Sumatera Selatan|Sulawesi Selatan|Sulawesi Tengah|Aceh|Riau
Kalimantan Barat|Kalimantan Timur|Kalimantan Selatan|NTB|NTT|Maluku|Jabar|Jateng|Jatim
Sumut|Sulsel|Kaltim|Kalbar|DKI Jakarta|Jogja|Puncak|Cianjur|Lebak|Pandeglang"""
)

THEMES = _names(
    """banjir|banjir bandang|gempa|gempa bumi|tanah longsor|longsor|kebakaran|kebakaran hutan
karhutla|angin puting beliung|cuaca ekstrem|gunung meletus|erupsi|tsunami|kekeringan|kabut asap
harga beras|harga cabai|harga minyak goreng|harga BBM|inflasi|UMR|upah minimum|PHK|pilkada
pemilu|pilpres|kampanye|debat calon|quick count|korupsi|OTT|narkoba|tawuran|begal|penipuan online
judi online|pinjol|kecelakaan|kecelakaan kereta|tol|mudik|arus balik|macet|stunting|DBD
demam berdarah|vaksin|rumah sakit|BPJS Kesehatan|sekolah|PPDB|beasiswa|guru honorer|UMKM
pajak|investasi|ekspor|impor beras|nikel|tambang|listrik padam|PLN|air bersih|sampah|polusi udara
kualitas udara|jalan rusak|proyek strategis|IKN|transportasi umum|KRL|MRT|LRT|bandara|pelabuhan
demo buruh|unjuk rasa|sengketa lahan|konflik agraria|pencurian|pembunuhan|hujan deras"""
)

FIGURES = _names(
    """Prabowo Subianto|Prabowo|Gibran Rakabuming|Jokowi|Joko Widodo|Anies Baswedan
Ganjar Pranowo|Ridwan Kamil|Khofifah|Dedi Mulyadi|Pramono Anung|Bobby Nasution|Sri Mulyani
Erick Thohir|Bahlil Lahadalia|Puan Maharani|Megawati|Susi Pudjiastuti|KPK|DPR|DPRD|MK|Mahkamah Agung
Kejaksaan Agung|Polri|TNI|BMKG|BNPB|Basarnas|KPU|Bawaslu|Bank Indonesia|OJK|BPS|Pertamina
Garuda Indonesia|Kemenkes|Kemenkeu|Pemprov DKI|Pemkot Bandung|Pemkab Bogor|Polda Metro Jaya
Timnas Indonesia|Persib|Persija|Arema|PSSI|Liga 1"""
)

WORLD = _names(
    """Korea Utara|Korut|Korea Selatan|Ukraina|Rusia|Gaza|Israel|Palestina|Iran|Amerika Serikat
AS|China|Jepang|Malaysia|Singapura|Australia|Filipina|Thailand|Myanmar|Rohingya|Uni Eropa|PBB
Timur Tengah|Arab Saudi|Turki|India|Taiwan|Laut China Selatan|NATO|ASEAN"""
)

FILLER = """pemerintah daerah menyatakan warga diminta tetap waspada petugas gabungan diterjunkan
sejak pagi hari menurut keterangan kepala dinas setempat kerugian ditaksir mencapai miliaran
rupiah sejumlah ruas jalan ditutup sementara bantuan logistik mulai disalurkan kepada para
korban aparat masih menyelidiki penyebab kejadian tersebut masyarakat diimbau tidak panik dan
mengikuti arahan resmi anggota dewan mendesak evaluasi menyeluruh atas kebijakan yang dinilai
merugikan rakyat kecil data terbaru menunjukkan kenaikan dibanding tahun lalu pengamat menilai
langkah itu perlu diikuti pengawasan ketat hingga berita ini diturunkan belum ada keterangan
resmi dari pihak terkait""".split()  # noqa: SIM905

HEADLINES = [
    "{theme} melanda {place}, ratusan warga mengungsi",
    "{figure} soroti {theme} di {place}",
    "Warga {place} keluhkan {theme} yang tak kunjung tuntas",
    "{world} dan {world2} memanas, {figure} angkat bicara",
    "Pemerintah siapkan langkah atasi {theme} di {place}",
    "{theme} di {place}: {figure} minta penanganan cepat",
    "Kabar {world}: situasi terkini dan dampaknya bagi Indonesia",
    "{place} dan {place2} bersiap hadapi {theme}",
]


@dataclass(frozen=True, slots=True)
class Item:
    """A generated news item."""

    title: str
    text: str


def make_items(rng: random.Random, count: int) -> list[Item]:
    """Generate realistic headline plus lead items."""
    items = []
    for _ in range(count):
        slots = {
            "place": rng.choice(PLACES),
            "place2": rng.choice(PLACES),
            "theme": rng.choice(THEMES),
            "figure": rng.choice(FIGURES),
            "world": rng.choice(WORLD),
            "world2": rng.choice(WORLD),
        }
        title = rng.choice(HEADLINES).format(**slots)
        title = title[0].upper() + title[1:]
        lead = [rng.choice(FILLER) for _ in range(rng.randint(40, 70))]
        for name in rng.sample([*slots.values(), rng.choice(PLACES), rng.choice(THEMES)], 5):
            lead.insert(rng.randrange(len(lead)), name)
        items.append(Item(title=title, text=f"{rng.choice(PLACES).upper()} - {' '.join(lead)}."))
    return items


def make_topic(rng: random.Random) -> str:
    """Draw one topic text that fits the length limit."""
    while len(text := draw_topic(rng)) > MAX_LENGTH:
        pass
    return text


def draw_topic(rng: random.Random) -> str:
    """Draw one topic text, mostly plain phrases and some operator topics."""
    roll = rng.random()
    place, theme = rng.choice(PLACES), rng.choice(THEMES)
    if roll < 0.30:
        return place
    if roll < 0.45:
        return theme
    if roll < 0.60:
        return f"{theme} {place}"
    if roll < 0.70:
        return rng.choice(FIGURES)
    if roll < 0.77:
        return rng.choice(WORLD)
    if roll < 0.85:
        return f"{theme} OR {rng.choice(THEMES)}"
    if roll < 0.93:
        return f"{theme} {rng.choice(['AND', '+'])} {place}"
    if roll < 0.97:
        return f"{rng.choice(WORLD)} -{rng.choice(WORLD)}"
    return f"({theme} OR {rng.choice(THEMES)}) AND {place}"


def make_topics(
    rng: random.Random, count: int, chats: int, words: Sequence[str] = ()
) -> list[tuple[int, int, str]]:
    """Return (topic id, chat id, text) rows; each chat follows a handful of topics.

    With `words`, every other topic is one of them: a one-word topic of an ordinary word, as
    readers follow "kirim" or "tanam" (each word is followed at least once).
    """
    rows = []
    for number in range(count):
        if words and number % 2:
            text = words[(number // 2) % len(words)] if number // 2 < len(words) else ""
            text = text or rng.choice(words)
        else:
            text = make_topic(rng)
        rows.append((number, rng.randrange(chats), text))
    return rows


def lexicon_words(count: int) -> list[str]:
    """`count` ordinary words of the attested word list, drawn with a fixed seed."""
    zipf = load_lexicon().zipf
    pool = sorted(word for word, f in zipf.items() if 3.0 <= f <= 5.5 and 4 <= len(word) <= 10)
    return random.Random(SEED).sample(pool, count) if count else []


def parse_all(
    rows: list[tuple[int, int, str]], expand: bool = True
) -> list[tuple[int, TopicQuery]]:
    """Parse every topic once per distinct text, as the bot does when loading them."""
    cache: dict[str, TopicQuery] = {}
    parsed = []
    for topic_id, _, text in rows:
        query = cache.get(text)
        if query is None:
            query = cache[text] = parse_topic(text, expand=expand)
        parsed.append((topic_id, query))
    return parsed


def _word_regex(word: str, marked: frozenset[str]) -> str:
    """Match a word, or the same word with clitics attached, unless it is case-sensitive."""
    if word in marked:
        return re.escape(word)
    return re.escape(word) + "(?:" + "|".join(CLITICS) + ")*"


def _phrase_regex(phrase: Phrase, marked: frozenset[str]) -> str:
    variants = (" ".join(_word_regex(w, marked) for w in words) for words in phrase.variants)
    return r"(?<![^ \n])(?:" + "|".join(variants) + r")(?![^ \n])"


def _node_regex(node: Node, marked: frozenset[str]) -> str:
    """Translate an expression into lookaheads anchored at the start of the text."""
    if isinstance(node, Phrase):
        return r"(?=.*" + _phrase_regex(node, marked) + ")"
    if isinstance(node, Not):
        return r"(?!" + _node_regex(node.child, marked) + ")"
    if isinstance(node, And):
        return "".join(_node_regex(child, marked) for child in node.children)
    assert isinstance(node, Or)
    return "(?:" + "|".join(_node_regex(child, marked) for child in node.children) + ")"


def naive_text(item: Item, marked: frozenset[str]) -> str:
    """Fold an item as the naive loop sees it: one line for the title, one for the text."""
    lines = (
        " ".join(raw if raw in marked else fold_word(raw) for raw in raw_words(part))
        for part in (item.title, item.text)
    )
    return "\n".join(lines)


def naive_matchers(parsed: list[tuple[int, TopicQuery]]) -> list[tuple[int, re.Pattern[str]]]:
    """Compile one regular expression per topic."""
    marked = load_table().marked
    compiled: dict[str, re.Pattern[str]] = {}
    matchers = []
    for topic_id, query in parsed:
        pattern = compiled.get(query.key)
        if pattern is None:
            pattern = compiled[query.key] = re.compile(
                r"\A" + _node_regex(query.root, marked), re.DOTALL
            )
        matchers.append((topic_id, pattern))
    return matchers


def timed(action: Callable[[], object]) -> float:
    """Return the seconds `action` took."""
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def build(
    rows: list[tuple[int, int, str]], expand: bool = True
) -> tuple[TopicIndex, list[tuple[int, TopicQuery]], float]:
    """Parse the topics and build the index, printing times and memory growth."""
    rss_before = _max_rss_mb()
    start = time.perf_counter()
    parsed = parse_all(rows, expand)
    parsed_at = time.perf_counter()
    index = TopicIndex()
    for topic_id, query in parsed:
        index.add(topic_id, query)
    index.match(prepare_document("", ""))  # forces the lazy automaton build
    built_at = time.perf_counter()
    print(
        f"parse {len(rows):,} topics: {parsed_at - start:.2f} s "
        f"({len({row[2] for row in rows}):,} distinct texts, each parsed once)"
    )
    print(
        f"index build (add all + automaton): {built_at - parsed_at:.3f} s; "
        f"peak RSS growth for parse and build: {_max_rss_mb() - rss_before:.0f} MB"
    )
    return index, parsed, built_at - parsed_at


def rebuild_time(index: TopicIndex, parsed: list[tuple[int, TopicQuery]]) -> float:
    """Time the lazy rebuild after one topic change, as happens in production."""
    topic_id, query = parsed[0]
    index.remove(topic_id)
    index.add(topic_id, parse_topic("topik baru yang belum ada"))
    index.add(topic_id, query)
    return timed(lambda: index.match(prepare_document("", "")))


def _max_rss_mb() -> float:
    """Return the peak resident set size of this process so far, in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def match_all(
    index: TopicIndex, items: list[Item], keep: int
) -> tuple[float, list[set[int]], float]:
    """Match every item; return ms per item, the first `keep` results and the mean matches."""
    # Later results are dropped, as the bot does once alerts are queued.
    kept: list[set[int]] = []
    total = 0
    start = time.perf_counter()
    for item in items:
        matched = index.match(prepare_document(item.title, item.text))
        total += len(matched)
        if len(kept) < keep:
            kept.append(matched)
    return (time.perf_counter() - start) * 1000 / len(items), kept, total / len(items)


def match_naive(
    items: list[Item], parsed: list[tuple[int, TopicQuery]]
) -> tuple[float, list[set[int]]]:
    """Test every topic's regex against each item; return ms per item and the results."""
    matchers = naive_matchers(parsed)
    marked = load_table().marked
    results = []
    start = time.perf_counter()
    for item in items:
        text = naive_text(item, marked)
        results.append({topic_id for topic_id, pattern in matchers if pattern.match(text)})
    return (time.perf_counter() - start) * 1000 / len(items), results


@dataclass(frozen=True, slots=True)
class Figures:
    """What one run measured."""

    build_s: float
    index_ms: float
    naive_ms: float
    naive_items: int
    same: int
    avg_matched: float


def report(args: argparse.Namespace, figures: Figures) -> None:
    """Print the figures and append them to bench/results.md."""
    speed_up = figures.naive_ms / figures.index_ms
    rss_mb = _max_rss_mb()
    print(
        f"index: {figures.index_ms:.3f} ms/item ({1000 / figures.index_ms:,.0f} items/s, "
        f"normalisation included); avg {figures.avg_matched:.0f} topics matched per item"
    )
    print(
        f"naive regex loop: {figures.naive_ms:.1f} ms/item, measured on {figures.naive_items} "
        f"items and extrapolated: {figures.naive_ms * args.items / 1000:.0f} s for "
        f"{args.items:,} items; same topic sets as the index on "
        f"{figures.same}/{figures.naive_items} items"
    )
    print(f"speed-up: {speed_up:,.0f}x; max RSS {rss_mb:.0f} MB")
    append_result(
        name="match: TopicIndex vs naive regex per topic (bench/bench_match.py)",
        result=(
            f"{figures.index_ms:.3f} ms/item, build {figures.build_s:.2f} s, "
            f"naive {figures.naive_ms:.0f} ms/item, {speed_up:,.0f}x"
        ),
        target="< 1 ms/item, >= 100x naive, build < 2 s",
        conditions=(
            f"{args.topics:,} topics / {args.chats:,} chats / {args.items:,} items, naive on "
            f"{figures.naive_items} items extrapolated, max RSS {rss_mb:.0f} MB"
        ),
    )


def run(args: argparse.Namespace) -> Figures:
    """Generate the data, build the index and time both matchers."""
    rng = random.Random(SEED)
    items = make_items(rng, args.items)
    rows = make_topics(rng, args.topics, args.chats)
    index, parsed, build_s = build(rows)
    print(f"lazy rebuild after a topic change: {rebuild_time(index, parsed):.3f} s")
    index_ms, results, avg_matched = match_all(index, items, keep=args.naive_items)
    naive_ms, naive_results = match_naive(items[: args.naive_items], parsed)
    return Figures(
        build_s=build_s,
        index_ms=index_ms,
        naive_ms=naive_ms,
        naive_items=len(naive_results),
        same=sum(a == b for a, b in zip(results, naive_results, strict=False)),
        avg_matched=avg_matched,
    )


BODY_CHARS = 4000
# The feed region of the generated items: national, as for the national desks' stories.
_REGION = "Nasional"


def with_bodies(rng: random.Random, items: list[Item]) -> list[Item]:
    """The items with 4,000-character bodies made of the generated leads (fetched articles)."""
    made = []
    for item in items:
        text = item.text
        while len(text) < BODY_CHARS:
            text += " " + rng.choice(items).text
        made.append(Item(item.title, text[:BODY_CHARS]))
    return made


# Items per turn: old and new alternate every this many items within a pair, so that a burst of
# load on the shared machine falls on both.
_TURN = 25


def one_pair(
    index: TopicIndex, gazetteer: Gazetteer, items: list[Item], body: bool, batch: int
) -> tuple[float, float, float]:
    """CPU ms per item of old and of new over `items`, the two alternating turn by turn, and
    of locating alone within new."""
    old = new = locating = 0.0
    for start in range(0, len(items), _TURN):
        turn = items[start : start + _TURN]
        began = time.process_time()
        prepare_old(index, turn)
        middle = time.process_time()
        locating += prepare_new(index, gazetteer, turn, body, batch)
        old += middle - began
        new += time.process_time() - middle
    return old * 1000 / len(items), new * 1000 / len(items), locating * 1000 / len(items)


def prepare_old(index: TopicIndex, items: list[Item]) -> None:
    """Matching as before locating: prepare the document, match it."""
    for item in items:
        index.match(prepare_document(item.title, item.text, _REGION))


def prepare_new(
    index: TopicIndex, gazetteer: Gazetteer, items: list[Item], body: bool, batch: int = 1
) -> float:
    """The poller's prepare step with locating: the places of `batch` items (the poller locates
    the new items of a poll up to PREPARE_BATCH at a time), then each one's document, matched.
    Returns the CPU seconds locating took, timed where it runs (after the previous items'
    matching, as in the poller: a figure the old/new difference confirms, with far less noise).

    A body is located as a fetched article; a teaser as the teaser."""
    locating = 0.0
    for start in range(0, len(items), batch):
        chunk = items[start : start + batch]
        began = time.process_time()
        for item in chunk:
            teaser, article = ("", item.text) if body else (item.text, "")
            places_of_item(gazetteer, _REGION, title=item.title, teaser=teaser, article=article)
        locating += time.process_time() - began
        for item in chunk:
            index.match(prepare_document(item.title, item.text, _REGION))
    return locating


def locate_pairs(index: TopicIndex, items: list[Item], pairs: int, batch: int) -> list[str]:
    """Median added ms per item over interleaved old/new pairs, on teasers and on bodies."""
    gazetteer = Gazetteer.load()
    bodies = with_bodies(random.Random(SEED), items)
    sets = {"teasers": (items, False), "4,000-char bodies": (bodies, True)}
    lines = []
    for label, (located, body) in sets.items():
        prepare_new(index, gazetteer, located[:50], body)  # warm up both paths
        added, old, alone = [], [], []
        for _ in range(pairs):
            before, after, locating = one_pair(index, gazetteer, located, body, batch)
            old.append(before)
            added.append(after - before)
            alone.append(locating)
        lines.append(
            f"{label}: +{statistics.median(added):.3f} ms/item "
            f"(pairs {', '.join(f'{value:+.3f}' for value in added)}; "
            f"matching alone {statistics.median(old):.3f}; locating timed in place "
            f"{statistics.median(alone):.3f}, {min(alone):.3f}-{max(alone):.3f})"
        )
    return lines


def report_locate_pairs(args: argparse.Namespace, lines: list[str]) -> None:
    """Print the locating pairs and append them to bench/results.md."""
    for line in lines:
        print(f"locating on top of matching, {line}")
    append_result(
        name="locate on top of match: interleaved old/new pairs (bench/bench_match.py)",
        result="; ".join(lines),
        target="<= 0.2 ms/item added, median of >= 5 pairs",
        conditions=(
            f"{args.locate_pairs} pairs, CPU time, {args.topics:,} topics / {args.chats:,} "
            f"chats / {args.items:,} items (teasers ~500 chars; bodies 4,000), region "
            f"{_REGION}, old = prepare_document + match, new = places_of_item + the same, "
            f"located {args.locate_batch} at a time"
        ),
    )


@dataclass(frozen=True, slots=True)
class Pair:
    """One run without the word-form and spelling rules and one with them, back to back."""

    old_build_s: float
    new_build_s: float
    old_ms: float
    new_ms: float


def run_pairs(args: argparse.Namespace) -> list[Pair]:
    """Interleaved runs without (old) and with (new) the rules, on the same topics and items."""
    rng = random.Random(SEED)
    items = make_items(rng, args.items)
    words = lexicon_words(args.words)
    rows = make_topics(rng, args.topics, args.chats, words)
    one_word = len({text for _, _, text in rows if " " not in text and text.islower()})
    print(f"{one_word:,} distinct one-word lower-case topics")
    pairs = []
    for number in range(args.pairs):
        figures = []
        for expand in (False, True):
            index, _, build_s = build(rows, expand)
            index_ms, _, avg = match_all(index, items, keep=0)
            run_name = "new" if expand else "old"
            print(f"pair {number + 1} {run_name}: {index_ms:.3f} ms/item, {avg:.0f} matched")
            figures.append((build_s, index_ms))
            del index
        pairs.append(Pair(figures[0][0], figures[1][0], figures[0][1], figures[1][1]))
    return pairs


def report_pairs(args: argparse.Namespace, pairs: list[Pair]) -> None:
    """Print the medians of the new/old ratios and append them to bench/results.md."""
    match_ratio = statistics.median(p.new_ms / p.old_ms for p in pairs)
    build_ratio = statistics.median(p.new_build_s / p.old_build_s for p in pairs)
    old_ms = statistics.median(p.old_ms for p in pairs)
    new_ms = statistics.median(p.new_ms for p in pairs)
    old_build = statistics.median(p.old_build_s for p in pairs)
    new_build = statistics.median(p.new_build_s for p in pairs)
    print(f"match per item: new/old median {match_ratio:.2f}x ({old_ms:.3f} -> {new_ms:.3f} ms)")
    print(f"index build: new/old median {build_ratio:.2f}x ({old_build:.2f} -> {new_build:.2f} s)")
    append_result(
        name="match: word forms and spellings on vs off (bench/bench_match.py --pairs)",
        result=(
            f"match {match_ratio:.2f}x ({old_ms:.3f} -> {new_ms:.3f} ms/item), "
            f"build {build_ratio:.2f}x ({old_build:.2f} -> {new_build:.2f} s)"
        ),
        target="match <= 1.3x, build <= 1.5x (median of the pairs' ratios)",
        conditions=(
            f"{len(pairs)} interleaved old/new pairs; {args.topics:,} topics (half of them "
            f"{args.words:,} lexicon words) / {args.chats:,} chats / {args.items:,} items; "
            f"max RSS {_max_rss_mb():.0f} MB"
        ),
    )


def main() -> None:
    """Run the benchmark and record its figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=1_000)
    parser.add_argument("--topics", type=int, default=100_000)
    parser.add_argument("--chats", type=int, default=50_000)
    parser.add_argument("--naive-items", type=int, default=20)
    parser.add_argument("--locate-pairs", type=int, default=0)
    parser.add_argument(
        "--locate-batch",
        type=int,
        default=1,
        help="with --locate-pairs: items located before they are matched (the poller: up to "
        "PREPARE_BATCH of a poll's new items; 1: an item alone, as from a quiet feed)",
    )
    parser.add_argument(
        "--pairs",
        type=int,
        default=0,
        help="instead: N interleaved runs without and with word forms and spellings",
    )
    parser.add_argument("--words", type=int, default=3_500, help="one-word topics, with --pairs")
    args = parser.parse_args()
    print(
        f"cores: {os.cpu_count()}; python {sys.version.split()[0]}; "
        f"{args.topics:,} topics of {args.chats:,} chats; {args.items:,} items"
    )
    if args.locate_pairs:
        rng = random.Random(SEED)
        items = make_items(rng, args.items)
        index, _, _ = build(make_topics(rng, args.topics, args.chats))
        lines = locate_pairs(index, items, args.locate_pairs, args.locate_batch)
        report_locate_pairs(args, lines)
        return
    if args.pairs:
        report_pairs(args, run_pairs(args))
    else:
        report(args, run(args))


if __name__ == "__main__":
    main()
