"""One alert per story: recognise a title that tells a story already seen."""

from __future__ import annotations

from collections import Counter, defaultdict, deque

from rapidfuzz import fuzz, process, utils

STORY_WINDOW_SECONDS = 48 * 3600
SIMILARITY_CUTOFF = 85.0
MIN_TITLE_WORDS = 4
# Words in more titles than this ("di", "yang", "Jakarta") do not help find candidates.
COMMON_WORD_POSTINGS = 500


class StoryMatcher:
    """Recent titles and their story ids, to spot near-duplicate titles quickly.

    Storage keeps it up to date (storage.models.StoryBook): before a poller stores items it
    is shown every item stored since the newest it has seen, by any process.
    """

    def __init__(self, window: float = STORY_WINDOW_SECONDS) -> None:
        self.window = window
        self._newest_item_id = 0
        self._next = 0  # sequence number of the next remembered title
        self._recent: deque[tuple[int, float, int, str]] = deque()  # (seq, seen, story, title)
        self._by_seq: dict[int, tuple[int, str]] = {}
        self._postings: defaultdict[str, deque[int]] = defaultdict(deque)

    @property
    def newest_item_id(self) -> int:
        """The id of the newest stored item seen (0: none)."""
        return self._newest_item_id

    def remember_stored(self, item_id: int, story_id: int, title: str, seen_at: float) -> None:
        """Add a stored item's title (in the order items were stored)."""
        self._newest_item_id = max(self._newest_item_id, item_id)
        self.remember(story_id, title, seen_at)

    def remember(self, story_id: int, title: str, seen_at: float) -> None:
        """Add a stored item's title (call in the order items were stored)."""
        normalised = utils.default_process(title)
        words = set(normalised.split())
        if len(words) < MIN_TITLE_WORDS:
            return
        seq = self._next
        self._next += 1
        self._recent.append((seq, seen_at, story_id, normalised))
        self._by_seq[seq] = (story_id, normalised)
        for word in words:
            self._postings[word].append(seq)

    def find_story(self, title: str, now: float) -> int | None:
        """The story id of a recent near-duplicate title, if there is one."""
        self._forget_before(now - self.window)
        normalised = utils.default_process(title)
        words = set(normalised.split())
        # Short titles ("Update", "Berita Terkini") say too little to call two items one story.
        if len(words) < MIN_TITLE_WORDS:
            return None
        candidates = self._candidates(words)
        best = process.extractOne(
            normalised,
            [self._by_seq[seq][1] for seq in candidates],
            scorer=fuzz.token_set_ratio,
            processor=None,
            score_cutoff=SIMILARITY_CUTOFF,
        )
        return None if best is None else self._by_seq[candidates[best[2]]][0]

    def _candidates(self, words: set[str]) -> list[int]:
        """Titles sharing at least a third of these words (the rest cannot score high)."""
        shared: Counter[int] = Counter()
        for word in words:
            postings = self._postings.get(word)
            if postings and len(postings) <= COMMON_WORD_POSTINGS:
                shared.update(postings)
        needed = max(2, len(words) // 3)
        return [seq for seq, count in shared.items() if count >= needed]

    def _forget_before(self, moment: float) -> None:
        while self._recent and self._recent[0][1] < moment:
            seq, _, _, title = self._recent.popleft()
            del self._by_seq[seq]
            for word in set(title.split()):
                postings = self._postings[word]
                while postings and postings[0] <= seq:
                    postings.popleft()
                if not postings:
                    del self._postings[word]
