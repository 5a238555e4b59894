"""Consistency of the Docker set-up with the Dockerfile, .env and the config defaults, and the
entrypoint's choice of user, with stand-ins for the commands it calls. None of it needs Docker:
`make test-docker` (docker/test.sh) runs the real thing."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path, PurePosixPath

import pytest
import yaml
from dotenv import dotenv_values

ROOT = Path(__file__).resolve().parents[1]
ENTRYPOINT = ROOT / "docker" / "entrypoint.sh"
# Defaults of OUTPUT_DIR and MODEL_DIR in the configuration contract (deepfeat.config).
DEFAULT_OUTPUT_DIR = "ExpOutput"
DEFAULT_MODEL_DIR = "Models"


def dockerfile_instructions():
    """Return the Dockerfile's instructions as (KEYWORD, arguments) pairs.

    Returns
    -------
    list of tuple of str
        One pair per instruction, continuation lines joined, comments dropped.
    """
    instructions, pending = [], ""
    for line in (ROOT / "Dockerfile").read_text().splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        keyword, _, args = (pending + stripped).partition(" ")
        instructions.append((keyword.upper(), args.strip()))
        pending = ""
    return instructions


def last(keyword):
    """Return the arguments of the last `keyword` instruction in the Dockerfile.

    Parameters
    ----------
    keyword : str
        Instruction name, e.g. ``"WORKDIR"``.

    Returns
    -------
    str
        Its arguments.
    """
    values = [args for kw, args in dockerfile_instructions() if kw == keyword]
    assert values, f"Dockerfile has no {keyword}"
    return values[-1]


@pytest.fixture(scope="module")
def service():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    assert "experiment" in compose["services"]
    return compose["services"]["experiment"]


@pytest.fixture(scope="module")
def env():
    return dotenv_values(ROOT / ".env")


def mounts(service):
    """Map each container path of the service's bind mounts to (host path, mode)."""
    result = {}
    for volume in service["volumes"]:
        host, container, *mode = volume.split(":")
        result[container] = (host, mode[0] if mode else "rw")
    return result


def test_service_builds_here_with_env_and_terminal(service):
    assert service["build"] == "."
    env_file = service["env_file"]
    assert (env_file if isinstance(env_file, list) else [env_file]) == [".env"]
    assert service["stdin_open"] is True
    assert service["tty"] is True


def test_mounts_match_workdir_and_settings(service, env):
    workdir = PurePosixPath(last("WORKDIR"))
    expected = {
        workdir / PurePosixPath(env["DATA_FILE"]).parent: "ro",
        workdir / (env.get("MODEL_DIR") or DEFAULT_MODEL_DIR): "rw",
        workdir / (env.get("OUTPUT_DIR") or DEFAULT_OUTPUT_DIR): "rw",
    }
    found = mounts(service)
    for target, mode in expected.items():
        host, found_mode = found[str(target)]
        assert PurePosixPath(host) == PurePosixPath(".") / target.relative_to(workdir)
        assert found_mode == mode


def test_entrypoint_is_the_script_that_picks_the_user():
    entrypoint = json.loads(last("ENTRYPOINT"))[0]
    copies = [args.split() for keyword, args in dockerfile_instructions() if keyword == "COPY"]
    assert ["docker/entrypoint.sh", f"/usr/local/bin/{entrypoint}"] in copies
    assert os.access(ENTRYPOINT, os.X_OK), "docker/entrypoint.sh must be executable (git keeps the bit)"
    ignored = (ROOT / ".dockerignore").read_text().splitlines()
    assert "docker" not in ignored or "!docker/entrypoint.sh" in ignored


def test_user_is_left_to_the_entrypoint(service):
    # A fixed user (USER, compose `user:`) would start it unprivileged, as a uid it cannot change.
    assert "user" not in service
    assert not [args for keyword, args in dockerfile_instructions() if keyword == "USER"]


@pytest.fixture
def stubbed(tmp_path):
    """Run docker/entrypoint.sh here with stand-ins for the commands it calls.

    ``id -u`` and ``stat`` (ExpOutput's uid and gid) answer from FAKE_* variables; ``setpriv``,
    ``chown`` and ``find`` only log their arguments (``setpriv`` then runs its command);
    ``deepfeat`` logs and exits with FAKE_STATUS. Returns a function of (caller's uid, ExpOutput's owner, status) that
    gives the exit status and the log lines.
    """
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "log"
    stubs = {
        "id": 'echo "$FAKE_UID"',
        "stat": 'echo "$FAKE_OWNER"',  # uid and gid alike
        "chown": 'echo "chown $*" >>"$LOG"',
        "find": 'echo "find $*" >>"$LOG"',
        "setpriv": 'echo "setpriv $*" >>"$LOG"\nwhile [ "${1#-}" != "$1" ]; do shift; done\nexec "$@"',
        "deepfeat": 'echo "deepfeat $*" >>"$LOG"\nexit "$FAKE_STATUS"',
    }
    for name, body in stubs.items():
        (bin_dir / name).write_text(f"#!/bin/sh\n{body}\n")
        (bin_dir / name).chmod(0o755)
    for folder in ("ExpOutput", "Models"):
        (tmp_path / folder).mkdir()

    def run(caller, owner, status=0):
        env = {
            "PATH": f"{bin_dir}:/usr/bin:/bin",
            "LOG": str(log),
            "FAKE_UID": str(caller),
            "FAKE_OWNER": str(owner),
            "FAKE_STATUS": str(status),
        }
        log.write_text("")
        result = subprocess.run(
            ["sh", str(ENTRYPOINT), "--n-models", "2"], cwd=tmp_path, env=env, stdin=subprocess.DEVNULL, timeout=30
        )
        return result.returncode, log.read_text().splitlines()

    return run


def test_entrypoint_runs_deepfeat_as_the_owner_of_the_outputs(stubbed):
    status, lines = stubbed(caller=0, owner=1234, status=3)
    assert status == 3
    assert lines[-1] == "deepfeat --n-models 2"
    assert "--reuid=1234 --regid=1234" in lines[-2] and lines[-2].endswith("deepfeat --n-models 2")
    assert not [line for line in lines if line.startswith(("chown", "find"))]


def test_entrypoint_never_runs_deepfeat_as_root(stubbed):
    status, lines = stubbed(caller=0, owner=0, status=130)
    assert status == 130
    lend, run, called, give_back = lines
    assert lend.startswith("find ExpOutput Models") and "-user 0 -exec chown deepfeat:deepfeat" in lend
    assert "--reuid=deepfeat" in run and called == "deepfeat --n-models 2"
    assert give_back.startswith("find ExpOutput Models") and "-user deepfeat -exec chown 0:0" in give_back


def test_entrypoint_started_unprivileged_runs_deepfeat_as_it_is(stubbed):
    assert stubbed(caller=1000, owner=1000) == (0, ["deepfeat --n-models 2"])


def test_env_points_at_files_in_the_repo(env):
    assert "N_MODELS" not in env, "N_MODELS must stay unset so the runner asks"
    for key in ("DATA_FILE", "ATTRIBUTE_FILE"):
        assert (ROOT / env[key]).is_file(), f"{key}={env[key]} is missing"


def test_hadolint_clean():
    hadolint = shutil.which("hadolint") or shutil.which("hadolint", path=str(Path(sys.executable).parent))
    if hadolint is None:
        pytest.skip("hadolint not installed (make lint-docker installs it)")
    result = subprocess.run([hadolint, "Dockerfile"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_shell_scripts_shellcheck_clean():
    shellcheck = shutil.which("shellcheck")
    if shellcheck is None:
        pytest.skip("shellcheck not installed (apt-get install shellcheck)")
    scripts = sorted(str(path.relative_to(ROOT)) for path in (ROOT / "docker").glob("*.sh"))
    result = subprocess.run([shellcheck, *scripts], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def compose_command():
    """Return the Compose command available here, or None."""
    docker = shutil.which("docker")
    if docker and subprocess.run([docker, "compose", "version"], capture_output=True).returncode == 0:
        return [docker, "compose"]
    standalone = shutil.which("docker-compose")
    return [standalone] if standalone else None


def test_compose_config_valid():
    command = compose_command()
    if command is None:
        pytest.skip("neither 'docker compose' nor 'docker-compose' installed")
    result = subprocess.run([*command, "config", "-q"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
