"""An article page's main text: trafilatura, then the same cleaning as feed text.

Apart from `articles.py` (which fetches the pages) so that reading a saved page, as
`warta match` does, loads the extractor without the network libraries.
"""

from __future__ import annotations

from typing import Final

import trafilatura

from bot.feeds.clean.boilerplate import clean_article

# The dateline is looked for in this many opening lines of the extracted text.
DATELINE_SEARCH_LINES: Final = 4


def extract_article(page: bytes, url: str) -> str:
    """An article page's main text without boilerplate, the dateline's place first ('': none).

    A pure function of its arguments (CPU work, run off the event loop, picklable for a pool).
    """
    text = trafilatura.extract(
        page,
        url=url,
        include_comments=False,
        include_tables=False,
        include_images=False,
        include_links=False,
        deduplicate=False,
    )
    if not text:
        return ""
    article = clean_article(text)
    if not article.place:
        # Pages open the article with its headline, date or byline: the dateline comes after.
        lines = article.text.split("\n")
        for start in range(1, min(len(lines), DATELINE_SEARCH_LINES)):
            after_heading = clean_article("\n".join(lines[start:]))
            if after_heading.place:
                return after_heading.for_matching()
    return article.for_matching()
