"""Every command in README.md works: each fenced shell command runs (as written, through bash and
the installed ``ambidex`` script) in a fresh folder that holds only links to ``scenarios/`` and
``sd_models/`` (as a clone's root would); each Python block runs; the scenario TOML validates.

Skipped, with the reason: ``pip install`` (installing is what ``.ci/run`` does on a fresh
machine, with the README's second quick-start line verbatim; re-installing from inside the tests
would repoint the environment's editable install) and ``python3 -m pytest`` (this suite itself).
"""

from __future__ import annotations

import re
import shutil
import signal
import socket
import subprocess
import time
import tomllib
import urllib.request

import pytest
from conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")
SKIP = {"pip install": "installing is .ci/run's job (the README's quick-start install, verbatim)",
        "python3 -m pip install": "installing is .ci/run's job (the README's quick-start install, verbatim)",
        "python3 -m pytest": "the test suite itself"}


def blocks(lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", README, flags=re.S)


def shell_commands() -> list[str]:
    """Every command of every ```bash block, ``a && b`` split into its parts."""
    cmds = []
    for block in blocks("bash"):
        for line in block.splitlines():
            line = line.split("  #")[0].strip()
            if line and not line.startswith("#"):
                cmds += [c.strip() for c in line.split("&&")]
    return cmds


COMMANDS = shell_commands()
# what a command must leave behind (relative to the folder it ran in)
WRITES = {"ambidex run": ["results/scenarios.nc", "results/report.html"],
          "ambidex compare baseline_dual fragmentation": ["results/compare_baseline_dual_fragmentation.html"],
          "ambidex params --format csv > parameters.csv": ["parameters.csv"],
          "ambidex check --json results/checks.json": ["results/checks.json"],
          "ambidex export-simulator -o results/simulator.html": ["results/simulator.html"]}


@pytest.fixture(scope="module")
def clone_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("readme")
    for name in ("scenarios", "sd_models"):
        (d / name).symlink_to(ROOT / name)
    return d


def test_readme_has_commands_for_every_cli_command():
    import typer.main

    from ambidex.cli import app
    names = typer.main.get_command(app).list_commands(None)
    shown = {c.split()[1] for c in COMMANDS if c.startswith("ambidex ")}
    assert set(names) <= shown, f"README shows no example of: {sorted(set(names) - shown)}"


@pytest.mark.parametrize("cmd", COMMANDS)
def test_readme_command(cmd, clone_dir):
    for prefix, reason in SKIP.items():
        if cmd.startswith(prefix):
            pytest.skip(reason)
    if shutil.which(cmd.split()[0]) is None:
        pytest.fail(f"'{cmd.split()[0]}' is not on PATH: install the package (pip install -e .)")
    if cmd.startswith("ambidex workshop"):
        return _serve(cmd, clone_dir)
    r = subprocess.run(["bash", "-c", cmd], cwd=clone_dir, capture_output=True, text=True,
                       timeout=900)
    assert r.returncode == 0, f"{cmd}\n{r.stderr[-3000:]}"
    assert "Traceback" not in r.stderr, r.stderr
    for f in WRITES.get(cmd, []):
        assert (clone_dir / f).is_file() and (clone_dir / f).stat().st_size > 0, f
    if cmd == "ambidex run":
        import xarray as xr
        with xr.open_dataset(clone_dir / "results" / "scenarios.nc", engine="h5netcdf") as ds:
            assert ds.sizes["scenario"] == len(list((ROOT / "scenarios").glob("*.toml")))


def _serve(cmd, cwd):
    """Start the workshop, fetch its page, stop it with Ctrl-C."""
    port = re.search(r"--port (\d+)", cmd)
    port = int(port.group(1)) if port else 8050
    with socket.socket() as probe:  # another server on the README's port would answer for us
        if probe.connect_ex(("127.0.0.1", port)) == 0:
            pytest.skip(f"port {port} is in use by another process on this machine")
    url = f"http://127.0.0.1:{port}/"
    p = subprocess.Popen(["bash", "-c", f"exec {cmd}"], cwd=cwd, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.time() + 300
        while True:
            try:
                with urllib.request.urlopen(url, timeout=5) as resp:
                    assert resp.status == 200 and "dash" in resp.read().decode().lower()
                    break
            except OSError:
                if p.poll() is not None or time.time() > deadline:
                    out, err = p.communicate()
                    pytest.fail(f"{cmd} did not serve {url}: rc={p.returncode}\n{err[-2000:]}")
                time.sleep(1.0)
    finally:
        if p.poll() is None:
            p.send_signal(signal.SIGINT)
            try:
                p.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
                p.communicate()
    assert p.returncode in (0, 130, -signal.SIGINT), p.returncode


def test_readme_python_blocks_run(clone_dir, monkeypatch):
    monkeypatch.chdir(clone_dir)
    ns: dict = {"__name__": "__readme__"}
    for i, block in enumerate(blocks("python")):
        exec(compile(block, f"README.md python block {i}", "exec"), ns)
    assert ns["ens"].sizes["sample"] == 10_000 and ns["fit"].cost >= 0


def test_readme_scenario_toml_is_a_valid_scenario(model):
    from ambidex.core.scenario import scenario_from_dict, validate
    (text,) = blocks("toml")
    sc = validate(scenario_from_dict(tomllib.loads(text)), model)
    assert sc.interventions and sc.horizon[1] == 2035.0
