"""What the screens may ask of the session: one typed interface.

The in-process app (:class:`companion.ui.app.PostureApp`) implements it over its
own link and live session; a screen never reaches into the app's attributes. A
screen finds the service with :func:`services_of`, which checks the app against
the interface instead of trusting an attribute to be there.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol, runtime_checkable

from ..coach.stretches import GuidedStretch, StretchPlan, StretchResult
from ..errors import PostureError
from ..link import FoundSensor
from ..settings import Settings


@runtime_checkable
class AppServices(Protocol):
    """The session as screens see it: settings, sensors, calibration, stretches."""

    @property
    def settings(self) -> Settings: ...

    @property
    def settings_file(self) -> Path: ...

    @property
    def simulated(self) -> bool:
        """The sensor is a simulated one (``posture demo``): it is never remembered."""
        ...

    # -- sensors
    def current_sensor(self) -> FoundSensor | None: ...

    async def scan_sensors(self, seconds: float) -> list[FoundSensor]:
        """Sensors in range; raises BluetoothUnavailable when there is no Bluetooth."""
        ...

    def connect_sensor(self, sensor: FoundSensor, *, remember: bool) -> None: ...

    def forget_sensor(self) -> None: ...

    # -- settings
    def apply_settings(self, settings: Settings) -> None: ...

    # -- calibration
    def start_calibration(self) -> None: ...

    def cancel_calibration(self) -> None: ...

    # -- guided stretches
    def start_stretch(self, plan: StretchPlan) -> GuidedStretch | None:
        """The stretch, measured from the calibrated upright; None (and a notice)
        when there is no calibration yet."""
        ...

    def sensor_time_s(self) -> float:
        """The sensor's clock, on which a guided stretch counts its steps."""
        ...

    def demo_follow_step(self, measure: str) -> None: ...

    def finish_stretch(self, result: StretchResult, *, by_hand: bool) -> None: ...

    def cancel_stretch(self) -> None: ...


class NoServices(PostureError, RuntimeError):
    """A screen that needs the session was shown by an app that offers none."""


def services_of(app: object) -> AppServices:
    if not isinstance(app, AppServices):
        raise NoServices(f"{type(app).__name__} does not offer the session's services")
    return app


__all__ = ["AppServices", "NoServices", "services_of"]
