from __future__ import annotations

import argparse
import json
import sys

from . import registry


def main() -> int:
    benches = registry()
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description="Print performance metrics.")
    parser.add_argument(
        "names", nargs="*", metavar="NAME", help=f"benchmarks to run (default all): {', '.join(benches)}"
    )
    parser.add_argument("--json", action="store_true", help="one JSON object per metric per line")
    args = parser.parse_args()
    unknown = [n for n in args.names if n not in benches]
    if unknown:
        parser.error(f"unknown benchmark {', '.join(unknown)}; choose from {', '.join(benches)}")
    for name in args.names or list(benches):
        for metric in benches[name]():
            if args.json:
                print(json.dumps(metric.as_json()), flush=True)
            else:
                note = f"  ({metric.note})" if metric.note else ""
                print(f"{metric.name:<40} {metric.value:>14.3f} {metric.unit}{note}", flush=True)
    return 0


sys.exit(main())
