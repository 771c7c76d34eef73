"""A server-rendered SVG bar chart of monthly consumption per zone: no JavaScript, numbers also in a table.

Sized for a phone first: the view box is about as wide as a 390 px screen, so its 12-unit text stays
readable there, and the page caps the figure's width on a desktop. A month without a reading gets a
dash and "no reading" (not a zero bar: nothing was measured, which is not "nothing was used"); the year
is written under the first month and wherever it changes.
"""

from dataclasses import dataclass

WIDTH, HEIGHT = 420, 240
LEFT, BOTTOM, TOP, RIGHT = 40, 36, 10, 6
FONT = 12
# Zone colours with 4.5:1 contrast on white; zones are also told apart by position and the table.
ZONE_COLOURS = {"total": "#0b4f9c", "day": "#b35900", "night": "#0b4f9c", "peak": "#a3141f", "half_peak": "#b35900"}


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    width: float
    height: float
    colour: str
    title: str


@dataclass(frozen=True)
class Label:
    x: float
    month: str
    year: str  # "" except under the first month and where the year changes
    missing: bool  # no reading that month: a dash is drawn instead of bars
    title: str


@dataclass(frozen=True)
class ChartMonth:
    month: str  # short label, e.g. "лис"
    year: str  # the year, shown only where it changes
    by_zone: dict[str, int] | None  # None: no reading counted in this month
    title: str  # the month as words for the tooltip, e.g. "листопад 2026"


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    rects: list[Rect]
    labels: list[Label]
    ticks: list[tuple[float, int]]  # y, value
    baseline: float
    font: int
    month_y: float
    year_y: float
    year_lines: list[float]  # x of a dashed line before each January: the year changes there


def nice_top(value: int) -> int:
    """A round axis maximum above the largest bar."""
    if value <= 0:
        return 10
    magnitude = 10 ** (len(str(value)) - 1)
    for step in (1, 2, 2.5, 5, 10):
        top = int(step * magnitude)
        if top >= value:
            return top
    return 10 * magnitude


def bar_chart(months: list[ChartMonth], zones: tuple[str, ...], zone_titles: dict[str, str], kwh: str) -> Chart:
    """One group per month, one bar per zone inside it; `kwh` is the translated unit."""
    values = [value for month in months if month.by_zone for value in month.by_zone.values()]
    top = nice_top(max(values, default=0))
    plot_width, plot_height = WIDTH - LEFT - RIGHT, HEIGHT - BOTTOM - TOP
    baseline = TOP + plot_height
    group = plot_width / max(len(months), 1)
    bar_width = max(group * 0.8 / len(zones), 2)
    rects, labels, year_lines = [], [], []
    for index, month in enumerate(months):
        start = LEFT + index * group + group * 0.1
        centre = round(LEFT + index * group + group / 2, 1)
        labels.append(Label(centre, month.month, month.year, month.by_zone is None, month.title))
        if month.year and index > 0:
            year_lines.append(round(LEFT + index * group, 1))
        if month.by_zone is None:
            continue
        for position, zone in enumerate(zones):
            value = month.by_zone.get(zone, 0)
            height = plot_height * value / top
            rects.append(
                Rect(
                    x=round(start + position * bar_width, 1),
                    y=round(baseline - height, 1),
                    width=round(bar_width - 1, 1),
                    height=round(height, 1),
                    colour=ZONE_COLOURS[zone] if len(zones) == 1 or zone != "night" else "#4a5360",
                    title=f"{month.title}: {zone_titles[zone]} {value} {kwh}",
                )
            )
    ticks = [(round(baseline - plot_height * share, 1), round(top * share)) for share in (0, 0.5, 1)]
    return Chart(
        WIDTH, HEIGHT, rects, labels, ticks, baseline, FONT, baseline + FONT + 2, baseline + 2 * FONT + 6, year_lines
    )
