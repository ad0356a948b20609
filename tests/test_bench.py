"""The benchmarks' pieces work: a quick run writes the table, the chart and the raw results.

No timing is asserted here: how fast is what `make bench` reports, not a test's business.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_a_quick_bench_run_writes_the_table_and_the_chart(tmp_path):
    out = tmp_path / "results"
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "run.py"), "--quick", "--out", str(out),
         "--work", str(tmp_path / "work")],
        capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]

    results = json.loads((out / "results.json").read_text())
    assert [entry["label"] for entry in results["large"]] == ["1 MB"]
    assert set(results["large"][0]["stages"]) == {"train", "build", "publish"}
    assert set(results["large"][0]["floor"]) == {"sha256", "zip stored", "zip deflated"}
    assert set(results["runtime"]["predict"]) == {"1", "10000"}

    table = (out / "README.md").read_text()
    for heading in ("## Targets", "## 2. Large models: train, build and publish", "## 3. The packaged model at run time"):
        assert heading in table
    assert "| 1 MB | 1 MB | 1 | publish |" in table
    assert "quick smoke run" in table
    assert (out / "chart.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
