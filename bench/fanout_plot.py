"""Plots of bench/fanout.py results: edit-to-peer latency against viewers (the floor beside)
and acked ops/s against writers. Needs matplotlib (`pip install -e '.[bench]'`).

    .venv/bin/python bench/fanout_plot.py docs/bench/*.json --out docs/bench
"""

import argparse
import json
from pathlib import Path

# "baseline": the other checkout measured in the same run (`fanout.py --baseline DIR`).
STYLES = {"empathymap": "tab:blue", "baseline": "tab:orange", "relay": "tab:gray"}


def points(files: list[Path], case: str) -> list[tuple[dict, dict]]:
    """(params, {target: median or the run's result}) of every case of that kind."""
    found = []
    for path in files:
        report = json.loads(path.read_text())
        for entry in report.get("cases", []):
            if entry["case"] != case:
                continue
            found.append((entry["params"], entry["runs"]))
    return found


def median(values: list[float]) -> float | None:
    values = sorted(value for value in values if value is not None)
    return values[len(values) // 2] if values else None


def latency_plot(files: list[Path], out: Path, plt) -> Path | None:
    series: dict[tuple, list[tuple[int, float]]] = {}
    for params, runs in points(files, "fanout"):
        if params.get("maps", 1) != 1:
            continue
        for target in STYLES:
            results = [run[target] for run in runs if "latency_ms" in run.get(target, {})]
            for name in ("p50", "p99"):
                value = median([result["latency_ms"][name] for result in results])
                if value is not None:
                    key = (target, name, params["rate"], params.get("processes", 1))
                    series.setdefault(key, []).append((params["viewers"], value))
    if not series:
        return None
    figure, axes = plt.subplots(figsize=(9.5, 4.2), dpi=80)
    for (target, name, rate, processes), values in sorted(series.items()):
        values.sort()
        label = f"{target} {name}, {rate} edits/s" + (
            f", {processes} proc" if processes > 1 else ""
        )
        axes.plot(
            [x for x, _ in values],
            [y for _, y in values],
            marker="o" if processes == 1 else "s",
            color=STYLES[target],
            linestyle="-" if name == "p50" else "--",
            alpha=1.0 if rate == max(key[2] for key in series) else 0.55,
            label=label,
        )
    axes.set_xscale("log")
    axes.set_yscale("log")
    axes.set_xlabel("viewers on one map")
    axes.set_ylabel("edit to every viewer, ms")
    axes.set_title("Edit-to-peer latency (one daphne process unless said)")
    axes.grid(True, which="both", alpha=0.3)
    axes.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    figure.tight_layout()
    path = out / "fanout-latency.png"
    figure.savefig(path)
    return path


def throughput_plot(files: list[Path], out: Path, plt) -> Path | None:
    series: dict[tuple, list[tuple[int, float]]] = {}
    for params, runs in points(files, "throughput"):
        for target in STYLES:
            results = [run[target] for run in runs if "acked_ops_per_s" in run.get(target, {})]
            value = median([result["acked_ops_per_s"] for result in results])
            if value is not None:
                key = (target, params.get("maps", 1))
                series.setdefault(key, []).append(
                    (params["writers"] * params.get("maps", 1), value)
                )
    if not series:
        return None
    figure, axes = plt.subplots(figsize=(7, 4.2), dpi=80)
    for (target, maps), values in sorted(series.items()):
        values.sort()
        axes.plot(
            [x for x, _ in values],
            [y for _, y in values],
            marker="o",
            color=STYLES[target],
            linestyle="-" if maps == 1 else ":",
            label=f"{target}, {maps} map{'s' if maps > 1 else ''}",
        )
    axes.set_xscale("log")
    axes.set_yscale("log")
    axes.set_xlabel("writers")
    axes.set_ylabel("acked ops/s")
    axes.set_title("Throughput: ops committed and acked per second")
    axes.grid(True, which="both", alpha=0.3)
    axes.legend(fontsize=8)
    figure.tight_layout()
    path = out / "fanout-throughput.png"
    figure.savefig(path)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--out", type=Path, default=Path("docs/bench"))
    args = parser.parse_args()
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    args.out.mkdir(parents=True, exist_ok=True)
    for draw in (latency_plot, throughput_plot):
        path = draw(args.files, args.out, plt)
        if path is not None:
            print(f"wrote {path}")


if __name__ == "__main__":
    main()
