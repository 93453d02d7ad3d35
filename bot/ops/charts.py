"""The /stats chart: alerts per day, drawn headless with matplotlib's Agg canvas (blocking).

matplotlib comes with the `charts` extra (`pip install 'warta[charts]'`); without it the same
figures go out as a text table.
"""

from __future__ import annotations

import html
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

SENT_COLOUR = "#2e7d32"
FAILED_COLOUR = "#c62828"


@dataclass(frozen=True, slots=True)
class ChartLabels:
    """The chart's words, in the reader's language."""

    title: str
    sent: str
    failed: str


def daily_series(
    days: Sequence[tuple[str, int, int]], last_day: date, count: int
) -> list[tuple[date, int, int]]:
    """(day, sent, failed) for each of `count` days up to last_day; days without alerts are 0."""
    known = {day: (sent, failed) for day, sent, failed in days}
    series = []
    for back in range(count - 1, -1, -1):
        day = last_day - timedelta(days=back)
        sent, failed = known.get(day.isoformat(), (0, 0))
        series.append((day, sent, failed))
    return series


def alerts_table(series: Sequence[tuple[date, int, int]], labels: ChartLabels) -> str:
    """The chart's figures as a titled, monospaced HTML table: one row per day."""
    width = max(len(labels.sent), len(labels.failed))
    rows = [f"{'':5}  {labels.sent:>{width}}  {labels.failed:>{width}}"]
    rows += [f"{day:%d/%m}  {sent:>{width}}  {failed:>{width}}" for day, sent, failed in series]
    return f"<b>{html.escape(labels.title)}</b>\n<pre>{html.escape(chr(10).join(rows))}</pre>"


def alerts_chart(series: Sequence[tuple[date, int, int]], labels: ChartLabels) -> bytes | None:
    """A PNG bar chart of alerts sent (and not delivered, stacked) per day; run in a thread.

    None when matplotlib (the `charts` extra) is not installed.
    """
    # Imported here: matplotlib is slow to import, only /stats needs it, and it is optional.
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
        from matplotlib.ticker import MaxNLocator
    except ImportError:
        return None

    figure = Figure(figsize=(9, 4.5), dpi=100)
    FigureCanvasAgg(figure)  # a Figure without pyplot: no global state, safe in a thread
    axes = figure.add_subplot()
    positions = list(range(len(series)))
    sent = [day_sent for _, day_sent, _ in series]
    failed = [day_failed for _, _, day_failed in series]
    axes.bar(positions, sent, color=SENT_COLOUR, label=labels.sent)
    axes.bar(positions, failed, bottom=sent, color=FAILED_COLOUR, label=labels.failed)
    step = max(len(series) // 6, 1)
    ticks = positions[::step]
    axes.set_xticks(ticks, [series[i][0].strftime("%d/%m") for i in ticks])
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_ylim(bottom=0, top=max([s + f for s, f in zip(sent, failed, strict=True)] + [1]) * 1.1)
    axes.set_title(labels.title, loc="left")
    axes.grid(axis="y", alpha=0.3)
    axes.spines[["top", "right"]].set_visible(False)
    # Above the plot, beside the title, where it can never hide a bar.
    axes.legend(loc="lower right", bbox_to_anchor=(1, 1), ncols=2, frameon=False)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
