"""The packaged model at run time, against the bare estimator loaded with ``joblib.load``.

The example project is trained and built by the pipeline's own stage scripts in a
snapshot of the work tree, and its wheel installed into a fresh virtual environment
with bytecode compiled (as pip does). Each figure is then timed in that environment by
``_runtime_probe.py``: the import and the cold start in fresh processes, one each per
run, the package's and the bare runs alternating; ``predict`` warm, in one process.
The bare side loads the very ``model.joblib`` file the wheel installed.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from _e2e import snapshot, without_nexus
from _measure import median

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
PROBE = BENCH / "_runtime_probe.py"
PROJECT = "model"


def _run(argv: list, *, cwd: Path | None = None, env: dict | None = None) -> str:
    done = subprocess.run([str(a) for a in argv], cwd=cwd, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, argv))} failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    return done.stdout


class Runtime:
    def __init__(self, work: Path, log) -> None:  # type: ignore[no-untyped-def]
        self.work = work
        self.log = log

    def install(self) -> tuple[Path, Path, Path]:
        """Train, build and install the example model; return (python, model file, hold-out)."""
        import shutil

        if self.work.exists():
            shutil.rmtree(self.work)
        clone = snapshot(self.work / "clone")
        project = clone / PROJECT
        env = without_nexus()
        scripts = clone / "scripts"
        _run([sys.executable, scripts / "train.py", "--project-dir", project], env=env)
        _run([sys.executable, scripts / "build.py", "--project-dir", project, "--outdir", clone / "dist"], env=env)
        wheel = next((clone / "dist").glob("*.whl"))
        sys.path.insert(0, str(ROOT / "scripts"))
        try:
            import _venv
        finally:
            sys.path.pop(0)
        python = _venv.fresh(self.work, wheel)  # as build's own check installs it
        _run([python, "-m", "compileall", "-q", self.work / "venv"])  # bytecode, as pip writes it
        model = Path(_run([python, "-c", "import importlib.util, pathlib; print(pathlib.Path("
                           "importlib.util.find_spec('tumor_classifier').origin).with_name('model.joblib'))"],
                          cwd=self.work).strip())
        self.log(f"runtime: {wheel.name} installed in a fresh venv")
        return python, model, project / ".wheelwright" / "holdout.csv"

    def probe(self, python: Path, *args: object) -> dict:
        # From the work folder: nothing of the source tree on sys.path.
        return json.loads(_run([python, PROBE, *args], cwd=self.work).strip().splitlines()[-1])

    def run(self, cold_runs: int, warm_repeats: int) -> dict:
        python, model, holdout = self.install()
        # One untimed round: the first process after an install reads its files from disk.
        self.probe(python, "cold-package", holdout)
        self.probe(python, "cold-bare", holdout, model)

        imports, package_cold, bare_cold = [], [], []
        for i in range(cold_runs):
            result = self.probe(python, "import")
            if result["sklearn"]:
                raise RuntimeError("import tumor_classifier imported scikit-learn")
            imports.append(result["seconds"])
            pair = [("package", ("cold-package", holdout)), ("bare", ("cold-bare", holdout, model))]
            for name, args in pair if i % 2 == 0 else reversed(pair):
                (package_cold if name == "package" else bare_cold).append(self.probe(python, *args)["seconds"])
        self.log(f"runtime: import {median(imports) * 1e3:.1f} ms, cold start package "
                 f"{median(package_cold) * 1e3:.0f} ms, bare {median(bare_cold) * 1e3:.0f} ms")
        warm = self.probe(python, "warm", holdout, model, warm_repeats)
        predict = {}
        for n, times in warm.items():
            predict[n] = {"package": median(times["package"]), "bare": median(times["bare"])}
            predict[n]["ratio"] = predict[n]["package"] / predict[n]["bare"]
        self.log("runtime: predict " + ", ".join(
            f"{n} rows {p['package'] * 1e3:.3f} ms vs {p['bare'] * 1e3:.3f} ms" for n, p in predict.items()))
        importtime = self.import_profile(python)
        return {
            "cold_runs": cold_runs,
            "warm_repeats": warm_repeats,
            "import": median(imports),
            "cold_package": median(package_cold),
            "cold_bare": median(bare_cold),
            "cold_ratio": median(package_cold) / median(bare_cold),
            "predict": predict,
            "importtime": importtime,
        }

    def import_profile(self, python: Path) -> list[tuple[str, int]]:
        """The modules ``import tumor_classifier`` loads, by cumulative microseconds (-X importtime)."""
        done = subprocess.run([str(python), "-X", "importtime", "-c", "import tumor_classifier"],
                              cwd=self.work, capture_output=True, text=True, check=True)
        found = []
        for line in done.stderr.splitlines():
            if not line.startswith("import time:") or "cumulative" in line:
                continue
            _, cumulative, name = line.split("|", 2)  # "import time: SELF | CUMULATIVE | NAME"
            found.append((name.strip(), int(cumulative)))
        return sorted(found, key=lambda item: -item[1])[:8]
