"""The job ships every package of ours it imports, and its workers need nothing else of ours."""

from __future__ import annotations

from modulefinder import ModuleFinder
from pathlib import Path

import pytest

from jobs import shipped_code
from jobs.shipped_code import first_party_packages, job_imports, runtime_requirements, shipped_packages, staged_code
from jobs.submit import JOBS, ROOT, flink_run_command


def modules_found_by_bytecode(job: Path) -> set[str]:
    """Our modules the job imports, as the standard library's ModuleFinder finds them: it follows
    the compiled imports of every function too, and looks nowhere but in the repository."""
    finder = ModuleFinder(path=[str(ROOT)])
    finder.run_script(str(job))
    ours = first_party_packages()
    return {name for name in finder.modules if name.split(".")[0] in ours}


@pytest.mark.parametrize("job", sorted(JOBS))
def test_every_module_of_ours_the_job_imports_is_shipped(job: str) -> None:
    shipped = {path.name for path in shipped_packages(JOBS[job])}
    found = modules_found_by_bytecode(JOBS[job])
    assert found, "ModuleFinder found none of our modules: the check itself is broken"
    assert {module.split(".")[0] for module in found} <= shipped
    assert {module for module in found if module.split(".")[0] in shipped} <= job_imports(JOBS[job])[0]


def test_the_hourly_job_ships_the_results_package_its_writer_imports_on_the_workers() -> None:
    shipped = {path.name for path in shipped_packages(JOBS["hourly"])}
    assert {"settings", "readings", "geo", "udfs", "results"} <= shipped
    assert not shipped & {"testkit", "oracle", "query", "reconcile", "ingest", "infra", "tests", "benchmarks"}


def test_flink_run_ships_exactly_the_packages_the_job_imports() -> None:
    for job in JOBS.values():
        command = flink_run_command(job, "jm:8081", "/bare/python", client_python="/venv/python")
        staged = Path(command[command.index("--pyFiles") + 1])
        packages = sorted(path.name for path in staged.iterdir() if path.name != "build")
        assert packages == [path.name for path in shipped_packages(job)]
        assert command[command.index("--pyExecutable") + 1] == "/bare/python"
        assert command[command.index("--pyClientExecutable") + 1] == "/venv/python"


def test_staged_code_is_one_folder_of_packages_made_once_per_version(tmp_path: Path) -> None:
    """Flink puts the shipped folder itself on the workers' PYTHONPATH: the packages sit inside it."""
    root = tmp_path / "repo"
    write(root, "alpha/__init__.py", "import beta.data\n")
    write(root, "beta/__init__.py")
    write(root, "beta/data.py", "X = 1\n")
    write(root, "beta/boundaries.json", "{}")
    write(root, "job.py", "import alpha\n")
    first = staged_code(root / "job.py", root, tmp_path)
    assert sorted(str(path.relative_to(first)) for path in first.rglob("*") if path.is_file()) == [
        "alpha/__init__.py", "beta/__init__.py", "beta/boundaries.json", "beta/data.py"]
    assert staged_code(root / "job.py", root, tmp_path) == first
    write(root, "beta/data.py", "X = 2\n")
    changed = staged_code(root / "job.py", root, tmp_path)
    assert changed != first and (changed / "beta" / "data.py").read_text() == "X = 2\n"


def write(root: Path, relative: str, text: str = "") -> None:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def test_imports_are_followed_into_functions_submodules_relative_imports_and_package_inits(tmp_path: Path) -> None:
    write(tmp_path, "job.py", "import alpha\n\ndef on_worker():\n    from beta import tool\n")
    write(tmp_path, "alpha/__init__.py", "from alpha.inner import thing\n")
    write(tmp_path, "alpha/inner.py", "import json\nimport numpy\nfrom .sibling import x\n")
    write(tmp_path, "alpha/sibling.py", "from gamma.deep import y\n")
    write(tmp_path, "beta/__init__.py")
    write(tmp_path, "beta/tool.py", "import cassandra.cluster\n")
    write(tmp_path, "gamma/__init__.py")
    write(tmp_path, "gamma/deep.py")
    write(tmp_path, "unused/__init__.py", "import alpha\n")
    modules, third_party = job_imports(tmp_path / "job.py", tmp_path)
    assert modules == {"alpha", "alpha.inner", "alpha.sibling", "beta", "beta.tool", "gamma", "gamma.deep"}
    assert third_party == {"numpy", "cassandra"}
    assert [path.name for path in shipped_packages(tmp_path / "job.py", tmp_path)] == ["alpha", "beta", "gamma"]


def test_the_runtime_requirements_are_the_projects_for_the_libraries_the_job_imports() -> None:
    names = [shipped_code.requirement_name(requirement) for requirement in runtime_requirements(JOBS["hourly"])]
    assert {"apache-flink", "cassandra-driver", "shapely", "pyproj", "orjson"} <= set(names)
    assert not {"kafka-python", "matplotlib", "zstandard"} & set(names)


def test_the_command_prints_one_line_per_package_or_requirement(capsys: pytest.CaptureFixture[str]) -> None:
    assert shipped_code.main(["packages", str(JOBS["smoke"])]) == 0
    assert capsys.readouterr().out.split() == [str(ROOT / "settings")]
    assert shipped_code.main(["requirements", str(JOBS["smoke"])]) == 0
    assert [shipped_code.requirement_name(line) for line in capsys.readouterr().out.split()] == ["apache-flink"]


def test_the_staged_code_carries_the_job_functions_jar_where_the_job_looks_for_it() -> None:
    from jobs import shipped_code
    from udfs import jvm_functions

    assert jvm_functions.JOB_FUNCTIONS_JAR == ROOT / shipped_code.JOB_FUNCTIONS_JAR
    assert (staged_code(JOBS["hourly"]) / shipped_code.JOB_FUNCTIONS_JAR).is_file()
