"""A PEP 517 build backend for this one pure-Python package, standard library only.

pip builds a package in an isolated environment and first installs the backend named in
``pyproject.toml`` from an index; with no index reachable that fails. This backend lives in
the source tree (``backend-path``) and needs nothing, so ``pip install ./clients/python``
works offline, in any Python 3.9+ venv. It reads the ``[project]`` table and packs
``src/taskwire`` into a ``py3-none-any`` wheel; ``pip install -e`` gets a ``.pth`` file.
"""
from __future__ import annotations

import ast
import base64
import hashlib
import io
import os
import re
import tarfile
import zipfile
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "taskwire"
_EPOCH = (1980, 1, 1, 0, 0, 0)  # fixed times: the same sources give the same wheel


def read_project(pyproject: Path = ROOT / "pyproject.toml") -> Dict[str, Any]:
    """The ``[project]`` table; its values are one-line strings or arrays of strings.

    (``tomllib`` is 3.11+; this subset of TOML reads as Python literals.)
    """
    project: Dict[str, Any] = {}
    table = None
    for raw in pyproject.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        header = re.fullmatch(r"\[([A-Za-z0-9_.-]+)\]", line)
        if header:
            table = header.group(1)
            continue
        if table != "project":
            continue
        match = re.fullmatch(r"([A-Za-z0-9_-]+)\s*=\s*(.+)", line)
        if not match:
            raise ValueError(f"pyproject.toml [project]: cannot read line {raw!r}")
        project[match.group(1)] = ast.literal_eval(match.group(2))
    for key in ("name", "version"):
        if key not in project:
            raise ValueError(f"pyproject.toml [project] has no {key}")
    return project


def _dist_name(project: Dict[str, Any]) -> str:
    return re.sub(r"[-_.]+", "_", project["name"]).lower()


def metadata(project: Dict[str, Any]) -> str:
    """The core metadata (``METADATA``/``PKG-INFO``) for the project."""
    lines = [
        "Metadata-Version: 2.1",
        f"Name: {project['name']}",
        f"Version: {project['version']}",
    ]
    if "description" in project:
        lines.append(f"Summary: {project['description']}")
    if "requires-python" in project:
        lines.append(f"Requires-Python: {project['requires-python']}")
    if "license" in project:
        lines.append(f"License: {project['license']}")
    if "keywords" in project:
        lines.append(f"Keywords: {','.join(project['keywords'])}")
    lines.extend(f"Classifier: {c}" for c in project.get("classifiers", []))
    body = ""
    if "readme" in project:
        lines.append("Description-Content-Type: text/markdown")
        body = (ROOT / project["readme"]).read_text(encoding="utf-8")
    return "\n".join(lines) + "\n\n" + body


def _package_files() -> List[Tuple[str, bytes]]:
    source = ROOT / "src" / PACKAGE
    files = []
    for path in sorted(source.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
            files.append((f"{PACKAGE}/{path.relative_to(source).as_posix()}", path.read_bytes()))
    return files


def _record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def _write_wheel(directory: str, files: List[Tuple[str, bytes]]) -> str:
    project = read_project()
    dist = f"{_dist_name(project)}-{project['version']}"
    info = f"{dist}.dist-info"
    files = files + [
        (f"{info}/METADATA", metadata(project).encode("utf-8")),
        (
            f"{info}/WHEEL",
            b"Wheel-Version: 1.0\nGenerator: taskwire_build\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
        ),
    ]
    record = "\n".join([_record_line(n, d) for n, d in files] + [f"{info}/RECORD,,", ""])
    files.append((f"{info}/RECORD", record.encode("utf-8")))
    filename = f"{dist}-py3-none-any.whl"
    with zipfile.ZipFile(os.path.join(directory, filename), "w", zipfile.ZIP_DEFLATED) as wheel:
        for name, data in files:
            entry = zipfile.ZipInfo(name, _EPOCH)
            entry.external_attr = 0o644 << 16
            entry.compress_type = zipfile.ZIP_DEFLATED
            wheel.writestr(entry, data)
    return filename


# --- PEP 517 / PEP 660 hooks ------------------------------------------------------------


def get_requires_for_build_wheel(config_settings: Optional[Dict[str, Any]] = None) -> List[str]:
    """Nothing to install before building."""
    return []


get_requires_for_build_sdist = get_requires_for_build_wheel
get_requires_for_build_editable = get_requires_for_build_wheel


def build_wheel(
    wheel_directory: str,
    config_settings: Optional[Dict[str, Any]] = None,
    metadata_directory: Optional[str] = None,
) -> str:
    """Builds the wheel of ``src/taskwire`` into ``wheel_directory``; returns its file name."""
    return _write_wheel(wheel_directory, _package_files())


def build_editable(
    wheel_directory: str,
    config_settings: Optional[Dict[str, Any]] = None,
    metadata_directory: Optional[str] = None,
) -> str:
    """A wheel whose ``.pth`` file puts ``src/`` on ``sys.path`` (``pip install -e``)."""
    pth = (str(ROOT / "src") + "\n").encode("utf-8")
    return _write_wheel(wheel_directory, [(f"__editable__.{PACKAGE}.pth", pth)])


def build_sdist(sdist_directory: str, config_settings: Optional[Dict[str, Any]] = None) -> str:
    """A source archive: pyproject, README, the backend, the package and its tests."""
    project = read_project()
    dist = f"{_dist_name(project)}-{project['version']}"
    filename = f"{dist}.tar.gz"
    members = [ROOT / "pyproject.toml", ROOT / "README.md"]
    for folder in ("build_backend", "src", "tests"):
        members.extend(
            p
            for p in sorted((ROOT / folder).rglob("*"))
            if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
        )
    with tarfile.open(os.path.join(sdist_directory, filename), "w:gz", format=tarfile.PAX_FORMAT) as tar:
        for path in members:
            tar.add(str(path), arcname=f"{dist}/{path.relative_to(ROOT).as_posix()}")
        info = metadata(project).encode("utf-8")
        entry = tarfile.TarInfo(f"{dist}/PKG-INFO")
        entry.size = len(info)
        tar.addfile(entry, io.BytesIO(info))
    return filename
