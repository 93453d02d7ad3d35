"""Decompress a feed body as it arrives, never producing more than the size cap.

httpx decompresses each network read in one go: a gzip bomb of a few hundred KiB turns into
hundreds of MiB in memory (and blocks the event loop) before any size check can run. Here each
read is inflated only up to what the cap still allows, so a bomb costs at most the cap.
"""

from __future__ import annotations

import zlib

# What the fetcher accepts; the client advertises exactly these.
ACCEPT_ENCODING = "gzip, deflate"
_GZIP_OR_ZLIB = 32 + zlib.MAX_WBITS  # zlib detects either header


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
        self._coding = codings[0] if codings else None
        self._left = limit
        self._inflater: zlib._Decompress | None = None
        if self._coding is not None:
            self._inflater = zlib.decompressobj(_GZIP_OR_ZLIB)
        self._raw_deflate_tried = False

    def feed(self, chunk: bytes) -> bytes:
        """The body bytes this raw chunk carries."""
        if self._inflater is None:
            return self._take(chunk)
        try:
            # One byte more than allowed is enough to know the cap is crossed.
            return self._take(self._inflater.decompress(chunk, self._left + 1))
        except zlib.error as error:
            if self._coding == "deflate" and not self._raw_deflate_tried:
                return self._retry_as_raw_deflate(chunk)
            raise UndecodableBodyError(f"undecodable {self._coding} body: {error}") from None

    def finish(self) -> bytes:
        """Whatever the decompressor still holds."""
        if self._inflater is None:
            return b""
        try:
            return self._take(self._inflater.flush())
        except zlib.error as error:
            raise UndecodableBodyError(f"undecodable {self._coding} body: {error}") from None

    def _retry_as_raw_deflate(self, chunk: bytes) -> bytes:
        # "deflate" is meant to be zlib-wrapped, but some servers send raw deflate.
        self._raw_deflate_tried = True
        self._inflater = zlib.decompressobj(-zlib.MAX_WBITS)
        return self.feed(chunk)

    def _take(self, data: bytes) -> bytes:
        self._left -= len(data)
        if self._left < 0:
            raise BodyTooLargeError
        return data
