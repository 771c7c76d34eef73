"""The history chart: a month without a reading is marked as such (no zero bar), the year shows where it
changes, bar heights follow the values."""

from readings.chart import HEIGHT, ChartMonth, bar_chart

TITLES = {"day": "Day", "night": "Night"}


def month(label, year="", by_zone=None):
    return ChartMonth(month=label, year=year, by_zone=by_zone, title=f"{label} {year}".strip())


def test_a_month_without_a_reading_has_no_bar_and_is_marked():
    chart = bar_chart(
        [month("Nov", "2025", {"day": 200, "night": 100}), month("Dec"), month("Jan", "2026", {"day": 0, "night": 0})],
        ("day", "night"),
        TITLES,
        kwh="kWh",
    )
    assert [label.missing for label in chart.labels] == [False, True, False]
    assert len(chart.rects) == 4  # two months with a reading, two zones each; December draws no bar
    day, night = chart.rects[:2]
    assert day.height == 2 * night.height > 0  # 200 vs 100 on an axis up to 200
    assert chart.rects[2].height == 0  # measured zero use is a zero bar, unlike "no reading"
    assert chart.rects[0].title == "Nov 2025: Day 200 kWh"
    assert [label.year for label in chart.labels] == ["2025", "", "2026"]
    assert len(chart.year_lines) == 1 and chart.labels[1].x < chart.year_lines[0] < chart.labels[2].x
    assert chart.ticks[-1][1] == 200 and 0 < chart.baseline < HEIGHT
