"""A horizontal bar chart as a standalone SVG: the suite's one figure, no plotting library."""

from html import escape

ROW, LABEL_WIDTH, BAR_WIDTH, MARGIN = 28, 220, 420, 16


def bar_chart(title: str, bars: list[tuple[str, float]]) -> str:
    longest = max((value for _, value in bars), default=0.0) or 1.0
    height = MARGIN * 3 + ROW * len(bars)
    width = LABEL_WIDTH + BAR_WIDTH + 90
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        'font-family="sans-serif" font-size="13">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
        f'<text x="{MARGIN}" y="{MARGIN + 4}" font-weight="bold">{escape(title)}</text>',
    ]
    for index, (label, value) in enumerate(bars):
        y = MARGIN * 2 + index * ROW
        length = BAR_WIDTH * value / longest
        parts += [
            f'<text x="{LABEL_WIDTH - 8}" y="{y + 17}" text-anchor="end">{escape(label)}</text>',
            f'<rect x="{LABEL_WIDTH}" y="{y + 4}" width="{length:.1f}" height="{ROW - 8}" '
            'fill="#3b6ea8"/>',
            f'<text x="{LABEL_WIDTH + length + 6:.1f}" y="{y + 17}">{value:.0f}</text>',
        ]
    parts.append("</svg>")
    return "\n".join(parts) + "\n"
