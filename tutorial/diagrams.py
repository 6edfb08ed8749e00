"""
The tutorial's sequence diagrams, drawn as SVG from their text.

A diagram is written in Mermaid's sequence-diagram syntax (so code hosts can
show the text as a diagram too), of which it reads the part the pages use:

    sequenceDiagram
        participant A as Alice's tab
        participant C as ChatConsumer
        A->>C: new_chat_message      (a solid arrow: a request or an event)
        C-->>A: pong                 (a dashed arrow: an answer)
        Note over A,C: any text

`python -m tutorial.diagrams` draws docs/tutorial/diagrams/*.mmd into the
.svg beside each; the tutorial's test draws them again and compares, so a
picture never drifts from its text. The drawing is plain geometry in a
monospaced font, so it is the same on every machine.
"""

import re
from dataclasses import dataclass, field
from html import escape
from pathlib import Path

DIAGRAMS = Path(__file__).resolve().parent.parent / "docs" / "tutorial" / "diagrams"

FONT_SIZE = 14
CHAR_WIDTH = 8.4  # a monospaced font at 14 px
MARGIN = 16
BOX_HEIGHT = 36
MIN_GAP = 150
ROW = 38
SELF_WIDTH = 36

PARTICIPANT = re.compile(r"^participant\s+(?P<id>\w+)(?:\s+as\s+(?P<label>.+))?$")
MESSAGE = re.compile(
    r"^(?P<source>\w+)\s*(?P<arrow>-->>|->>)\s*(?P<target>\w+)\s*:\s*(?P<text>.*)$"
)
NOTE = re.compile(r"^Note\s+over\s+(?P<first>\w+)(?:\s*,\s*(?P<last>\w+))?\s*:\s*(?P<text>.*)$")


@dataclass(frozen=True)
class Message:
    source: int
    target: int
    text: str
    answer: bool


@dataclass(frozen=True)
class Note:
    first: int
    last: int
    text: str


@dataclass
class Diagram:
    ids: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    rows: list[Message | Note] = field(default_factory=list)


class DiagramError(ValueError):
    pass


def parse(text: str) -> Diagram:
    diagram = Diagram()
    lines = [line.strip() for line in text.splitlines()]
    lines = [line for line in lines if line and not line.startswith("%%")]
    if not lines or lines[0] != "sequenceDiagram":
        raise DiagramError("a diagram starts with `sequenceDiagram`")

    def index(name: str) -> int:
        if name not in diagram.ids:
            diagram.ids.append(name)
            diagram.labels.append(name)
        return diagram.ids.index(name)

    for number, line in enumerate(lines[1:], start=2):
        if match := PARTICIPANT.match(line):
            position = index(match["id"])
            diagram.labels[position] = match["label"] or match["id"]
        elif match := MESSAGE.match(line):
            diagram.rows.append(
                Message(
                    index(match["source"]),
                    index(match["target"]),
                    match["text"].strip(),
                    match["arrow"] == "-->>",
                )
            )
        elif match := NOTE.match(line):
            first, last = index(match["first"]), index(match["last"] or match["first"])
            diagram.rows.append(Note(min(first, last), max(first, last), match["text"].strip()))
        else:
            raise DiagramError(f"line {number}: cannot read {line!r}")
    return diagram


def width_of(text: str) -> float:
    return len(text) * CHAR_WIDTH


def columns(diagram: Diagram) -> list[float]:
    """The x of each participant's lifeline: far enough apart for every label between them."""
    count = len(diagram.ids)
    gaps = [float(MIN_GAP)] * max(count - 1, 0)
    for position in range(count - 1):
        boxes = (width_of(diagram.labels[position]) + width_of(diagram.labels[position + 1])) / 2
        gaps[position] = max(gaps[position], boxes + 40)
    for row in diagram.rows:
        if isinstance(row, Message) and row.source != row.target:
            low, high = sorted((row.source, row.target))
            need = (width_of(row.text) + 24) / (high - low)
            for position in range(low, high):
                gaps[position] = max(gaps[position], need)
    first = max(width_of(diagram.labels[0]) / 2 + 12, 60) + MARGIN if count else MARGIN
    xs = [first]
    for gap in gaps:
        xs.append(xs[-1] + gap)
    return xs


def render(diagram: Diagram) -> str:
    xs = columns(diagram)
    last_label = width_of(diagram.labels[-1]) / 2 + 12 if diagram.labels else 0
    self_room = max(
        (
            width_of(row.text) + SELF_WIDTH + 8
            for row in diagram.rows
            if isinstance(row, Message) and row.source == row.target and row.source == len(xs) - 1
        ),
        default=0,
    )
    width = (xs[-1] if xs else 0) + max(last_label, self_room, 60) + MARGIN
    top = MARGIN + BOX_HEIGHT
    height = top + ROW * (len(diagram.rows) + 1) + BOX_HEIGHT + MARGIN
    bottom = height - MARGIN - BOX_HEIGHT
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" font-family="ui-monospace, SFMono-Regular, '
        f'Menlo, Consolas, monospace" font-size="{FONT_SIZE}">',
        '<defs><marker id="head" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" '
        'markerHeight="8" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
        'fill="#1d2330"/></marker></defs>',
        f'<rect width="{width:.0f}" height="{height:.0f}" fill="#ffffff"/>',
    ]
    for x in xs:
        out.append(
            f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{bottom}" stroke="#9aa4b2" '
            'stroke-dasharray="4 4"/>'
        )
    for y in (MARGIN, bottom):
        for x, label in zip(xs, diagram.labels, strict=True):
            box = width_of(label) + 24
            out.append(
                f'<rect x="{x - box / 2:.1f}" y="{y}" width="{box:.1f}" height="{BOX_HEIGHT}" '
                'rx="4" fill="#e8f1fb" stroke="#0b6bcb"/>'
            )
            out.append(text_at(x, y + BOX_HEIGHT / 2 + 5, label, "middle"))
    for number, row in enumerate(diagram.rows, start=1):
        y = top + ROW * number
        if isinstance(row, Note):
            left = xs[row.first] - 40
            right = max(xs[row.last] + 40, left + width_of(row.text) + 20)
            out.append(
                f'<rect x="{left:.1f}" y="{y - 20}" width="{right - left:.1f}" height="28" '
                'fill="#fff8c5" stroke="#9a6700"/>'
            )
            out.append(text_at((left + right) / 2, y - 1, row.text, "middle"))
            continue
        dash = ' stroke-dasharray="6 4"' if row.answer else ""
        x1, x2 = xs[row.source], xs[row.target]
        if row.source == row.target:
            out.append(
                f'<path d="M{x1:.1f},{y - 12} h{SELF_WIDTH} v16 h-{SELF_WIDTH}" fill="none" '
                f'stroke="#1d2330"{dash} marker-end="url(#head)"/>'
            )
            out.append(text_at(x1 + SELF_WIDTH + 6, y, row.text, "start"))
            continue
        out.append(
            f'<line x1="{x1:.1f}" y1="{y}" x2="{x2:.1f}" y2="{y}" stroke="#1d2330"{dash} '
            'marker-end="url(#head)"/>'
        )
        out.append(text_at((x1 + x2) / 2, y - 7, row.text, "middle"))
    out.append("</svg>")
    return "\n".join(out) + "\n"


def text_at(x: float, y: float, text: str, anchor: str) -> str:
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}">{escape(text)}</text>'


def draw(source: Path) -> str:
    try:
        return render(parse(source.read_text(encoding="utf-8")))
    except DiagramError as error:
        raise DiagramError(f"{source}: {error}") from error


def main() -> None:
    for source in sorted(DIAGRAMS.glob("*.mmd")):
        source.with_suffix(".svg").write_text(draw(source), encoding="utf-8")
        print(f"drew {source.with_suffix('.svg').relative_to(DIAGRAMS.parent.parent.parent)}")


if __name__ == "__main__":
    main()
