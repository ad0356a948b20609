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
    assert [entry["label"] for entry in results["cold"]] == ["10 MB"] and results["cold"][0]["warm"]["ratio"] > 0
    assert [m["package"] for m in results["runtime"]["models"]] == ["tumor_classifier"]  # quick: the example

    table = (out / "README.md").read_text()
    for heading in ("## Targets", "## 2. Large models: train, build and publish", "## 3. The packaged model at run time"):
        assert heading in table
    assert "| 1 MB | 1 MB | 1 | publish |" in table
    assert "quick smoke run" in table
    assert "## Cold start of a large model" in table
    assert "| tumor | `tumor_classifier` |" in table
    assert (out / "chart.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


ACT_LOG = """\
[Model pipeline/Decide the version]   ✅  Success - Main Check out the project [394.043146ms]
[Model pipeline/Decide the version]   ✅  Success - Main Set up Python [7.9s]
[Model pipeline/Decide the version]   ✅  Success - Main Install the publishing lock [8.5s]
[Model pipeline/Decide the version]   ✅  Success - Main Decide the version [261.1ms]
[Model pipeline/Decide the version]   ✅  Success - Main Decide the version [17.2s]
[Model pipeline/Check the repository answers]   ✅  Success - Main Install the publishing lock [8.4s]
[Model pipeline/Check the repository answers]   ✅  Success - Main Prove the account may upload, before any training [17.5s]
[Model pipeline/Train, test and build]   ✅  Success - Main Check out the project at the version job's commit [0.5s]
[Model pipeline/Train, test and build]   ✅  Success - Main Install the stages lock [1m19.5s]
[Model pipeline/Train, test and build]   ✅  Success - Main Train, test and build [2m3.5s]
[Model pipeline/Publish]   ✅  Success - Main Install the publishing lock [8.7s]
[Model pipeline/Publish]   ✅  Success - Main Publish the release the version job named [19.5s]
[Model pipeline/Verify the published wheel]   ✅  Success - Main Set up Python 3.11 to verify on [9s]
[Model pipeline/Verify the published wheel]   ✅  Success - Main Set up Python [6s]
[Model pipeline/Verify the published wheel]   ✅  Success - Main Install the stages lock [16.4s]
[Model pipeline/Verify the published wheel]   ✅  Success - Main Install the wheel from the repository and score it [1m28.5s]
"""


def test_the_jobs_section_reads_each_jobs_install_from_acts_log():
    sys.path.insert(0, str(ROOT / "bench"))
    import _jobs

    assert _jobs.seconds("1m2.5s") == 62.5 and _jobs.seconds("350ms") == pytest.approx(0.35)
    times = _jobs.job_times(ACT_LOG)
    assert times["build"] == {"install": 79.5, "setup": 0.0, "total": 124.0}
    assert times["verify"]["setup"] == 15.0 and times["verify"]["install"] == 16.4
    # The workflow's own steps add up to the job; an action's step of the same name counts once.
    assert times["version"]["total"] == pytest.approx(0.394043146 + 17.2)
    assert {job: t["install"] for job, t in times.items() if job in ("preflight", "publish")} == {
        "preflight": 8.4, "publish": 8.7}
