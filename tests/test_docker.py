"""Consistency of the Docker set-up with the Dockerfile, .env and the config defaults."""

import json
import shutil
import subprocess
import sys
from pathlib import Path, PurePosixPath

import pytest
import yaml
from dotenv import dotenv_values

ROOT = Path(__file__).resolve().parents[1]
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


def test_entrypoint_runs_deepfeat():
    assert json.loads(last("ENTRYPOINT"))[0] == "deepfeat"


def test_image_does_not_run_as_root(service):
    for user in (last("USER"), str(service.get("user", "1000"))):
        assert user.split(":")[0] not in {"root", "0"}


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
