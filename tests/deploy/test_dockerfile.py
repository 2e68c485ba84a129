"""docker/Dockerfile: its stages, what it copies from where, and the versions it builds with."""

from __future__ import annotations

import inspect
import re
import xml.etree.ElementTree as ElementTree
from typing import Any

import pytest
import yaml

from tests.deploy import dockerfile
from tests.deploy.conftest import DOCKER, ROOT

DOCKERFILE = DOCKER / "Dockerfile"
DOCKERIGNORE = DOCKER / "Dockerfile.dockerignore"
POM_NAMESPACE = {"m": "http://maven.apache.org/POM/4.0.0"}


@pytest.fixture(scope="module")
def stages() -> list[dockerfile.Stage]:
    return dockerfile.stages(DOCKERFILE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def ignore_patterns() -> list:
    return dockerfile.dockerignore_patterns(DOCKERIGNORE.read_text(encoding="utf-8"))


def copy_from_problems(stages: list[dockerfile.Stage]) -> list[str]:
    """COPY --from must name a stage declared before the one that copies."""
    problems = []
    for index, stage in enumerate(stages):
        earlier = {other.name for other in stages[:index] if other.name}
        for item in dockerfile.copies(stage):
            if item.stage is not None and item.stage not in earlier:
                problems.append(f"line {item.line}: COPY --from={item.stage} names no earlier stage")
    return problems


def pom_property(name: str) -> str:
    root = ElementTree.parse(ROOT / "jvm" / "pom.xml").getroot()
    value = root.findtext(f"m:properties/m:{name}", namespaces=POM_NAMESPACE)
    assert value is not None, f"jvm/pom.xml has no property {name}"
    return value


def flink_version(pyproject: dict[str, Any]) -> str:
    pins = [re.fullmatch(r"apache-flink==([\d.]+)", dep) for dep in pyproject["project"]["dependencies"]]
    return next(pin.group(1) for pin in pins if pin)


def test_parser_reads_continued_lines_and_stages() -> None:
    text = (
        "ARG BASE=alpine:3\n# comment\nFROM ${BASE} AS one\nRUN a \\\n  && b\n\n"
        "FROM --platform=linux/amd64 one\nCOPY --from=one --chown=x:y /a /b /c/\n"
    )
    first, second = dockerfile.stages(text)
    assert (first.base, first.name, second.base, second.name) == ("alpine:3", "one", "one", None)
    assert first.instructions[0].arguments == "a && b"
    assert dockerfile.copies(second) == [dockerfile.Copy("one", ("/a", "/b"), "/c/", 8)]


@pytest.mark.parametrize(
    "text",
    ["RUN echo\nFROM x", "FROM x AS", "FROM ${UNKNOWN}", "FROM x\nRUN a \\", "# only a comment"],
    ids=["instruction-before-from", "as-without-name", "undeclared-arg", "unfinished-continuation", "no-from"],
)
def test_parser_rejects_a_broken_dockerfile(text: str) -> None:
    with pytest.raises(ValueError):
        dockerfile.stages(text)


def test_stages_in_order(stages: list[dockerfile.Stage]) -> None:
    assert [stage.name for stage in stages] == ["connectors", "uv", "python", "runtime"]


def test_copy_from_names_an_earlier_stage(stages: list[dockerfile.Stage]) -> None:
    assert copy_from_problems(stages) == []


def test_copy_from_check_catches_an_unknown_or_later_stage() -> None:
    broken = dockerfile.stages("FROM a AS first\nCOPY --from=later /x /x\nCOPY --from=nowhere /y /y\nFROM b AS later\n")
    assert len(copy_from_problems(broken)) == 2


def test_runtime_is_the_flink_image_of_the_pinned_pyflink(stages: list[dockerfile.Stage], pyproject: dict[str, Any]) -> None:
    """The cluster's Flink and the client's apache-flink wheel must be one version, on Java 17."""
    version = flink_version(pyproject)
    runtime, python = stages[-1], stages[2]
    assert runtime.base == python.base == f"flink:{version}-scala_2.12-java17"


def test_runtime_runs_as_the_flink_user(stages: list[dockerfile.Stage]) -> None:
    user = dockerfile.last(stages[-1], "USER")
    assert user is not None and user.arguments == "flink"


def test_kafka_connector_comes_from_the_jvm_project(stages: list[dockerfile.Stage], pyproject: dict[str, Any]) -> None:
    """The image builds jvm/flink-connectors, whose connector version is jvm/pom.xml's, made for our Flink."""
    connector_version = pom_property("flink.kafka.connector.version")
    module_pom = (ROOT / "jvm" / "flink-connectors" / "pom.xml").read_text(encoding="utf-8")
    assert "<version>${flink.kafka.connector.version}</version>" in module_pom
    build = " ".join(item.arguments for item in stages[0].instructions if item.keyword == "RUN")
    assert "-pl flink-connectors" in build
    major_minor = ".".join(flink_version(pyproject).split(".")[:2])
    assert connector_version.endswith(f"-{major_minor}"), f"{connector_version} is not built for Flink {major_minor}"
    pinned_in_dockerfile = set(re.findall(r"flink-sql-connector-kafka-([\w.-]+?)\.jar", DOCKERFILE.read_text(encoding="utf-8")))
    assert pinned_in_dockerfile <= {connector_version}


def test_job_functions_are_compiled_against_the_wheels_flink(pyproject: dict[str, Any]) -> None:
    """The Java steps run in the cluster the wheel's client builds the job for: one Flink version."""
    assert pom_property("flink.version") == flink_version(pyproject)
    module_pom = (ROOT / "jvm" / "job-functions" / "pom.xml").read_text(encoding="utf-8")
    flink_dependencies = module_pom.count("<groupId>org.apache.flink</groupId>")
    assert flink_dependencies >= 2
    assert module_pom.count("<version>${flink.version}</version>") == flink_dependencies


def test_jvm_jars_land_where_flink_iot_submit_and_the_job_look(stages: list[dockerfile.Stage]) -> None:
    from jobs.submit import ROOT as SUBMIT_ROOT
    from jobs.submit import connector_jar
    from udfs.jvm_functions import JOB_FUNCTIONS_JAR

    default_dir = inspect.signature(connector_jar).parameters["lib_dir"].default.relative_to(SUBMIT_ROOT)
    functions_dir = JOB_FUNCTIONS_JAR.parent.relative_to(SUBMIT_ROOT)
    # The JMX exporter agent, which the Cassandra pods copy from the image (deploy/k8s/cassandra.yaml).
    cassandra = yaml.safe_load((ROOT / "deploy" / "k8s" / "cassandra.yaml").read_text(encoding="utf-8"))
    [copy_agent] = cassandra["spec"]["cassandra"]["datacenters"][0]["initContainers"]
    agent_dir = copy_agent["command"][1].rsplit("/", 1)[0] + "/"
    destinations = {item.destination for item in dockerfile.copies(stages[-1]) if item.stage == "connectors"}
    assert destinations == {"/opt/flink/lib/", f"/opt/iot/{default_dir.as_posix()}/", f"/opt/iot/{functions_dir.as_posix()}/",
                            agent_dir}
    build = " ".join(item.arguments for item in stages[0].instructions if item.keyword == "RUN")
    assert "job-functions" in build and "monitoring" in build


def test_build_context_holds_what_the_image_needs(ignore_patterns: list, pyproject: dict[str, Any]) -> None:
    packages = [pattern.rstrip("*") for pattern in pyproject["tool"]["setuptools"]["packages"]["find"]["include"]]
    needed = [
        "pyproject.toml",
        pyproject["project"]["readme"],
        "flink-conf/config.yaml",
        "jvm/pom.xml",
        "jvm/flink-connectors/pom.xml",
        "jvm/job-functions/pom.xml",
        "jvm/job-functions/src/main/java/fr/iot/temperature/versions/ReadingVersions.java",
        "docker/flink/config.yaml",
        "geo/data/regions.geojson",
        *(f"{package}/__init__.py" for package in packages),
    ]
    assert [path for path in needed if dockerfile.is_ignored(path, ignore_patterns)] == []


def test_build_context_leaves_out_local_state_and_secrets(ignore_patterns: list) -> None:
    kept_out = [".venv/bin/python", "var/kafka/data/x", "build/lib/kafka/x.jar", "docker/secrets/kafka_password",
                ".git/HEAD", "tests/conftest.py", "jobs/__pycache__/submit.cpython-311.pyc", "jvm/kafka/target/x"]
    assert [path for path in kept_out if not dockerfile.is_ignored(path, ignore_patterns)] == []


def test_every_context_copy_is_in_the_context(stages: list[dockerfile.Stage], ignore_patterns: list) -> None:
    for stage in stages:
        for item in dockerfile.copies(stage):
            if item.stage is None:
                for source in item.sources:
                    path = source.rstrip("/") or "."
                    assert path == "." or (ROOT / path).exists(), f"line {item.line}: {source} not in the repository"
                    ignored = path != "." and dockerfile.is_ignored(path, ignore_patterns)
                    assert not ignored, f"line {item.line}: {source} is ignored"


def test_dockerignore_matching_follows_docker_rules() -> None:
    patterns = dockerfile.dockerignore_patterns("*\n!keep\n**/*.pyc\n!keep/special.pyc\n")
    assert dockerfile.is_ignored("other/file", patterns)
    assert not dockerfile.is_ignored("keep/a.py", patterns)
    assert dockerfile.is_ignored("keep/deep/a.pyc", patterns)
    assert not dockerfile.is_ignored("keep/special.pyc", patterns)


def test_the_rendered_flink_configuration_is_the_image_s(stages: list[dockerfile.Stage]) -> None:
    """docker/flink/config.yaml is rendered from flink-conf/ (tests/deploy/test_flink_conf_render.py)."""
    conf = [item for item in dockerfile.copies(stages[-1]) if item.destination == "/opt/flink/conf/config.yaml"]
    assert conf and conf[0].sources == ("docker/flink/config.yaml",) and conf[0].stage is None
