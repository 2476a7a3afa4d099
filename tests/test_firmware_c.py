"""The firmware's C frame packing, compiled with the host compiler, against the golden vectors."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from firmware_protocol import vectors

HEADER_DIR = Path(__file__).resolve().parents[1] / "firmware_protocol" / "firmware"
COMPILER = shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")


def _c_call(vector: dict) -> str:
    f = vector["fields"]
    frame = vector["frame"]
    if frame == "SampleBatch":
        samples = ", ".join("{{{}}}".format(", ".join(str(v) for v in s)) for s in f["samples"])
        return (
            f"{{ posture_sample_t s[] = {{{samples}}}; "
            f"int c = posture_config_byte({f['rate_hz']}, {f['accel_range_g']}, {f['gyro_range_dps']}); "
            f"n = posture_pack_samples(out, {f['seq']}, {f['t0_ticks']}u, (uint8_t)c, s, {len(f['samples'])}); }}"
        )
    if frame == "DeviceInfo":
        return (
            f"{{ int c = posture_config_byte({f['rate_hz']}, {f['accel_range_g']}, {f['gyro_range_dps']}); "
            f"n = posture_pack_info(out, {f['minor']}, (uint8_t)c, {f['batch_size']}, {f['flags']}, {f['max_batch']}, {f['tick_hz']}u); }}"
        )
    if frame == "CommandResponse":
        return f"n = posture_pack_response(out, {f['request']}, {f['result']});"
    if frame == "Status":
        return f"n = posture_pack_status(out, {f['state']}, {f['flags']}, {f['overflow_samples']});"
    return ""


def test_c_packing_matches_the_golden_vectors(tmp_path):
    if COMPILER is None:
        pytest.skip("no C compiler on this machine: the C frame packing was not checked")
    cases = [(v["name"], v["hex"], _c_call(v)) for v in vectors.load()["valid"] if _c_call(v)]
    body = "\n".join(
        f'    {call}\n    printf("{name} "); for (size_t i = 0; i < n; i++) printf("%02x", out[i]); printf("\\n");'
        for name, _hex, call in cases
    )
    source = tmp_path / "vectors.c"
    source.write_text(
        '#include <stdio.h>\n#include "posture_frames.h"\n'
        "int main(void) {\n    uint8_t out[256];\n    size_t n;\n" + body + "\n    return 0;\n}\n"
    )
    binary = tmp_path / "vectors"
    subprocess.run(
        [COMPILER, "-std=c99", "-Wall", "-Wextra", "-Werror", "-I", str(HEADER_DIR), str(source), "-o", str(binary)],
        check=True,
    )
    printed = dict(line.split() for line in subprocess.check_output([str(binary)], text=True).splitlines())
    assert printed == {name: hex_ for name, hex_, _ in cases}
    assert len(cases) >= 10


def test_samples_per_frame_agrees_with_python(tmp_path):
    if COMPILER is None:
        pytest.skip("no C compiler on this machine")
    from firmware_protocol import samples_per_frame

    source = tmp_path / "spf.c"
    source.write_text(
        '#include <stdio.h>\n#include "posture_frames.h"\nint main(void) {\n'
        "  for (int mtu = 23; mtu <= 247; mtu += 8) for (int w = 1; w <= 25; w += 3)\n"
        '    printf("%d %d %zu\\n", mtu, w, posture_samples_per_frame((uint16_t)mtu, (size_t)w));\n  return 0;\n}\n'
    )
    binary = tmp_path / "spf"
    subprocess.run([COMPILER, "-std=c99", "-I", str(HEADER_DIR), str(source), "-o", str(binary)], check=True)
    for line in subprocess.check_output([str(binary)], text=True).splitlines():
        mtu, wanted, got = map(int, line.split())
        assert got == samples_per_frame(mtu, wanted), line
