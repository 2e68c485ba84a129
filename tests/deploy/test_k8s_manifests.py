"""deploy/k8s/: valid for Kubernetes and its operators, and consistent with the project.

Every document is validated against a vendored JSON schema (tests/deploy/schemas/PROVENANCE.md);
the checks of tests/deploy/k8s_checks.py then hold the manifests to what the code, the image,
flink-conf/config.yaml, docker/compose.yaml and the docs say. Each check is also run on a
deliberately broken copy, which it must reject.
"""

from __future__ import annotations

import copy
import json
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator

from tests.deploy import dockerfile
from tests.deploy import k8s_checks as checks
from tests.deploy.conftest import DOCKER, ROOT
from tests.deploy.k8s_checks import K8S, Manifest

DOCS = ROOT / "docs" / "kubernetes.md"
GCP_DOCS = ROOT / "docs" / "gcp.md"
LOCAL_FLINK_CONFIG = ROOT / "flink-conf" / "config.yaml"


@pytest.fixture(scope="module")
def loaded() -> list[Manifest]:
    return checks.load_manifests()


@pytest.fixture
def manifests(loaded: list[Manifest]) -> list[Manifest]:
    """A private copy of the documents, for tests that break them on purpose."""
    return copy.deepcopy(loaded)


def find(manifests: list[Manifest], kind: str, name: str | None = None) -> dict[str, Any]:
    return next(m.doc for m in manifests if m.kind == kind and (name is None or m.name == name))


@pytest.fixture(scope="module")
def our_image(compose_file: dict[str, Any]) -> str:
    """The image docker/Dockerfile builds, by the name compose gives it (without its tag)."""
    return compose_file["services"]["ingest"]["image"].rsplit(":", 1)[0]


@pytest.fixture(scope="module")
def compose_images(compose_file: dict[str, Any], our_image: str) -> set[str]:
    return {service["image"] for service in compose_file["services"].values()} - {f"{our_image}:local"}


@pytest.fixture(scope="module")
def runtime_stage() -> dockerfile.Stage:
    return dockerfile.stages((DOCKER / "Dockerfile").read_text(encoding="utf-8"))[-1]


@pytest.fixture(scope="module")
def image_flink_version(runtime_stage: dockerfile.Stage) -> str:
    base = re.fullmatch(r"flink:([\d.]+)-scala_2\.12-java17", runtime_stage.base)
    assert base, runtime_stage.base
    return base.group(1)


@pytest.fixture(scope="module")
def image_python() -> str:
    """The workers' interpreter baked into the image (flink-conf/targets.yaml)."""
    return yaml.safe_load((ROOT / "flink-conf" / "targets.yaml").read_text(encoding="utf-8"))["docker"]["placeholders"]["PYTHON"]


@pytest.fixture(scope="module")
def local_flink_config() -> dict[str, Any]:
    """flink-conf/config.yaml with its placeholders made loadable."""
    return yaml.safe_load(re.sub(r"@(\w+)@", r"PLACEHOLDER-\1", LOCAL_FLINK_CONFIG.read_text(encoding="utf-8")))


@pytest.fixture(scope="module")
def documented() -> dict[str, set[str]]:
    return checks.documented_secrets(DOCS.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def gke_packages() -> set[str]:
    """The GKE monitoring packages the cluster of docs/gcp.md is created with."""
    return checks.documented_gke_packages(GCP_DOCS.read_text(encoding="utf-8"))


# --- Parsing and schemas -----------------------------------------------------------------------


@pytest.mark.parametrize("path", sorted(K8S.glob("*.yaml")), ids=lambda path: path.name)
def test_every_file_parses_as_yaml(path: Path) -> None:
    documents = [doc for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc is not None]
    assert documents and all(isinstance(doc, dict) for doc in documents)


def test_the_vendored_schemas_are_valid_json_schemas(loaded: list[Manifest]) -> None:
    for manifest in loaded:
        schema = checks.schema_for(manifest.doc["apiVersion"], manifest.kind)
        assert schema is not None, manifest
        Draft202012Validator.check_schema(schema)
    Draft202012Validator.check_schema(json.loads((checks.SCHEMAS / checks.KUSTOMIZE_SCHEMA).read_text(encoding="utf-8")))


def test_every_document_matches_its_schema(loaded: list[Manifest]) -> None:
    assert [problem for manifest in loaded for problem in checks.schema_errors(manifest)] == []


def test_every_kind_of_the_pipeline_is_there(loaded: list[Manifest]) -> None:
    kinds = {manifest.kind for manifest in loaded}
    assert {"FlinkDeployment", "Kafka", "KafkaNodePool", "KafkaTopic", "KafkaUser", "K8ssandraCluster", "Job",
            "Deployment"} <= kinds
    assert {m.name for m in loaded if m.kind == "Deployment"} >= {"iot-ingest"}
    assert {m.name for m in loaded if m.kind == "Job"} == {"iot-provision"}


def test_kustomization_matches_its_schema_and_lists_every_manifest(our_image: str) -> None:
    kustomization = checks.load_kustomization()
    configurations = [yaml.safe_load((K8S / name).read_text(encoding="utf-8"))
                      for name in kustomization.get("configurations", [])]
    assert checks.kustomization_errors(kustomization, configurations) == []
    assert checks.kustomization_problems(kustomization, K8S, our_image) == []


def _spec(doc: dict[str, Any]) -> dict[str, Any]:
    return doc["spec"]


@pytest.mark.parametrize(
    ("kind", "break_it", "expected"),
    [
        ("FlinkDeployment", lambda d: _spec(d).update(upgradeMod="savepoint"), "'upgradeMod' was unexpected"),
        ("FlinkDeployment", lambda d: _spec(d)["job"].update(upgradeMode="checkpoint"), "'checkpoint' is not one of"),
        ("FlinkDeployment", lambda d: _spec(d).update(flinkVersion="v2_3"), "'v2_3' is not one of"),
        ("FlinkDeployment", lambda d: _spec(d)["flinkConfiguration"].update({"taskmanager.numberOfTaskSlots": 2}),
         "2 is not of type 'string'"),
        ("FlinkDeployment", lambda d: _spec(d)["jobManager"]["podTemplate"]["spec"]["containers"][0].update(envfrom=[]),
         "'envfrom' was unexpected"),
        ("Kafka", lambda d: _spec(d)["kafka"]["listeners"][0].update(type="internel"), "'internel' is not one of"),
        ("Kafka", lambda d: _spec(d)["kafka"].update(replicas=3), "'replicas' was unexpected"),
        ("KafkaNodePool", lambda d: _spec(d).pop("roles"), "'roles' is a required property"),
        ("KafkaTopic", lambda d: _spec(d).update(partitions=0), "0 is less than the minimum of 1"),
        ("KafkaTopic", lambda d: _spec(d).update(retention="7d"), "'retention' was unexpected"),
        ("KafkaUser", lambda d: _spec(d)["authorization"]["acls"][0].update(operation="Read"), "'operation' was unexpected"),
        ("K8ssandraCluster", lambda d: _spec(d)["cassandra"]["datacenters"][0].pop("size"), "'size' is a required property"),
        ("K8ssandraCluster", lambda d: _spec(d)["cassandra"]["datacenters"][0].update(replicas=3), "'replicas' was unexpected"),
        ("K8ssandraCluster", lambda d: _spec(d)["cassandra"].update(serverVersion="5.0"), "does not match"),
        ("Deployment", lambda d: _spec(d)["template"]["spec"]["containers"][0].update(comand=["iot-ingest"]),
         "'comand' was unexpected"),
        ("Deployment", lambda d: _spec(d)["template"]["spec"]["containers"][0]["resources"]["requests"].update(cpu=[1]), "cpu"),
        ("Job", lambda d: _spec(d).update(backoffLimit="20"), "'20' is not of type 'integer'"),
        ("PodMonitoring", lambda d: _spec(d)["endpoints"][0].update(intervall="30s"), "'intervall' was unexpected"),
        ("ConfigMap", lambda d: d.update(data={"IOT_KAFKA_PARTITIONS": 4}), "4 is not of type"),
        ("Namespace", lambda d: d["metadata"].update(labelz={}), "'labelz' was unexpected"),
    ],
    ids=[
        "flink-misspelt-spec-key", "flink-unknown-upgrade-mode", "flink-unknown-version", "flink-config-not-a-string",
        "flink-pod-template-typo", "kafka-listener-type", "kafka-replicas-belong-to-node-pools", "nodepool-without-roles",
        "topic-zero-partitions", "topic-unknown-field", "user-acl-v1beta2-field", "k8ssandra-dc-without-size",
        "k8ssandra-unknown-field", "k8ssandra-bad-version", "deployment-typo", "deployment-bad-quantity",
        "job-string-for-integer", "podmonitoring-typo", "configmap-number", "metadata-typo",
    ],
)  # fmt: skip
def test_schemas_reject_a_broken_copy(manifests: list[Manifest], kind: str, break_it: Callable, expected: str) -> None:
    manifest = next(m for m in manifests if m.kind == kind)
    break_it(manifest.doc)
    problems = checks.schema_errors(manifest)
    assert any(expected in problem for problem in problems), problems


def test_a_kind_without_a_schema_is_reported(manifests: list[Manifest]) -> None:
    unknown = Manifest("extra.yaml", {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}})
    assert checks.schema_errors(unknown) == ["extra.yaml: Widget/w: no vendored schema for example.com/v1 Widget"]


def test_kustomization_checks_reject_a_broken_copy(our_image: str) -> None:
    kustomization = checks.load_kustomization()
    kustomization["resources"] = [name for name in kustomization["resources"] if name != "ingest.yaml"] + ["missing.yaml"]
    kustomization["images"] = [{"name": "other-image", "newTag": "local"}]
    problems = checks.kustomization_problems(kustomization, K8S, our_image)
    assert "ingest.yaml is not in kustomization.yaml" in problems
    assert "kustomization.yaml lists missing.yaml, which does not exist" in problems
    assert f"kustomization.yaml: images does not retag {our_image}" in problems
    assert checks.kustomization_errors({**kustomization, "namespaces": "iot"}) != []
    assert checks.kustomization_errors(kustomization, [{"images": [{"paht": "spec/image"}]}]) != []


# --- What the schemas cannot see ---------------------------------------------------------------


def test_real_manifests_pass_every_semantic_check(
    loaded: list[Manifest],
    our_image: str,
    compose_images: set[str],
    console_scripts: set[str],
    documented: dict[str, set[str]],
    gke_packages: set[str],
) -> None:
    assert checks.name_problems(loaded) == []
    assert checks.unknown_variables(loaded) == []
    assert checks.invalid_values(loaded) == []
    assert checks.inlined_secrets(loaded) == []
    assert checks.unread_secrets(loaded) == []
    assert checks.unsourced_secrets(loaded, documented) == []
    assert checks.image_problems(loaded, our_image, compose_images) == []
    assert checks.command_problems(loaded, our_image, console_scripts) == []
    assert checks.kafka_problems(loaded) == []
    assert checks.monitoring_problems(loaded) == []
    assert checks.metric_source_problems(loaded, gke_packages) == []
    assert checks.kube_state_metrics_rbac_problems(loaded) == []
    assert checks.zone_problems(loaded) == []
    assert checks.network_policy_problems(loaded) == []
    assert checks.disruption_budget_problems(loaded) == []


def test_cassandra_is_where_the_settings_say(loaded: list[Manifest], compose_file: dict[str, Any]) -> None:
    major = compose_file["services"]["cassandra"]["image"].split(":")[1]
    assert checks.cassandra_problems(loaded, major) == []


def test_cassandra_loads_the_jmx_exporter_agent_the_build_fetches(loaded: list[Manifest]) -> None:
    jar = checks.fetched_jmx_agent((ROOT / "jvm" / "monitoring" / "pom.xml").read_text(encoding="utf-8"))
    assert checks.jmx_agent_problems(loaded, jar) == []


def test_the_jmx_agent_check_catches_a_stale_jar(manifests: list[Manifest]) -> None:
    problems = checks.jmx_agent_problems(manifests, "jmx_prometheus_javaagent-1.9.9.jar")
    assert any("loads the agents ['/opt/jmx-exporter/jmx_prometheus_javaagent-" in p for p in problems), problems
    assert any("no init container copies /opt/iot/build/lib/monitoring/jmx_prometheus_javaagent-1.9.9.jar" in p
               for p in problems), problems
    with pytest.raises(ValueError, match="no jmx_prometheus_javaagent"):
        checks.fetched_jmx_agent("<project><artifactId>other</artifactId></project>")


def test_flink_runs_the_image_and_configuration_of_the_repository(
    loaded: list[Manifest],
    local_flink_config: dict[str, Any],
    image_flink_version: str,
    image_python: str,
    runtime_stage: dockerfile.Stage,
) -> None:
    deployment = next(m for m in loaded if m.kind == "FlinkDeployment")
    last_workdir = dockerfile.last(runtime_stage, "WORKDIR")
    assert last_workdir is not None, "the runtime stage sets its WORKDIR"
    workdir = last_workdir.arguments
    assert checks.flink_memory_problems(deployment, local_flink_config) == []
    assert checks.flink_state_problems(deployment) == []
    assert checks.flink_image_problems(deployment, image_flink_version, image_python, workdir) == []


def _container(doc: dict[str, Any], name: str) -> dict[str, Any]:
    return next(c for c in checks.containers(doc["spec"]["template"]["spec"]) if c["name"] == name)


def _env(container: dict[str, Any], name: str, value: str) -> None:
    container.setdefault("env", []).append({"name": name, "value": value})


def _jobmanager(doc: dict[str, Any]) -> dict[str, Any]:
    return doc["spec"]["jobManager"]["podTemplate"]["spec"]["containers"][0]


@pytest.mark.parametrize(
    ("break_it", "check", "expected"),
    [
        (lambda ms: ms.append(Manifest("x.yaml", {"apiVersion": "v1", "kind": "ConfigMap",
                                                  "metadata": {"name": "Iot_Settings"}})),
         checks.name_problems, "is no RFC 1123 name"),
        (lambda ms: find(ms, "Deployment", "iot-ingest")["metadata"].update(namespace="default"),
         checks.name_problems, "sets its own namespace"),
        (lambda ms: find(ms, "ConfigMap", "iot-settings")["data"].update(IOT_KAFKA_BOOTSTRAP_SERVER="kafka:9092"),
         checks.unknown_variables, "IOT_KAFKA_BOOTSTRAP_SERVER is not read"),
        (lambda ms: _env(_container(find(ms, "Deployment", "iot-ingest"), "ingest"), "IOT_INGEST_POLL_INTERVAL", "10"),
         checks.unknown_variables, "IOT_INGEST_POLL_INTERVAL is not read"),
        (lambda ms: find(ms, "ConfigMap", "iot-settings")["data"].update(IOT_CASSANDRA_PORT="cql"),
         checks.invalid_values, "IOT_CASSANDRA_PORT='cql'"),
        (lambda ms: _env(_container(find(ms, "Deployment", "iot-ingest"), "ingest"), "IOT_KAFKA_SASL_PASSWORD", "hunter2"),
         checks.inlined_secrets, "IOT_KAFKA_SASL_PASSWORD holds a credential"),
        (lambda ms: find(ms, "ConfigMap", "iot-settings")["data"].update(IOT_CASSANDRA_PASSWORD="hunter2"),
         checks.inlined_secrets, "looks like a credential in a ConfigMap"),
        (lambda ms: _env(_container(find(ms, "Deployment", "iot-mock-api"), "mock-api"), "IOT_CASSANDRA_PASSWORD_FILE",
                         "/etc/iot/secrets/cassandra/password"),
         checks.inlined_secrets, "is no file of a Secret mounted"),
        (lambda ms: ms.append(Manifest("x.yaml", {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"},
                                                  "stringData": {"password": "x"}})),
         checks.inlined_secrets, "a Secret with data"),
        (lambda ms: _container(find(ms, "Deployment", "iot-ingest"), "ingest")["env"].pop(1),
         checks.unread_secrets, "Secret iot-sensor-api mounted at /etc/iot/secrets/sensor-api/ is read by nothing"),
        (lambda ms: find(ms, "Deployment",
                         "iot-ingest")["spec"]["template"]["spec"]["volumes"][3]["secret"].update(secretName="iot-sensor-key"),
         None, "Secret iot-sensor-key is neither made by an operator"),
        (lambda ms: find(ms, "KafkaUser").update(metadata={"name": "pipeline", "labels": {"strimzi.io/cluster": "iot-kafka"}}),
         None, "Secret iot is neither made by an operator"),
        (lambda ms: find(ms, "Deployment",
                         "iot-ingest")["spec"]["template"]["spec"]["volumes"][2]["secret"]["items"][0].update(key="passwd"),
         None, "Secret iot has no key passwd"),
        (lambda ms: find(ms, "FlinkDeployment")["spec"].update(image="flink:2.2.1"),
         lambda ms: checks.image_problems(ms, "iot-temperature-pipeline", {"cassandra:5.0"}), "spec.image is 'flink:2.2.1'"),
        (lambda ms: _container(find(ms, "Job"), "cassandra-role").update(image="bitnami/cassandra:5.0"),
         lambda ms: checks.image_problems(ms, "iot-temperature-pipeline", {"cassandra:5.0"}),
         "'bitnami/cassandra:5.0' is neither"),
        (lambda ms: _container(find(ms, "Deployment", "iot-kube-state-metrics"), "kube-state-metrics").update(
            image="registry.k8s.io/kube-state-metrics/kube-state-metrics:latest"),
         lambda ms: checks.image_problems(ms, "iot-temperature-pipeline", {"cassandra:5.0"}),
         "kube-state-metrics:latest' is neither"),
        (lambda ms: _container(find(ms, "Deployment", "iot-ingest"), "ingest").update(command=["iot-poller"]),
         lambda ms: checks.command_problems(ms, "iot-temperature-pipeline", {"iot-ingest", "iot-provision", "iot-mock-api"}),
         "runs 'iot-poller'"),
    ],
    ids=[
        "bad-name", "own-namespace", "unknown-variable-in-configmap", "unknown-variable-in-env", "invalid-value",
        "inline-password", "password-in-configmap", "password-file-not-mounted", "secret-with-data", "unread-secret",
        "unknown-secret", "kafka-user-renamed", "missing-secret-key", "flink-image", "foreign-image", "unpinned-cluster-tool",
        "unknown-command",
    ],
)  # fmt: skip
def test_semantic_checks_catch_a_broken_copy(
    manifests: list[Manifest], documented: dict[str, set[str]], break_it: Callable, check: Callable | None, expected: str
) -> None:
    break_it(manifests)
    problems = check(manifests) if check else checks.unsourced_secrets(manifests, documented)
    assert any(expected in problem for problem in problems), problems


@pytest.mark.parametrize(
    ("break_it", "expected"),
    [
        (lambda ms: find(ms, "KafkaTopic", "sensor.readings.late")["metadata"].update(name="sensor.late"),
         "are not the topics of the settings"),
        (lambda ms: find(ms, "KafkaTopic", "sensor.readings")["spec"].update(partitions=8), "8 partitions, the settings say 4"),
        (lambda ms: find(ms, "KafkaTopic", "sensor.readings")["spec"]["config"].update({"min.insync.replicas": 3}),
         "leaves no replica to lose"),
        (lambda ms: find(ms, "KafkaTopic", "sensor.readings")["metadata"]["labels"].update({"strimzi.io/cluster": "kafka"}),
         "names no Kafka"),
        (lambda ms: find(ms, "ConfigMap")["data"].update(IOT_KAFKA_BOOTSTRAP_SERVERS="iot-kafka-kafka-bootstrap:9093"),
         "is no listener"),
        (lambda ms: find(ms, "Kafka")["spec"]["kafka"]["listeners"][0].update(tls=True), "does not speak SASL_PLAINTEXT"),
        (lambda ms: find(ms, "ConfigMap")["data"].update(IOT_KAFKA_SASL_USERNAME="pipeline"), "is no KafkaUser"),
        (lambda ms: find(ms, "KafkaUser")["spec"]["authorization"]["acls"][0].update(operations=["Read", "Describe"]),
         "no ACL allows Write on topic sensor.readings"),
        (lambda ms: find(ms, "KafkaUser")["spec"]["authorization"]["acls"][1]["resource"].update(name="iot-job"),
         "no ACL allows Read on group iot-hourly-region-means"),
        (lambda ms: _env(_jobmanager(find(ms, "FlinkDeployment")), "IOT_JOB_NAME", "hourly"),
         "no ACL allows Write on transactionalId hourly-"),
    ],
    ids=[
        "topic-renamed", "partitions", "min-isr", "unknown-cluster", "bootstrap-port", "tls-listener",
        "unknown-user", "acl-without-write", "acl-for-another-group", "job-renamed",
    ],
)  # fmt: skip
def test_kafka_checks_catch_a_broken_copy(manifests: list[Manifest], break_it: Callable, expected: str) -> None:
    break_it(manifests)
    problems = checks.kafka_problems(manifests)
    assert any(expected in problem for problem in problems), problems


@pytest.mark.parametrize(
    ("break_it", "expected"),
    [
        (lambda ms: find(ms, "ConfigMap")["data"].update(IOT_CASSANDRA_HOST="cassandra"), "is no datacenter service"),
        (lambda ms: find(ms, "ConfigMap")["data"].update(IOT_CASSANDRA_REPLICATION_FACTOR="5"),
         "replication factor 5 on 3 nodes"),
        (lambda ms: find(ms, "K8ssandraCluster")["spec"]["cassandra"].update(serverVersion="4.1.9"),
         "Cassandra 4.1.9, where compose runs 5.0"),
        (lambda ms: find(ms, "K8ssandraCluster")["spec"].update(auth=False), "authentication is off"),
    ],
    ids=["host", "replication", "version", "auth-off"],
)
def test_cassandra_checks_catch_a_broken_copy(manifests: list[Manifest], break_it: Callable, expected: str) -> None:
    break_it(manifests)
    problems = checks.cassandra_problems(manifests, "5.0")
    assert any(expected in problem for problem in problems), problems


def _conf(ms: list[Manifest]) -> dict[str, Any]:
    return find(ms, "FlinkDeployment")["spec"]["flinkConfiguration"]


def test_flink_memory_check_catches_a_broken_copy(manifests: list[Manifest], local_flink_config: dict[str, Any]) -> None:
    find(manifests, "FlinkDeployment")["spec"]["taskManager"]["resource"].update(memory="2048m")
    problems = checks.flink_memory_problems(next(m for m in manifests if m.kind == "FlinkDeployment"), local_flink_config)
    assert any("taskManager memory '2048m'" in problem for problem in problems), problems


@pytest.mark.parametrize(
    ("break_it", "check", "expected"),
    [
        (lambda ms: _conf(ms).update({"execution.checkpointing.dir": "file:///tmp/checkpoints"}), "state", "is not on gs:// or s3://"),
        (lambda ms: _conf(ms).update({"high-availability.storageDir": "gs://other-bucket/ha"}), "state", "state spread over"),
        (lambda ms: _conf(ms).pop("containerized.taskmanager.env.ENABLE_BUILT_IN_PLUGINS"), "state", "plugin is not enabled"),
        (lambda ms: _conf(ms).update({"high-availability.type": "NONE"}), "state", "high-availability.type is not kubernetes"),
        (lambda ms: find(ms, "FlinkDeployment")["spec"]["job"].update(upgradeMode="stateless"), "state",
         "upgradeMode is not savepoint"),
        (lambda ms: find(ms, "FlinkDeployment")["spec"].update(flinkVersion="v1_20"), "image", "flinkVersion v1_20"),
        (lambda ms: find(ms, "FlinkDeployment")["spec"]["job"].update(jarURI="local:///opt/flink/opt/flink-python-2.1.0.jar"),
         "image", "is not the flink-python jar"),
        (lambda ms: _conf(ms).update({"containerized.master.env.ENABLE_BUILT_IN_PLUGINS": "flink-gs-fs-hadoop-2.1.0.jar"}),
         "image", "is not of Flink"),
        (lambda ms: _conf(ms).update({"python.executable": "/usr/bin/python3"}), "image",
         "python.executable is '/usr/bin/python3'"),
        (lambda ms: find(ms, "FlinkDeployment")["spec"]["job"].update(args=["-py", "/opt/iot/jobs/hourly.py"]), "image",
         "is no file of the repository"),
    ],
    ids=["local-checkpoints", "two-buckets", "plugin-missing", "no-ha", "stateless", "flink-version", "jar-version",
         "plugin-version", "python", "job-file"],
)
def test_flink_state_and_image_checks_catch_a_broken_copy(
    manifests: list[Manifest], image_flink_version: str, image_python: str, break_it: Callable, check: str, expected: str
) -> None:
    break_it(manifests)
    deployment = next(m for m in manifests if m.kind == "FlinkDeployment")
    problems = (
        checks.flink_state_problems(deployment)
        if check == "state"
        else checks.flink_image_problems(deployment, image_flink_version, image_python, "/opt/iot")
    )
    assert any(expected in problem for problem in problems), problems


@pytest.mark.parametrize(
    ("break_it", "expected"),
    [
        (lambda ms: find(ms, "PodMonitoring",
                         "iot-ingest")["spec"]["selector"]["matchLabels"].update({"app.kubernetes.io/name": "ingest"}),
                         "selects no pods"),
        (lambda ms: find(ms, "PodMonitoring", "iot-flink")["spec"]["endpoints"][0].update(port=9250),
         "serves no metrics on port 9250"),
        (lambda ms: find(ms, "PodMonitoring", "iot-ingest")["spec"]["endpoints"][0].update(port="prometheus"),
         "serves no metrics on port prometheus"),
    ],
    ids=["wrong-selector", "wrong-flink-port", "wrong-port-name"],
)
def test_monitoring_check_catches_a_broken_copy(manifests: list[Manifest], break_it: Callable, expected: str) -> None:
    break_it(manifests)
    problems = checks.monitoring_problems(manifests)
    assert any(expected in problem for problem in problems), problems


def test_documented_secrets_are_read_from_the_docs_table() -> None:
    table = (
        "| Secret | made by | keys | read by |\n| --- | --- | --- | --- |\n"
        "| `a-b` | you, once | `password`, `user` | x |\n| `op` | Strimzi | `password` | y |\n"
    )
    assert checks.documented_secrets(table) == {"a-b": {"password", "user"}}


def test_every_hand_made_secret_of_the_docs_is_used(loaded: list[Manifest], documented: dict[str, set[str]]) -> None:
    """The docs tell nobody to create a Secret the manifests no longer read."""
    assert documented and set(documented) <= set(checks.referenced_secrets(loaded))


def test_the_flink_version_list_extends_the_vendored_crd_only_with_flink_2() -> None:
    """The vendored CRD is older than Flink 2; only its enum of versions is extended."""
    crd = checks.load_crd(checks.crd_file("flink.apache.org/v1beta1", "FlinkDeployment"))
    vendored = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"]["flinkVersion"]["enum"]
    schema = checks.schema_for("flink.apache.org/v1beta1", "FlinkDeployment")
    assert schema is not None
    patched = schema["properties"]["spec"]["properties"]["flinkVersion"]["enum"]
    assert patched == vendored + list(checks.FLINK_VERSIONS_AFTER_OPERATOR_1_10)


def test_strict_crd_schema_rejects_unknown_fields_but_keeps_open_maps() -> None:
    schema = checks.strict_crd_schema(
        {
            "type": "object",
            "properties": {
                "config": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
                "labels": {"type": "object", "additionalProperties": {"type": "string"}},
                "note": {"type": "string", "nullable": True},
            },
        }
    )
    assert checks.validation_errors(schema, {"config": {"any": 1}, "labels": {"a": "b"}, "note": None}) == []
    assert checks.validation_errors(schema, {"extra": 1}) != []
    assert checks.validation_errors(schema, {"labels": {"a": 1}}) != []


# --- kustomize itself --------------------------------------------------------------------------


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl (with its built-in kustomize) is not installed")
def test_kustomize_builds_what_the_schemas_accept(our_image: str) -> None:
    """`kubectl kustomize` (offline) accepts the kustomization; what it builds is still valid,
    all in the namespace iot, with every image of ours retagged, the FlinkDeployment's included."""
    result = subprocess.run(["kubectl", "kustomize", str(K8S)], capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    built = [Manifest("built", doc) for doc in yaml.safe_load_all(result.stdout) if doc]
    assert len(built) == len(checks.load_manifests())
    assert [problem for manifest in built for problem in checks.schema_errors(manifest)] == []
    assert {m.doc["metadata"].get("namespace") for m in built if m.kind != "Namespace"} == {"iot"}
    images = {c.get("image") for _, _,
              c in checks.all_containers(built)} | {m.doc["spec"]["image"] for m in built if m.kind == "FlinkDeployment"}
    assert f"{our_image}:local" in images and our_image not in images


def _cassandra_dc(ms: list[Manifest]) -> dict[str, Any]:
    return find(ms, "K8ssandraCluster")["spec"]["cassandra"]["datacenters"][0]


@pytest.mark.parametrize(
    ("break_it", "expected"),
    [
        (lambda ms: find(ms, "Kafka")["spec"]["kafka"].pop("rack"), "no rack awareness"),
        (lambda ms: find(ms, "KafkaNodePool")["spec"]["template"]["pod"]["topologySpreadConstraints"][0].update(
            whenUnsatisfiable="ScheduleAnyway"), "no hard topology spread over zones"),
        (lambda ms: find(ms, "KafkaNodePool")["spec"].update(replicas=2), "cannot keep a KRaft quorum"),
        (lambda ms: find(ms, "Kafka")["spec"]["kafka"]["template"].pop("podDisruptionBudget"), "one broker"),
        (lambda ms: _cassandra_dc(ms)["racks"].pop(), "no rack per zone"),
        (lambda ms: _cassandra_dc(ms)["racks"][1]["nodeAffinityLabels"].update(
            {"topology.kubernetes.io/zone": "europe-west9-a"}), "no rack per zone"),
        (lambda ms: find(ms, "ConfigMap")["data"].pop("IOT_CASSANDRA_DATACENTER"), "not replicated with NetworkTopologyStrategy"),
        (lambda ms: find(ms, "ConfigMap")["data"].update(IOT_CASSANDRA_CONSISTENCY="LOCAL_ONE"), "not LOCAL_QUORUM"),
    ],
    ids=["no-kafka-rack", "soft-spread", "two-brokers", "no-kafka-budget", "two-racks", "racks-share-a-zone",
         "simple-strategy", "local-one"],
)  # fmt: skip
def test_zone_checks_catch_a_broken_copy(manifests: list[Manifest], break_it: Callable, expected: str) -> None:
    break_it(manifests)
    problems = checks.zone_problems(manifests)
    assert any(expected in problem for problem in problems), problems


@pytest.mark.parametrize(
    ("break_it", "expected"),
    [
        (lambda ms: find(ms, "Kafka")["spec"]["kafka"]["listeners"][0].pop("networkPolicyPeers"), "no networkPolicyPeers"),
        (lambda ms: find(ms, "Kafka")["spec"]["kafka"]["listeners"][0]["networkPolicyPeers"][0]["podSelector"][
            "matchExpressions"][0]["values"].remove("iot-ingest"), "iot-ingest: holds the Kafka credentials"),
        (lambda ms: find(ms, "Kafka")["spec"]["kafka"]["listeners"][0]["networkPolicyPeers"][0]["podSelector"][
            "matchExpressions"][0]["values"].append("iot-mock-api"), "may reach Kafka without its credentials"),
        (lambda ms: find(ms, "NetworkPolicy", "iot-cassandra")["spec"]["ingress"][0]["from"].pop(0),
         "iot-hourly-region-means: holds the Cassandra credentials"),
        (lambda ms: find(ms, "NetworkPolicy", "iot-cassandra")["spec"]["podSelector"]["matchLabels"].update(
            {"cassandra.datastax.com/cluster": "other"}), "no NetworkPolicy guards Cassandra"),
        (lambda ms: find(ms, "PodDisruptionBudget")["spec"]["selector"]["matchLabels"].update(app="flink"), "selects no pods"),
        (lambda ms: find(ms, "PodDisruptionBudget")["spec"].update(maxUnavailable=0), "exactly one pod down"),
    ],
    ids=["kafka-open", "ingest-shut-out", "mock-let-in", "job-shut-out-of-cassandra", "cassandra-unguarded",
         "budget-selects-nothing", "budget-blocks-drains"],
)  # fmt: skip
def test_network_and_disruption_checks_catch_a_broken_copy(manifests: list[Manifest], break_it: Callable, expected: str) -> None:
    break_it(manifests)
    problems = checks.network_policy_problems(manifests) + checks.disruption_budget_problems(manifests)
    assert any(expected in problem for problem in problems), problems


# --- What the alert rules read on the cluster ---------------------------------------------------


def _kube_state_metrics(ms: list[Manifest]) -> dict[str, Any]:
    return _container(find(ms, "Deployment", "iot-kube-state-metrics"), "kube-state-metrics")


def _resources(ms: list[Manifest], resources: str) -> None:
    args = _kube_state_metrics(ms)["args"]
    args[:] = [f"--resources={resources}" if arg.startswith("--resources=") else arg for arg in args]


def _rule(ms: list[Manifest], alert: str) -> dict[str, Any]:
    groups = find(ms, "Rules")["spec"]["groups"]
    return next(rule for group in groups for rule in group["rules"] if rule.get("alert") == alert)


# The keep-list of Google's example PodMonitoring for kube-state-metrics (prometheus-engine,
# examples/kube-state-metrics/kube-state-metrics.yaml): it drops kube_job_status_failed.
GOOGLE_CURATED = ("kube_(daemonset|deployment|replicaset|pod|namespace|node|statefulset|persistentvolume"
                  "|horizontalpodautoscaler|job_created)(_.+)?")
NO_JOBS_WATCHED = "kube_job_status_failed (read by IotReconcileFailed): no kube-state-metrics deployed watches its resource"
NOT_SCRAPED = ("kube_job_status_failed (read by IotReconcileFailed): "
               "no PodMonitoring scrapes Deployment/iot-kube-state-metrics and keeps it")


@pytest.mark.parametrize(
    ("break_it", "packages", "expected"),
    [
        (lambda ms: _resources(ms, "cronjobs,persistentvolumeclaims"), {"KUBELET"}, NO_JOBS_WATCHED),
        (lambda ms: ms.remove(next(m for m in ms if m.kind == "Deployment" and m.name == "iot-kube-state-metrics")),
         {"KUBELET"}, NO_JOBS_WATCHED),
        (lambda ms: ms.remove(next(m for m in ms if m.kind == "PodMonitoring" and m.name == "iot-kube-state-metrics")),
         {"KUBELET"}, NOT_SCRAPED),
        (lambda ms: find(ms, "PodMonitoring", "iot-kube-state-metrics")["spec"]["endpoints"][0].update(port="telemetry"),
         {"KUBELET"}, NOT_SCRAPED),
        (lambda ms: find(ms, "PodMonitoring", "iot-kube-state-metrics")["spec"]["endpoints"][0].update(
            metricRelabeling=[{"action": "keep", "regex": GOOGLE_CURATED, "sourceLabels": ["__name__"]}]),
         {"KUBELET"}, NOT_SCRAPED),
        (lambda ms: None, {"SYSTEM", "CADVISOR"},
         "kubelet_volume_stats_available_bytes (read by IotDiskFilling): GKE's Kubelet package is not turned on"),
        (lambda ms: _rule(ms, "IotKafkaProbeFailing").update(expr="absent(iot_probe_last_success_timestamp_seconds)"),
         {"KUBELET"}, "iot_probe_last_success_timestamp_seconds (read by IotKafkaProbeFailing): nothing deployed makes it"),
        (lambda ms: ms.remove(next(m for m in ms if m.kind == "PodMonitoring" and m.name == "iot-flink")), {"KUBELET"},
         "flink_jobmanager_job_numRestarts (read by IotJobNotRunning, IotJobRestarting): no PodMonitoring scrapes"),
    ],
    ids=["jobs-not-watched", "no-kube-state-metrics", "not-scraped", "scraped-on-its-own-port", "google-keep-list",
         "no-kubelet-package", "unknown-metric", "flink-not-scraped"],
)  # fmt: skip
def test_metric_source_check_catches_a_broken_copy(
    manifests: list[Manifest], break_it: Callable, packages: set[str], expected: str
) -> None:
    break_it(manifests)
    problems = checks.metric_source_problems(manifests, packages)
    assert any(problem.startswith(expected) for problem in problems), problems


def test_the_gcp_cluster_turns_on_the_kubelet_package(gke_packages: set[str]) -> None:
    assert "KUBELET" in gke_packages
    assert checks.documented_gke_packages("gcloud container clusters create iot \\\n  --monitoring=SYSTEM,KUBELET") == {
        "SYSTEM", "KUBELET"}


def test_kube_state_metrics_names_its_metrics_after_the_resources() -> None:
    assert checks.reports("jobs", "kube_job_status_failed")
    assert not checks.reports("jobs", "kube_cronjob_next_schedule_time")
    assert checks.reports("ingresses", "kube_ingress_info")
    assert not checks.reports("persistentvolumes", "kube_persistentvolumeclaim_info")


@pytest.mark.parametrize(
    ("break_it", "expected"),
    [
        (lambda ms: find(ms, "Role", "iot-kube-state-metrics")["rules"][0].update(resources=["cronjobs"]),
         "may not list and watch jobs"),
        (lambda ms: find(ms, "Role", "iot-kube-state-metrics")["rules"][1].update(verbs=["list", "watch", "delete"]),
         "may delete persistentvolumeclaims"),
        (lambda ms: find(ms, "RoleBinding", "iot-kube-state-metrics")["subjects"][0].update(name="default"),
         "may not list and watch cronjobs"),
        (lambda ms: _resources(ms, "jobs,secrets"), "--resources names secrets"),
        (lambda ms: _kube_state_metrics(ms)["args"].pop(0), "no --resources"),
    ],
    ids=["jobs-not-granted", "write-verb", "unbound", "unknown-resource", "every-resource"],
)
def test_kube_state_metrics_rbac_check_catches_a_broken_copy(
    manifests: list[Manifest], break_it: Callable, expected: str
) -> None:
    break_it(manifests)
    problems = checks.kube_state_metrics_rbac_problems(manifests)
    assert any(expected in problem for problem in problems), problems


# --- What the pods request ----------------------------------------------------------------------

REQUESTS_SENTENCE = re.compile(r"requests\s+(\d+(?:\.\d+)?) CPUs\s+and\s+(\d+(?:\.\d+)?) GiB")


@pytest.mark.parametrize("doc", [DOCS, GCP_DOCS], ids=lambda path: path.name)
def test_the_documented_requests_are_those_of_the_manifests(loaded: list[Manifest], doc: Path) -> None:
    stated = REQUESTS_SENTENCE.findall(doc.read_text(encoding="utf-8"))
    cpu, memory = checks.steady_requests(loaded)
    assert stated == [(f"{cpu:.1f}", f"{memory / 2**30:.1f}")]


def test_the_request_sum_counts_replicas_and_units(manifests: list[Manifest]) -> None:
    cpu, memory = checks.steady_requests(manifests)
    find(manifests, "KafkaNodePool")["spec"].update(replicas=4)
    find(manifests, "FlinkDeployment")["spec"]["job"].update(parallelism=4)  # 2 slots each: a second TaskManager
    more_cpu, more_memory = checks.steady_requests(manifests)
    assert more_cpu == pytest.approx(cpu + 1 + 2)
    assert more_memory == pytest.approx(memory + 2 * 2**30 + 4096 * 2**20)
    assert checks.quantity("100m") == pytest.approx(0.1)
    assert checks.quantity("1600m", checks.FLINK_UNITS) == 1600 * 2**20
    with pytest.raises(ValueError, match="no quantity"):
        checks.quantity("2 GiB")
