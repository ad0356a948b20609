"""The packaged model at run time, against the bare estimator loaded with ``joblib.load``.

Each fixture project (the example first: its figures are the targets' ones; ``--quick``
measures it alone) is trained and built by the pipeline's own stage scripts in a
snapshot of the work tree, and its wheel installed into a fresh virtual environment
with bytecode compiled (as pip does). Each figure is then timed in that environment by
``_runtime_probe.py``: the import and the cold start in fresh processes, one each per
run, the package's and the bare runs alternating; ``predict`` warm, in one process.
The bare side loads the very ``model.joblib`` file the wheel installed.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from _e2e import snapshot, without_nexus
from _measure import median

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
PROBE = BENCH / "_runtime_probe.py"


def _run(argv: list, *, cwd: Path | None = None, env: dict | None = None) -> str:
    done = subprocess.run([str(a) for a in argv], cwd=cwd, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, argv))} failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    return done.stdout


#: The fixture projects measured (by folder, relative to the repository), the example first.
FIXTURES = {
    "tumor": "model",
    "multiclass": "tests/packages/multiclass",
    "regressor": "tests/packages/regressor",
    "categorical": "tests/packages/categorical",
    "own-dependency": "tests/packages/own-dependency",
}


class Runtime:
    def __init__(self, work: Path, log) -> None:  # type: ignore[no-untyped-def]
        self.work = work
        self.log = log

    def install(self, clone: Path, fixture: str) -> tuple[Path, str, Path, Path]:
        """Train, build and install a fixture's model; return (python, package, model file, hold-out)."""
        project = clone / FIXTURES[fixture]
        env = without_nexus()
        scripts = clone / "scripts"
        dist = self.work / fixture / "dist"
        _run([sys.executable, scripts / "train.py", "--project-dir", project], env=env)
        _run([sys.executable, scripts / "build.py", "--project-dir", project, "--outdir", dist], env=env)
        wheel = next(dist.glob("*.whl"))
        manifest = next((project / ".wheelwright" / "package").glob("*/manifest.json"))
        package = json.loads(manifest.read_text(encoding="utf-8"))["package"]
        sys.path.insert(0, str(ROOT / "scripts"))
        try:
            import _venv
        finally:
            sys.path.pop(0)
        python = _venv.fresh(self.work / fixture, wheel)  # as build's own check installs it
        _run([python, "-m", "compileall", "-q", self.work / fixture / "venv"])  # bytecode, as pip writes it
        model = Path(_run([python, "-c", "import importlib.util, pathlib; print(pathlib.Path("
                           f"importlib.util.find_spec({package!r}).origin).with_name('model.joblib'))"],
                          cwd=self.work).strip())
        self.log(f"runtime: {wheel.name} installed in a fresh venv")
        return python, package, model, project / ".wheelwright" / "holdout.csv"

    def probe(self, python: Path, *args: object) -> dict:
        # From the work folder: nothing of the source tree on sys.path.
        return json.loads(_run([python, PROBE, *args], cwd=self.work).strip().splitlines()[-1])

    def run(self, cold_runs: int, warm_repeats: int, fixtures: list[str] | None = None) -> dict:
        """The example's figures (the targets), and ``models``: every fixture's, the example's first."""
        if self.work.exists():
            shutil.rmtree(self.work)
        clone = snapshot(self.work / "clone")
        fixtures = fixtures or list(FIXTURES)
        models = [self.measure(clone, fixture, cold_runs, warm_repeats) for fixture in fixtures]
        example = models[0]
        python = self.work / fixtures[0] / "venv" / "bin" / "python"  # where install() put it
        return {**example, "cold_runs": cold_runs, "warm_repeats": warm_repeats, "models": models,
                "importtime": self.import_profile(python, example["package"])}

    def measure(self, clone: Path, fixture: str, cold_runs: int, warm_repeats: int) -> dict:
        python, package, model, holdout = self.install(clone, fixture)
        # One untimed round: the first process after an install reads its files from disk.
        self.probe(python, "cold-package", package, holdout, model)
        self.probe(python, "cold-bare", package, holdout, model)

        imports, package_cold, bare_cold = [], [], []
        for i in range(cold_runs):
            result = self.probe(python, "import", package)
            if result["sklearn"]:
                raise RuntimeError(f"import {package} imported scikit-learn")
            imports.append(result["seconds"])
            pair = [("package", ("cold-package", package, holdout, model)),
                    ("bare", ("cold-bare", package, holdout, model))]
            for name, args in pair if i % 2 == 0 else reversed(pair):
                (package_cold if name == "package" else bare_cold).append(self.probe(python, *args)["seconds"])
        self.log(f"runtime {fixture}: import {median(imports) * 1e3:.1f} ms, cold start package "
                 f"{median(package_cold) * 1e3:.0f} ms, bare {median(bare_cold) * 1e3:.0f} ms")
        warm = self.probe(python, "warm", package, holdout, model, warm_repeats)
        predict = {}
        for n, times in warm.items():
            # Each pair's ratio, then their median: the pairs ran back to back, alternating.
            ratios = [p / b for p, b in zip(times["package"], times["bare"])]
            predict[n] = {"package": median(times["package"]), "bare": median(times["bare"]),
                          "ratio": median(ratios)}
        self.log(f"runtime {fixture}: predict " + ", ".join(
            f"{n} rows {p['package'] * 1e3:.3f} ms vs {p['bare'] * 1e3:.3f} ms" for n, p in predict.items()))
        return {
            "fixture": fixture,
            "package": package,
            "import": median(imports),
            "cold_package": median(package_cold),
            "cold_bare": median(bare_cold),
            "cold_ratio": median(package_cold) / median(bare_cold),
            "predict": predict,
        }

    def import_profile(self, python: Path, package: str) -> list[tuple[str, int]]:
        """The modules ``import <package>`` loads, by cumulative microseconds (-X importtime)."""
        done = subprocess.run([str(python), "-X", "importtime", "-c", f"import {package}"],
                              cwd=self.work, capture_output=True, text=True, check=True)
        found = []
        for line in done.stderr.splitlines():
            if not line.startswith("import time:") or "cumulative" in line:
                continue
            _, cumulative, name = line.split("|", 2)  # "import time: SELF | CUMULATIVE | NAME"
            found.append((name.strip(), int(cumulative)))
        return sorted(found, key=lambda item: -item[1])[:8]
