"""Checks of the Kubernetes manifests in deploy/k8s/: JSON schemas, and what no schema can say.

The schemas are vendored in tests/deploy/schemas/ (PROVENANCE.md says where each comes from).
Every check takes the loaded documents and returns a list of problems (empty: fine), so a test
can assert both that the real files pass and that a deliberately broken copy is caught.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from settings import JobSettings, Settings
from tests.deploy.compose_checks import SECRET_NAME, plain_settings_variables, reads_secret_file
from tests.monitoring.prometheus_queries import metric_names

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
SCHEMAS = Path(__file__).parent / "schemas"
KUBERNETES = SCHEMAS / "kubernetes-1.33"
KUSTOMIZATION = "kustomization.yaml"
DEFINITIONS = "https://kubernetes.io/api/_definitions.json#/$defs/"

# Core kinds: the strict schemas of the kubernetes-validate wheel, named as it names them.
# Custom resources: the operators' own CRDs, from their Maven Central artifacts, one folder per
# API group. Custom resources whose CRD no reachable registry ships: trimmed schemas written by
# hand, in handwritten/ (PROVENANCE.md).
CRD_FOLDERS = {"flink.apache.org": "flink-kubernetes-operator-1.10.0", "kafka.strimzi.io": "strimzi-0.51.0"}
KUSTOMIZE_SCHEMA = "handwritten/kustomization-v1beta1.json"
# The newest FlinkDeployment CRD on Maven Central here is operator 1.10.0's, which predates
# Flink 2; later operators only add these values to spec.flinkVersion (PROVENANCE.md).
FLINK_VERSIONS_AFTER_OPERATOR_1_10 = ("v2_0", "v2_1", "v2_2")

RFC1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
JAVA_AGENT_PORT = re.compile(r"^-javaagent:[^=]+=(?:[^:]+:)?(\d+):")
OBJECT_STORE = re.compile(r"^(gs|s3)://([a-z0-9][a-z0-9._-]{1,221}[a-z0-9])/")


@dataclass
class Manifest:
    """One document of one file of deploy/k8s/."""

    file: str
    doc: dict[str, Any]

    @property
    def kind(self) -> str:
        return self.doc.get("kind", "")

    @property
    def name(self) -> str:
        return (self.doc.get("metadata") or {}).get("name", "")

    def __str__(self) -> str:
        return f"{self.file}: {self.kind}/{self.name}"


def load_kustomization(folder: Path = K8S) -> dict[str, Any]:
    return yaml.safe_load((folder / KUSTOMIZATION).read_text(encoding="utf-8"))


def load_manifests(folder: Path = K8S) -> list[Manifest]:
    """Every document of every file the kustomization lists, in its order."""
    return [
        Manifest(name, doc)
        for name in load_kustomization(folder).get("resources", [])
        for doc in yaml.safe_load_all((folder / name).read_text(encoding="utf-8"))
        if doc is not None
    ]


def of_kind(manifests: Iterable[Manifest], kind: str) -> list[Manifest]:
    return [manifest for manifest in manifests if manifest.kind == kind]


# --- JSON schemas -----------------------------------------------------------------------------


def strict_crd_schema(schema: Any) -> Any:
    """An openAPIV3Schema as Kubernetes applies it with strict field validation (kubectl's
    default): an object with declared properties accepts no other field unless it preserves
    unknown fields, and ``nullable`` admits null."""
    if isinstance(schema, list):
        return [strict_crd_schema(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out = {key: strict_crd_schema(value) for key, value in schema.items()}
    if "properties" in out:
        out["properties"] = {name: strict_crd_schema(value) for name, value in schema["properties"].items()}
        if "additionalProperties" not in out and not out.get("x-kubernetes-preserve-unknown-fields"):
            out["additionalProperties"] = False
    if out.pop("nullable", False) and "type" in out:
        out["type"] = [out["type"], "null"]
    return out


@functools.cache
def load_crd(path: Path) -> dict[str, Any]:
    return yaml.load(path.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def crd_schema(relative: str, api_version: str, kind: str) -> dict[str, Any]:
    """The JSON schema of one served version of a vendored CRD, apiVersion and kind pinned."""
    crd = load_crd(SCHEMAS / relative)
    version = api_version.split("/")[1]
    served = {item["name"]: item for item in crd["spec"]["versions"] if item.get("served", True)}
    schema = strict_crd_schema(served[version]["schema"]["openAPIV3Schema"])
    schema["properties"].update(apiVersion={"const": api_version}, kind={"const": kind})
    schema["properties"]["metadata"] = {"$ref": DEFINITIONS + "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"}
    schema["required"] = sorted({*schema.get("required", []), "apiVersion", "kind", "metadata"})
    if kind == "FlinkDeployment":
        versions = schema["properties"]["spec"]["properties"]["flinkVersion"]["enum"]
        versions += [version for version in FLINK_VERSIONS_AFTER_OPERATOR_1_10 if version not in versions]
    return schema


def _read_json(relative: str) -> dict[str, Any]:
    return json.loads((SCHEMAS / relative).read_text(encoding="utf-8"))


@functools.cache
def registry() -> Registry:
    """The Kubernetes definitions every schema may refer to."""
    definitions = _read_json("kubernetes-1.33/_definitions.json")
    return Registry().with_resource(definitions["$id"], Resource.from_contents(definitions))


def core_schema_file(api_version: str, kind: str) -> Path:
    """kubernetes-validate's file name: rbac.authorization.k8s.io/v1 Role -> role-rbac-v1.json."""
    group_version = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
    return KUBERNETES / f"{kind.lower()}-{group_version}.json"


@functools.cache
def crd_file(api_version: str, kind: str) -> Path | None:
    """The vendored CRD of ``kind`` in the folder of its API group."""
    folder = CRD_FOLDERS.get(api_version.split("/")[0])
    for path in sorted((SCHEMAS / folder).glob("*.y*ml")) if folder else []:
        if load_crd(path)["spec"]["names"]["kind"] == kind:
            return path
    return None


@functools.cache
def schema_for(api_version: str, kind: str) -> dict[str, Any] | None:
    core = core_schema_file(api_version, kind)
    crd = crd_file(api_version, kind)
    handwritten = SCHEMAS / "handwritten" / f"{kind.lower()}-{api_version.split('/')[-1]}.json"
    if core.is_file():
        return json.loads(core.read_text(encoding="utf-8"))
    if crd is not None:
        return crd_schema(crd.relative_to(SCHEMAS).as_posix(), api_version, kind)
    if handwritten.is_file():
        schema = json.loads(handwritten.read_text(encoding="utf-8"))
        if schema["properties"]["apiVersion"].get("const") != api_version:
            return None
        schema["properties"]["metadata"] = {"$ref": DEFINITIONS + "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"}
        return schema
    return None


def validation_errors(schema: dict[str, Any], document: Any) -> list[str]:
    validator = Draft202012Validator(schema, registry=registry())
    return [
        f"{'/'.join(str(part) for part in error.absolute_path) or '<root>'}: {error.message[:300]}"
        for error in sorted(validator.iter_errors(document), key=lambda error: list(map(str, error.absolute_path)))
    ]


def schema_errors(manifest: Manifest) -> list[str]:
    """What the schema of the document's apiVersion and kind rejects; a kind without one fails."""
    schema = schema_for(manifest.doc.get("apiVersion", ""), manifest.kind)
    if schema is None:
        return [f"{manifest}: no vendored schema for {manifest.doc.get('apiVersion')} {manifest.kind}"]
    return [f"{manifest}: {error}" for error in validation_errors(schema, manifest.doc)]


def kustomization_errors(kustomization: dict[str, Any], configurations: Iterable[Any] = ()) -> list[str]:
    schema = _read_json(KUSTOMIZE_SCHEMA)
    problems = [f"{KUSTOMIZATION}: {error}" for error in validation_errors(schema, kustomization)]
    configuration_schema = {**schema["$defs"]["Configurations"], "$defs": schema["$defs"]}
    for configuration in configurations:
        problems += [f"configurations: {error}" for error in validation_errors(configuration_schema, configuration)]
    return problems


# --- Pods, containers, their settings and secrets --------------------------------------------


def pod_specs(manifest: Manifest) -> list[dict[str, Any]]:
    """The pod specs a document defines (a FlinkDeployment has up to three pod templates)."""
    spec = manifest.doc.get("spec") or {}
    if manifest.kind in ("Deployment", "Job"):
        return [spec.get("template", {}).get("spec", {})]
    if manifest.kind == "CronJob":
        return [spec.get("jobTemplate", {}).get("spec", {}).get("template", {}).get("spec", {})]
    if manifest.kind == "FlinkDeployment":
        roles = ("jobManager", "taskManager")
        templates = [spec.get("podTemplate")] + [(spec.get(role) or {}).get("podTemplate") for role in roles]
        return [template.get("spec", {}) for template in templates if template]
    return []


def containers(pod: dict[str, Any]) -> list[dict[str, Any]]:
    return (pod.get("initContainers") or []) + (pod.get("containers") or [])


def all_containers(manifests: Iterable[Manifest]) -> Iterator[tuple[Manifest, dict[str, Any], dict[str, Any]]]:
    for manifest in manifests:
        for pod in pod_specs(manifest):
            for container in containers(pod):
                yield manifest, pod, container


def config_maps(manifests: Iterable[Manifest]) -> dict[str, dict[str, str]]:
    return {manifest.name: manifest.doc.get("data") or {} for manifest in of_kind(manifests, "ConfigMap")}


def environment(container: dict[str, Any], maps: dict[str, dict[str, str]]) -> dict[str, str | None]:
    """The container's variables, those of its ConfigMaps first; None for a valueFrom."""
    env: dict[str, str | None] = {}
    for source in container.get("envFrom") or []:
        env.update(maps.get((source.get("configMapRef") or {}).get("name", ""), {}))
    for item in container.get("env") or []:
        env[item["name"]] = item.get("value") if "valueFrom" not in item else None
    return env


def secret_volumes(pod: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Volume name -> its ``secret`` source."""
    return {volume["name"]: volume["secret"] for volume in pod.get("volumes") or [] if "secret" in volume}


def mounted_secret_files(pod: dict[str, Any], container: dict[str, Any]) -> dict[str, tuple[str, str | None]]:
    """Path in the container -> (Secret, key); a key of None: the whole Secret is a folder there."""
    volumes = secret_volumes(pod)
    files: dict[str, tuple[str, str | None]] = {}
    for mount in container.get("volumeMounts") or []:
        source = volumes.get(mount["name"])
        if source is None:
            continue
        items = source.get("items")
        if not items:
            files[mount["mountPath"].rstrip("/") + "/"] = (source["secretName"], None)
        for item in items or []:
            files[f"{mount['mountPath'].rstrip('/')}/{item['path']}"] = (source["secretName"], item["key"])
    return files


def secret_for_file(files: dict[str, tuple[str, str | None]], path: str) -> tuple[str, str] | None:
    """(Secret, key) that a file path of the container comes from, if any."""
    if path in files:
        secret, key = files[path]
        return secret, key or ""
    for prefix, (secret, key) in files.items():
        if key is None and prefix.endswith("/") and path.startswith(prefix) and "/" not in path[len(prefix) :]:
            return secret, path[len(prefix) :]
    return None


def unknown_variables(manifests: list[Manifest]) -> list[str]:
    """IOT_* variables (set in env or in a ConfigMap) that settings/__init__.py does not read."""
    plain = plain_settings_variables()
    named = {(str(m), name) for m in of_kind(manifests, "ConfigMap") for name in m.doc.get("data") or {}}
    named |= {(str(m), item["name"]) for m, _, container in all_containers(manifests) for item in container.get("env") or []}
    return sorted(
        f"{where}: {variable} is not read by settings/__init__.py"
        for where, variable in named
        if variable.startswith("IOT_")
        and variable not in plain
        and not (variable.endswith("_FILE") and reads_secret_file(variable))
    )


def invalid_values(manifests: list[Manifest]) -> list[str]:
    """IOT_* values, as each container sees them, that Settings.from_env rejects."""
    maps = config_maps(manifests)
    problems = []
    for manifest, _, container in all_containers(manifests):
        env = {
            key: value
            for key, value in environment(container, maps).items()
            if key.startswith("IOT_") and not key.endswith("_FILE") and value is not None
        }
        try:
            Settings.from_env(env)
        except ValueError as error:
            problems.append(f"{manifest} ({container['name']}): {error}")
    return problems


def inlined_secrets(manifests: list[Manifest]) -> list[str]:
    """Credentials only as *_FILE variables naming a file of a Secret mounted in that container;
    no Secret with data in the manifests, no credential in a ConfigMap."""
    problems = [f"{m}: a Secret with data in the manifests"
                for m in of_kind(manifests, "Secret") if m.doc.get("data") or m.doc.get("stringData")]
    problems += [
        f"{m}: {key} looks like a credential in a ConfigMap"
        for m in of_kind(manifests, "ConfigMap")
        for key in m.doc.get("data") or {}
        if SECRET_NAME.search(key)
    ]
    maps = config_maps(manifests)
    for manifest, pod, container in all_containers(manifests):
        files = mounted_secret_files(pod, container)
        for variable, value in environment(container, maps).items():
            if not SECRET_NAME.search(variable):
                continue
            if not variable.endswith("_FILE"):
                problems.append(f"{manifest} ({container['name']}): {variable} holds a credential; "
                                f"use {variable}_FILE and a Secret")
            elif value is None or secret_for_file(files, value) is None:
                problems.append(f"{manifest} ({container['name']}): {variable}={value} "
                                "is no file of a Secret mounted in the container")
    return problems


def unread_secrets(manifests: list[Manifest]) -> list[str]:
    """A Secret mounted where neither a *_FILE variable nor the container's command names it is
    a credential handed out for nothing."""
    maps = config_maps(manifests)
    problems = []
    for manifest, pod, container in all_containers(manifests):
        named = {value for key, value in environment(container, maps).items() if key.endswith("_FILE") and value}
        script = " ".join(str(word) for word in (container.get("command") or []) + (container.get("args") or []))
        for path, (secret, _) in mounted_secret_files(pod, container).items():
            used = (
                any(name == path or (path.endswith("/") and name.startswith(path)) for name in named)
                or path.rstrip("/") in script
            )
            if not used:
                problems.append(f"{manifest} ({container['name']}): Secret {secret} mounted at {path} is read by nothing")
    return problems


def referenced_secrets(manifests: Iterable[Manifest]) -> dict[str, set[str]]:
    """Secret -> the keys the manifests read from it ('' when a whole Secret is mounted)."""
    refs: dict[str, set[str]] = {}
    for manifest in manifests:
        for pod in pod_specs(manifest):
            for source in secret_volumes(pod).values():
                keys = {item["key"] for item in source.get("items") or []} or {""}
                refs.setdefault(source["secretName"], set()).update(keys)
            for container in containers(pod):
                for item in container.get("env") or []:
                    ref = (item.get("valueFrom") or {}).get("secretKeyRef")
                    if ref:
                        refs.setdefault(ref["name"], set()).add(ref["key"])
                for source in container.get("envFrom") or []:
                    if "secretRef" in source:
                        refs.setdefault(source["secretRef"]["name"], set()).add("")
        if manifest.kind == "K8ssandraCluster":
            ref = ((manifest.doc["spec"].get("cassandra") or {}).get("superuserSecretRef") or {}).get("name")
            if ref:
                refs.setdefault(ref, set()).add("")
    return refs


def operator_secrets(manifests: Iterable[Manifest]) -> dict[str, set[str]]:
    """Secrets the operators create from the manifests, with their keys: Strimzi's User Operator
    one per SCRAM KafkaUser, K8ssandra the superuser's unless superuserSecretRef names one."""
    made = {
        m.name: {"password", "sasl.jaas.config"}
        for m in of_kind(manifests, "KafkaUser")
        if (m.doc["spec"].get("authentication") or {}).get("type") == "scram-sha-512"
    }
    for m in of_kind(manifests, "K8ssandraCluster"):
        if not ((m.doc["spec"].get("cassandra") or {}).get("superuserSecretRef") or {}).get("name"):
            made[f"{m.name}-superuser"] = {"username", "password"}
    return made


def documented_secrets(markdown: str) -> dict[str, set[str]]:
    """Secrets the Secrets table of docs/kubernetes.md says you create, with their keys: rows
    ``| `name` | you ... | `key`, `key` | ... |``."""
    rows = re.findall(r"^\|\s*`([a-z0-9.-]+)`\s*\|\s*you\b[^|]*\|([^|]*)\|", markdown, re.MULTILINE)
    return {name: set(re.findall(r"`([^`]+)`", keys)) for name, keys in rows}


def unsourced_secrets(manifests: list[Manifest], documented: dict[str, set[str]]) -> list[str]:
    """Each Secret read must be made by an operator from these manifests or be documented as
    made by you, and hold the keys read from it."""
    known = {**documented, **operator_secrets(manifests)}
    problems = []
    for secret, keys in sorted(referenced_secrets(manifests).items()):
        if secret not in known:
            problems.append(f"Secret {secret} is neither made by an operator here nor in the Secrets table of docs/kubernetes.md")
        elif missing := sorted(keys - known[secret] - {""}):
            problems.append(f"Secret {secret} has no key {', '.join(missing)}")
    return problems


# --- Images and commands -----------------------------------------------------------------------


# Images of what only a cluster runs (the local stack has no Kubernetes to report on), each
# pinned to a release: kube-state-metrics (kube-state-metrics.yaml).
CLUSTER_ONLY_IMAGES = {"registry.k8s.io/kube-state-metrics/kube-state-metrics"}
RELEASE_TAG = re.compile(r"^v\d+\.\d+\.\d+$")


def cluster_only_image(image: str | None) -> bool:
    if image is None:
        return False
    repository, _, tag = image.rpartition(":")
    return repository in CLUSTER_ONLY_IMAGES and bool(RELEASE_TAG.match(tag))


def image_problems(manifests: list[Manifest], ours: str, others: set[str]) -> list[str]:
    """Our workloads run image ``ours`` (retagged by the kustomization); any other image must
    be one docker/compose.yaml already runs, or a release of a cluster-only tool."""
    problems = []
    for manifest in of_kind(manifests, "FlinkDeployment"):
        if manifest.doc["spec"].get("image") != ours:
            problems.append(f"{manifest}: spec.image is {manifest.doc['spec'].get('image')!r}, not {ours!r}")
    for manifest, _, container in all_containers(manifests):
        image = container.get("image")
        if manifest.kind == "FlinkDeployment" and image is None:
            continue  # the operator fills in spec.image
        if image != ours and image not in others and not cluster_only_image(image):
            problems.append(f"{manifest} ({container['name']}): image {image!r} is neither {ours!r}, nor one of compose's, "
                            "nor a release of a cluster-only tool")
    return problems


def program(command: list[str]) -> str:
    """What a container runs: the command itself, or the program a ``bash -c 'exec ...'`` becomes."""
    if command[:2] == ["bash", "-c"] and len(command) > 2 and (words := command[2].split())[:1] == ["exec"]:
        return words[1] if len(words) > 1 else ""
    return command[0]


def command_problems(manifests: list[Manifest], ours: str, console_scripts: set[str]) -> list[str]:
    """Containers of our image run one of our console scripts (a shell only to compute its arguments)."""
    return [
        f"{manifest} ({container['name']}): runs {program(command)!r}, which pyproject.toml does not install"
        for manifest, _, container in all_containers(manifests)
        if container.get("image") == ours
        and (command := container.get("command") or [])
        and program(command) not in console_scripts
    ]


# --- Kafka -------------------------------------------------------------------------------------


def settings_of(manifests: list[Manifest], config_map: str = "iot-settings") -> Settings:
    """The settings our workloads share, as the ConfigMap sets them."""
    env = {key: value for key, value in config_maps(manifests).get(config_map, {}).items() if not key.endswith("_FILE")}
    return Settings.from_env(env)


def job_settings(manifests: list[Manifest]) -> JobSettings:
    """The job's settings as its JobManager, where the job graph is built, reads them."""
    maps = config_maps(manifests)
    for manifest in of_kind(manifests, "FlinkDeployment"):
        template = (manifest.doc["spec"].get("jobManager") or {}).get("podTemplate") or {}
        for container in containers(template.get("spec") or {}):
            if container.get("name") == "flink-main-container":
                env = environment(container, maps)
                return Settings.from_env({k: v for k, v in env.items() if v is not None and not k.endswith("_FILE")}).job
    return JobSettings()


def kafka_problems(manifests: list[Manifest]) -> list[str]:
    """Topics, listener, user and ACLs agree with the settings our code reads."""
    kafka, job = settings_of(manifests).kafka, job_settings(manifests)
    problems = []
    clusters = {m.name: m for m in of_kind(manifests, "Kafka")}
    for m in of_kind(manifests, "KafkaTopic") + of_kind(manifests, "KafkaUser") + of_kind(manifests, "KafkaNodePool"):
        if (m.doc["metadata"].get("labels") or {}).get("strimzi.io/cluster") not in clusters:
            problems.append(f"{m}: label strimzi.io/cluster names no Kafka of the manifests")
    topics = {(m.doc["spec"].get("topicName") or m.name): m for m in of_kind(manifests, "KafkaTopic")}
    if set(topics) != set(kafka.topics):
        problems.append(f"KafkaTopics {sorted(topics)} are not the topics of the settings {sorted(kafka.topics)}")
    for m in topics.values():
        spec = m.doc["spec"]
        if spec.get("partitions") != kafka.partitions:
            problems.append(f"{m}: {spec.get('partitions')} partitions, the settings say {kafka.partitions}")
        if spec.get("replicas") != kafka.replication_factor:
            problems.append(f"{m}: {spec.get('replicas')} replicas, the settings say {kafka.replication_factor}")
        if int((spec.get("config") or {}).get("min.insync.replicas", 1)) >= spec.get("replicas", 1):
            problems.append(f"{m}: min.insync.replicas leaves no replica to lose")
    listeners = {
        f"{cluster}-kafka-bootstrap:{listener['port']}": listener
        for cluster, m in clusters.items()
        for listener in m.doc["spec"]["kafka"].get("listeners") or []
    }
    listener = listeners.get(kafka.bootstrap_servers)
    if listener is None:
        problems.append(f"IOT_KAFKA_BOOTSTRAP_SERVERS={kafka.bootstrap_servers} "
                        f"is no listener of the Kafka resources ({sorted(listeners)})")
    elif kafka.sasl_username and (
        (listener.get("authentication") or {}).get("type") != kafka.sasl_mechanism.lower() or listener.get("tls")
    ):
        problems.append(f"listener {listener.get('name')} does not speak SASL_PLAINTEXT {kafka.sasl_mechanism}, "
                        "which our clients use")
    users = {m.name: m for m in of_kind(manifests, "KafkaUser")}
    user = users.get(kafka.sasl_username)
    if kafka.sasl_username and user is None:
        problems.append(f"IOT_KAFKA_SASL_USERNAME={kafka.sasl_username} is no KafkaUser of the manifests")
    if user is not None:
        problems += acl_problems(user, kafka.topics, job)
    return problems


def acl_problems(user: Manifest, topics: tuple[str, ...], job: JobSettings) -> list[str]:
    """The user may do what the pipeline does: produce and consume its topics, commit the job's
    offsets, and run the transactions of the job's exactly-once sinks."""
    authorization = user.doc["spec"].get("authorization")
    if authorization is None:
        return []

    def allowed(kind: str, name: str, operation: str) -> bool:
        for acl in authorization.get("acls") or []:
            resource = acl["resource"]
            matches = (
                resource.get("name", "") == name
                or (resource.get("patternType") == "prefix" and name.startswith(resource.get("name", "")))
                or resource.get("name") == "*"
            )
            if acl.get("type", "allow") == "allow" and resource["type"] == kind and (kind == "cluster" or matches):
                if operation in acl.get("operations", []) or "All" in acl.get("operations", []):
                    return True
        return False

    needed = [("topic", topic, operation) for topic in topics for operation in ("Read", "Write", "Describe")]
    needed += [("group", job.consumer_group, "Read"), ("transactionalId", f"{job.name}-", "Write")]
    return [f"{user}: no ACL allows {operation} on {kind} {name}"
            for kind, name, operation in needed if not allowed(kind, name, operation)]


# --- Cassandra ---------------------------------------------------------------------------------


def cassandra_problems(manifests: list[Manifest], compose_major: str) -> list[str]:
    """IOT_CASSANDRA_HOST is cass-operator's service of a datacenter big enough for the
    replication factor, running the Cassandra major version of compose."""
    cassandra = settings_of(manifests).cassandra
    services = {}
    for m in of_kind(manifests, "K8ssandraCluster"):
        spec = m.doc["spec"]["cassandra"]
        for dc in spec.get("datacenters") or []:
            version = dc.get("serverVersion", spec.get("serverVersion", ""))
            services[f"{spec.get('clusterName', m.name)}-{dc['metadata']['name']}-service"] = (m, dc, version)
    if cassandra.host not in services:
        return [f"IOT_CASSANDRA_HOST={cassandra.host} is no datacenter service of the K8ssandraClusters ({sorted(services)})"]
    m, dc, version = services[cassandra.host]
    problems = []
    if cassandra.replication_factor > dc["size"]:
        problems.append(f"{m}: replication factor {cassandra.replication_factor} on {dc['size']} nodes")
    if not version.startswith(f"{compose_major}."):
        problems.append(f"{m}: Cassandra {version}, where compose runs {compose_major}")
    if not m.doc["spec"].get("auth", True) and cassandra.username:
        problems.append(f"{m}: authentication is off, but IOT_CASSANDRA_USERNAME is set")
    return problems


# The JMX exporter agent of Cassandra's pods: docker/Dockerfile copies build/lib/monitoring, the
# jar jvm/monitoring/pom.xml fetches from Maven Central, to this folder of our image.
IMAGE_AGENT_DIR = "/opt/iot/build/lib/monitoring"
JAVA_AGENT_JAR = re.compile(r"^-javaagent:([^=]+)=")


def fetched_jmx_agent(pom: str) -> str:
    """The file name of the JMX exporter agent a ``pom.xml`` (jvm/monitoring's) fetches."""
    found = re.search(r"<artifactId>jmx_prometheus_javaagent</artifactId>\s*<version>([^<]+)</version>", pom)
    if found is None:
        raise ValueError("the pom fetches no jmx_prometheus_javaagent")
    return f"jmx_prometheus_javaagent-{found.group(1)}.jar"


def jmx_agent_problems(manifests: list[Manifest], jar: str) -> list[str]:
    """Each Cassandra datacenter copies the agent ``jar`` out of our image and loads that very jar:
    after a version bump of the pom alone, a stale name would stop Cassandra from starting."""
    problems = []
    for m in of_kind(manifests, "K8ssandraCluster"):
        for dc in m.doc["spec"]["cassandra"].get("datacenters") or []:
            name = dc["metadata"]["name"]
            options = ((dc.get("config") or {}).get("jvmOptions") or {}).get("additionalOptions") or []
            loaded = [found.group(1) for option in options if (found := JAVA_AGENT_JAR.match(option))]
            if not loaded or any(Path(path).name != jar for path in loaded):
                problems.append(f"{m}: datacenter {name} loads the agents {loaded}, not {jar}")
            copies = [" ".join(container.get("command") or []) for container in dc.get("initContainers") or []]
            if not any(f"{IMAGE_AGENT_DIR}/{jar}" in command for command in copies):
                problems.append(f"{m}: datacenter {name}: no init container copies {IMAGE_AGENT_DIR}/{jar} from our image")
    return problems


# --- Surviving a zone ------------------------------------------------------------------------

ZONE = "topology.kubernetes.io/zone"


def zone_problems(manifests: list[Manifest]) -> list[str]:
    """A zone lost costs Kafka one replica of each partition and one KRaft voter, and Cassandra one
    replica of each row, with quorums left on both sides; voluntary evictions take one at a time."""
    problems = []
    for m in of_kind(manifests, "Kafka"):
        kafka = m.doc["spec"]["kafka"]
        if (kafka.get("rack") or {}).get("topologyKey") != ZONE:
            problems.append(f"{m}: no rack awareness on {ZONE}: a partition's replicas may share a zone")
        if (((kafka.get("template") or {}).get("podDisruptionBudget") or {}).get("maxUnavailable")) != 1:
            problems.append(f"{m}: the disruption budget does not keep evictions to one broker")
    for m in of_kind(manifests, "KafkaNodePool"):
        spread = (((m.doc["spec"].get("template") or {}).get("pod") or {}).get("topologySpreadConstraints")) or []
        if not any(c["topologyKey"] == ZONE and c.get("whenUnsatisfiable") == "DoNotSchedule" and c["maxSkew"] == 1
                   for c in spread):
            problems.append(f"{m}: no hard topology spread over zones: two nodes may share a zone")
        if m.doc["spec"]["replicas"] < 3:
            problems.append(f"{m}: {m.doc['spec']['replicas']} nodes cannot keep a KRaft quorum without one zone")
    cassandra = settings_of(manifests).cassandra
    for m in of_kind(manifests, "K8ssandraCluster"):
        for dc in m.doc["spec"]["cassandra"].get("datacenters") or []:
            zones = [(rack.get("nodeAffinityLabels") or {}).get(ZONE) for rack in dc.get("racks") or []]
            if len(zones) < 3 or None in zones or len(set(zones)) != len(zones):
                problems.append(f"{m}: datacenter {dc['metadata']['name']} has no rack per zone (racks in {zones})")
            if dc["metadata"]["name"] != cassandra.datacenter:
                problems.append(f"{m}: the keyspace is not replicated with NetworkTopologyStrategy in "
                                f"{dc['metadata']['name']} (IOT_CASSANDRA_DATACENTER={cassandra.datacenter!r})")
            if zones and cassandra.replication_factor % len(zones):
                problems.append(f"{m}: {cassandra.replication_factor} replicas do not spread evenly over {len(zones)} racks")
    if cassandra.consistency != "LOCAL_QUORUM":
        problems.append(f"IOT_CASSANDRA_CONSISTENCY={cassandra.consistency}: not LOCAL_QUORUM, so a zone lost may lose "
                        "acknowledged writes or stop reads")
    return problems


def selects(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    """Whether a label selector (matchLabels, matchExpressions with In) selects pods with ``labels``."""
    if not selector:
        return False
    expressions = selector.get("matchExpressions") or []
    return (selector.get("matchLabels") or {}).items() <= labels.items() and all(
        expression["operator"] == "In" and labels.get(expression["key"]) in expression["values"] for expression in expressions
    )


def workloads_with_secret(manifests: list[Manifest], secret: str) -> list[tuple[Manifest, dict[str, str]]]:
    """Our workloads (and the labels of their pods) that mount ``secret``: the clients of what it opens."""
    found = []
    for m in manifests:
        for pod in pod_specs(m):
            if any(source["secretName"] == secret for source in secret_volumes(pod).values()):
                labels = {"app": m.name} if m.kind == "FlinkDeployment" else workload_labels(m)
                found.append((m, labels))
                break
    return found


def workload_labels(m: Manifest) -> dict[str, str]:
    template = m.doc["spec"].get("jobTemplate", {}).get("spec", m.doc["spec"]).get("template", {})
    return template.get("metadata", {}).get("labels") or {}


def network_policy_problems(manifests: list[Manifest]) -> list[str]:
    """Kafka's listener and Cassandra's CQL port admit exactly the workloads holding their credentials."""
    problems = []
    peers = [peer.get("podSelector") or {} for m in of_kind(manifests, "Kafka")
             for listener in m.doc["spec"]["kafka"].get("listeners") or [] for peer in listener.get("networkPolicyPeers") or []]
    if not peers:
        problems.append("the Kafka listener has no networkPolicyPeers: Strimzi opens it to every pod")
    cql = [peer.get("podSelector") or {}
           for m in of_kind(manifests, "NetworkPolicy")
           if selects(m.doc["spec"]["podSelector"], {"cassandra.datastax.com/cluster": "iot-cassandra"})
           for rule in m.doc["spec"].get("ingress") or [] if any(p.get("port") == 9042 for p in rule.get("ports") or [])
           for peer in rule.get("from") or []]
    if not cql:
        problems.append("no NetworkPolicy guards Cassandra's CQL port")
    for service, secret, selectors in (("Kafka", "iot", peers), ("Cassandra", "iot-cassandra", cql)):
        clients = workloads_with_secret(manifests, secret)
        problems += [f"{m}: holds the {service} credentials but no NetworkPolicy lets it reach {service}"
                     for m, labels in clients if not any(selects(selector, labels) for selector in selectors)]
        # Besides the clients, only the service's own pods (its other nodes) may be let in.
        allowed = [labels for _, labels, _ in pod_labels(manifests) if any(selects(selector, labels) for selector in selectors)
                   and not any(key.startswith(("strimzi.io/", "cassandra.datastax.com/")) for key in labels)]
        client_labels = [labels for _, labels in clients]
        problems += [f"pods {labels} may reach {service} without its credentials"
                     for labels in allowed if labels not in client_labels]
    return problems


def disruption_budget_problems(manifests: list[Manifest]) -> list[str]:
    """Every PodDisruptionBudget selects pods of the manifests and lets one go at a time."""
    problems = []
    labels = [labels for _, labels, _ in pod_labels(manifests)]
    for m in of_kind(manifests, "PodDisruptionBudget"):
        if not any(selects(m.doc["spec"]["selector"], pod) for pod in labels):
            problems.append(f"{m}: selects no pods of the manifests")
        if m.doc["spec"].get("maxUnavailable") != 1:
            problems.append(f"{m}: does not allow exactly one pod down at a time")
    return problems



# --- What the pods request ----------------------------------------------------------------------

QUANTITY = re.compile(r"^(\d+(?:\.\d+)?)([a-zA-Z]*)$")
KUBERNETES_UNITS: dict[str, float] = {
    "": 1, "m": 1e-3, "k": 1e3, "M": 1e6, "G": 1e9, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40,
}
# Flink's MemorySize units, which the operator reads in spec.jobManager/taskManager.resource.memory.
FLINK_UNITS: dict[str, float] = {"": 1, "b": 1, "k": 2**10, "kb": 2**10, "m": 2**20, "mb": 2**20, "g": 2**30, "gb": 2**30}


def quantity(value: Any, units: dict[str, float] = KUBERNETES_UNITS) -> float:
    match = QUANTITY.match(str(value))
    if match is None or match.group(2) not in units:
        raise ValueError(f"{value!r} is no quantity")
    return float(match.group(1)) * units[match.group(2)]


def steady_requests(manifests: Iterable[Manifest]) -> tuple[float, float]:
    """(CPUs, bytes) that the always-running pods request, as the manifests set them: Deployments,
    Kafka and Cassandra nodes, the JobManager and the TaskManagers (parallelism over slots). Jobs
    and CronJobs come and go; the operators' own pods and sidecars are not in the manifests."""
    cpu = memory = 0.0

    def add(count: int, requests: dict[str, Any], units: dict[str, float] = KUBERNETES_UNITS) -> None:
        nonlocal cpu, memory
        cpu += count * quantity(requests.get("cpu", 0))
        memory += count * quantity(requests.get("memory", 0), units)

    for m in manifests:
        spec = m.doc.get("spec") or {}
        if m.kind == "Deployment":
            for container in containers(spec["template"]["spec"]):
                add(spec.get("replicas", 1), (container.get("resources") or {}).get("requests") or {})
        elif m.kind == "KafkaNodePool":
            add(spec["replicas"], (spec.get("resources") or {}).get("requests") or {})
        elif m.kind == "K8ssandraCluster":
            for dc in spec["cassandra"].get("datacenters") or []:
                add(dc["size"], (dc.get("resources") or {}).get("requests") or {})
        elif m.kind == "FlinkDeployment":
            slots = int((spec.get("flinkConfiguration") or {}).get("taskmanager.numberOfTaskSlots", 1))
            task_managers = -(-int((spec.get("job") or {}).get("parallelism", 1)) // slots)
            add(spec["jobManager"].get("replicas", 1), spec["jobManager"]["resource"], FLINK_UNITS)
            add(task_managers, spec["taskManager"]["resource"], FLINK_UNITS)
    return cpu, memory

# --- Flink -------------------------------------------------------------------------------------


def flatten(config: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in config.items():
        if isinstance(value, dict):
            flat.update(flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def flink_memory_problems(deployment: Manifest, local_config: dict[str, Any]) -> list[str]:
    """The pods get the process sizes of flink-conf/config.yaml (flinkConfiguration itself is
    rendered from flink-conf/ by flink-conf/render.py, tests/deploy/test_flink_conf_render.py)."""
    spec = deployment.doc["spec"]
    local = flatten(local_config)
    problems = []
    for role, key in (("jobManager", "jobmanager.memory.process.size"), ("taskManager", "taskmanager.memory.process.size")):
        memory = ((spec.get(role) or {}).get("resource") or {}).get("memory")
        if memory != local.get(key):
            problems.append(f"{deployment}: {role} memory {memory!r}, flink-conf/config.yaml says {local.get(key)!r}")
    return problems


def flink_state_problems(deployment: Manifest) -> list[str]:
    """Checkpoints, savepoints and HA metadata in one object-store bucket, Kubernetes HA, and
    upgrades through savepoints of retained checkpoints."""
    spec = deployment.doc["spec"]
    conf = spec.get("flinkConfiguration") or {}
    problems = []
    buckets = set()
    for key in ("execution.checkpointing.dir", "execution.checkpointing.savepoint-dir", "high-availability.storageDir"):
        match = OBJECT_STORE.match(conf.get(key, ""))
        if match is None:
            problems.append(f"{deployment}: {key}={conf.get(key)!r} is not on gs:// or s3://")
        else:
            buckets.add(match.group(0))
    if len(buckets) > 1:
        problems.append(f"{deployment}: state spread over {sorted(buckets)}")
    schemes = {bucket.split(":")[0] for bucket in buckets}
    plugins = {conf.get(f"containerized.{role}.env.ENABLE_BUILT_IN_PLUGINS", "") for role in ("master", "taskmanager")}
    for scheme in schemes:
        if not all(plugin.startswith(f"flink-{scheme}-fs-") for plugin in plugins):
            problems.append(f"{deployment}: the {scheme}:// filesystem plugin is not enabled on both JobManager and TaskManagers")
    if conf.get("high-availability.type") != "kubernetes":
        problems.append(f"{deployment}: high-availability.type is not kubernetes")
    if conf.get("execution.checkpointing.externalized-checkpoint-retention") != "RETAIN_ON_CANCELLATION":
        problems.append(f"{deployment}: checkpoints are not retained on cancellation")
    if (spec.get("job") or {}).get("upgradeMode") != "savepoint":
        problems.append(f"{deployment}: upgradeMode is not savepoint")
    return problems


def flink_image_problems(deployment: Manifest, flink_version: str, python: str, workdir: str) -> list[str]:
    """The job runs the PythonDriver, plugins and interpreter of the image docker/ builds."""
    spec = deployment.doc["spec"]
    conf = spec.get("flinkConfiguration") or {}
    job = spec.get("job") or {}
    major, minor = flink_version.split(".")[:2]
    problems = []
    if spec.get("flinkVersion") != f"v{major}_{minor}":
        problems.append(f"{deployment}: flinkVersion {spec.get('flinkVersion')}, the image is Flink {flink_version}")
    if job.get("jarURI") != f"local:///opt/flink/opt/flink-python-{flink_version}.jar":
        problems.append(f"{deployment}: jarURI {job.get('jarURI')} is not the flink-python jar of Flink {flink_version}")
    if job.get("entryClass") != "org.apache.flink.client.python.PythonDriver":
        problems.append(f"{deployment}: entryClass is not the PythonDriver")
    for role in ("master", "taskmanager"):
        for plugin in filter(None, conf.get(f"containerized.{role}.env.ENABLE_BUILT_IN_PLUGINS", "").split(";")):
            if not plugin.endswith(f"-{flink_version}.jar"):
                problems.append(f"{deployment}: plugin {plugin} is not of Flink {flink_version}")
    args = [str(arg) for arg in job.get("args") or []]
    options = dict(zip(args[::2], args[1::2], strict=False))
    for key in ("python.executable", "python.client.executable"):
        if conf.get(key) != python:
            problems.append(f"{deployment}: {key} is {conf.get(key)!r}, the image's interpreter is {python}")
    if options.get("-pyclientexec", python) != python:
        problems.append(f"{deployment}: -pyclientexec {options['-pyclientexec']} is not {python}")
    script = options.get("-py", "")
    if not script.startswith(workdir + "/") or not (ROOT / script[len(workdir) + 1 :]).is_file():
        problems.append(f"{deployment}: -py {script!r} is no file of the repository copied to {workdir}")
    return problems


# --- Monitoring and the kustomization ----------------------------------------------------------


def pod_labels(manifests: Iterable[Manifest]) -> list[tuple[Manifest, dict[str, str], set[Any]]]:
    """(workload, labels of its pods, ports its pods serve metrics on)."""
    found = []
    for m in manifests:
        if m.kind in ("Deployment", "Job", "CronJob"):
            template = m.doc["spec"].get("jobTemplate", {}).get("spec", m.doc["spec"])["template"]
            ports = {p.get(key) for c in containers(template["spec"]) for p in c.get("ports") or []
                     for key in ("name", "containerPort")}
            found.append((m, template.get("metadata", {}).get("labels") or {}, ports))
        elif m.kind == "FlinkDeployment":
            port = (m.doc["spec"].get("flinkConfiguration") or {}).get("metrics.reporter.prom.port", "")
            found.append((m, {"app": m.name}, {int(port)} if port.isdigit() else set()))
        elif m.kind == "K8ssandraCluster":
            # cass-operator's label on every Cassandra pod; the ports of the JMX exporter agents.
            options = [option for dc in m.doc["spec"]["cassandra"].get("datacenters") or []
                       for option in ((dc.get("config") or {}).get("jvmOptions") or {}).get("additionalOptions") or []]
            ports = {int(match.group(1)) for option in options if (match := JAVA_AGENT_PORT.match(option))}
            found.append((m, {"cassandra.datastax.com/cluster": m.name}, ports))
        elif m.kind == "KafkaNodePool" and "broker" in m.doc["spec"].get("roles", []):
            labels = {"strimzi.io/cluster": m.doc["metadata"]["labels"]["strimzi.io/cluster"], "strimzi.io/broker-role": "true"}
            found.append((m, labels, {9404}))
    return found


def monitoring_problems(manifests: list[Manifest]) -> list[str]:
    """Every PodMonitoring selects pods of the manifests on a port they serve metrics on."""
    problems = []
    workloads = pod_labels(manifests)
    for m in of_kind(manifests, "PodMonitoring"):
        wanted = (m.doc["spec"].get("selector") or {}).get("matchLabels") or {}
        selected = [(w, ports) for w, labels, ports in workloads if wanted and wanted.items() <= labels.items()]
        if not selected:
            problems.append(f"{m}: selects no pods of the manifests")
        for endpoint in m.doc["spec"].get("endpoints") or []:
            for workload, ports in selected:
                if endpoint["port"] not in ports:
                    problems.append(f"{m}: {workload} serves no metrics on port {endpoint['port']}")
    return problems



# --- What the alert rules read on the cluster --------------------------------------------------

# The workload whose pods serve each family of metrics the alerts read, by name prefix. The
# kube_ family is kube-state-metrics', by the resources it watches (kube_state_metrics below).
EXPORTERS = (
    ("iot_ingest_", "Deployment/iot-ingest"),
    ("iot_pipeline_", "Deployment/iot-kafka-probe"),
    ("flink_", "FlinkDeployment/iot-hourly-region-means"),
    ("kafka_", "KafkaNodePool/iot-kafka-pool"),
    ("cassandra_", "K8ssandraCluster/iot-cassandra"),
)
KUBE_STATE_METRICS = "registry.k8s.io/kube-state-metrics/kube-state-metrics"
# The kubelet metrics of GKE's managed Kubelet package (gcloud container clusters ...
# --monitoring=...,KUBELET; docs.cloud.google.com/kubernetes-engine/docs/how-to/cadvisor-kubelet-metrics),
# as the keep-list of GoogleCloudPlatform/prometheus-engine's examples/kubelet-metrics.yaml names them.
GKE_KUBELET_PACKAGE = re.compile(
    r"kubelet_certificate_manager_server_ttl_seconds|kubelet_node_name|kubelet_pleg_relist_duration_seconds.*"
    r"|kubelet_pod_worker_duration_seconds.*|kubelet_running_containers|kubelet_running_pods"
    r"|kubelet_runtime_operations_total|kubelet_volume_stats_available_bytes|kubelet_volume_stats_capacity_bytes"
    r"|kubelet_volume_stats_inodes|kubelet_volume_stats_inodes_free|kubelet_volume_stats_inodes_used"
    r"|kubelet_volume_stats_used_bytes"
)
# Metrics an alert reads that only the local stack has: the node exporter's filesystems
# (IotDiskFilling's first half). A cluster's node disks are GKE's; its volumes are the kubelet's half.
LOCAL_ONLY = frozenset({"node_filesystem_avail_bytes", "node_filesystem_size_bytes"})


def workload_key(m: Manifest) -> str:
    return f"{m.kind}/{m.name}"


def rule_expressions(manifests: Iterable[Manifest]) -> list[tuple[str, str]]:
    """(rule name, expression) of every rule of the Rules resources."""
    return [(rule.get("alert") or rule.get("record", ""), rule["expr"])
            for m in of_kind(manifests, "Rules") for group in m.doc["spec"]["groups"] for rule in group["rules"]]


def documented_gke_packages(markdown: str) -> set[str]:
    """The GKE monitoring packages the docs' gcloud commands turn on (``--monitoring=SYSTEM,KUBELET``)."""
    return {package for values in re.findall(r"--monitoring=([A-Z_,]+)", markdown) for package in values.split(",")}


def kept(endpoint: dict[str, Any], metric: str) -> bool:
    """Whether ``metric`` survives the keep and drop rules on ``__name__`` of an endpoint's metricRelabeling."""
    for rule in endpoint.get("metricRelabeling") or []:
        if rule.get("sourceLabels") == ["__name__"] and rule.get("action") in ("keep", "drop"):
            if (re.fullmatch(rule.get("regex", "(.*)"), metric) is not None) != (rule["action"] == "keep"):
                return False
    return True


def scraping_endpoints(manifests: list[Manifest]) -> dict[str, list[dict[str, Any]]]:
    """Workload -> the PodMonitoring endpoints that scrape its pods on a port they serve metrics on."""
    found: dict[str, list[dict[str, Any]]] = {}
    workloads = pod_labels(manifests)
    for m in of_kind(manifests, "PodMonitoring"):
        for workload, labels, ports in workloads:
            if selects(m.doc["spec"].get("selector") or {}, labels):
                found.setdefault(workload_key(workload), []).extend(
                    endpoint for endpoint in m.doc["spec"].get("endpoints") or [] if endpoint["port"] in ports)
    return found


@dataclass
class KubeStateMetrics:
    """A kube-state-metrics container: what it watches and where it serves the metrics of it."""

    resources: set[str] | None  # None: its default, every kind of the API
    ports: set[Any]  # the number and name of its --port (not its --telemetry-port, its own metrics)


def kube_state_metrics(manifests: Iterable[Manifest]) -> dict[str, KubeStateMetrics]:
    """Workload -> its kube-state-metrics container."""
    found = {}
    for m, _, container in all_containers(manifests):
        if container.get("image", "").rpartition(":")[0] == KUBE_STATE_METRICS:
            flags = dict(arg.split("=", 1) for arg in container.get("args") or [] if "=" in arg)
            port = int(flags.get("--port", 8080))
            names = {p.get("name") for p in container.get("ports") or [] if p.get("containerPort") == port}
            resources = set(flags["--resources"].split(",")) if "--resources" in flags else None
            found[workload_key(m)] = KubeStateMetrics(resources, {port} | names - {None})
    return found


def reports(resource: str, metric: str) -> bool:
    """Whether kube-state-metrics names ``metric`` after ``resource``: jobs -> kube_job_*, ingresses -> kube_ingress_*."""
    singular = resource[:-2] if resource.endswith("sses") else resource[:-1]
    return metric.startswith(f"kube_{singular}_")


def metric_source_problems(manifests: list[Manifest], gke_packages: set[str]) -> list[str]:
    """Every metric the Rules read is made on the cluster and collected: by one of our workloads or
    kube-state-metrics (watching its resource) that a PodMonitoring scrapes without dropping it, or
    by a GKE managed package the docs turn on. Else its alert stays silent for ever."""
    reads: dict[str, set[str]] = {}
    for rule, expr in rule_expressions(manifests):
        for metric in metric_names(expr):
            reads.setdefault(metric, set()).add(rule)
    if not reads:
        return ["no Rules resource reads a metric"]
    deployed = {workload_key(m) for m, _, _ in pod_labels(manifests)}
    endpoints = scraping_endpoints(manifests)
    watchers = kube_state_metrics(manifests)
    problems = []
    for metric, rules in sorted(reads.items()):
        where = f"{metric} (read by {', '.join(sorted(rules))})"
        if metric in LOCAL_ONLY:
            continue
        if GKE_KUBELET_PACKAGE.fullmatch(metric):
            if "KUBELET" not in gke_packages:
                problems.append(f"{where}: GKE's Kubelet package is not turned on (--monitoring=...,KUBELET in docs/gcp.md)")
            continue
        if metric.startswith("kube_"):
            sources = [key for key, watcher in watchers.items()
                       if watcher.resources is None or any(reports(resource, metric) for resource in watcher.resources)]
            missing = "no kube-state-metrics deployed watches its resource (--resources)"
        else:
            sources = [key for prefix, key in EXPORTERS if metric.startswith(prefix) and key in deployed]
            missing = "nothing deployed makes it"
        serving = [endpoint for key in sources for endpoint in endpoints.get(key, [])
                   if key not in watchers or endpoint["port"] in watchers[key].ports]
        if not sources:
            problems.append(f"{where}: {missing}")
        elif not any(kept(endpoint, metric) for endpoint in serving):
            problems.append(f"{where}: no PodMonitoring scrapes {' or '.join(sources)} and keeps it")
    return problems


# The API group of each resource kube-state-metrics may be told to watch here.
API_GROUPS = {"cronjobs": "batch", "jobs": "batch", "persistentvolumeclaims": "", "pods": "", "deployments": "apps"}
READ_VERBS = {"get", "list", "watch"}


def kube_state_metrics_rbac_problems(manifests: list[Manifest]) -> list[str]:
    """Each kube-state-metrics may list and watch every resource of its --resources, and do
    nothing but read: without the right, its metrics are silently missing; with more, it holds
    rights it never uses."""
    roles = {m.name: m for m in of_kind(manifests, "Role")}
    problems = []
    for key, watcher in kube_state_metrics(manifests).items():
        resources = watcher.resources
        workload = next(m for m in manifests if workload_key(m) == key)
        account = pod_specs(workload)[0].get("serviceAccountName", "default")
        rules = [rule for binding in of_kind(manifests, "RoleBinding")
                 if any(s["kind"] == "ServiceAccount" and s["name"] == account for s in binding.doc.get("subjects") or [])
                 and binding.doc["roleRef"]["kind"] == "Role" and binding.doc["roleRef"]["name"] in roles
                 for rule in roles[binding.doc["roleRef"]["name"]].doc.get("rules") or []]
        if resources is None:
            problems.append(f"{key}: no --resources, so it watches every kind of the API")
            continue
        for resource in sorted(resources):
            group = API_GROUPS.get(resource)
            granted = {verb for rule in rules if group in rule.get("apiGroups", []) and resource in rule.get("resources", [])
                       for verb in rule.get("verbs", [])}
            if group is None:
                problems.append(f"{key}: --resources names {resource}, whose API group API_GROUPS does not know")
            elif not {"list", "watch"} <= granted:
                problems.append(f"{key}: service account {account} may not list and watch {resource}")
        problems += [f"{key}: service account {account} may {verb} {', '.join(rule.get('resources', []))}"
                     for rule in rules for verb in sorted(set(rule.get("verbs", [])) - READ_VERBS)]
    return problems

def kustomization_problems(kustomization: dict[str, Any], folder: Path, ours: str) -> list[str]:
    """The kustomization lists every manifest of the folder and retags our image."""
    listed = set(kustomization.get("resources") or [])
    configurations = set(kustomization.get("configurations") or [])
    present = {path.name for path in folder.glob("*.yaml")} - {KUSTOMIZATION}
    problems = [f"{name} is not in {KUSTOMIZATION}" for name in sorted(present - listed - configurations)]
    problems += [f"{KUSTOMIZATION} lists {name}, which does not exist" for name in sorted((listed | configurations) - present)]
    if ours not in {image.get("name") for image in kustomization.get("images") or []}:
        problems.append(f"{KUSTOMIZATION}: images does not retag {ours}")
    return problems


def name_problems(manifests: Iterable[Manifest]) -> list[str]:
    """Names Kubernetes accepts (the schemas do not check them); the namespace is the
    kustomization's alone."""
    problems = [f"{m}: {m.name!r} is no RFC 1123 name"
                for m in manifests if not RFC1123_SUBDOMAIN.match(m.name) or len(m.name) > 253]
    problems += [f"{m}: sets its own namespace" for m in manifests if "namespace" in (m.doc.get("metadata") or {})]
    return problems
