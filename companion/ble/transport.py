"""Which bleak backend the link talks through: the platform's, or the virtual radio."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the simulator loads only when a virtual transport is made
    from ..sim.radio import VirtualRadio


@dataclass(frozen=True)
class BleTransport:
    """Keyword arguments handed to ``BleakScanner`` and ``BleakClient``."""

    scanner_kwargs: dict[str, Any] = field(default_factory=dict)
    client_kwargs: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def system(cls) -> BleTransport:
        """The platform's Bluetooth stack (BlueZ, CoreBluetooth, WinRT)."""
        return cls()

    @classmethod
    def virtual(cls, radio: VirtualRadio) -> BleTransport:
        """The in-process virtual radio where simulated sensors live."""
        from ..sim.bleak_backend import BumbleClient, BumbleScanner

        return cls(
            scanner_kwargs={"backend": BumbleScanner, "radio": radio},
            client_kwargs={"backend": BumbleClient, "radio": radio},
        )
