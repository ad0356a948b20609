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
    assert [entry["label"] for entry in results["large"]] == ["10 MB"]  # quick: no 100 MB, 1 GB or forest
    # packaging: build without its install check, for the 10 MB "no slower than" row.
    assert set(results["large"][0]["stages"]) == {"train", "build", "packaging", "publish", "verify"}
    assert set(results["large"][0]["floor"]) == {"sha256", "zip stored", "zip deflated", "http upload",
                                                 "http download"}
    assert set(results["runtime"]["predict"]) == {"1", "10000"}
    assert [entry["label"] for entry in results["cold"]] == ["10 MB"] and results["cold"][0]["warm"]["ratio"] > 0
    assert [m["package"] for m in results["runtime"]["models"]] == ["tumor_classifier"]  # quick: the example

    table = (out / "README.md").read_text()
    for heading in ("## Targets", "## 2. Large models: train, build, publish and verify",
                    "## 3. The packaged model at run time"):
        assert heading in table
    assert "| 10 MB | 10 MB | 1 | publish |" in table and "| 10 MB | 10 MB | 1 | verify |" in table
    assert "| the 10 MB model no slower than when issue 12 was filed" in table
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


def test_the_large_section_takes_sizes_and_the_forest():
    sys.path.insert(0, str(ROOT / "bench"))
    from _large import Case, parse_cases

    assert parse_cases("10MB, 1GB,forest,500kB") == [
        Case("10 MB", 10_000_000), Case("1 GB", 1_000_000_000), Case("forest"), Case("500 kB", 500_000)]
    assert Case("forest").forest and not Case("10 MB", 10_000_000).forest
    with pytest.raises(ValueError, match="neither a size"):
        parse_cases("10 TB")


def _large_entry(label, size, wheel, seconds, floor):
    stages = {stage: {"seconds": s, "tree_rss": 80e6, "proc_rss": 40e6, "tree_rss_max": 80e6,
                      "fraction": 80e6 / size} for stage, s in seconds.items()}
    return {"label": label, "size": size, "wheel": wheel, "runs": 1, "kind": "random bytes",
            "stages": stages, "floor": floor}


def test_the_large_targets_compare_with_the_floor_and_with_the_day_issue_12_was_filed():
    sys.path.insert(0, str(ROOT / "bench"))
    import _report

    floor = {"sha256": 0.7, "zip stored": 0.5, "zip deflated": 24.0, "http upload": 3.0, "http download": 1.8}
    big = _large_entry("1 GB", 10**9, 10**9 + 5000,
                       {"train": 10.0, "build": 8.0, "publish": 5.0, "verify": 4.0}, floor)
    small = _large_entry("10 MB", 10**7, 10**7 + 5000,
                         {"train": 1.0, "build": 4.0, "packaging": 1.0, "publish": 1.0, "verify": 3.0}, {})
    forest = dict(_large_entry("forest", 276 * 10**6, 45 * 10**6,
                               {"train": 1.0, "build": 1.0, "publish": 1.0, "verify": 1.0}, floor),
                  kind="random forest")
    # The zip in the floor is the one the wheel's model got: stored here, deflated for the forest.
    assert _report.floor_sum(big) == pytest.approx(0.5 + 0.7 + 3.0 + 1.8)
    assert _report.floor_sum(forest) == pytest.approx(24.0 + 0.7 + 3.0 + 1.8)
    rows = {what.split(" (")[0]: (measured, ok) for what, measured, ok in _report.targets({"large": [small, big]})}
    measured, ok = rows["build + publish + verify of the 1 GB model within 3× of the floor measured in the same run"]
    assert measured == "17.0 s vs 6.0 s: ratio 2.8" and ok == "**met**"
    # The same work then and now: packaging (build without its install check) + publish.
    then = _report.TODAY_10MB["build"] + _report.TODAY_10MB["publish"]
    ten = next(row for row in _report.targets({"large": [small, big]}) if row[0].startswith("the 10 MB model no slower"))
    assert ten[1].startswith(f"2.0 s vs {then:.1f} s") and ten[2] == "**met**"
    assert "3.0 s here" in ten[0]  # what the install check costs, said
    assert "peak memory publishing a 1 GB model < 150 MB" in rows

    big["stages"]["publish"]["seconds"] = 6.1  # 18.1 s > 3 × 6.0 s
    small["stages"]["packaging"]["seconds"] = 2.5
    missed = [what for what, _, ok in _report.targets({"large": [small, big]}) if ok == "**missed**"]
    assert [what[:39] for what in missed] == ["build + publish + verify of the 1 GB mo",
                                              "the 10 MB model no slower than when iss"]
