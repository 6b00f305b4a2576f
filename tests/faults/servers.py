"""A PostgreSQL cluster and a RabbitMQ node of the fault suite's own: own ports, own data
folders, started as child processes and stopped or killed by the process ids started here,
never the machine's shared servers and never by name."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import psycopg
from kombu import Connection

from deploy.stack import free_port


def _run_as(user: str) -> dict[str, object]:
    """The servers refuse to run as root; run them as their own system user when we are root."""
    if os.geteuid() != 0:
        return {}
    return {"user": user, "group": pwd.getpwnam(user).pw_gid, "extra_groups": []}


def _owned_folder(prefix: str, user: str) -> Path:
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    folder.chmod(0o755)
    if os.geteuid() == 0:
        entry = pwd.getpwnam(user)
        os.chown(folder, entry.pw_uid, entry.pw_gid)
    return folder


def _wait(check, what: str, timeout: float, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except Exception:
            pass
        time.sleep(0.2)
    raise TimeoutError(f"{what} did not come up within {timeout}s; see {log}")


class OwnPostgres:
    """A throwaway PostgreSQL cluster: initdb into a folder of its own, a port of its own."""

    def __init__(self) -> None:
        self.bin = Path(sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))[-1]).parent
        self.folder = _owned_folder("sv-fault-pg-", "postgres")
        self.data = self.folder / "data"
        self.log = self.folder / "postgres.log"
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        subprocess.run(
            [str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust"],
            check=True,
            capture_output=True,
            timeout=120,
            **_run_as("postgres"),
        )

    @property
    def admin_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def start(self) -> None:
        log = open(self.log, "ab")  # noqa: SIM115 - owned by the child
        self.process = subprocess.Popen(
            [
                str(self.bin / "postgres"),
                "-D",
                str(self.data),
                "-p",
                str(self.port),
                "-k",
                str(self.folder),
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
                "max_connections=200",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            **_run_as("postgres"),
        )
        _wait(self._answers, "PostgreSQL", 60, self.log)

    def _answers(self) -> bool:
        with psycopg.connect(self.admin_url, connect_timeout=2) as conn:
            return conn.execute("SELECT 1").fetchone() == (1,)

    def stop_immediately(self) -> None:
        """`pg_ctl stop -m immediate`: SIGQUIT to the postmaster; no checkpoint, crash recovery
        on the next start."""
        assert self.process is not None
        self.process.send_signal(signal.SIGQUIT)
        self.process.wait(30)
        self.process = None

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)  # fast shutdown
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)


class OwnRabbit:
    """A second RabbitMQ node on this machine: own node name, ports, database and logs."""

    def __init__(self) -> None:
        self.folder = _owned_folder("sv-fault-rmq-", "rabbitmq")
        self.port = free_port()
        self.distribution_port = free_port()
        self.node = f"svfault{uuid.uuid4().hex[:8]}@localhost"
        self.log = self.folder / "rabbitmq.log"
        (self.folder / "rabbitmq.conf").write_text(f"listeners.tcp.local = 127.0.0.1:{self.port}\n")
        (self.folder / "enabled_plugins").write_text("[].\n")
        self.shell: subprocess.Popen[bytes] | None = None

    @property
    def amqp_uri(self) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.port}/"

    def _env(self) -> dict[str, str]:
        home = pwd.getpwnam("rabbitmq").pw_dir if os.geteuid() == 0 else os.environ["HOME"]
        folder = str(self.folder)
        return {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": home,
            "RABBITMQ_NODENAME": self.node,
            "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_DIST_PORT": str(self.distribution_port),
            "RABBITMQ_CONFIG_FILE": f"{folder}/rabbitmq.conf",
            "RABBITMQ_ENABLED_PLUGINS_FILE": f"{folder}/enabled_plugins",
            "RABBITMQ_MNESIA_BASE": f"{folder}/mnesia",
            "RABBITMQ_LOG_BASE": f"{folder}/log",
            "RABBITMQ_PID_FILE": f"{folder}/beam.pid",
            "RABBITMQ_LOGS": "-",
            "ERL_EPMD_ADDRESS": "127.0.0.1",
        }

    def start(self) -> None:
        (self.folder / "beam.pid").unlink(missing_ok=True)
        log = open(self.log, "ab")  # noqa: SIM115 - owned by the child
        self.shell = subprocess.Popen(
            ["/usr/lib/rabbitmq/bin/rabbitmq-server"],
            env=self._env(),
            cwd=self.folder,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            **_run_as("rabbitmq"),
        )
        _wait(self._answers, "RabbitMQ", 90, self.log)

    def _answers(self) -> bool:
        with Connection(self.amqp_uri, connect_timeout=2) as conn:
            conn.connect()
            return True

    def beam_pid(self) -> int:
        """The Erlang VM's own process id (the start script forks it and waits)."""
        return int((self.folder / "beam.pid").read_text().strip())

    def kill(self) -> None:
        """kill -9 of the broker's VM, as a crash or an OOM kill would do."""
        os.kill(self.beam_pid(), signal.SIGKILL)
        assert self.shell is not None
        self.shell.wait(30)
        self.shell = None

    def stop(self) -> None:
        if self.shell is not None and self.shell.poll() is None:
            self.shell.terminate()  # the start script stops the node cleanly on SIGTERM
            try:
                self.shell.wait(60)
            except subprocess.TimeoutExpired:
                self.kill()
        self.shell = None

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)
