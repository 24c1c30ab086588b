# The script runs local tools (psql, wrk, git, the virtual environment's programs)
# with arguments it builds itself, and opens only http://127.0.0.1 URLs.
# ruff: noqa: S310, S603, S607
"""The portal's benchmark (``make bench``): pages served by gunicorn as in production,
driven by wrk, on the demo data and on growing volumes of data.

For each volume in BENCH_VOLUMES it seeds the database (``seed_volume``), starts
gunicorn (``gunicorn.conf.py``, debug off, 4 sync workers), signs in through the real
login forms, and drives each page with ``wrk`` at 4 and 32 connections. It also
counts each page's SQL queries once (``bench/queries.py``), times one full CSV
download, and reads the workers' memory from /proc. The tables go to
``bench/results/<date>[-<label>].md`` and to standard output.

Environment:
  BENCH_DATABASE_URL   PostgreSQL database to use (default
                       postgres://postgres@127.0.0.1:5432/portal_bench). Its name must
                       contain "bench": it is dropped and created again at the start.
  BENCH_KEEP_DATABASE  1: keep the database and its data instead (sizes only grow).
  BENCH_VOLUMES        comma-separated, smallest first (default demo,20k,100k).
  BENCH_DURATION       each wrk run (default 10s).
  BENCH_RUNS           wrk runs at 4 connections per page, the best reported
                       (default 3): other load on a shared machine only ever slows
                       a run down.
  BENCH_USERS          accounts that drive the pages (default colombia,coordinator).
  BENCH_LABEL          suffix of the results file (e.g. before: <date>-before.md).
  BENCH_CACHE_URL      the Redis cache the workers share, as in production (default
                       redis://127.0.0.1:6379/15; started with redis-server, which is
                       installed with apt-get when missing, when it does not answer).

Only the standard library: run it with the project's virtual environment's Python
(``make bench``), which it also uses for manage.py, gunicorn and bench/queries.py.
"""

import csv
import datetime
import http.client
import http.cookiejar
import io
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"
PYTHON = VENV_BIN / "python"
GUNICORN = VENV_BIN / "gunicorn"
RESULTS = ROOT / "bench" / "results"

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/portal_bench"
# The demo accounts' published password (README.md, cooperation/demo_data.py).
DEMO_PASSWORD = "demo-pass-2026"  # noqa: S105 - the demo's, published on purpose
ADMIN = "admin"
WORKERS = 4
CONNECTIONS = (4, 32)
WRK_THREADS = 2
DEEP_PAGE = 400

# Sizes are totals (seed_volume adds the difference), so volumes only grow.
VOLUMES = {
    "demo": None,
    "20k": {
        "initiatives": 20_000,
        "recommendations": 20_000,
        "updates-per-recommendation": 3,
        "users": 500,
        "nations": 20,
    },
    "100k": {
        "initiatives": 100_000,
        "recommendations": 100_000,
        "updates-per-recommendation": 10,
        "users": 2_500,
        "nations": 20,
    },
}


DEFAULT_CACHE_URL = "redis://127.0.0.1:6379/15"


class BenchError(Exception):
    """A failure explained to the person running the benchmark."""


def log(message):
    print(message, flush=True)


# ----------------------------------------------------------------- environment


def settings_from_environment():
    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL)
    parsed = urllib.parse.urlparse(url)
    name = parsed.path.lstrip("/")
    if parsed.scheme not in {"postgres", "postgresql"} or not name:
        raise BenchError(f"BENCH_DATABASE_URL must be a postgres:// URL, not {url!r}.")
    if "bench" not in name:
        raise BenchError(
            f"BENCH_DATABASE_URL names the database {name!r}: the benchmark drops it "
            "and fills it with volume data, so its name must contain 'bench' "
            "(e.g. portal_bench)."
        )
    volumes = [v.strip() for v in os.environ.get("BENCH_VOLUMES", "").split(",")]
    volumes = [v for v in volumes if v] or ["demo", "20k", "100k"]
    unknown = [v for v in volumes if v not in VOLUMES]
    if unknown:
        raise BenchError(
            f"Unknown volume(s) {', '.join(unknown)} in BENCH_VOLUMES; known: "
            f"{', '.join(VOLUMES)}."
        )
    order = list(VOLUMES)
    if [order.index(v) for v in volumes] != sorted(order.index(v) for v in volumes):
        raise BenchError(
            "BENCH_VOLUMES must go from the smallest to the largest (sizes are "
            f"totals and only grow): {', '.join(order)}."
        )
    duration = os.environ.get("BENCH_DURATION", "10s").strip()
    if not re.fullmatch(r"\d+[smh]?", duration):
        raise BenchError(f"BENCH_DURATION must look like 10s or 2m, not {duration!r}.")
    runs = os.environ.get("BENCH_RUNS", "3").strip()
    if not re.fullmatch(r"[1-9]\d*", runs):
        raise BenchError(f"BENCH_RUNS must be a whole number from 1, not {runs!r}.")
    users = [
        u.strip()
        for u in os.environ.get("BENCH_USERS", "colombia,coordinator").split(",")
        if u.strip()
    ]
    label = os.environ.get("BENCH_LABEL", "").strip()
    if label and not re.fullmatch(r"[\w.-]+", label):
        raise BenchError("BENCH_LABEL may hold letters, digits, '.', '_' and '-'.")
    return {
        "database_url": url,
        "database": name,
        "parsed_url": parsed,
        "keep_database": os.environ.get("BENCH_KEEP_DATABASE", "") in {"1", "yes"},
        "cache_url": os.environ.get("BENCH_CACHE_URL", DEFAULT_CACHE_URL).strip(),
        "volumes": volumes,
        "duration": duration,
        "runs": int(runs),
        "users": users,
        "label": label,
    }


def redis_answers(url):
    parsed = urllib.parse.urlsplit(url)
    try:
        with socket.create_connection(
            (parsed.hostname or "127.0.0.1", parsed.port or 6379), timeout=1
        ) as connection:
            connection.sendall(b"PING\r\n")
            return connection.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def ensure_redis(config):
    """The shared cache the workers use in production (DJANGO_CACHE_URL)."""
    url = config["cache_url"]
    if not url.startswith("redis://"):
        raise BenchError(f"BENCH_CACHE_URL must be a redis:// URL, not {url!r}.")
    if redis_answers(url):
        return
    if shutil.which("redis-server") is None:
        log("Installing redis-server with apt-get …")
        install = "apt-get update -qq && apt-get install -y -qq redis-server"
        subprocess.run(install, shell=True, check=False)  # noqa: S602 - fixed command
    if shutil.which("redis-server"):
        log("Starting redis-server …")
        subprocess.run(["redis-server", "--daemonize", "yes"], check=False)
        for _ in range(20):
            if redis_answers(url):
                return
            time.sleep(0.25)
    raise BenchError(
        f"No Redis answers at {url}: start redis-server (apt-get install "
        "redis-server) or set BENCH_CACHE_URL."
    )


def ensure_prerequisites(config):
    if not PYTHON.exists() or not GUNICORN.exists():
        raise BenchError(
            f"No virtual environment with gunicorn at {VENV_BIN}: run `make setup`."
        )
    if shutil.which("wrk") is None:
        log("Installing wrk with apt-get …")
        install = "command -v wrk || (apt-get update -qq && apt-get install -y -qq wrk)"
        subprocess.run(install, shell=True, check=False)  # noqa: S602 - fixed command
        if shutil.which("wrk") is None:
            raise BenchError(
                "wrk is missing and could not be installed; install it "
                "(apt-get install wrk) and run again."
            )
    ensure_redis(config)
    for tool in ("psql", "createdb", "dropdb"):
        if shutil.which(tool) is None:
            raise BenchError(f"{tool} is missing: install the PostgreSQL client tools.")


def pg_environment(config):
    parsed = config["parsed_url"]
    env = dict(os.environ)
    env.update(
        {
            "PGHOST": parsed.hostname or "127.0.0.1",
            "PGPORT": str(parsed.port or 5432),
            "PGUSER": urllib.parse.unquote(parsed.username or "postgres"),
        }
    )
    if parsed.password:
        env["PGPASSWORD"] = urllib.parse.unquote(parsed.password)
    return env


def psql(config, sql):
    result = subprocess.run(
        ["psql", "-X", "-q", "-tA", "-v", "ON_ERROR_STOP=1", "-d", config["database"]],
        input=sql,
        env=pg_environment(config),
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode:
        raise BenchError(f"psql failed: {result.stderr.strip()}")
    return result.stdout.strip()


def prepare_database(config):
    env = pg_environment(config)
    name = config["database"]
    if not config["keep_database"]:
        log(f"Dropping and creating the database {name} …")
        result = subprocess.run(
            ["dropdb", "--if-exists", "--force", name],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode:
            raise BenchError(f"dropdb {name} failed: {result.stderr.strip()}")
    result = subprocess.run(
        ["createdb", name], env=env, capture_output=True, text=True, check=False
    )
    if result.returncode and "already exists" not in result.stderr:
        raise BenchError(
            f"createdb {name} failed: {result.stderr.strip()} (is PostgreSQL running "
            f"at {env['PGHOST']}:{env['PGPORT']}?)"
        )


def django_environment(config, port=None):
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": config["database_url"],
            "DJANGO_SETTINGS_MODULE": "portal.settings",
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": config["secret_key"],
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
            "DJANGO_SECURE_SSL_REDIRECT": "0",
            "DJANGO_SECURE_COOKIES": "0",
            "DJANGO_SECURE_HSTS_SECONDS": "0",
            "DJANGO_CACHE_URL": config["cache_url"],
            "GUNICORN_WORKERS": str(WORKERS),
            "GUNICORN_THREADS": "1",
            "PYTHONUNBUFFERED": "1",
        }
    )
    if port is not None:
        env["GUNICORN_BIND"] = f"127.0.0.1:{port}"
        # A worker killed by gunicorn's timeout leaves its query running; PostgreSQL
        # cancels it within a second, so it does not slow the next measurements.
        env["PGOPTIONS"] = (
            env.get("PGOPTIONS", "") + " -c client_connection_check_interval=1000"
        ).strip()
    return env


def manage(config, *args, quiet=False):
    started = time.monotonic()
    result = subprocess.run(
        [str(PYTHON), "manage.py", *args],
        cwd=ROOT,
        env=django_environment(config),
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode:
        tail = "\n".join((result.stdout + result.stderr).strip().splitlines()[-25:])
        raise BenchError(f"manage.py {' '.join(args)} failed:\n{tail}")
    if not quiet:
        for line in result.stdout.strip().splitlines():
            log(f"    {line}")
    return result.stdout, time.monotonic() - started


def git_facts():
    def git(*args):
        result = subprocess.run(
            ["git", *args], cwd=ROOT, capture_output=True, text=True, check=False
        )
        return result.stdout.strip() if result.returncode == 0 else "unknown"

    status = git("status", "--short")
    return git("rev-parse", "HEAD"), (
        len(status.splitlines()) if status != "unknown" else "unknown"
    )


def machine_facts(config):
    cores = len(os.sched_getaffinity(0))
    memory = "?"
    with open("/proc/meminfo") as meminfo:
        for line in meminfo:
            if line.startswith("MemTotal:"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.0f} GiB"
    version = psql(config, "SHOW server_version;")
    wrk = subprocess.run(
        ["wrk", "--version"], capture_output=True, text=True, check=False
    )
    wrk_version = (wrk.stdout + wrk.stderr).strip().splitlines()[0:1]
    return {
        "cores": cores,
        "memory": memory,
        "postgres": version,
        "wrk": wrk_version[0] if wrk_version else "wrk",
        "python": subprocess.run(
            [str(PYTHON), "--version"], capture_output=True, text=True, check=False
        ).stdout.strip(),
    }


# ---------------------------------------------------------------------- server


def load_average():
    """The 1-minute load average: other work on the machine skews the numbers."""
    return Path("/proc/loadavg").read_text().split()[0]


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def worker_pids(master_pid):
    try:
        children = Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text()
        return [int(pid) for pid in children.split()]
    except OSError:
        return []


def rss_kib(pid):
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_ticks(pid, *, reaped_children=False):
    """CPU time (user + system) of a process, or of its children it has reaped."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0
    fields = stat.rsplit(")", 1)[1].split()  # fields[0] is field 3 of proc(5)
    if reaped_children:
        return int(fields[13]) + int(fields[14])  # cutime, cstime
    return int(fields[11]) + int(fields[12])  # utime, stime


def database_backends(name):
    """PostgreSQL backends serving database ``name`` on this machine (from their
    process titles: "postgres: 15/main: <user> <database> <client> <state>")."""
    needle = f" {name} ".encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            title = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if title.startswith(b"postgres: ") and needle in title:
            yield int(entry.name)


class Server:
    """Gunicorn as in production, stopped whatever happens (a context manager).

    Also keeps the accounts of what the requests cost: the workers' memory and CPU
    time (the master's reaped children count for the workers that were restarted),
    and the CPU time of the PostgreSQL backends of the benchmark database, sampled
    every second so that a backend that ends keeps its last reading.
    """

    def __init__(self, config):
        self.config = config
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.process = None
        self.log_file = None
        self.peak_sum = self.peak_max = 0
        self.backend_ticks = {}
        self._lock = threading.Lock()
        self._sampling = threading.Event()
        self._sampler = None

    def __enter__(self):
        self.log_file = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed in __exit__
            "w+", prefix="bench-gunicorn-", suffix=".log", delete=False
        )
        self.process = subprocess.Popen(
            [str(GUNICORN), "-c", "gunicorn.conf.py", "portal.wsgi:application"],
            cwd=ROOT,
            env=django_environment(self.config, port=self.port),
            stdout=self.log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            self.wait_ready()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        self._sampler = threading.Thread(target=self._sample, daemon=True)
        self._sampler.start()
        return self

    def wait_ready(self, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BenchError(
                    f"gunicorn exited with {self.process.returncode}:\n{self.log_tail()}"
                )
            try:
                with urllib.request.urlopen(self.base + "/healthz", timeout=2) as r:
                    if (
                        r.status == 200
                        and len(worker_pids(self.process.pid)) >= WORKERS
                    ):
                        return
            except (OSError, http.client.HTTPException):
                pass
            time.sleep(0.3)
        raise BenchError(f"gunicorn did not answer /healthz:\n{self.log_tail()}")

    def _sample(self):
        while not self._sampling.wait(1.0):
            self.sample_memory()
            self.database_ticks()

    def worker_ticks(self):
        """CPU ticks of every worker this server has had, restarted ones included."""
        pid = self.process.pid
        return cpu_ticks(pid, reaped_children=True) + sum(
            cpu_ticks(worker) for worker in worker_pids(pid)
        )

    def database_ticks(self):
        """CPU ticks of the benchmark database's backends seen so far."""
        with self._lock:
            for pid in database_backends(self.config["database"]):
                self.backend_ticks[pid] = max(
                    self.backend_ticks.get(pid, 0), cpu_ticks(pid)
                )
            return sum(self.backend_ticks.values())

    def log_offset(self):
        self.log_file.flush()
        return Path(self.log_file.name).stat().st_size

    def requests_served(self, path, offset):
        """Requests for ``path`` in the access log since ``offset``."""
        self.log_file.flush()
        with open(self.log_file.name, "rb") as log_file:
            log_file.seek(offset)
            return log_file.read().count(f'"GET {path} HTTP/'.encode())

    def sample_memory(self):
        sizes = [rss_kib(pid) for pid in worker_pids(self.process.pid)]
        if sizes:
            self.peak_sum = max(self.peak_sum, sum(sizes))
            self.peak_max = max(self.peak_max, max(sizes))
        return sizes

    def log_tail(self, lines=30):
        if self.log_file is None:
            return ""
        self.log_file.flush()
        text = Path(self.log_file.name).read_text(errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    def count_in_log(self, needle):
        self.log_file.flush()
        return Path(self.log_file.name).read_text(errors="replace").count(needle)

    def __exit__(self, *exc):
        self._sampling.set()
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=35)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        if self.log_file is not None:
            self.log_file.close()
            Path(self.log_file.name).unlink(missing_ok=True)
        return False


# ------------------------------------------------------------------------ HTTP


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def fetch(base, path, cookie, *, timeout=120):
    """One GET without following redirects: (status, body, seconds)."""
    opener = urllib.request.build_opener(NoRedirect)
    request = urllib.request.Request(base + path, headers={"Cookie": cookie})
    started = time.perf_counter()
    try:
        with opener.open(request, timeout=timeout) as response:
            body = response.read()
            status = response.status
    except urllib.error.HTTPError as error:
        body, status = error.read(), error.code
    return status, body, time.perf_counter() - started


def csrf_token(page, path):
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    if match is None:
        raise BenchError(f"No CSRF token on {path}.")
    return match.group(1)


def log_in(base, username, *, admin_token=None):
    """Sign in through the real form; the Cookie header of the session.

    The admin's form (django-otp) asks for the password first, then shows the
    user's devices: the static device ``addstatictoken`` made is chosen with its code.
    """
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    path = "/admin/login/?next=/admin/" if admin_token else "/accounts/login/"

    def post(form):
        request = urllib.request.Request(
            base + path,
            data=urllib.parse.urlencode(form).encode(),
            headers={"Referer": base + path},
        )
        try:
            with opener.open(request, timeout=60) as response:
                page = response.read().decode("utf-8", "replace")
                return urllib.parse.urlparse(response.geturl()).path, page
        except urllib.error.HTTPError as error:
            raise BenchError(
                f"Logging in as {username} answered {error.code}."
            ) from error

    with opener.open(base + path, timeout=30) as response:
        page = response.read().decode("utf-8", "replace")
    form = {
        "csrfmiddlewaretoken": csrf_token(page, path),
        "username": username,
        "password": DEMO_PASSWORD,
        "next": "/admin/" if admin_token else "/",
    }
    landed, page = post(form)
    if admin_token and "/login/" in landed:
        devices = re.findall(r'<option value="(otp_static\.[^"]+)"', page)
        if not devices:
            raise BenchError(
                f"The admin login offered {username} no static OTP device."
            )
        form |= {
            "csrfmiddlewaretoken": csrf_token(page, path),
            "otp_device": devices[0],
            "otp_token": admin_token,
        }
        landed, page = post(form)
    cookies = {cookie.name: cookie.value for cookie in jar}
    if "/login/" in landed or "sessionid" not in cookies:
        raise BenchError(
            f"Logging in as {username} through {path} failed (still on {landed})."
        )
    return "; ".join(f"{name}={value}" for name, value in cookies.items())


def wait_idle(base, cookie):
    """Let the workers finish what wrk left queued before the next measurement."""
    deadline = time.monotonic() + 180
    fast = 0
    while time.monotonic() < deadline and fast < 3:
        try:
            _status, _body, seconds = fetch(base, "/healthz", cookie, timeout=60)
        except OSError:
            seconds = 1
        fast = fast + 1 if seconds < 0.1 else 0
        time.sleep(0.1)
    time.sleep(0.5)


# ------------------------------------------------------------------------- wrk

UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}


def to_ms(text):
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", text)
    return float(match.group(1)) * UNITS_MS[match.group(2)] if match else None


def parse_wrk(output):
    result = {"rps": None, "requests": 0, "non2xx": 0, "socket": {}, "latency": {}}
    if match := re.search(r"Requests/sec:\s+([\d.]+)", output):
        result["rps"] = float(match.group(1))
    if match := re.search(r"(\d+) requests in", output):
        result["requests"] = int(match.group(1))
    if match := re.search(r"Non-2xx or 3xx responses: (\d+)", output):
        result["non2xx"] = int(match.group(1))
    if match := re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    ):
        result["socket"] = dict(
            zip(
                ("connect", "read", "write", "timeout"),
                map(int, match.groups()),
                strict=True,
            )
        )
    for percentile, value in re.findall(
        r"^\s+(50|75|90|99)%\s+(\S+)\s*$", output, re.M
    ):
        result["latency"][int(percentile)] = to_ms(value)
    return result


def run_wrk(base, path, cookie, connections, duration):
    command = [
        "wrk",
        f"-t{min(WRK_THREADS, connections)}",
        f"-c{connections}",
        f"-d{duration}",
        "--latency",
        "--timeout",
        "30s",
        "-H",
        f"Cookie: {cookie}",
        base + path,
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode:
        raise BenchError(f"wrk failed on {path}: {result.stderr.strip()}")
    return parse_wrk(result.stdout)


# ----------------------------------------------------------------------- pages


def discover(base, cookie):
    """Ids of one initiative, meeting and recommendation, and the deepest page."""

    def first(path, pattern):
        status, body, _seconds = fetch(base, path, cookie)
        if status != 200:
            raise BenchError(f"{path} answered {status} while looking for records.")
        found = re.findall(pattern, body.decode("utf-8", "replace"))
        return found, body.decode("utf-8", "replace")

    initiatives, html = first("/initiatives/", r'href="/initiatives/(\d+)/"')
    pages = [int(n) for n in re.findall(r"[?&;]page=(\d+)", html)] or [1]
    meetings, _ = first("/meetings/", r'href="/meetings/(\d+)/"')
    recommendations, _ = first(
        "/recommendations/", r'href="/recommendations/(REC-\d+-\d+)/"'
    )
    if not (initiatives and meetings and recommendations):
        raise BenchError("The lists show no initiative, meeting or recommendation.")
    return {
        "initiative": initiatives[0],
        "meeting": meetings[0],
        "recommendation": recommendations[0],
        "deep_page": min(DEEP_PAGE, max(pages)),
    }


def page_list(targets):
    return [
        ("dashboard", "/"),
        ("nations", "/nations/"),
        ("nation CO", "/nations/CO/"),
        ("initiatives", "/initiatives/"),
        (
            f"initiatives, deep page ({targets['deep_page']})",
            f"/initiatives/?page={targets['deep_page']}",
        ),
        ("initiative detail", f"/initiatives/{targets['initiative']}/"),
        ("meetings", "/meetings/"),
        ("meeting detail", f"/meetings/{targets['meeting']}/"),
        ("recommendations", "/recommendations/"),
        ("recommendation detail", f"/recommendations/{targets['recommendation']}/"),
        ("calendar", "/calendar/"),
        ("search 'cocaine'", "/initiatives/?q=cocaine"),
        ("regional picture", "/picture/"),
        ("regional briefing", "/picture/briefing/"),
        ("meeting briefing", f"/meetings/{targets['meeting']}/briefing/"),
    ]


ADMIN_PAGES = [
    ("admin initiatives", "/admin/cooperation/initiative/"),
    ("admin recommendations", "/admin/cooperation/recommendation/"),
]
CSV_PATH = "/recommendations/?format=csv"


QUERY_STATEMENT_TIMEOUT_MS = 60_000
QUERY_COUNT_BUDGET_SECONDS = 900


def count_queries(config, pairs):
    """{"<user> <path>": {"queries": …}} from bench/queries.py; a page whose query
    outlives PostgreSQL's statement_timeout is reported with its error, and what is
    not measured within the budget is left out."""
    env = django_environment(config)
    env["PGOPTIONS"] = (
        env.get("PGOPTIONS", "") + f" -c statement_timeout={QUERY_STATEMENT_TIMEOUT_MS}"
    ).strip()
    # A timed-out query must not make the next pages answer "database down" (503).
    env["DJANGO_DB_RETRY_SECONDS"] = "0"
    process = subprocess.Popen(
        [str(PYTHON), str(ROOT / "bench" / "queries.py"), json.dumps(pairs)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        stdout, stderr = process.communicate(timeout=QUERY_COUNT_BUDGET_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        stdout, stderr = process.communicate()
        log(f"  (query counts stopped after {QUERY_COUNT_BUDGET_SECONDS} s)")
    except BaseException:
        process.kill()
        process.wait()
        raise
    results = {}
    for line in stdout.splitlines():
        if line.startswith("{"):
            entry = json.loads(line)
            results[entry.pop("key")] = entry
            if "error" in entry:
                log(f"  queries: {line}")
    if process.returncode and not results:
        log(f"  (query counts skipped: bench/queries.py failed)\n{stderr[-2000:]}")
    return results


def download_csv(base, cookie):
    status, body, seconds = fetch(base, CSV_PATH, cookie, timeout=600)
    if status != 200:
        return {"status": status, "seconds": seconds, "rows": 0, "bytes": len(body)}
    rows = sum(1 for _row in csv.reader(io.StringIO(body.decode("utf-8-sig")))) - 1
    return {"status": status, "seconds": seconds, "rows": rows, "bytes": len(body)}


def best_of(runs):
    """The run with the most req/s of ``runs`` (wrk results, each with what the
    requests cost, ``cpu``), its errors counted with every other run's: a shared
    machine's other load only ever slows a run down, and an error in any run is
    one."""
    best = max(runs, key=lambda run: run["rps"] or 0)
    socket_errors = {}
    for run in runs:
        for kind, count in run["socket"].items():
            socket_errors[kind] = socket_errors.get(kind, 0) + count
    return {
        **best,
        "non2xx": sum(run["non2xx"] for run in runs),
        "socket": socket_errors,
        "runs": len(runs),
    }


def measure(server, name, path, user, cookie, duration, runs=1):
    """The page at ``path`` driven with wrk: at 4 connections the best of ``runs``
    runs (``best_of``), with the CPU its requests cost; at 32, one run."""
    status, _body, seconds = fetch(server.base, path, cookie)
    row = {
        "page": name,
        "key": (name.split(" (")[0], user),
        "path": path,
        "user": user,
        "status": status,
        "first": seconds,
    }
    if status != 200:
        log(f"  {name:<28} {user:<12} answered {status}: not driven with wrk")
        return row
    for connections in CONNECTIONS:
        results = []
        for _run in range(runs if connections == CONNECTIONS[0] else 1):
            offset = server.log_offset()
            app, database = server.worker_ticks(), server.database_ticks()
            result = run_wrk(server.base, path, cookie, connections, duration)
            server.sample_memory()
            wait_idle(server.base, cookie)
            # Every request served in the window, the ones wrk left queued included.
            served = server.requests_served(path, offset)
            app = server.worker_ticks() - app
            database = server.database_ticks() - database
            result["cpu"] = {
                "app": app * 1000 / CLOCK_TICKS / served if served else None,
                "db": database * 1000 / CLOCK_TICKS / served if served else None,
            }
            results.append(result)
        row[connections] = best_of(results)
    row["cpu"] = row[CONNECTIONS[0]]["cpu"]
    low, high = row[CONNECTIONS[0]], row[CONNECTIONS[1]]
    log(
        f"  {name:<28} {user:<12} {fmt(low['rps'])} req/s @4, "
        f"p50 {fmt(low['latency'].get(50))} ms, CPU {cpu_cell(row)} ms/req; "
        f"{fmt(high['rps'])} req/s @32, p99 {fmt(high['latency'].get(99))} ms"
    )
    return row


# ---------------------------------------------------------------------- report


def fmt(value, digits=None):
    if value is None:
        return "—"
    if digits is None:
        digits = 0 if value >= 100 else 1 if value >= 10 else 2
    return f"{value:,.{digits}f}"


def queries_cell(entry):
    if "error" in entry:
        return "timeout" if "timeout" in entry["error"] else "error"
    if entry.get("status", 200) != 200:
        return f"{entry['queries']} (HTTP {entry['status']})"
    return str(entry.get("queries", "—"))


def errors_cell(row):
    if row.get("status") != 200:
        return f"HTTP {row.get('status')}"
    parts = []
    for connections in CONNECTIONS:
        result = row[connections]
        socket_errors = {k: v for k, v in result["socket"].items() if v}
        bad = result["non2xx"]
        if bad or socket_errors:
            detail = ", ".join(
                [f"{bad} non-2xx"] * bool(bad)
                + [f"{v} {k}" for k, v in socket_errors.items()]
            )
            parts.append(f"@{connections}: {detail}")
    return "; ".join(parts) or "0"


def cpu_total(row):
    cpu = row.get("cpu") or {}
    if cpu.get("app") is None:
        return None
    return cpu["app"] + (cpu.get("db") or 0)


def cpu_cell(row):
    cpu = row.get("cpu") or {}
    if cpu.get("app") is None:
        return "—"
    return f"{fmt(cpu['app'])} + {fmt(cpu['db'])}"


def ratio(row, baseline):
    """The page's cost (CPU per request, app + database) relative to the demo's."""
    if baseline is None:
        return "—"
    mine, theirs = cpu_total(row), cpu_total(baseline)
    if not mine or not theirs:
        return "—"
    return f"×{mine / theirs:.1f}"


def table(volume, result, baseline_rows):
    lines = [
        f"### {volume}",
        "",
        result["summary"],
        "",
        "| page | user | req/s @4 | p50 / p90 / p99 @4 (ms) | req/s @32 | p99 @32 (ms) "
        "| errors | queries | CPU ms/req app + db | cost vs demo |",
        "|---|---|--:|--:|--:|--:|---|--:|--:|--:|",
    ]
    for row in result["rows"]:
        queries = result["queries"].get(f"{row['user']} {row['path']}", {})
        if row.get("status") == 200:
            low, high = row[CONNECTIONS[0]], row[CONNECTIONS[1]]
            latency = " / ".join(fmt(low["latency"].get(p)) for p in (50, 90, 99))
            cells = [
                fmt(low["rps"]),
                latency,
                fmt(high["rps"]),
                fmt(high["latency"].get(99)),
            ]
        else:
            cells = ["—"] * 4
        lines.append(
            f"| {row['page']} | {row['user']} | "
            + " | ".join(cells)
            + f" | {errors_cell(row)} | {queries_cell(queries)} | "
            f"{cpu_cell(row)} | {ratio(row, baseline_rows.get(row['key']))} |"
        )
    lines += [
        "",
        "CSV export (`/recommendations/?format=csv`), one full download each:",
        "",
        "| user | status | seconds | rows | rows/s | size | queries |",
        "|---|--:|--:|--:|--:|--:|--:|",
    ]
    for user, download in result["csv"].items():
        queries = result["queries"].get(f"{user} {CSV_PATH}", {})
        rate = download["rows"] / download["seconds"] if download["seconds"] else 0
        lines.append(
            f"| {user} | {download['status']} | {download['seconds']:.2f} | "
            f"{download['rows']:,} | {rate:,.0f} | {download['bytes'] / 1024:,.0f} KiB "
            f"| {queries_cell(queries)} |"
        )
    memory = result["memory"]
    lines += [
        "",
        f"Workers ({WORKERS} sync, 1 thread each): RSS after the run "
        f"{memory['end_sum'] / 1024:.0f} MiB in all, {memory['end_max'] / 1024:.0f} "
        f"MiB the largest; peak seen while driving {memory['peak_sum'] / 1024:.0f} "
        f"MiB in all, {memory['peak_max'] / 1024:.0f} MiB the largest. Worker "
        f"timeouts (killed after 30 s): {memory['timeouts']}.",
        "",
    ]
    return "\n".join(lines)


# The numbers the pages are held to (README: Benchmark), checked on each volume's
# table by ``target_misses``.
LIST_PAGES = {
    "nations",
    "initiatives",
    "initiatives, deep page",
    "meetings",
    "recommendations",
    "search 'cocaine'",
}
LIST_RPS, PAGE_RPS = 250, 200  # req/s @4: list pages, the other pages
P99_LIMIT_MS = {4: 60, 32: 400}
VOLUME_KEEPS = 0.8  # of the page's req/s @4 on the demo data
ADMIN_FACTOR = 2  # a list's req/s over the admin changelist's of the same rows
ADMIN_OF = {
    "initiatives": "admin initiatives",
    "recommendations": "admin recommendations",
}
RSS_LIMIT_MIB = 120  # each worker, after the run
CSV_SECONDS, CSV_ROWS = 2, 20_000  # 20k rows in under 2 s, and as fast per row beyond
TARGETS = [
    ("lists", f"list pages ≥ {LIST_RPS} req/s @4"),
    ("pages", f"dashboard, detail and other pages ≥ {PAGE_RPS} req/s @4"),
    ("p99@4", f"p99 < {P99_LIMIT_MS[4]} ms @4"),
    ("p99@32", f"p99 < {P99_LIMIT_MS[32]} ms @32"),
    ("errors", "no errors"),
    ("volume", f"≥ {VOLUME_KEEPS:.0%} of the page's demo req/s @4"),
    ("admin", f"lists ≥ {ADMIN_FACTOR}× the admin changelist of the same rows"),
    (
        "csv",
        f"CSV export: {CSV_ROWS:,} rows (or fewer) in < {CSV_SECONDS} s, more as fast",
    ),
    ("rss", f"worker RSS < {RSS_LIMIT_MIB} MiB after the run"),
]


def target_misses(result, baseline_rows):
    """``{target: [what misses it, …]}`` for this volume's ``result`` (its
    ``baseline_rows``: the demo's, by key; empty for the demo itself)."""
    misses = {key: [] for key, _text in TARGETS}
    rps = {}
    for row in result["rows"]:
        page, user = row["key"]
        where = f"{page} ({user})"
        if row.get("status") != 200:
            misses["errors"].append(f"{where}: HTTP {row.get('status')}")
            continue
        low = row[CONNECTIONS[0]]
        rps[row["key"]] = low["rps"] or 0
        if errors_cell(row) != "0":
            misses["errors"].append(f"{where}: {errors_cell(row)}")
        if page.startswith(("floor", "admin")):
            continue
        if page in LIST_PAGES and rps[row["key"]] < LIST_RPS:
            misses["lists"].append(f"{where} {fmt(low['rps'])}")
        if page not in LIST_PAGES and rps[row["key"]] < PAGE_RPS:
            misses["pages"].append(f"{where} {fmt(low['rps'])}")
        for connections, limit in P99_LIMIT_MS.items():
            p99 = row[connections]["latency"].get(99)
            if p99 is None or p99 >= limit:
                misses[f"p99@{connections}"].append(f"{where} {fmt(p99)} ms")
        base = baseline_rows.get(row["key"])
        if base is not None and base is not row and base.get("status") == 200:
            kept = rps[row["key"]] / (base[CONNECTIONS[0]]["rps"] or 1)
            if kept < VOLUME_KEEPS:
                misses["volume"].append(f"{where} {kept:.0%}")
    for page, admin in ADMIN_OF.items():
        for (name, user), value in rps.items():
            changelist = rps.get((admin, ADMIN))
            if name == page and changelist and value < ADMIN_FACTOR * changelist:
                misses["admin"].append(f"{page} ({user}) ×{value / changelist:.1f}")
    for user, download in result["csv"].items():
        limit = CSV_SECONDS * max(1, download["rows"] / CSV_ROWS)
        if download["status"] != 200 or download["seconds"] >= limit:
            misses["csv"].append(
                f"{user} {download['rows']:,} rows in {download['seconds']:.2f} s"
            )
    largest = result["memory"]["end_max"] / 1024
    if largest >= RSS_LIMIT_MIB:
        misses["rss"].append(f"{largest:.0f} MiB")
    return misses


def targets_section(checked):
    """The targets met and missed on each volume: ``checked`` is ``[(volume, its
    target_misses, its floor's req/s @4), …]``."""
    lines = [
        "### Targets",
        "",
        "Each volume's table against the numbers the pages are held to (README: "
        "Benchmark). The floor's req/s tells how busy the machine was.",
        "",
        "| target | " + " | ".join(volume for volume, _m, _f in checked) + " |",
        "|---|" + "---|" * len(checked),
        "| floor: /healthz req/s @4 | "
        + " | ".join(fmt(floor) for _v, _m, floor in checked)
        + " |",
    ]
    for key, text in TARGETS:
        cells = [
            "missed: " + "; ".join(misses[key]) if misses[key] else "met"
            for _volume, misses, _floor in checked
        ]
        lines.append(f"| {text} | " + " | ".join(cells) + " |")
    return "\n".join([*lines, ""])


def header(config, facts, started):
    commit, changed = git_facts()
    return "\n".join(
        [
            f"# Benchmark {started:%Y-%m-%d %H:%M} UTC"
            + (f" ({config['label']})" if config["label"] else ""),
            "",
            f"- commit `{commit}`, {changed} changed/untracked files in the working "
            "tree (`git status --short | wc -l`)",
            f"- machine: {facts['cores']} cores, {facts['memory']}; PostgreSQL "
            f"{facts['postgres']}; {facts['python']}; {facts['wrk']}",
            f"- gunicorn `gunicorn.conf.py`, {WORKERS} sync workers × 1 thread, "
            "DJANGO_DEBUG=0, whitenoise static files, database "
            f"`{config['database']}`, shared cache `{config['cache_url']}` (the "
            "counts pages show are kept there per data generation, "
            "`cooperation/counts.py`)",
            f"- `wrk -t2 -c4 -d{config['duration']} --latency --timeout 30s`, "
            f"{config['runs']} run(s) per page, the best reported (other load on the "
            "machine only ever slows a run down), and one run of `-c32`, with the "
            "session cookie of the user named; latencies are wrk's percentiles "
            "p50/p90/p99 in milliseconds, of the run reported; errors are non-2xx/3xx "
            "responses and socket errors (timeouts included) of every run",
            "- queries: one request per page in-process (Django test client and "
            "`CaptureQueriesContext`, `bench/queries.py`) on the same database and "
            "cache, before the wrk runs: each page's first request, which computes "
            "its counts; the requests wrk makes read them from the cache",
            "- CPU ms/req: CPU time of the gunicorn workers + of the database's "
            "PostgreSQL backends during the @4 run reported, divided by the requests served "
            "(from /proc and the access log); unlike latency it hardly depends on "
            "what else runs on the machine",
            "- cost vs demo: the page's CPU per request (app + db) divided by the same "
            "page's on the demo data",
            "- volume rows are bulk-created by `seed_volume` (no history rows), "
            "then `VACUUM ANALYZE`",
            "",
        ]
    )


# ------------------------------------------------------------------------ main


def bench_volume(config, volume):
    log(f"\n== {volume} ==")
    sizes = VOLUMES[volume]
    seed_seconds = None
    if sizes:
        args = ["seed_volume", "--with-demo-accounts"]
        args += [f"--{key}={value}" for key, value in sizes.items()]
        log(f"  seeding: {' '.join(args)}")
        _out, seed_seconds = manage(config, *args)
    psql(config, "VACUUM ANALYZE;")
    counts = psql(
        config,
        "SELECT (SELECT count(*) FROM cooperation_initiative), "
        "(SELECT count(*) FROM cooperation_recommendation), "
        "(SELECT count(*) FROM cooperation_recommendationupdate), "
        "(SELECT count(*) FROM cooperation_assessmentmeeting), "
        "(SELECT count(*) FROM cooperation_user), "
        "(SELECT count(*) FROM cooperation_nation);",
    ).split("|")
    summary = (
        f"Rows: {int(counts[0]):,} initiatives, {int(counts[1]):,} recommendations, "
        f"{int(counts[2]):,} recommendation updates, {int(counts[3]):,} meetings, "
        f"{int(counts[4]):,} users, {int(counts[5])} nations."
        + (f" Seeded in {seed_seconds:.0f} s." if seed_seconds is not None else "")
    )
    log(f"  {summary}")

    token = f"{secrets.randbelow(900_000) + 100_000}"
    manage(config, "addstatictoken", ADMIN, "-t", token, quiet=True)
    rows = []
    code = git_facts()  # the working tree gunicorn loads now
    with Server(config) as server:
        cookies = {user: log_in(server.base, user) for user in config["users"]}
        cookies[ADMIN] = log_in(server.base, ADMIN, admin_token=token)
        first_user = config["users"][0]
        targets = discover(server.base, cookies[first_user])
        pages = page_list(targets)
        pairs = [[first_user, "/healthz"]]
        pairs += [[user, path] for user in config["users"] for _n, path in pages]
        pairs += [[ADMIN, path] for _n, path in ADMIN_PAGES]
        pairs += [[user, CSV_PATH] for user in config["users"]]
        log("  counting queries …")
        queries = count_queries(config, pairs)

        duration = config["duration"]
        load_before = load_average()
        runs = config["runs"]
        rows.append(
            measure(
                server, "floor: /healthz", "/healthz", first_user,
                cookies[first_user], duration, runs,
            )
        )  # fmt: skip
        for name, path in pages:
            for user in config["users"]:
                rows.append(
                    measure(server, name, path, user, cookies[user], duration, runs)
                )
        for name, path in ADMIN_PAGES:
            rows.append(
                measure(server, name, path, ADMIN, cookies[ADMIN], duration, runs)
            )
        downloads = {}
        for user in config["users"]:
            downloads[user] = download_csv(server.base, cookies[user])
            log(
                f"  CSV {user}: {downloads[user]['rows']:,} rows in "
                f"{downloads[user]['seconds']:.2f} s"
            )
        load_after = load_average()
        end_sizes = server.sample_memory()
        memory = {
            "end_sum": sum(end_sizes),
            "end_max": max(end_sizes, default=0),
            "peak_sum": server.peak_sum,
            "peak_max": server.peak_max,
            "timeouts": server.count_in_log("WORKER TIMEOUT"),
        }
    summary += (
        f" Load average (1 min) before/after driving: {load_before} / {load_after} "
        f"on {len(os.sched_getaffinity(0))} cores. Code served: commit "
        f"`{code[0][:12]}` with {code[1]} changed/untracked files."
    )
    return {
        "summary": summary,
        "rows": rows,
        "queries": queries,
        "csv": downloads,
        "memory": memory,
        "seed_seconds": seed_seconds,
    }


def main():
    config = settings_from_environment()
    config["secret_key"] = secrets.token_urlsafe(50)
    ensure_prerequisites(config)
    started = datetime.datetime.now(datetime.UTC)
    prepare_database(config)
    log("Migrating and loading the demo data …")
    manage(config, "migrate", "--noinput", quiet=True)
    manage(config, "seed_demo", "--with-demo-accounts", "--reset-passwords", quiet=True)
    manage(config, "collectstatic", "--noinput", quiet=True)
    facts = machine_facts(config)

    RESULTS.mkdir(parents=True, exist_ok=True)
    name = f"{started:%Y-%m-%d}" + (f"-{config['label']}" if config["label"] else "")
    output = RESULTS / f"{name}.md"
    document = header(config, facts, started)
    baseline = {}
    checked = []
    for volume in config["volumes"]:
        result = bench_volume(config, volume)
        if volume == "demo":
            baseline = {row["key"]: row for row in result["rows"]}
        document += "\n" + table(volume, result, baseline)
        floor = next(
            (row for row in result["rows"] if row["page"].startswith("floor")), {}
        )
        checked.append(
            (
                volume,
                target_misses(result, baseline),
                (floor.get(CONNECTIONS[0]) or {}).get("rps"),
            )
        )
        output.write_text(document + "\n" + targets_section(checked))
    document += "\n" + targets_section(checked)
    log("\n" + document)
    log(f"Written to {output.relative_to(ROOT)}")


def stop_on_signal(signum, _frame):
    """SIGTERM (and SIGINT, even where a shell ignores it for background jobs) end
    the run through the normal exits, so gunicorn is always stopped."""
    raise KeyboardInterrupt(signal.Signals(signum).name)


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, stop_on_signal)
    signal.signal(signal.SIGINT, stop_on_signal)
    try:
        main()
    except BenchError as error:
        sys.exit(f"bench: {error}")
    except KeyboardInterrupt:
        sys.exit("bench: interrupted")
