"""Inline SVG for the dashboard: a sparkline per KPI trend and bars for the waits. Pure
presentation (coordinates from figures already computed); no JavaScript, nothing from a CDN."""

from decimal import Decimal

WIDTH, HEIGHT, PAD = 240, 56, 4


def sparkline(trend, *, width: int = WIDTH, height: int = HEIGHT) -> dict:
    """Polyline segments (a gap where a month has no data), the dots and the value range."""
    values = [v for _, v in trend if v is not None]
    if not values:
        return {"segments": [], "dots": [], "width": width, "height": height, "empty": True}
    low, high = min(values), max(values)
    span = (high - low) or Decimal(1)
    step = (width - 2 * PAD) / max(len(trend) - 1, 1)
    segments, current, dots = [], [], []
    for n, (month, value) in enumerate(trend):
        if value is None:
            if current:
                segments.append(" ".join(current))
            current = []
            continue
        x = PAD + n * step
        y = PAD + float((high - value) / span) * (height - 2 * PAD) if high != low else height / 2
        current.append(f"{x:.1f},{y:.1f}")
        dots.append({"x": f"{x:.1f}", "y": f"{y:.1f}", "month": month, "value": value})
    if current:
        segments.append(" ".join(current))
    return {
        "segments": segments,
        "dots": dots,
        "width": width,
        "height": height,
        "empty": False,
        "low": low,
        "high": high,
    }


def bars(waits) -> list[dict]:
    """Bar widths (percent of the longest) for the median and p90 (the mean where no percentiles)."""

    def top(w):
        return w.p90_hours if w.p90_hours is not None else w.mean_hours or Decimal(0)

    longest = max((top(w) for w in waits), default=Decimal(0)) or Decimal(1)
    rows = []
    for w in waits:
        middle = w.median_hours if w.median_hours is not None else w.mean_hours or Decimal(0)
        rows.append(
            {
                "wait": w,
                "middle_pct": f"{float(middle / longest * 100):.1f}",
                "p90_pct": f"{float(top(w) / longest * 100):.1f}",
            }
        )
    return rows


def display(value, unit: str, *, target: bool = False) -> str:
    """A KPI value (or with target=True, a target: 95.00 % reads "95%") as the card shows it."""
    if value is None:
        return "—"
    if target and unit in ("%", "days") and value == value.to_integral():
        value = value.quantize(Decimal(1))
    if unit == "%":
        return f"{value}%"
    if unit == "days":
        return f"{value} d"
    if unit == "money":
        return f"{value:,.2f}"
    return f"{value:,.0f}" if unit == "count" else str(value)
