"""The stand-ins of docker/standins/ that can run outside an image: the uv script."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

UV = Path(__file__).resolve().parents[2] / "docker" / "standins" / "uv.sh"


def uv(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["sh", str(UV), *args], capture_output=True, text=True, env={**os.environ, **(env or {})})


def test_uv_python_install_notes_the_interpreter_instead_of_downloading(tmp_path: Path) -> None:
    done = uv("python", "install", "3.11", env={"UV_PYTHON_INSTALL_DIR": str(tmp_path / "python")})
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "python" / "standin-debian-python").read_text().startswith("Python 3.11")


def test_uv_venv_makes_a_venv_with_pip(tmp_path: Path) -> None:
    done = uv("venv", "--seed", "--python", "3.11", str(tmp_path / "venv"))
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "venv" / "bin" / "pip").exists()


def test_uv_refuses_what_it_does_not_stand_in_for(tmp_path: Path) -> None:
    for args in (["pip", "install", "x"], ["python", "install", "3.12"], ["venv", "--seed", "--python", "3.11", "a", "b"]):
        done = uv(*args)
        assert done.returncode == 2, args
        assert "uv stand-in" in done.stderr
