"""One alert per story: recognise a title that tells a story already seen."""

from __future__ import annotations

from collections import deque

from rapidfuzz import fuzz, process, utils

STORY_WINDOW_SECONDS = 48 * 3600
SIMILARITY_CUTOFF = 85.0
MIN_TITLE_WORDS = 4


class StoryMatcher:
    """Recent titles and their story ids, to spot near-duplicate titles."""

    def __init__(self, window: float = STORY_WINDOW_SECONDS) -> None:
        self._window = window
        self._recent: deque[tuple[float, int, str]] = deque()

    def remember(self, story_id: int, title: str, seen_at: float) -> None:
        """Add a stored item's title (call in the order items were stored)."""
        normalised = utils.default_process(title)
        if len(normalised.split()) >= MIN_TITLE_WORDS:
            self._recent.append((seen_at, story_id, normalised))

    def find_story(self, title: str, now: float) -> int | None:
        """The story id of a recent near-duplicate title, if there is one."""
        self._forget_before(now - self._window)
        normalised = utils.default_process(title)
        # Short titles ("Update", "Berita Terkini") say too little to call two items one story.
        if len(normalised.split()) < MIN_TITLE_WORDS or not self._recent:
            return None
        best = process.extractOne(
            normalised,
            [entry[2] for entry in self._recent],
            scorer=fuzz.token_set_ratio,
            processor=None,
            score_cutoff=SIMILARITY_CUTOFF,
        )
        if best is None:
            return None
        return self._recent[best[2]][1]

    def _forget_before(self, moment: float) -> None:
        while self._recent and self._recent[0][0] < moment:
            self._recent.popleft()
