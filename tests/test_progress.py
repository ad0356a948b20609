"""_progress: quiet for short steps, plain lines at intervals in logs, a bar in a terminal.

A fake clock drives every case: no test sleeps or depends on timing.
"""

from __future__ import annotations

import hashlib
import io

import pytest

from _progress import Progress, ProgressReader, human_bytes

MB = 1_000_000


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def lines_of(stream: io.StringIO) -> list[str]:
    return stream.getvalue().splitlines()


def test_a_step_shorter_than_two_seconds_shows_nothing():
    clock, out = Clock(), io.StringIO()
    with Progress("uploading x.whl", 100 * MB, stream=out, clock=clock) as progress:
        for hundredth in range(1, 100):
            clock.now = 100 + hundredth / 50  # ends at 1.98 s
            progress.advance(MB)
    assert out.getvalue() == ""


def test_in_a_log_a_line_after_two_seconds_then_each_ten_percent_at_most_once_a_second():
    clock, out = Clock(), io.StringIO()
    with Progress("uploading x.whl", 100 * MB, stream=out, clock=clock, form="lines") as progress:
        for tenth in range(1, 101):  # 1 MB each 0.1 s: 10 MB/s, 10 s in all
            clock.now = 100 + tenth / 10
            progress.advance(MB)
    assert lines_of(out) == [
        "uploading x.whl: 20.0 MB of 100.0 MB (20%), 10.0 MB/s",   # at 2 s
        "uploading x.whl: 30.0 MB of 100.0 MB (30%), 10.0 MB/s",   # each further 10 %...
        "uploading x.whl: 40.0 MB of 100.0 MB (40%), 10.0 MB/s",
        "uploading x.whl: 50.0 MB of 100.0 MB (50%), 10.0 MB/s",
        "uploading x.whl: 60.0 MB of 100.0 MB (60%), 10.0 MB/s",
        "uploading x.whl: 70.0 MB of 100.0 MB (70%), 10.0 MB/s",
        "uploading x.whl: 80.0 MB of 100.0 MB (80%), 10.0 MB/s",
        "uploading x.whl: 90.0 MB of 100.0 MB (90%), 10.0 MB/s",
        "uploading x.whl: 100.0 MB of 100.0 MB (100%), 10.0 MB/s",
        "uploading x.whl: 100.0 MB in 10.0 s (10.0 MB/s)",         # and the total
    ]


def test_a_fast_step_gets_a_line_a_second_not_one_per_ten_percent():
    clock, out = Clock(), io.StringIO()
    with Progress("hashing x.whl", 100 * MB, stream=out, clock=clock, form="lines") as progress:
        clock.now += 2.0
        progress.update(50 * MB)  # the first line
        for done in range(51, 101):  # 50 more MB within 0.5 s: 5 marks passed, no second yet
            clock.now = 102 + (done - 50) / 100
            progress.update(done * MB)
    assert lines_of(out) == ["hashing x.whl: 50.0 MB of 100.0 MB (50%), 25.0 MB/s",
                             "hashing x.whl: 100.0 MB in 2.5 s (40.0 MB/s)"]


def test_a_slow_step_gets_a_line_every_ten_seconds_between_marks():
    clock, out = Clock(), io.StringIO()
    with Progress("downloading x.whl", 1000 * MB, stream=out, clock=clock, form="lines") as progress:
        for second in range(1, 31):  # 1 MB a second: 3 % in 30 s
            clock.now = 100 + second
            progress.advance(MB)
    shown = lines_of(out)
    assert [line.split(": ", 1)[1].split(" of ")[0] for line in shown[:-1]] == ["2.0 MB", "12.0 MB", "22.0 MB"]
    assert shown[-1] == "downloading x.whl: 30.0 MB in 30.0 s (1.0 MB/s)"


def test_the_last_line_says_how_long_the_step_waited_after_its_last_byte():
    clock, out = Clock(), io.StringIO()
    with Progress("uploading x.whl", 100 * MB, stream=out, clock=clock, form="lines") as progress:
        clock.now = 104.0
        progress.update(100 * MB)  # all sent in 4 s...
        clock.now = 114.0          # ... and the answer came 10 s later
    assert lines_of(out)[-1] == "uploading x.whl: 100.0 MB in 4.0 s (25.0 MB/s), then 10.0 s waiting"


def test_without_a_total_lines_show_bytes_and_rate():
    clock, out = Clock(), io.StringIO()
    with Progress("downloading x.whl", None, stream=out, clock=clock, form="lines") as progress:
        clock.now += 3.0
        progress.advance(6 * MB)
    assert lines_of(out) == ["downloading x.whl: 6.0 MB, 2.0 MB/s",
                             "downloading x.whl: 6.0 MB in 3.0 s (2.0 MB/s)"]


def test_a_step_that_fails_says_where_it_stopped():
    clock, out = Clock(), io.StringIO()
    with pytest.raises(ConnectionError):
        with Progress("uploading x.whl", 100 * MB, stream=out, clock=clock, form="lines") as progress:
            clock.now += 4.0
            progress.advance(40 * MB)
            raise ConnectionError
    assert lines_of(out)[-1] == "uploading x.whl: stopped after 40.0 MB of 100.0 MB, 4.0 s"


def test_the_form_follows_the_stream_and_actions(monkeypatch):
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    assert Progress("x", 1, stream=Terminal()).form == "bar"
    assert Progress("x", 1, stream=io.StringIO()).form == "lines"
    monkeypatch.setenv("GITHUB_ACTIONS", "true")  # Actions logs are no terminal, whatever isatty says
    assert Progress("x", 1, stream=Terminal()).form == "lines"


def test_in_a_terminal_a_bar_with_bytes_and_rate_after_two_seconds(monkeypatch):
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    clock, out = Clock(), Terminal()
    with Progress("uploading x.whl", 100 * MB, stream=out, clock=clock) as progress:
        clock.now += 1.0
        progress.advance(10 * MB)
        assert out.getvalue() == ""  # quiet so far
        for second in range(3, 7):
            clock.now = 100 + second
            progress.advance(10 * MB)
    drawn = out.getvalue()
    assert "uploading x.whl" in drawn and "50.0/100.0 MB" in drawn and "10.0 MB/s" in drawn


def test_a_reader_advances_progress_as_hashlib_reads(tmp_path):
    path = tmp_path / "model.bin"
    path.write_bytes(bytes(range(256)) * 4096)
    clock, out = Clock(), io.StringIO()
    with open(path, "rb") as raw, Progress("hashing model.bin", path.stat().st_size, stream=out,
                                           clock=clock, form="lines") as progress:
        digest = hashlib.file_digest(ProgressReader(raw, progress), "sha256").hexdigest()
    assert digest == hashlib.sha256(path.read_bytes()).hexdigest()
    assert progress.done == path.stat().st_size


def test_a_closed_stream_does_not_fail_the_step():
    clock, out = Clock(), io.StringIO()
    with Progress("x", 10, stream=out, clock=clock, form="lines") as progress:
        out.close()
        clock.now += 5
        progress.advance(5)


@pytest.mark.parametrize("amount, shown", [(0, "0 B"), (999, "999 B"), (1000, "1.0 kB"),
                                           (12_345_678, "12.3 MB"), (1_000_000_000, "1.0 GB")])
def test_human_bytes(amount, shown):
    assert human_bytes(amount) == shown
