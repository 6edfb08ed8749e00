"""docker-compose.yml is a valid Compose file defining the whole stack."""

import shutil
import subprocess

import yaml

from tests.support.servers import BASE_DIR
from tests.support.services import require

COMPOSE_FILE = BASE_DIR / "docker-compose.yml"


def compose_command() -> list[str] | None:
    """`docker compose` where the v2 plugin works, else the standalone docker-compose."""
    docker = shutil.which("docker")
    if docker:
        plugin = subprocess.run([docker, "compose", "version"], capture_output=True)
        if plugin.returncode == 0:
            return [docker, "compose"]
    standalone = shutil.which("docker-compose")
    return [standalone] if standalone else None


def test_compose_accepts_the_file() -> None:
    command = compose_command()
    require(command is not None, "neither `docker compose` nor docker-compose is installed")
    assert command is not None

    result = subprocess.run(
        [*command, "-f", str(COMPOSE_FILE), "config", "-q"], capture_output=True, text=True
    )

    assert result.returncode == 0, result.stderr


def test_the_stack_has_a_balancer_web_redis_postgres_and_a_worker() -> None:
    services = yaml.safe_load(COMPOSE_FILE.read_text())["services"]

    assert {"balancer", "web", "redis", "postgres", "worker"} <= services.keys()
    assert services["web"]["environment"]["REDIS_URL"] == "redis://redis:6379/0"
    assert services["web"]["environment"]["DATABASE_URL"].startswith("postgres://")


def test_the_web_service_runs_several_server_processes() -> None:
    web = yaml.safe_load(COMPOSE_FILE.read_text())["services"]["web"]

    assert web["command"] == ["scripts/serve-production"]
    assert web["deploy"]["replicas"] == "${WEB_REPLICAS:-2}"


def test_the_balancer_routes_with_the_nginx_configuration_the_tests_run() -> None:
    balancer = yaml.safe_load(COMPOSE_FILE.read_text())["services"]["balancer"]

    assert balancer["image"].startswith("nginx:")
    assert "./deploy/nginx.conf:/etc/nginx/conf.d/default.conf:ro" in balancer["volumes"]
