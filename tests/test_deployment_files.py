"""The deployment files say the same thing: Procfile, compose.yaml, Dockerfile, Makefile.

Docker cannot run where this project is developed, so compose.yaml and the Dockerfile
are never built here; these tests keep them honest instead. The commands they run are
the Procfile's, which ``make cluster`` runs with honcho, and every variable compose
sets is one the portal reads. Files only: no database, no subprocess.
"""

import json
import re
import shlex
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
PROCESSES = ("web", "worker", "scheduler")


def normalised(command):
    """A command as a list of words, without what differs between runners on purpose:
    leading ``VAR=value`` assignments, ``exec``, and where a server binds (``-b`` /
    ``--bind`` with its address, any word naming ``$PORT``)."""
    words = shlex.split(command) if isinstance(command, str) else list(command)
    while words and (words[0] == "exec" or re.fullmatch(r"\w+=\S*", words[0])):
        words.pop(0)
    kept = []
    skip_next = False
    for word in words:
        if skip_next:
            skip_next = False
        elif word in {"-b", "--bind"}:
            skip_next = True
        elif not word.startswith("--bind=") and "PORT" not in word:
            kept.append(word)
    return kept


def procfile(name="Procfile"):
    processes = {}
    for line in (ROOT / name).read_text().splitlines():
        # honcho's own pattern (honcho.environ.PROCFILE_LINE): other lines are ignored.
        match = re.match(r"^([A-Za-z0-9_-]+):\s*(.+)$", line)
        if match:
            assert match[1] not in processes, f"{match[1]} twice in the Procfile"
            processes[match[1]] = match[2]
    return processes


def compose():
    return yaml.safe_load((ROOT / "compose.yaml").read_text())


def compose_commands():
    """{process: [normalised command of each service that runs it]}; web1, web2 … are
    the replicas of ``web``."""
    commands = {}
    for name, service in compose()["services"].items():
        if "command" in service and name not in {"postgres", "redis"}:
            process = re.sub(r"\d+$", "", name)
            commands.setdefault(process, []).append(normalised(service["command"]))
    return commands


def makefile_recipe(target):
    lines = (ROOT / "Makefile").read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"{target}:"))
    recipe = []
    for line in lines[start + 1 :]:
        if not line.startswith("\t"):
            break
        recipe.append(line)
    return "\n".join(recipe)


def variables_read_by(path):
    """The environment variables a Python file names as string literals."""
    return set(re.findall(r"[\"']([A-Z][A-Z0-9_]*)[\"']", (ROOT / path).read_text()))


def test_the_procfile_has_the_three_processes_and_no_release_step():
    # honcho starts every entry and stops them all when one exits: a release
    # (migrate) line would take the cluster down after migrating.
    assert set(procfile()) == set(PROCESSES)


@pytest.mark.parametrize("process", PROCESSES)
def test_compose_runs_the_procfile_commands(process):
    expected = normalised(procfile()[process])
    runs = compose_commands()[process]
    assert runs, f"compose.yaml runs no {process}"
    assert all(command == expected for command in runs), (process, runs, expected)


def test_compose_runs_two_web_replicas_on_different_ports():
    services = compose()["services"]
    webs = [name for name in services if re.fullmatch(r"web\d+", name)]
    assert len(webs) == 2
    host_ports = {
        port.rsplit(":", 2)[-2] for name in webs for port in services[name]["ports"]
    }
    assert len(host_ports) == 2


def test_compose_migrates_once_before_every_process_starts():
    services = compose()["services"]
    migrate = services["migrate"]
    assert normalised(migrate["command"]) == [
        "python",
        "manage.py",
        "migrate",
        "--noinput",
    ]
    assert migrate["restart"] == "no"
    assert migrate["depends_on"]["postgres"]["condition"] == "service_healthy"
    for name, service in services.items():
        if re.sub(r"\d+$", "", name) in PROCESSES:
            condition = service["depends_on"]["migrate"]["condition"]
            assert condition == "service_completed_successfully", name
    # make cluster runs the same migrate before honcho.
    assert "manage.py migrate --noinput" in makefile_recipe("cluster")


def test_compose_services_have_health_checks():
    services = compose()["services"]
    assert services["postgres"]["image"] == "postgres:15"
    for name in ("postgres", "redis", "web1", "web2"):
        assert services[name]["healthcheck"]["test"], name
    web_check = services["web1"]["healthcheck"]["test"]
    assert web_check == ["CMD", "python", "scripts/healthcheck.py"]
    assert (ROOT / "scripts" / "healthcheck.py").exists()
    # The image's check asks /healthz, which only web answers: off for the others.
    for name in ("migrate", "worker", "scheduler"):
        assert services[name]["healthcheck"] == {"disable": True}, name


def test_the_dockerfile_runs_the_procfile_web_command_as_a_non_root_user():
    lines = (ROOT / "Dockerfile").read_text().splitlines()
    (cmd,) = [line for line in lines if line.startswith("CMD ")]
    assert normalised(json.loads(cmd.removeprefix("CMD "))) == normalised(
        procfile()["web"]
    )
    assert any(line.startswith("FROM python:3.13-slim") for line in lines)
    (user,) = [line for line in lines if line.startswith("USER ")]
    assert user.split()[1] not in {"root", "0"}
    assert lines.index(user) < lines.index(cmd)
    assert any("scripts/healthcheck.py" in line for line in lines)


def test_make_cluster_runs_the_procfile_with_honcho_on_postgres_and_redis():
    recipe = makefile_recipe("cluster")
    assert re.search(r"\bhoncho start -f Procfile\b.*-c web=2", recipe)
    assert "DJANGO_TASKS_BACKEND=database" in recipe
    makefile = (ROOT / "Makefile").read_text()
    assert "CLUSTER_DATABASE_URL := postgres://" in makefile
    assert "CLUSTER_REDIS_URL := redis://" in makefile
    environment = compose()["x-app"]["environment"]
    assert environment["DJANGO_TASKS_BACKEND"] == "database"
    assert environment["DATABASE_URL"].startswith("postgres://")
    assert environment["REDIS_URL"].startswith("redis://")


def test_every_variable_compose_sets_for_the_portal_is_one_it_reads():
    settings_reads = variables_read_by("portal/settings.py")
    gunicorn_reads = variables_read_by("gunicorn.conf.py")
    environment = compose()["x-app"]["environment"]
    for name in environment:
        if name.startswith("GUNICORN_"):
            assert name in gunicorn_reads, f"gunicorn.conf.py does not read {name}"
        else:
            assert name in settings_reads, f"portal/settings.py does not read {name}"
    # The services' own environment adds nothing the portal does not read either.
    for name, service in compose()["services"].items():
        if name not in {"postgres", "redis"}:
            assert set(service["environment"]) == set(environment), name
