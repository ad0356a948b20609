"""summary: stage durations from the clock file, the failed stage, the metrics table."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import summary

ROOT = Path(__file__).resolve().parent.parent


def test_each_stage_lasts_until_the_next_starts_and_the_last_until_now():
    timed = summary.laps("100.0 pin\n101.5 train\n110.0 test\n", now=112.0, status="success")
    assert [(lap.stage, lap.seconds, lap.outcome) for lap in timed] == [
        ("pin", 1.5, "ok"), ("train", 8.5, "ok"), ("test", 2.0, "ok")]


def test_in_a_failed_job_the_last_stage_that_started_failed():
    timed = summary.laps("1 train\n5 test\n", now=9, status="failure")
    assert [lap.outcome for lap in timed] == ["ok", "failed"]


def test_the_markdown_has_a_row_per_stage_a_total_and_the_metrics():
    text = summary.markdown("tumor-classifier 1.2.0", summary.laps("0 train\n2 test\n", now=3, status="success"),
                            {"roc_auc": 0.99612, "accuracy": 0.97})
    assert text.startswith("### tumor-classifier 1.2.0")
    assert "| train | :white_check_mark: ok | 2.0 |" in text
    assert "| **total** | | **3.0** |" in text
    assert "| accuracy | 0.9700 |\n| roc_auc | 0.9961 |" in text


def test_the_command_line_appends_to_the_job_summary_and_prints_it(tmp_path):
    clock = tmp_path / "clock"
    clock.write_text("1700000000.0 build\n")
    step_summary = tmp_path / "summary.md"
    step_summary.write_text("earlier\n")
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "summary.py"), "--clock", str(clock),
         "--status", "failure", "--metrics", '{"roc_auc": 0.5}', "--title", "weak-model"],
        capture_output=True, text=True, env={"GITHUB_STEP_SUMMARY": str(step_summary), "PATH": ""})
    assert result.returncode == 0, result.stderr
    written = step_summary.read_text()
    assert written.startswith("earlier\n### weak-model")
    assert "| build | :x: failed |" in written
    assert "| roc_auc | 0.5000 |" in result.stdout


def test_a_missing_clock_still_gives_a_summary(tmp_path):
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "summary.py"),
                             "--clock", str(tmp_path / "none")], capture_output=True, text=True)
    assert result.returncode == 0
    assert result.stdout.startswith("### wheelwright")


def test_a_title_or_metric_name_cannot_start_a_line_of_its_own_in_the_log():
    # The project names them (its folder, its version, its tests); a newline would start
    # a line the runner reads as a workflow command.
    text = summary.markdown("model\n::add-mask::x", summary.laps("0 train\n", now=1, status="success"),
                            {"r2\n::warning::y": 0.5})
    assert not [line for line in text.splitlines() if line.startswith("::")]
    assert "### model\\n::add-mask::x" in text
    assert "| r2\\n::warning::y | 0.5000 |" in text
