"""
The production balancer, nginx with deploy/nginx.conf, in front of real
server processes, and which of them its connections reach.
"""

import os
import shutil
import subprocess
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bench.fanout import process_tree
from tests.support.servers import BASE_DIR, ServerProcess, free_port, stop, wait_until_healthy
from tests.support.services import require

SITE = BASE_DIR / "deploy" / "nginx.conf"
# What the shipped site names as docker-compose.yml's hosts and port, and
# what a test puts in their place.
UPSTREAM = "server web:8000;"
LISTEN = "listen 8000;"
ESTABLISHED = "01"  # the state column of /proc/net/tcp


@dataclass(frozen=True)
class Balancer:
    server: ServerProcess  # where clients connect: the balancer's address
    process: subprocess.Popen[bytes]

    def wait_until_idle(self, upstreams: Sequence[ServerProcess], timeout: float = 10.0) -> None:
        """Until the balancer holds no connection to `upstreams` (earlier clients' are closed)."""
        deadline = time.monotonic() + timeout
        while any(self.connections_to(upstream) for upstream in upstreams):
            assert time.monotonic() < deadline, "the balancer still holds connections"
            time.sleep(0.01)

    def connections_to(self, upstream: ServerProcess) -> int:
        """How many connections the balancer holds open to `upstream`."""
        sockets = {
            os.readlink(f"/proc/{pid}/fd/{fd}")
            for pid in process_tree(self.process.pid)  # nginx's master and its workers
            for fd in os.listdir(f"/proc/{pid}/fd")
        }
        count = 0
        for table in ("/proc/net/tcp", "/proc/net/tcp6"):
            for line in Path(table).read_text().splitlines()[1:]:
                fields = line.split()
                remote_port = int(fields[2].rsplit(":", 1)[1], 16)
                if (
                    fields[3] == ESTABLISHED
                    and remote_port == upstream.port
                    and f"socket:[{fields[9]}]" in sockets
                ):
                    count += 1
        return count


def nginx_path() -> str | None:
    return shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin")


@contextmanager
def running_balancer(workdir: Path, upstreams: Sequence[ServerProcess]) -> Iterator[Balancer]:
    """
    nginx with the shipped site, its upstream these servers, on a free port;
    once it answers /healthz through one of them.
    """
    nginx = nginx_path()
    require(nginx is not None, "nginx is not installed (apt-get install nginx)")
    assert nginx is not None
    site = SITE.read_text()
    assert UPSTREAM in site, "deploy/nginx.conf no longer names web:8000"
    assert LISTEN in site, "deploy/nginx.conf no longer listens on 8000"
    port = free_port()
    servers = " ".join(f"server 127.0.0.1:{upstream.port};" for upstream in upstreams)
    site = site.replace(UPSTREAM, servers).replace(LISTEN, f"listen 127.0.0.1:{port};")
    (workdir / "site.conf").write_text(site)
    (workdir / "nginx.conf").write_text(
        f"daemon off; pid {workdir}/nginx.pid; error_log {workdir}/nginx-error.log;\n"
        "worker_processes 1;\n"
        "events {}\n"
        f"http {{ access_log off; client_body_temp_path {workdir}/body;"
        f" proxy_temp_path {workdir}/proxy; include {workdir}/site.conf; }}\n"
    )
    log_path = workdir / "nginx.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [nginx, "-e", "stderr", "-p", str(workdir), "-c", str(workdir / "nginx.conf")],
            stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    front = ServerProcess("127.0.0.1", port, process, log_path, upstreams[0].env)
    try:
        wait_until_healthy(front)
        yield Balancer(front, process)
    finally:
        stop(process)
