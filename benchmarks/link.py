"""Link throughput and cost: bleak + virtual radio + protocol, on the virtual clock."""

from __future__ import annotations

import time
from collections.abc import Iterator

from benchmarks.sessions import link_session
from companion.drivers import ReferenceDriver
from companion.sim.clock import run_virtual
from companion.sim.world import simulated_radio
from firmware_protocol import MAX_SAMPLES_PER_FRAME, SensorConfig

from . import Metric


def _stream(seconds: float, config: SensorConfig, batch_size: int) -> tuple[int, float, float]:
    """Stream ``seconds`` of simulated time; return samples, wall s and CPU s."""

    async def main() -> int:
        async with simulated_radio() as (radio, _):
            driver = ReferenceDriver(config=config, batch_size=batch_size)
            # Readings are counted, not kept: an hour's 180 000 kept readings would
            # make the garbage collector's full passes part of the measurement.
            async with link_session(radio, driver=driver, keep_readings=False) as session:
                await session.pump(seconds)
            assert session.reading_count == session.link.stats.received
            return session.link.stats.received

    wall, cpu = time.perf_counter(), time.process_time()
    samples = run_virtual(main())
    return samples, time.perf_counter() - wall, time.process_time() - cpu


def run() -> Iterator[Metric]:
    samples, wall, _ = _stream(600.0, SensorConfig(200, 4, 500), MAX_SAMPLES_PER_FRAME)
    yield Metric(
        "link_throughput",
        samples / wall,
        "samples/s",
        f"200 Hz, {MAX_SAMPLES_PER_FRAME} samples per notification, virtual clock",
    )
    samples, wall, cpu = _stream(3600.0, SensorConfig(50, 4, 500), 10)
    yield Metric("link_cpu_per_10k_samples", cpu / samples * 10_000, "CPU s", "50 Hz, 10 samples per notification")
    yield Metric("link_hour_at_50hz_wall", wall, "s", f"{samples} samples in one simulated hour; goal <= 3")
