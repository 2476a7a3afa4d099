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
    EngineEvent,
    LeanAlerted,
    RecalibrationNeeded,
    SlouchAlerted,
    SlouchEnded,
    SlouchStarted,
)
from .settings import DELAY_CHOICES_S, EngineSettings, SettingError

__all__ = [
    "Activity", "BodyFrame", "CalibrationCompleted", "CalibrationError", "CalibrationProgress",
    "DELAY_CHOICES_S", "EngineEvent", "EngineSettings", "EngineState", "LeanAlerted",
    "PostureEngine", "PostureSnapshot", "RecalibrationNeeded", "SettingError", "SlouchAlerted",
    "SlouchEnded", "SlouchStarted",
]
