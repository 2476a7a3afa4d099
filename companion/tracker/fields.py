"""The status a tracker reports over the control socket (docs/control.md): one
builder for every owner of a session, the background tracker and a window that
tracks in-process, so viewers and ``posture status`` read the same fields."""

from __future__ import annotations

import os
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ..engine import EngineState
from ..link import LinkState, LinkStats

if TYPE_CHECKING:
    from ..history.writer import HistoryWriter
    from ..live import LiveSession


def state_name(
    engine_state: EngineState, link_state: LinkState, *, failure: str, paused: bool, stretching: bool
) -> str:
    if paused:
        return "paused"
    if failure or link_state is LinkState.LOST:
        return "lost"
    if link_state in (LinkState.IDLE, LinkState.SCANNING, LinkState.CONNECTING):
        return "connecting"
    if link_state is LinkState.RECONNECTING:
        return "reconnecting"
    if stretching:
        return "stretching"
    return engine_state.value


def status_fields(
    session: LiveSession,
    *,
    link_state: LinkState,
    link_detail: str,
    stats: LinkStats | None,
    failure: str,
    sensor: dict[str, Any],
    history: HistoryWriter | None,
    paused: bool,
    paused_until: float | None,
    pause_left_s: float | None,
    stretching: str | None,
    started_at: float,
    now: datetime,
) -> dict[str, Any]:
    snap = session.engine.snapshot
    tally = session.tally
    policy = session.policy
    snoozed = policy.snoozed_until.timestamp() if policy.snoozed_until and now < policy.snoozed_until else None
    calibration = session.engine.calibration_status()
    return {
        "state": state_name(snap.state, link_state, failure=failure, paused=paused, stretching=stretching is not None),
        "engine_state": snap.state.value,
        "t_s": round(snap.t_s, 3),
        "snapshot_at": session.snapshot_at(),  # wall clock: where the chart places it
        "flexion_deg": None if snap.flexion_deg is None else round(snap.flexion_deg, 1),
        "lateral_deg": None if snap.lateral_deg is None else round(snap.lateral_deg, 1),
        "held_s": round(snap.held_s, 1),
        "delay_s": snap.delay_s,
        "activity": snap.activity.value,
        "calibrated": session.engine.calibrated,
        "calibration": None
        if calibration is None
        else {
            "phase": calibration[0],
            "held_s": round(calibration[1], 1),
            "needed_s": calibration[2],
        },
        "paused": paused,
        "paused_until": paused_until,
        "pause_left_s": None if pause_left_s is None else round(pause_left_s, 1),
        "snoozed_until": snoozed,
        "quiet_mode": policy.quiet_mode,
        "stretching": stretching,
        "link": {
            "state": link_state.value,
            "detail": link_detail,
            "received": stats.received if stats else 0,
            "lost": stats.lost if stats else 0,
            "reconnects": stats.reconnects if stats else 0,
            "failure": failure,
        },
        "sensor": dict(sensor),
        "today": {
            "upright_share": round(tally.upright_share, 3),
            "tracked_s": round(tally.tracked_s, 1),
            "upright_s": round(tally.upright_s, 1),
            "slouched_s": round(tally.slouched_s, 1),
            "moving_s": round(tally.moving_s, 1),
            "episodes": tally.episodes,
            "alerts": tally.alerts,
            "alerts_held_back": tally.alerts_held_back,
            "lean_alerts": tally.lean_alerts,
            "sitting_for_s": round(tally.sitting_for_s(snap.t_s), 1),
        },
        "history": {
            "written": history.written if history else 0,
            "error": history.error if history else "",
        },
        "pid": os.getpid(),
        "started_at": started_at,
        "time": now.timestamp(),
    }


__all__ = ["state_name", "status_fields"]
