"""Widgets of the live screen: the side-view figure, the tilt gauge, the panels."""

from __future__ import annotations

import math
from itertools import groupby

from rich.cells import cell_len
from rich.text import Text
from textual.dom import DOMNode
from textual.reactive import reactive
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import ProgressBar, Static

from ..engine import EngineSettings, EngineState, PostureSnapshot

_DEFAULTS = EngineSettings()  # until the session says the wearer's own


def format_duration(seconds: float) -> str:
    seconds = max(0, int(seconds))
    if seconds >= 3600:
        return f"{seconds // 3600}h{seconds % 3600 // 60:02d}"
    return f"{seconds // 60:02d}:{seconds % 60:02d}"


def show_text(widget: Static, text: str) -> None:
    """Put ``text`` in ``widget`` unless it is there already, and lay the screen out
    again only when the widget's size changes with it.

    The live screen repaints several times a second and a guided stretch counts its
    seconds down; a layout pass costs the whole screen (about 14 ms at 100x30) while
    a repaint of one panel costs a fraction of that, and the same text costs nothing.
    Where the width follows the text (``width: auto`` on the widget or on a
    container around it), the text keeps its shape when it has as many lines and
    the same longest one, all fitting. Otherwise the width is the layout's, and the
    new text's height at that width (its lines as wrapped) is measured as the layout
    would measure it.
    """
    old = widget.content
    if old == text:
        return
    width = widget.content_size.width
    if not width:  # not laid out yet
        widget.update(text)
    elif _width_follows_text(widget):
        same_shape = False
        if isinstance(old, str):
            (lines, longest), (new_lines, new_longest) = _shape(old), _shape(text)
            same_shape = (lines, longest) == (new_lines, new_longest) and longest <= width
        widget.update(text, layout=not same_shape)
    elif _may_scroll(widget):  # the layout adds room for scrollbars to an auto height
        widget.update(text)
    else:
        widget.update(text, layout=False)
        height = widget.styles.height
        if height is not None and height.is_auto:
            measured = widget.get_content_height(widget.content_size, widget.app.size, width)
            if measured != widget.content_size.height:
                widget.refresh(layout=True)


def _may_scroll(widget: Widget) -> bool:
    styles = widget.styles
    return styles.overflow_x != "hidden" or styles.overflow_y != "hidden" or styles.scrollbar_gutter == "stable"


def _width_follows_text(widget: Widget) -> bool:
    """Whether ``widget``'s width depends on what it shows: an auto width on it or
    on any container up to its screen (an auto-width container is as wide as its
    widest child's content)."""
    node: DOMNode | None = widget
    while isinstance(node, Widget) and not isinstance(node, Screen):
        width = node.styles.width
        if width is not None and width.is_auto:
            return True
        node = node.parent
    return False


def show_progress(bar: ProgressBar, share: float) -> None:
    """Fill ``bar`` to ``share`` (0-1) in whole percent, rounded as its label rounds:
    finer steps would repaint the bar with every snapshot and show nothing new."""
    bar.update(progress=round(100.0 * min(1.0, max(0.0, share))))


def _shape(text: str) -> tuple[int, int]:
    lines = text.split("\n")
    return len(lines), max(map(cell_len, lines))


def state_text(snapshot: PostureSnapshot | None, linked: bool = True) -> tuple[str, str]:
    """(text, style class) for the current state, as the wearer should read it."""
    if not linked:
        return "away", "away"
    if snapshot is None:
        return "waiting for the sensor", "away"
    state = snapshot.state
    if state is EngineState.SLOUCHING:
        return f"slouching {format_duration(snapshot.held_s)} of {format_duration(snapshot.delay_s)}", "slouching"
    if state is EngineState.ALERTED:
        return f"alerted: slouching for {format_duration(snapshot.held_s)}", "alerted"
    if state is EngineState.UNCALIBRATED:
        return "not calibrated: press c", "recalibrate"
    if state is EngineState.RECALIBRATE:
        return "recalibrate: the sensor moved (press c)", "recalibrate"
    if state is EngineState.CALIBRATING:
        return "calibrating", "calibrating"
    if state is EngineState.PAUSED:
        return "paused", "away"
    if state is EngineState.MOVING:
        return f"moving ({snapshot.activity.value})", "moving"
    return "upright", "upright"


class _Drawing(Static):
    """A widget drawn from a value that changes more often than its picture (the
    flexion, several times a second): a new value repaints it only when the picture
    it gives differs from the one on screen. Drawing the picture is cheap; a repaint
    goes through the whole of Textual's rendering."""

    flexion_deg: reactive[float | None] = reactive(None, repaint=False)
    _shown: object = None

    def watch_flexion_deg(self) -> None:
        if self._shown is None or self.picture_key() != self._shown:
            self.refresh()

    def render(self) -> Text:
        picture = self.draw()
        # The key of the picture just drawn: the picture itself unless a subclass
        # has a cheaper one.
        self._shown = picture if type(self).picture_key is _Drawing.picture_key else self.picture_key()
        return picture

    def picture_key(self) -> object:
        """What decides the picture: by default the picture itself."""
        return self.draw()

    def draw(self) -> Text:
        raise NotImplementedError


class PostureFigure(_Drawing):
    """A side view of the upper back that bends with the measured flexion."""

    threshold_deg: reactive[float] = reactive(_DEFAULTS.threshold_deg)

    HEIGHT = 9  # rows when there is room; fewer in the compact layout

    def draw(self) -> Text:
        width = max(12, self.size.width or 24)
        height = max(5, min(self.HEIGHT, self.size.height or self.HEIGHT))
        rows = [[" "] * width for _ in range(height)]
        hip_x = width // 2 - 3
        angle = math.radians(self.flexion_deg or 0.0)
        # Seat and chair back.
        for x in range(hip_x - 6, hip_x + 6):
            if 0 <= x < width:
                rows[height - 1][x] = "▀"
        for y in range(height - 5, height - 1):
            if 0 <= hip_x - 5 < width:
                rows[y][hip_x - 5] = "▌"
        # Spine from the hip up, leaning forward (to the right) with flexion.
        spine = height - 3
        char = "│" if abs(self.flexion_deg or 0) < 8 else ("╱" if angle > 0 else "╲")
        spine_x = float(hip_x)
        for step in range(spine):
            y = height - 2 - step
            spine_x = hip_x + math.tan(angle) * (step + 1) * 2.0
            xi = round(spine_x)
            if 0 <= xi < width:
                rows[y][xi] = char
        head_x = round(spine_x + math.sin(angle) * 2.0)
        if 0 <= head_x < width:
            rows[0][head_x] = "●"
        text = Text("\n".join("".join(r) for r in rows))
        over = (self.flexion_deg or 0.0) > self.threshold_deg
        text.stylize("bold red" if over else "bold green")
        return text


class TiltGauge(_Drawing):
    """-20..40 deg with the threshold band: green, the hysteresis band, red beyond."""

    threshold_deg: reactive[float] = reactive(_DEFAULTS.threshold_deg)
    clear_deg: reactive[float] = reactive(_DEFAULTS.clear_deg)

    LOW, HIGH = -20.0, 40.0

    def _width(self) -> int:
        return max(20, (self.size.width or 40) - 2)

    def _column(self, deg: float, width: int) -> int:
        return max(0, min(width - 1, int((deg - self.LOW) * (width / (self.HIGH - self.LOW)))))

    def picture_key(self) -> object:
        """The marker's column and what the bar is drawn from: computing it costs a
        fraction of drawing the bar to compare."""
        width = self._width()
        marker = None if self.flexion_deg is None else self._column(self.flexion_deg, width)
        return (width, marker, self.threshold_deg, self.clear_deg)

    def draw(self) -> Text:
        width = self._width()
        scale = width / (self.HIGH - self.LOW)

        def col(deg: float) -> int:
            return self._column(deg, width)

        def band(i: int) -> str:
            deg = self.LOW + i / scale
            if deg < self.clear_deg:
                return "on dark_green"
            return "on dark_orange3" if deg < self.threshold_deg else "on dark_red"

        # One span a band, not one a cell: rendering costs by the span.
        bar = Text()
        for style, cells in groupby(range(width), key=band):
            bar.append(" " * len(list(cells)), style=style)
        marker = Text(" " * width)
        if self.flexion_deg is not None:
            marker = Text(" " * col(self.flexion_deg) + "▲", style="bold")
        labels = [" "] * width
        for deg in (-20, 0, self.threshold_deg, 40):
            label = f"{deg:g}"
            start = min(width - len(label), col(deg))
            labels[start : start + len(label)] = label
        return Text("\n").join([bar, marker, Text("".join(labels), style="dim")])


class FlexionChart(Static):
    """Forward flexion over a fixed window of wall-clock time (the last ten minutes)
    on a fixed scale (0-40 deg), so a calm stretch looks calm and one minute of data
    fills one tenth of the width: bars above the threshold are red, the rest green,
    time without posture data (away, calibrating, a stretch) stays blank. The last
    row marks the time, minutes before now."""

    TOP_DEG = 40.0
    WINDOW_S = 600.0
    BLOCKS = " ▁▂▃▄▅▆▇█"

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.points: list[tuple[float, float]] = []  # (wall-clock s, flexion deg), oldest first
        self.now_s: float | None = None
        self.threshold_deg = _DEFAULTS.threshold_deg

    def show(self, points: list[tuple[float, float]], now_s: float, threshold_deg: float) -> None:
        self.points = points
        self.now_s = now_s
        self.threshold_deg = threshold_deg
        self.refresh()

    def columns(self, width: int) -> list[float | None]:
        """The largest flexion in each column's share of the window (None: no data)."""
        columns: list[float | None] = [None] * width
        if self.now_s is None:
            return columns
        start = self.now_s - self.WINDOW_S
        per_column = self.WINDOW_S / width
        for at, value in self.points:
            index = int((at - start) / per_column)
            if at < start or at > self.now_s or index < 0:
                continue
            index = min(width - 1, index)
            current = columns[index]
            columns[index] = value if current is None else max(current, value)
        return columns

    def axis(self, width: int) -> Text:
        """Minute marks: -10m at the left edge, now at the right."""
        labels = [" "] * width
        for minutes_ago in range(10, 0, -2):
            col = round((self.WINDOW_S - minutes_ago * 60) / self.WINDOW_S * (width - 1))
            label = f"-{minutes_ago}m"
            start = max(0, min(width - len(label), col - (0 if minutes_ago == 10 else len(label) // 2)))
            labels[start : start + len(label)] = label
        labels[width - 3 :] = "now"
        return Text("".join(labels), style="dim")

    def render(self) -> Text:
        width = max(10, self.size.width or 60)
        height = max(2, self.size.height or 4)
        bars = height - 1
        if not self.points:
            rows = [Text("no posture data in the last 10 minutes", style="dim")] + [Text("")] * (bars - 1)
            return Text("\n").join([*rows, self.axis(width)])
        levels = bars * 8
        rows = []
        columns = self.columns(width)
        filled = [
            None if value is None else max(1, round(max(0.0, min(value, self.TOP_DEG)) / self.TOP_DEG * levels))
            for value in columns
        ]
        colours = ["" if value is None else "red" if value > self.threshold_deg else "green" for value in columns]
        for row in range(bars):
            floor = (bars - 1 - row) * 8
            cells = [" " if f is None else self.BLOCKS[max(0, min(8, f - floor))] for f in filled]
            # One span a run of one colour, not one a column: rendering costs by the span.
            line = Text()
            start = 0
            for colour, run in groupby(colours):
                end = start + len(list(run))
                line.append("".join(cells[start:end]), style=colour or None)
                start = end
            rows.append(line)
        rows.append(self.axis(width))
        return Text("\n").join(rows)
