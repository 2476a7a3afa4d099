"""Pick a sensor: scan, list with kind and signal, connect and remember, forget."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from ..drivers import driver_for_kind
from ..errors import BluetoothUnavailable
from ..link import FoundSensor
from .services import services_of

SCAN_S = 3.0


class SensorScreen(Screen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "rescan", "Rescan"),
        Binding("enter", "connect", "Connect", priority=True),
        Binding("f", "forget", "Forget remembered"),
        Binding("escape", "back", "Back"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.found: list[FoundSensor] = []

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="remembered")
        yield Static("Scanning...", id="scan-status")
        table: DataTable = DataTable(cursor_type="row", id="sensors")
        table.add_columns("Name", "Kind", "Address", "Signal")
        yield table
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self._show_remembered()
        self.action_rescan()

    def _show_remembered(self) -> None:
        sensor = services_of(self.app).settings.sensor
        text = (
            "No sensor remembered."
            if sensor is None
            else f"Remembered: {sensor.name} ({sensor.kind}, {sensor.address})"
        )
        self.query_one("#remembered", Static).update(text)

    def action_rescan(self) -> None:
        self.query_one("#scan-status", Static).update(f"Scanning for {SCAN_S:g} s...")
        self._scan()

    @work(exclusive=True, group="scan")
    async def _scan(self) -> None:
        services = services_of(self.app)
        try:
            found = await services.scan_sensors(SCAN_S)
        except BluetoothUnavailable as exc:
            self.query_one("#scan-status", Static).update(
                Text(
                    f"Bluetooth is not available here ({exc or type(exc).__name__}). Run `posture demo` to try a simulated sensor."
                )
            )
            return
        # A connected sensor stops advertising: list it from the app, not the scan.
        current = services.current_sensor()
        if current is not None and all(f.address != current.address for f in found):
            found = [current, *found]
        self.found = found
        table = self.query_one(DataTable)
        table.clear()
        for sensor in found:
            label = driver_for_kind(sensor.kind).label
            signal = "connected" if current is not None and sensor.address == current.address else f"{sensor.rssi} dBm"
            table.add_row(sensor.name, label, sensor.address, signal, key=sensor.address)
        remembers = (
            "connects (a simulated sensor is not remembered)" if services.simulated else "connects and remembers"
        )
        status = (
            f"{len(found)} sensor(s) found. Enter {remembers}."
            if found
            else "No supported sensor found. Is it switched on and near? r scans again."
        )
        self.query_one("#scan-status", Static).update(status)
        if found:
            table.focus()

    def action_connect(self) -> None:
        table = self.query_one(DataTable)
        if not self.found or table.cursor_row is None or table.cursor_row >= len(self.found):
            self.notify("Nothing to connect to yet.", severity="warning")
            return
        sensor = self.found[table.cursor_row]
        services = services_of(self.app)
        current = services.current_sensor()
        if current is not None and current.address == sensor.address:
            # Connecting again would drop a working link and start the session afresh.
            self.notify(f"Already connected to {sensor.name}.")
            self.dismiss()
            return
        services.connect_sensor(sensor, remember=True)
        self.dismiss()

    def action_forget(self) -> None:
        services_of(self.app).forget_sensor()
        self._show_remembered()

    def action_back(self) -> None:
        self.dismiss()
