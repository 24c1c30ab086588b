"""The set-up the README promises: the Python lookup of the Makefile and the settings."""

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIND_PYTHON = ROOT / "scripts" / "find-python"


def _script(path: Path, body: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path


def _fake_python(path: Path, version: tuple[int, int]) -> Path:
    """A stand-in interpreter that answers the version check like the real one."""
    major, minor = version
    ok = 0 if (major, minor) >= (3, 12) else 1
    return _script(path, f'echo "fake {major}.{minor} $*" >/dev/null\nexit {ok}\n')


def _find(tmp_path, *, path_dirs, pyenv_root=None):
    env = {
        "PATH": os.pathsep.join(str(p) for p in path_dirs)
        + os.pathsep
        + "/usr/bin:/bin",
        "HOME": str(tmp_path),
    }
    if pyenv_root is not None:
        env["PYENV_ROOT"] = str(pyenv_root)
    return subprocess.run(  # noqa: S603 - our own script, fixed arguments
        ["/bin/sh", str(FIND_PYTHON)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_find_python_prefers_a_working_python313_on_path(tmp_path):
    bin_dir = tmp_path / "bin"
    python = _fake_python(bin_dir / "python3.13", (3, 13))
    _fake_python(bin_dir / "python3.12", (3, 12))
    result = _find(tmp_path, path_dirs=[bin_dir], pyenv_root=tmp_path / "nopyenv")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(python)


def test_find_python_skips_a_pyenv_shim_that_fails_and_uses_pyenv_versions(tmp_path):
    shims = tmp_path / "shims"
    _script(
        shims / "python3.13",
        'echo "pyenv: python3.13: command not found" >&2\nexit 127\n',
    )
    _script(
        shims / "python3.12",
        'echo "pyenv: python3.12: command not found" >&2\nexit 127\n',
    )
    root = tmp_path / "pyenv"
    _fake_python(root / "versions" / "3.11.7" / "bin" / "python3.11", (3, 11))
    _fake_python(root / "versions" / "3.12.1" / "bin" / "python3.12", (3, 12))
    newest = _fake_python(root / "versions" / "3.13.0" / "bin" / "python3.13", (3, 13))
    result = _find(tmp_path, path_dirs=[shims], pyenv_root=root)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(newest)


def test_find_python_falls_back_to_python312_when_no_313_exists(tmp_path):
    root = tmp_path / "pyenv"
    only = _fake_python(root / "versions" / "3.12.1" / "bin" / "python3.12", (3, 12))
    _fake_python(root / "versions" / "3.10.13" / "bin" / "python3.10", (3, 10))
    result = _find(tmp_path, path_dirs=[tmp_path / "empty"], pyenv_root=root)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(only)


def test_find_python_stops_with_a_clear_message_when_none_exists(tmp_path):
    root = tmp_path / "pyenv"
    _fake_python(root / "versions" / "3.11.7" / "bin" / "python3.11", (3, 11))
    result = _find(tmp_path, path_dirs=[tmp_path / "empty"], pyenv_root=root)
    assert result.returncode == 1
    assert result.stdout == ""
    assert "No working Python 3.12 or newer was found" in result.stderr


def test_find_python_finds_a_real_interpreter_on_this_machine():
    result = subprocess.run(  # noqa: S603
        ["/bin/sh", str(FIND_PYTHON)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    version = subprocess.run(  # noqa: S603
        [
            result.stdout.strip(),
            "-c",
            "import sys; print(sys.version_info[:2] >= (3, 12))",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert version.stdout.strip() == "True"


def _import_settings(env_overrides):
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("DJANGO_") and k != "DATABASE_URL"
    }
    env.update(env_overrides)
    env["DJANGO_SETTINGS_MODULE"] = "portal.settings"
    return subprocess.run(  # noqa: S603
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings; print(settings.DATABASES['default']['ENGINE'], settings.DEBUG)",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_settings_refuse_to_start_without_secret_key_when_debug_is_off():
    result = _import_settings({})
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"DJANGO_DEBUG": "1"}, "django.db.backends.sqlite3 True"),
        (
            {
                "DJANGO_SECRET_KEY": "x" * 50,
                "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/portal",
            },
            "django.db.backends.postgresql False",
        ),
    ],
)
def test_settings_come_from_the_environment(overrides, expected):
    result = _import_settings(overrides)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == expected


def test_postgres_url_turns_on_psycopg_pool():
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env |= {
        "DJANGO_SECRET_KEY": "x" * 50,
        "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/portal",
        "DJANGO_SETTINGS_MODULE": "portal.settings",
    }
    result = subprocess.run(  # noqa: S603
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings; print(settings.DATABASES['default']['OPTIONS']['pool']['max_size'])",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "10"


def test_deploy_checks_pass_with_the_documented_production_environment(tmp_path):
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("DJANGO_") and k != "DATABASE_URL"
    }
    env |= {
        "DJANGO_SECRET_KEY": "k" * 30 + "-production-like-secret-key-" + "z" * 30,
        "DJANGO_ALLOWED_HOSTS": "portal.example.org",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'deploy.sqlite3'}",
        "DJANGO_SETTINGS_MODULE": "portal.settings",
    }
    result = subprocess.run(  # noqa: S603
        [
            sys.executable,
            "manage.py",
            "check",
            "--deploy",
            "--fail-level",
            "WARNING",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout
