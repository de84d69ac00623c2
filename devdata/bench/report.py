"""The benchmark's output: a table on stdout and the same figures as JSON, with the machine they came from."""

from __future__ import annotations

import os
import platform
import sys
from pathlib import Path
from typing import Any

from devdata.bench.measures import Measure

HEADERS = ["measure", "ours", "baseline", "ratio", "goal", "met?"]


def machine() -> dict[str, Any]:
    """CPU, cores, memory, OS and Python of this machine, and its load when the run started."""
    cpu = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = None
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        for line in meminfo.read_text(encoding="utf-8").splitlines():
            if line.startswith("MemTotal:"):
                memory = round(int(line.split()[1]) / 1024 / 1024, 1)
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": memory,
        "os": platform.platform(),
        "python": sys.version.split()[0],
        "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
    }


def _figure(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    if unit in ("queries", "count"):
        return f"{value:.0f}"
    if unit == "MiB":
        return f"{value:.1f} MiB"
    return f"{value:.3f} s"


def rows(measures: list[Measure]) -> list[list[str]]:
    return [
        [
            measure.key,
            _figure(measure.ours, measure.unit),
            _figure(measure.baseline, measure.unit),
            "—" if measure.ratio is None else f"{measure.ratio:.3f}",
            f"ratio {measure.goal}",
            "error" if measure.error else ("yes" if measure.met else "NO"),
        ]
        for measure in measures
    ]


def table(measures: list[Measure]) -> str:
    """A plain-text table, columns padded to their widest cell."""
    lines = [HEADERS, *rows(measures)]
    widths = [max(len(line[column]) for line in lines) for column in range(len(HEADERS))]
    text = [
        "  ".join(cell.ljust(width) if column == 0 else cell.rjust(width) for column, (cell, width) in
                  enumerate(zip(line, widths, strict=True)))
        for line in lines
    ]  # fmt: skip
    text.insert(1, "  ".join("-" * width for width in widths))
    for measure in measures:
        if measure.error:
            text.append(f"{measure.key}: {measure.error}")
    return "\n".join(text)


def markdown(measures: list[Measure]) -> str:
    """The same table in Markdown, with each measure's detail, for BENCHMARKS.md."""
    lines = [
        "| measure | ours | baseline | ratio | goal | met? | detail |",
        "| --- | ---: | ---: | ---: | --- | --- | --- |",
    ]
    for measure, row in zip(measures, rows(measures), strict=True):
        lines.append("| " + " | ".join([*row, measure.error or measure.detail]) + " |")
    return "\n".join(lines)
