"""The posture engine: readings -> tilt -> body frame -> activity -> slouch events.

Pure and deterministic: it runs on sample time only, so a recording replayed
through it gives the same events as the live run did.
"""

from .activity import Activity
from .calibration import BodyFrame, CalibrationError
from .engine import EngineState, PostureEngine, PostureSnapshot
from .events import (
    CalibrationCompleted,
    CalibrationProgress,
    DataGap,
    EngineEvent,
    GyroscopeMismatch,
    LeanAlerted,
    RecalibrationNeeded,
    SlouchAlerted,
    SlouchEnded,
    SlouchReminded,
    SlouchStarted,
)
from .settings import DELAY_CHOICES_S, EngineSettings, SettingError

__all__ = [
    "DELAY_CHOICES_S",
    "Activity",
    "BodyFrame",
    "CalibrationCompleted",
    "CalibrationError",
    "CalibrationProgress",
    "DataGap",
    "EngineEvent",
    "EngineSettings",
    "EngineState",
    "GyroscopeMismatch",
    "LeanAlerted",
    "PostureEngine",
    "PostureSnapshot",
    "RecalibrationNeeded",
    "SettingError",
    "SlouchAlerted",
    "SlouchEnded",
    "SlouchReminded",
    "SlouchStarted",
]
