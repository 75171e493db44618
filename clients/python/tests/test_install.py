"""The package as users get it: pip-installed into a fresh venv, then used from there."""
from __future__ import annotations

import ast
import subprocess
import sys
import tempfile
import textwrap
import unittest
import venv
from pathlib import Path

from tests.support import CHILD_ENV, PY_ROOT, SRC, ServerTestCase

import taskwire

sys.path.insert(0, str(PY_ROOT / "build_backend"))
import taskwire_build  # noqa: E402

try:
    import tomllib  # Python 3.11+
except ImportError:  # pragma: no cover - older Pythons check the rest
    tomllib = None  # type: ignore[assignment]


def venv_usable() -> bool:
    """Whether venv can make an environment with pip (Debian needs python3-venv)."""
    try:
        import ensurepip  # noqa: F401
    except ImportError:
        return False
    return True


@unittest.skipUnless(venv_usable(), "venv/ensurepip is not available (Debian: apt-get install python3-venv)")
class InstallTest(ServerTestCase):
    def test_pip_install_into_a_fresh_venv(self) -> None:
        with tempfile.TemporaryDirectory(prefix="taskwire-venv-") as tmp:
            env_dir = Path(tmp) / "env"
            venv.EnvBuilder(with_pip=True).create(str(env_dir))
            python = env_dir / "bin" / "python"
            env = {k: v for k, v in CHILD_ENV.items() if k != "PYTHONPATH"}
            install = subprocess.run(
                [str(python), "-m", "pip", "install", "--disable-pip-version-check", "--no-input", str(PY_ROOT)],
                capture_output=True, text=True, timeout=120, env=env, cwd=tmp,
            )
            self.assertEqual(install.returncode, 0, install.stdout + install.stderr)
            script = textwrap.dedent(f"""
                import pathlib, taskwire
                where = pathlib.Path(taskwire.__file__).resolve()
                assert where.is_relative_to(pathlib.Path({str(env_dir)!r}).resolve()), where
                assert (where.parent / "py.typed").exists()
                with taskwire.Client("{self.server.address}") as client:
                    task = client.wait(client.submit("flip", "installed"), timeout=10)
                print(task.result)
            """)
            used = subprocess.run([str(python), "-c", script], capture_output=True, text=True,
                                  timeout=60, env=env, cwd=tmp)
            self.assertEqual(used.returncode, 0, used.stderr)
            self.assertEqual(used.stdout.strip(), "dellatsni")


class PackagingTest(unittest.TestCase):
    def test_sources_are_python_3_9(self) -> None:
        for path in sorted(SRC.rglob("*.py")) + [PY_ROOT / "build_backend" / "taskwire_build.py"]:
            with self.subTest(path=path.name):
                source = path.read_text(encoding="utf-8")
                ast.parse(source, str(path), feature_version=(3, 9))
                self.assertIn("from __future__ import annotations", source)

    def test_backend_reads_pyproject_as_toml_does(self) -> None:
        project = taskwire_build.read_project()
        self.assertEqual(project["version"], taskwire.__version__)
        self.assertEqual(project["name"], "taskwire")
        if tomllib is not None:
            with open(PY_ROOT / "pyproject.toml", "rb") as f:
                self.assertEqual(tomllib.load(f)["project"], project)

    def test_wheel_contents(self) -> None:
        import zipfile

        with tempfile.TemporaryDirectory() as tmp:
            name = taskwire_build.build_wheel(tmp)
            self.assertEqual(name, f"taskwire-{taskwire.__version__}-py3-none-any.whl")
            with zipfile.ZipFile(Path(tmp) / name) as wheel:
                names = set(wheel.namelist())
                record = wheel.read(f"taskwire-{taskwire.__version__}.dist-info/RECORD").decode()
        expected = {f"taskwire/{p.relative_to(SRC / 'taskwire').as_posix()}"
                    for p in (SRC / "taskwire").rglob("*") if p.is_file() and "__pycache__" not in p.parts}
        self.assertTrue(expected <= names, expected - names)
        self.assertIn("taskwire/py.typed", names)
        self.assertFalse([n for n in names if "__pycache__" in n or n.endswith(".pyc")])
        for n in names:
            self.assertIn(n + ",", record)


if __name__ == "__main__":
    unittest.main()
