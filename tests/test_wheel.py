"""The wheel carries the migrations: an app installed from it migrates and opens a store."""

from __future__ import annotations

import subprocess
import sys
import sysconfig
import textwrap
import venv
import zipfile
from pathlib import Path

import pytest

from tests.conftest import new_schema
from tests.providers import Provider
from tests.tenants import drop_schema

ROOT = Path(__file__).resolve().parent.parent

APP = textwrap.dedent(
    """
    import asyncio, sys
    import repo
    from repo import MemoryIn, open_store
    from repo.migrations import script_location

    async def main(url: str, schema: str) -> None:
        async with open_store(url, schema=schema) as store:
            await store.banks.create("wheel")
            await store.memories.retain("wheel", [MemoryIn(text="hi", embedding=[0.5] * 384)])
            assert await store.memories.count("wheel") == 1
        print(repo.__file__)
        print(script_location())

    asyncio.run(main(sys.argv[1], sys.argv[2]))
    """
)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
         "-w", str(out), str(ROOT)],
        capture_output=True, text=True,
    )  # fmt: skip
    assert built.returncode == 0, built.stdout + built.stderr
    [whl] = out.glob("memrepo-*.whl")
    return whl


def test_wheel_contents(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    assert "repo/_alembic/env.py" in names
    assert "repo/_alembic/script.py.mako" in names
    assert any(n.startswith("repo/_alembic/versions/0001_") for n in names)
    assert "repo/py.typed" in names and "schema/py.typed" in names
    assert not any(n.startswith("alembic/") for n in names)  # would shadow the library
    assert not any(n.startswith("tests/") for n in names)


@pytest.mark.integration
@pytest.mark.slow
def test_installed_wheel_migrates_and_opens_a_store(
    wheel: Path, provider: Provider, tmp_path: Path
) -> None:
    if provider.backend != "postgresql":
        pytest.skip("the wheel check runs on PostgreSQL")
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    python = env_dir / "bin" / "python"
    site = Path(
        subprocess.check_output(
            [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], text=True
        ).strip()
    )
    # Install the wheel by unpacking it (what pip does for a pure wheel); dependencies
    # come from this interpreter's site-packages, appended after the wheel's own files.
    zipfile.ZipFile(wheel).extractall(site)
    (site / "zz_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    schema = new_schema()
    try:
        out = subprocess.run(
            [python, "-c", APP, provider.url, schema],
            cwd=tmp_path, capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        assert out.returncode == 0, out.stderr
        module_file, location = out.stdout.split()
        assert module_file.startswith(str(site)), module_file
        assert location == str(site / "repo" / "_alembic")
    finally:
        import asyncio

        asyncio.run(drop_schema(provider.url, schema))
