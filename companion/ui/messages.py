"""Messages the link worker posts to the app; handlers own the state they touch."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

from ..engine import PostureSnapshot
from ..engine.events import EngineEvent
from ..link import LinkEvent, LinkStats
from ..live import Nudge


@dataclass
class PostureUpdated(Message):
    """Coalesced: at most ~10 a second."""

    snapshot: PostureSnapshot
    at_s: float | None = None  # wall-clock time of the snapshot (Unix s)


@dataclass
class PostureEvent(Message):
    event: EngineEvent


@dataclass
class LinkUpdated(Message):
    event: LinkEvent
    stats: LinkStats


@dataclass
class NudgeDue(Message):
    nudge: Nudge
