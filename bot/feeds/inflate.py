"""Decompress a feed body as it arrives, never producing more than the size cap.

httpx decompresses each network read in one go: a gzip bomb of a few hundred KiB turns into
hundreds of MiB in memory (and blocks the event loop) before any size check can run. Here each
read is inflated only up to what the cap still allows, so a bomb costs at most the cap.

A gzip body may hold several members one after another (RFC 1952); each is inflated in turn,
all within the one cap. A body that ends before its stream does is refused, not half-kept.
"""

from __future__ import annotations

import zlib

# What the fetcher accepts; the client advertises exactly these.
ACCEPT_ENCODING = "gzip, deflate"
_GZIP_OR_ZLIB = 32 + zlib.MAX_WBITS  # zlib detects either header
_RAW_DEFLATE = -zlib.MAX_WBITS
# A zlib header is two bytes: past them, an error is not a sign of raw deflate.
_ZLIB_HEADER = 2


class BodyTooLargeError(Exception):
    """The decompressed body would exceed the cap."""


class UndecodableBodyError(Exception):
    """The body is not valid in its Content-Encoding, or that encoding is unknown."""


class BoundedInflater:
    """Turns raw body chunks into the body, raising once it would exceed `limit` bytes."""

    def __init__(self, content_encoding: str, limit: int) -> None:
        codings = [c.strip().lower() for c in content_encoding.split(",") if c.strip()]
        codings = [c for c in codings if c != "identity"]
        if len(codings) > 1 or (codings and codings[0] not in ("gzip", "x-gzip", "deflate")):
            raise UndecodableBodyError(f"unsupported Content-Encoding: {content_encoding[:40]}")
        self._coding = {"x-gzip": "gzip"}.get(codings[0], codings[0]) if codings else None
        self._left = limit
        self._stream: zlib._Decompress | None = None
        if self._coding is not None:
            self._stream = zlib.decompressobj(_GZIP_OR_ZLIB)
        # The opening bytes of a deflate body, kept until its zlib header has been accepted.
        self._opening: bytes | None = b"" if self._coding == "deflate" else None

    def feed(self, chunk: bytes) -> bytes:
        """The body bytes this raw chunk carries."""
        if self._stream is None:
            return self._take(chunk)
        if self._opening is not None:
            self._opening += chunk
        try:
            body = self._inflate(chunk)
        except zlib.error as error:
            if self._opening is not None:
                return self._retry_as_raw_deflate(self._opening)
            raise UndecodableBodyError(f"undecodable {self._coding} body: {error}") from None
        if self._opening is not None and len(self._opening) >= _ZLIB_HEADER:
            self._opening = None  # the zlib header was accepted
        return body

    def finish(self) -> bytes:
        """Whatever the decompressor still holds; refuses a body cut before its stream ends."""
        if self._stream is None:
            return b""
        try:
            tail = self._take(self._stream.flush())
        except zlib.error as error:
            raise UndecodableBodyError(f"undecodable {self._coding} body: {error}") from None
        if not self._stream.eof:
            raise UndecodableBodyError(f"truncated {self._coding} body")
        return tail

    def _inflate(self, data: bytes) -> bytes:
        """Inflate data, starting a new stream where a gzip member ends and another begins."""
        assert self._stream is not None
        out: list[bytes] = []
        while data:
            if self._stream.eof:
                data = self._next_member(data)
                if not data:
                    break
            # One byte more than allowed is enough to know the cap is crossed.
            out.append(self._take(self._stream.decompress(data, self._left + 1)))
            data = self._stream.unused_data if self._stream.eof else b""
        return b"".join(out)

    def _next_member(self, data: bytes) -> bytes:
        """What follows a finished stream: another gzip member, or only zero padding."""
        if self._coding != "gzip":
            if data.strip(b"\0"):
                raise UndecodableBodyError(f"{self._coding} body has data after the end")
            return b""
        # Gzip files may be padded with zeros after the last member, as gzip(1) accepts.
        data = data.lstrip(b"\0")
        if data:
            self._stream = zlib.decompressobj(_GZIP_OR_ZLIB)
        return data

    def _retry_as_raw_deflate(self, opening: bytes) -> bytes:
        # "deflate" is meant to be zlib-wrapped, but some servers send raw deflate.
        self._opening = None
        self._stream = zlib.decompressobj(_RAW_DEFLATE)
        try:
            return self._inflate(opening)
        except zlib.error as error:
            raise UndecodableBodyError(f"undecodable deflate body: {error}") from None

    def _take(self, data: bytes) -> bytes:
        self._left -= len(data)
        if self._left < 0:
            raise BodyTooLargeError
        return data
