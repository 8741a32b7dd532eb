"""Time this template against cibuildwheel and the recipe it replaces: one machine, one image.

    make bench [REPEAT=3]

Each round runs, in fresh copies of the project (the files a clone would hold):
  cold        the first `make` of a fresh clone: it installs its tools too; caches warm
  template    a full `make` (sdist, wheels, repair, tests under every interpreter), tools
              installed and caches warm
  no-change   a second `make` right after it, with nothing changed
  cibw        cibuildwheel (bench/requirements.txt) with its defaults, and with build[uv]
  old         the recipe the template replaces (bench/old_recipe.sh), in one container
all for CPython 3.9-3.13 and the same package tests, run the same way: pytest==PYTEST_VERSION,
`python -m pytest -q -p no:cacheprovider` on a copy of TESTS, against the installed wheel.
Prints the median and the spread of each, the ratios, the wheel sizes and whether every clone's
wheel is byte-identical, and writes them to BENCH_RESULTS, which MANUAL.md quotes.
Environment (make passes it): REPEAT, MANYLINUX_IMAGE, ARCH, CACHE_VOLUME, PYTEST_VERSION,
TESTS, BUILD_DIR, TOOLS_BIN, BENCH_RESULTS (default bench/results.md).
"""

import hashlib
import io
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time
import zipfile
from datetime import datetime, timezone
from pathlib import Path

from elftools.elf.elffile import ELFFile

ROOT = Path(__file__).resolve().parents[1]
PYTHONS = "cp39 cp310 cp311 cp312 cp313"
# What the template's runs must stay under, as a fraction of the slower runs named.
TARGETS = {"template": {"cibw-uv": 0.3, "cibw": 0.1, "old": 0.3}, "cold": {"cibw-uv": 1.0}}
NO_CHANGE_LIMIT = 2.0
# The test command both sides run on their copy of TESTS (docker/verify.sh runs the same).
TEST_COMMAND = "python -m pytest -q -p no:cacheprovider"
LABELS = {
    "cold": "this template: first `make` of a fresh clone, tools installed too",
    "template": "this template: `make` (sdist, wheels, repair, tests)",
    "no-change": "this template: second `make`, nothing changed",
    "cibw": "cibuildwheel, default frontend (pip)",
    "cibw-uv": 'cibuildwheel, `CIBW_BUILD_FRONTEND="build[uv]"`',
    "old": "old recipe: `setup.py bdist_wheel` + `auditwheel repair` per interpreter",
}


def say(message):
    print(f"bench: {message}", flush=True)


def die(message):
    print(f"bench: error: {message}", file=sys.stderr)
    sys.exit(1)


class Bench:
    def __init__(self, env):
        self.env = env
        self.repeat = int(env.get("REPEAT", "3"))
        self.image = env["MANYLINUX_IMAGE"]
        self.build = (ROOT / env.get("BUILD_DIR", ".build")).resolve()
        self.work = self.build / "bench"
        self.tools = Path(env.get("TOOLS_BIN", self.build / "tools" / "bin")).parent
        self.times = {name: [] for name in LABELS}
        self.wheels = {}
        self.clone_wheels = set()
        self.load = os.getloadavg()[0]
        self.containers_on_no_change = 0
        self.venv = self.build / "bench-venv"

    def run(self, name, cmds, cwd, env=None):
        """Run the commands in turn, their output in one log; return the seconds they took."""
        log = self.work / f"{name}.log"
        start = time.monotonic()
        with open(log, "w") as out:
            for cmd in cmds:
                done = subprocess.run(cmd, cwd=cwd, env=env or self.env, stdout=out, stderr=subprocess.STDOUT)
                if done.returncode != 0:
                    die(f"{name} failed ({' '.join(map(str, cmd[:3]))} ...); its output is in {log}")
        return time.monotonic() - start

    def fresh_copy(self, name):
        """A clone of the work tree as it is: the files git tracks, or would (untracked, not
        ignored), committed at this checkout's commit time. A repository of its own: inside
        BUILD_DIR, git would otherwise see it as an ignored folder of this checkout."""
        dest = self.work / name
        shutil.rmtree(dest, ignore_errors=True)
        git = ["git", "-c", "user.name=bench", "-c", "user.email=bench@localhost"]
        listed = subprocess.run(
            [*git, "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        for file in filter(None, listed.split("\0")):
            if (ROOT / file).exists():
                (dest / file).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(ROOT / file, dest / file)
        date = f"@{self.env['SOURCE_DATE_EPOCH']} +0000"
        env = {**self.env, "GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date}
        for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "--no-verify", "-m", "bench"]):
            subprocess.run([*git, *args], cwd=dest, env=env, check=True, capture_output=True)
        return dest

    def make_env(self, shared_tools=True):
        """A user's own `make`, not a sub-make of `make bench`: sharing this checkout's tools,
        or installing its own as a fresh clone does."""
        drop = ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "TOOLS", "TOOLS_BIN")
        env = {k: v for k, v in self.env.items() if k not in drop}
        return {**env, "PYTHONS": PYTHONS, **({"TOOLS": str(self.tools)} if shared_tools else {})}

    def cold(self, round_):
        project = self.fresh_copy(f"cold-{round_}")
        cmd = ["make", "--no-print-directory", "-C", str(project)]
        took = self.run(f"cold-{round_}", [cmd], ROOT, self.make_env(shared_tools=False))
        self.note_wheel(project)
        return took

    def note_wheel(self, project):
        wheel = next((project / "wheelhouse").glob("*.whl"))
        self.clone_wheels.add(hashlib.sha256(wheel.read_bytes()).hexdigest())
        return wheel

    def template(self, round_):
        project = self.fresh_copy(f"template-{round_}")
        cmd = ["make", "--no-print-directory", "-C", str(project)]
        took = self.run(f"template-{round_}", [cmd], ROOT, self.make_env())
        again = self.run(f"no-change-{round_}", [cmd], ROOT, self.make_env())
        # step.sh announces every container it starts, as "step: STEP in IMAGE with ENGINE".
        if re.search(
            r"^step: \w+ in .* with \S+$", (self.work / f"no-change-{round_}.log").read_text(), re.M
        ):
            self.containers_on_no_change += 1
        self.wheels.setdefault("template", self.note_wheel(project))
        return took, again

    def cibuildwheel(self, round_, name, frontend):
        project = self.fresh_copy(f"{name}-{round_}")
        env = {k: v for k, v in self.env.items() if not k.startswith("CIBW_")}
        tests = self.env.get("TESTS", "tests/package")
        env.update(
            CIBW_MANYLINUX_X86_64_IMAGE=self.image,
            CIBW_CONTAINER_ENGINE="docker",
            CIBW_BUILD=" ".join(f"{tag}-*" for tag in PYTHONS.split()),
            CIBW_ARCHS=self.env.get("ARCH", "x86_64"),
            CIBW_SKIP="*-musllinux_*",
            CIBW_TEST_REQUIRES=f"pytest=={self.env['PYTEST_VERSION']}",
            # Copied into the test folder, so the tests import the installed wheel.
            CIBW_TEST_SOURCES=tests,
            CIBW_TEST_COMMAND=f"{TEST_COMMAND} {tests}",
        )
        if frontend:
            env["CIBW_BUILD_FRONTEND"] = frontend
        cmd = [self.venv / "bin" / "cibuildwheel", "--platform", "linux", "--output-dir", "cibw-wheelhouse"]
        took = self.run(f"{name}-{round_}", [cmd], project, env)
        self.wheels.setdefault(name, next((project / "cibw-wheelhouse").glob("*.whl")))
        return took

    def old_recipe(self, round_):
        project = self.fresh_copy(f"old-{round_}")
        container = f"bench-old-{os.getpid()}-{round_}"
        envs = [f"{var}={self.env[var]}" for var in ("TESTS", "PYTEST_VERSION", "V") if var in self.env]
        create = ["docker", "create", "--name", container, "-e", f"PYTHONS={PYTHONS}"]
        create += [arg for var in envs for arg in ("-e", var)]
        # The same warm pip cache the template's containers use.
        create += ["-v", f"{self.env['CACHE_VOLUME']}:/cache", "-e", "PIP_CACHE_DIR=/cache/pip"]
        create += [self.image, "/io/project/bench/old_recipe.sh", "/io/project", "/io/out"]
        cmds = [
            create,
            ["docker", "cp", f"{project}/.", f"{container}:/io/project"],
            ["docker", "start", "--attach", container],
            ["docker", "cp", f"{container}:/io/out", f"{project}/out"],
        ]
        try:
            return self.run(f"old-{round_}", cmds, project)
        finally:
            subprocess.run(["docker", "rm", "--force", container], capture_output=True)

    def install_cibuildwheel(self):
        """A venv of its own under BUILD_DIR, so the pinned cibuildwheel meets no other tool."""
        wanted = (ROOT / "bench" / "requirements.txt").read_text()
        stamp = self.venv / "requirements.txt"
        if stamp.exists() and stamp.read_text() == wanted:
            return
        say(f"installing {' '.join(line for line in wanted.splitlines() if '==' in line)} into {self.venv}")
        uv = self.tools / "bin" / "uv"
        shutil.rmtree(self.venv, ignore_errors=True)
        python = self.tools / "bin" / "python"
        subprocess.run([uv, "venv", "--quiet", "--python", python, self.venv], check=True)
        subprocess.run(
            [
                uv,
                "pip",
                "install",
                "--quiet",
                "--python",
                self.venv / "bin" / "python",
                "--requirement",
                ROOT / "bench" / "requirements.txt",
            ],
            check=True,
        )
        stamp.write_text(wanted)

    def main(self):
        if not shutil.which("docker"):
            die("docker is not on PATH; cibuildwheel needs it (set DOCKER_HOST for a podman socket)")
        if subprocess.run(["docker", "image", "inspect", self.image], capture_output=True).returncode:
            die(f"image {self.image} is not here; pull it first, or set MANYLINUX_IMAGE")
        self.work.mkdir(parents=True, exist_ok=True)
        self.install_cibuildwheel()
        say(f"warming the caches: one untimed make; logs in {self.work}")
        self.template(0)
        for round_ in range(1, self.repeat + 1):
            self.times["cold"].append(self.cold(round_))
            took, again = self.template(round_)
            self.times["template"].append(took)
            self.times["no-change"].append(again)
            say(
                f"round {round_}/{self.repeat}: cold {self.times['cold'][-1]:.1f} s, "
                f"template {took:.1f} s, no-change {again:.2f} s"
            )
            self.times["cibw"].append(self.cibuildwheel(round_, "cibw", None))
            self.times["cibw-uv"].append(self.cibuildwheel(round_, "cibw-uv", "build[uv]"))
            self.times["old"].append(self.old_recipe(round_))
            say(
                f"round {round_}/{self.repeat}: cibuildwheel {self.times['cibw'][-1]:.1f} s, "
                f"build[uv] {self.times['cibw-uv'][-1]:.1f} s, old recipe {self.times['old'][-1]:.1f} s"
            )
        report = self.report()
        print(report)
        results = ROOT / self.env.get("BENCH_RESULTS", "bench/results.md")
        results.write_text(report)
        say(f"wrote {results}")

    def report(self):
        med = {name: statistics.median(times) for name, times in self.times.items()}
        lines = [
            "# Benchmark: this template against cibuildwheel and the old recipe",
            "",
            f"Made by `make bench` (REPEAT={self.repeat}) on {datetime.now(timezone.utc):%Y-%m-%d}: "
            f"{machine()}; image {image_label(self.image)}; the example package, CPython 3.9 to 3.13, "
            f"its tests run against the installed wheel under each, by both sides with `{TEST_COMMAND}` "
            f"and pytest {self.env['PYTEST_VERSION']}. Seconds, wall clock. Load average "
            f"at the start: {self.load:.1f} on {os.cpu_count()} cores"
            + (" (other work was running: the figures are noisy)." if self.load > 0.5 else "."),
            "",
            "| run | median | min | max |",
            "| --- | ---: | ---: | ---: |",
        ]
        lines += [
            f"| {LABELS[name]} | {med[name]:.2f} | {min(times):.2f} | {max(times):.2f} |"
            for name, times in self.times.items()
        ]
        lines += ["", "| this template's | against | ratio | target | met |"]
        lines += ["| --- | --- | ---: | ---: | --- |"]
        for ours, targets in TARGETS.items():
            for name, target in targets.items():
                ratio = med[ours] / med[name]
                lines.append(
                    f"| {LABELS[ours].split(': ')[1]} | {LABELS[name]} | {ratio:.2f} | at most {target} "
                    f"| {yes(ratio <= target)} |"
                )
        quiet = self.containers_on_no_change == 0
        lines += [
            f"| second `make`, nothing changed | | {med['no-change']:.2f} s | under {NO_CHANGE_LIMIT} s, "
            f"no container | {yes(med['no-change'] < NO_CHANGE_LIMIT and quiet)} |",
            "",
            "| wheel | tags | bytes | debug symbols |",
            "| --- | --- | ---: | --- |",
        ]
        for name in ("template", "cibw", "cibw-uv"):
            wheel = self.wheels[name]
            # The tags, not the project's name: the results are the pipeline's, whatever it builds.
            tags = wheel.name.split("-", 2)[2].removesuffix(".whl")
            lines.append(
                f"| {LABELS[name].split(':')[0]} | {tags} | {wheel.stat().st_size} | {symbols(wheel)} |"
            )
        smaller = self.wheels["template"].stat().st_size <= self.wheels["cibw"].stat().st_size
        clones = 2 * self.repeat + 1
        lines += [
            "",
            f"Our wheel no larger than cibuildwheel's: {yes(smaller)}.",
            f"The wheels of all {clones} fresh clones byte-identical: {yes(len(self.clone_wheels) == 1)}.",
            "",
        ]
        return "\n".join(lines)


def yes(flag):
    return "yes" if flag else "**no**"


def symbols(wheel):
    """'stripped', or what a shared library in the wheel still carries."""
    kept = set()
    with zipfile.ZipFile(wheel) as whl:
        for name in whl.namelist():
            if name.endswith(".so") or ".so." in name:
                sections = {s.name for s in ELFFile(io.BytesIO(whl.read(name))).iter_sections()}
                kept |= {s for s in sections if s == ".symtab" or s.startswith(".debug")}
    return ", ".join(sorted(kept)) if kept else "stripped"


def machine():
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or platform.machine(),
    )
    return f"{os.cpu_count()} cores ({model}), {platform.system()} {platform.machine()}"


def image_label(image):
    # A locally built image has no name anyone else can pull: say what it is instead.
    return (
        "a locally built image with the manylinux layout" if image.startswith("localhost/") else f"`{image}`"
    )


if __name__ == "__main__":
    Bench(os.environ).main()
