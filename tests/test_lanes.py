"""The two-runs-at-once benchmark: its table, and a clear error for a run folder that is not there."""

import pytest

from benchmarks import lanes
from xtl.errors import XtlError


def test_table_gives_each_replicate_its_totals_and_gain():
    replicate = {"date": "2026-12-07T22:45:38+00:00", "order": "parallel-first", "runs": ["a", "b"],
                 "serial_total_s": 540.8, "parallel_total_s": 439.8, "gain": 1.23, "note": "quiet"}
    lines = lanes.table([replicate])
    assert lines[2] == "| 2026-12-07 22:45 | parallel-first | a, b | 541 | 440 | 1.23x | quiet |"


def test_a_missing_run_folder_is_named(tmp_path, monkeypatch):
    monkeypatch.setenv("XTL_RESULTS", str(tmp_path))
    with pytest.raises(XtlError, match="no finished run at .*nowhere"):
        lanes.main(runs=["nowhere"])
