"""What machine a benchmark ran on, where its result goes, and how its command ends.

`environment()` describes the device, CPU, threads and versions (with the load average at the start);
`default_label()` names the device, and so the result file, `benchmarks/results/<label><suffix>.json`
(`write_result`); `exit_status` gives the project's one-line error and exit status 2.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import accelerate
import torch
import transformers

from benchmarks.workload import current_device
from xtl.errors import XtlError

RESULTS = Path(__file__).resolve().parent / "results"


def environment() -> dict[str, Any]:
    device = current_device()
    info: dict[str, Any] = {
        "device": torch.cuda.get_device_name(0) if device.type == "cuda" else "cpu",
        "cpu": _cpu_name(), "cpu_cores": os.cpu_count(), "torch_threads": torch.get_num_threads(),
        "python": platform.python_version(), "torch": torch.__version__, "transformers": transformers.__version__,
        "accelerate": accelerate.__version__, "platform": platform.platform(),
    }
    with contextlib.suppress(OSError):
        info["load_average_at_start"] = [round(x, 2) for x in os.getloadavg()]
    return info


def _cpu_name() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def default_label() -> str:
    if torch.cuda.is_available():
        return "gpu-" + torch.cuda.get_device_name(0).lower().replace("nvidia", "").strip().replace(" ", "-")
    return f"cpu-{os.cpu_count()}core-{torch.get_num_threads()}thread"


def write_result(result: dict[str, Any], out: str | Path | None, suffix: str, lines: list[str]) -> Path:
    """Write a bench's JSON (benchmarks/results/<device label><suffix>.json unless `out`), then print its table."""
    target = Path(out) if out is not None else RESULTS / f"{default_label()}{suffix}.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(result, indent=1) + "\n")
    print(f"wrote {target}")
    for line in lines:
        print(line)
    return target


def exit_status(main: Callable[[], object]) -> int:
    """Run a benchmark command: 0, or 2 after the one line a user can act on (`error: ...`)."""
    try:
        main()
    except XtlError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0
