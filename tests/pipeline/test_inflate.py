"""The bounded inflater: whole bodies back exactly, cut or oversized bodies refused."""

from __future__ import annotations

import gzip
import itertools
import zlib
from collections.abc import Sequence

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.feeds.inflate import BodyTooLargeError, BoundedInflater, UndecodableBodyError

CAP = 64 * 1024


def inflate(coding: str, body: bytes, cuts: Sequence[int] = (), limit: int = CAP) -> bytes:
    """Feed body in pieces split at the given offsets, as network reads would bring it."""
    inflater = BoundedInflater(coding, limit)
    edges = [0, *sorted({cut for cut in cuts if 0 < cut < len(body)}), len(body)]
    pieces = [inflater.feed(body[start:end]) for start, end in itertools.pairwise(edges)]
    return b"".join([*pieces, inflater.finish()])


def members(parts: Sequence[bytes]) -> tuple[bytes, list[int]]:
    """A concatenated gzip body of one member per part, and where each member ends."""
    compressed = [gzip.compress(part, mtime=0) for part in parts]
    ends, total = [], 0
    for member in compressed:
        total += len(member)
        ends.append(total)
    return b"".join(compressed), ends


def test_every_member_of_a_concatenated_gzip_body_is_inflated() -> None:
    body, _ = members([b"<rss><channel>", b"<item>satu</item>", b"<item>dua</item></channel>"])
    assert inflate("gzip", body) == b"<rss><channel><item>satu</item><item>dua</item></channel>"


def test_zero_padding_after_the_last_member_is_accepted() -> None:
    assert inflate("gzip", gzip.compress(b"<rss/>") + bytes(8)) == b"<rss/>"


@pytest.mark.parametrize(
    ("coding", "body"),
    [
        ("gzip", gzip.compress(b"<rss>" + b"x" * 5000 + b"</rss>")[:-4]),
        ("gzip", gzip.compress(b"<rss>" + b"x" * 5000 + b"</rss>")[:20]),
        ("x-gzip", gzip.compress(b"<rss/>")[:5]),
        ("gzip", b""),
    ],
    ids=["no-trailer", "mid-stream", "mid-header", "empty"],
)
def test_a_truncated_gzip_body_is_refused(coding: str, body: bytes) -> None:
    with pytest.raises(UndecodableBodyError, match="truncated gzip body"):
        inflate(coding, body)


@pytest.mark.parametrize("wbits", [15, -15])
def test_a_truncated_deflate_body_is_refused(wbits: int) -> None:
    squeezer = zlib.compressobj(6, zlib.DEFLATED, wbits)
    body = squeezer.compress(b"<rss>" + b"y" * 5000 + b"</rss>") + squeezer.flush()
    with pytest.raises(UndecodableBodyError, match="truncated deflate body"):
        inflate("deflate", body[:-3])


def test_raw_deflate_arriving_one_byte_at_a_time_is_inflated() -> None:
    squeezer = zlib.compressobj(6, zlib.DEFLATED, -15)
    body = squeezer.compress(b"<rss>raw deflate</rss>") + squeezer.flush()
    assert inflate("deflate", body, cuts=range(len(body))) == b"<rss>raw deflate</rss>"


def test_data_after_a_deflate_stream_is_refused() -> None:
    body = zlib.compress(b"<rss/>") + zlib.compress(b"<rss/>")
    with pytest.raises(UndecodableBodyError, match="after the end"):
        inflate("deflate", body)


def test_garbage_after_a_gzip_member_is_refused() -> None:
    with pytest.raises(UndecodableBodyError, match="undecodable gzip body"):
        inflate("gzip", gzip.compress(b"<rss/>") + b"<html>oops</html>")


def test_the_cap_covers_all_members_together() -> None:
    # Each member alone fits; together they are a bomb split in pieces.
    body, _ = members([bytes(CAP // 2)] * 3)
    with pytest.raises(BodyTooLargeError):
        inflate("gzip", body)
    exactly, _ = members([bytes(CAP // 2)] * 2)
    assert len(inflate("gzip", exactly)) == CAP


@given(
    parts=st.lists(st.binary(max_size=600), min_size=1, max_size=4),
    cuts=st.lists(st.integers(min_value=0, max_value=3000), max_size=8),
)
def test_any_gzip_body_in_any_chunks_and_members_inflates_back_exactly(
    parts: list[bytes], cuts: list[int]
) -> None:
    body, _ = members(parts)
    assert inflate("gzip", body, cuts) == b"".join(parts)


@given(
    parts=st.lists(st.binary(max_size=600), min_size=1, max_size=4),
    cut=st.integers(min_value=0),
    chunking=st.lists(st.integers(min_value=0, max_value=3000), max_size=8),
)
def test_any_strict_prefix_of_a_gzip_body_is_refused(
    parts: list[bytes], cut: int, chunking: list[int]
) -> None:
    body, ends = members(parts)
    prefix = body[: cut % len(body)]
    if len(prefix) in ends:
        # A cut right after a member leaves a complete gzip body of the members before it.
        complete = ends.index(len(prefix)) + 1
        assert inflate("gzip", prefix, chunking) == b"".join(parts[:complete])
        return
    with pytest.raises(UndecodableBodyError, match="truncated gzip body"):
        inflate("gzip", prefix, chunking)
