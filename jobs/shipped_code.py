"""What a job needs beside Flink: our packages it imports, and the third-party libraries they import.

``flink run --pyFiles`` ships our packages with the job, so the Python workers need nothing of
ours installed; the set follows the job's real imports, read from the source (function-level
imports included: the Cassandra writer imports its driver only on the workers), so a new import
cannot be forgotten in a list. ``python -m jobs.shipped_code requirements JOB`` prints the
requirements of ``pyproject.toml`` the job needs at run time, for an interpreter that has only
Flink's (``scripts/bootstrap.sh`` builds one to test that).
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import importlib.metadata
import re
import shutil
import sys
import tempfile
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
JOB_FUNCTIONS_JAR = Path("build", "lib", "job-functions", "iot-job-functions.jar")  # as udfs/jvm_functions.py has it


def first_party_packages(root: Path = ROOT) -> set[str]:
    """Our top-level packages: the folders of ``root`` with an ``__init__.py``."""
    return {path.parent.name for path in root.glob("*/__init__.py")}


def module_file(module: str, root: Path) -> Path | None:
    """The source of a first-party module (a package's ``__init__.py``), or None if there is none."""
    path = root.joinpath(*module.split("."))
    for candidate in (path / "__init__.py", path.with_suffix(".py")):
        if candidate.is_file():
            return candidate
    return None


def imported_names(source: Path, module: str) -> set[str]:
    """Every module named by an import anywhere in ``source``, and ``from M import n`` as ``M.n`` too
    (``n`` may be a submodule); relative imports resolved against ``module``."""
    names: set[str] = set()
    is_package = source.name == "__init__.py"
    for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"), str(source))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = module.split(".")[: len(module.split(".")) - node.level + (1 if is_package else 0)]
                base = ".".join([*parts, base] if base else parts)
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names if alias.name != "*")
    names.discard("")
    return names


def job_imports(job: Path, root: Path = ROOT) -> tuple[set[str], set[str]]:
    """The first-party modules ``job`` imports transitively, and the third-party top-level names they import."""
    ours = first_party_packages(root)
    seen: set[str] = set()
    third_party: set[str] = set()
    pending = [(job, "__main__")]
    while pending:
        source, module = pending.pop()
        for name in imported_names(source, module):
            top = name.split(".")[0]
            if top not in ours:
                third_party.add(top)
                continue
            parts = name.split(".")
            # Importing a.b.c runs a/__init__.py and a/b/__init__.py first.
            for prefix in (".".join(parts[:end]) for end in range(1, len(parts) + 1)):
                found = module_file(prefix, root)
                if found and prefix not in seen:
                    seen.add(prefix)
                    pending.append((found, prefix))
    return seen, {name for name in third_party if name not in sys.stdlib_module_names and name != "__future__"}


def shipped_packages(job: Path, root: Path = ROOT) -> list[Path]:
    """The folders of our packages ``job`` imports, for ``--pyFiles``."""
    modules, _ = job_imports(job, root)
    return [root / name for name in sorted({module.split(".")[0] for module in modules})]


def staged_code(job: Path, root: Path = ROOT, parent: Path | None = None) -> Path:
    """One folder holding copies of the packages ``job`` imports: what ``--pyFiles`` ships.

    Flink puts a shipped folder itself on the workers' ``PYTHONPATH``, not its parent, so our
    packages must sit inside one folder to be imported as packages (``import udfs``). The folder is
    named by a digest of what it holds and made under the temporary directory (writable wherever
    the client runs, a container included), so it is made once per version of the code. The
    client imports the job from there too, so the job functions jar, which ``udfs.jvm_functions``
    finds beside its code, comes along.
    """
    packages = shipped_packages(job, root)
    files = sorted(path for package in packages for path in package.rglob("*")
                   if path.is_file() and "__pycache__" not in path.parts)
    # udfs/jvm_functions.py finds the job functions jar beside the code it runs from.
    jars = [root / JOB_FUNCTIONS_JAR] if any(package.name == "udfs" for package in packages) else []
    files += [jar for jar in jars if jar.is_file()]
    digest = hashlib.sha256()
    for path in files:
        digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
    target = (parent or Path(tempfile.gettempdir())) / f"iot-job-code-{digest.hexdigest()[:16]}"
    if not target.is_dir():
        building = Path(tempfile.mkdtemp(prefix=f"{target.name}.", dir=target.parent))
        for package in packages:
            shutil.copytree(package, building / package.name, ignore=shutil.ignore_patterns("__pycache__"))
        for jar in jars:
            (building / JOB_FUNCTIONS_JAR).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(jar, building / JOB_FUNCTIONS_JAR)
        try:
            building.rename(target)
        except OSError:  # another client staged the same code meanwhile
            shutil.rmtree(building)
    return target


def requirement_name(requirement: str) -> str:
    """``cassandra-driver>=3.29`` -> ``cassandra-driver`` (PEP 503 normalised)."""
    name = re.match(r"[A-Za-z0-9._-]+", requirement.strip())
    return re.sub(r"[-_.]+", "-", name.group(0)).lower() if name else ""


def runtime_requirements(job: Path, root: Path = ROOT) -> list[str]:
    """The requirements of ``pyproject.toml`` whose distributions provide a third-party module the job
    imports (looked up in this interpreter, where they are installed); the others come with Flink."""
    _, third_party = job_imports(job, root)
    distributions = importlib.metadata.packages_distributions()
    needed = {requirement_name(dist) for name in third_party for dist in distributions.get(name, [])}
    declared = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]
    return [requirement for requirement in declared if requirement_name(requirement) in needed]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m jobs.shipped_code", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=("packages", "requirements"))
    parser.add_argument("job", type=Path, help="the job's file, e.g. jobs/hourly_region_means.py")
    args = parser.parse_args(argv)
    if not args.job.is_file():
        parser.error(f"no such job file: {args.job}")
    lines = ([str(path) for path in shipped_packages(args.job)] if args.what == "packages"
             else runtime_requirements(args.job))
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
