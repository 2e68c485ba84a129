"""Checks of docker/compose.yaml that its JSON schema cannot express.

Each check takes the loaded compose document and returns a list of problems (empty: fine), so a
test can assert both that the real file passes and that a broken copy is caught.
"""

from __future__ import annotations

import json
import re
import shlex
import tempfile
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import fields
from pathlib import Path
from typing import Any, get_type_hints

import yaml
from jsonschema import Draft202012Validator

from settings import Settings

SCHEMA = Path(__file__).parent / "schemas" / "compose-spec.json"
SECRETS_DIR = "/run/secrets/"
LOOPBACK = "127.0.0.1"
# A variable with one of these in its name holds a credential and must come from a secret file.
SECRET_NAME = re.compile(r"PASSWORD|SECRET|TOKEN|API_KEY|CREDENTIAL")
CONSOLE_SCRIPT = re.compile(r"(?<![\w/.-])iot-[a-z][a-z-]*(?![\w.-])")
PLAIN_TYPES = (str, int, float, bool)


def load(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def schema_errors(document: dict[str, Any]) -> list[str]:
    validator = Draft202012Validator(json.loads(SCHEMA.read_text(encoding="utf-8")))
    return [
        f"{'/'.join(str(part) for part in error.absolute_path) or '<root>'}: {error.message}"
        for error in sorted(validator.iter_errors(document), key=lambda error: list(map(str, error.absolute_path)))
    ]


def services(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return document.get("services") or {}


def environment(service: dict[str, Any]) -> dict[str, str]:
    """A service's environment as a mapping, whichever of the two compose forms it uses."""
    env = service.get("environment") or {}
    if isinstance(env, list):
        return dict(item.partition("=")[::2] for item in env)
    return {key: "" if value is None else str(value) for key, value in env.items()}


def as_words(value: Any) -> list[str]:
    """The words of an entrypoint, command or healthcheck test, in list or string form."""
    if value is None:
        return []
    if isinstance(value, str):
        return shlex.split(value)
    return [str(word) for word in value if word not in ("CMD", "CMD-SHELL")]


def command_words(service: dict[str, Any]) -> list[str]:
    healthcheck = service.get("healthcheck") or {}
    return as_words(service.get("entrypoint")) + as_words(service.get("command")) + as_words(healthcheck.get("test"))


def mounted_secrets(service: dict[str, Any]) -> dict[str, str]:
    """Secret name -> the path it has inside the container."""
    mounted = {}
    for item in service.get("secrets") or []:
        if isinstance(item, str):
            mounted[item] = SECRETS_DIR + item
        else:
            target = item.get("target", item["source"])
            mounted[item["source"]] = target if target.startswith("/") else SECRETS_DIR + target
    return mounted


def mounted_configs(service: dict[str, Any]) -> dict[str, str]:
    """Config name -> the path it has inside the container."""
    mounted = {}
    for item in service.get("configs") or []:
        if isinstance(item, str):
            mounted[item] = "/" + item
        else:
            mounted[item["source"]] = item.get("target", "/" + item["source"])
    return mounted


def named_volumes(service: dict[str, Any]) -> dict[str, str]:
    """Named volume -> mount point (bind mounts, whose source is a path, are left out)."""
    mounted = {}
    for item in service.get("volumes") or []:
        if isinstance(item, str):
            source, _, rest = item.partition(":")
            if rest and not source.startswith(("/", ".", "~", "$")):
                mounted[source] = rest.split(":")[0]
        elif item.get("type", "volume") == "volume" and item.get("source"):
            mounted[item["source"]] = item["target"]
    return mounted


def undeclared_dependencies(document: dict[str, Any]) -> list[str]:
    """depends_on targets that are no service, wait for a health that is never reported, or
    wait for the end of a service that is restarted forever."""
    problems = []
    all_services = services(document)
    for name, service in all_services.items():
        depends_on = service.get("depends_on") or {}
        conditions = (
            dict.fromkeys(depends_on, "service_started")
            if isinstance(depends_on, list)
            else {target: (spec or {}).get("condition", "service_started") for target, spec in depends_on.items()}
        )
        for target, condition in conditions.items():
            if target not in all_services:
                problems.append(f"{name}: depends on undefined service {target!r}")
            elif condition == "service_healthy" and not all_services[target].get("healthcheck"):
                problems.append(f"{name}: waits for {target} to be healthy, but {target} has no healthcheck")
            elif condition == "service_completed_successfully" and all_services[target].get("restart") in (
                "always",
                "unless-stopped",
            ):
                problems.append(f"{name}: waits for {target} to complete, but {target} is always restarted")
    return problems


def undeclared_resources(document: dict[str, Any], compose_dir: Path) -> list[str]:
    """Named volumes, secrets and configs used but not declared, and declared files that are missing."""
    problems = []
    declared = {kind: document.get(kind) or {} for kind in ("volumes", "secrets", "configs")}
    for name, service in services(document).items():
        used = {
            "volumes": named_volumes(service),
            "secrets": mounted_secrets(service),
            "configs": mounted_configs(service),
        }
        for kind, mounts in used.items():
            problems += [f"{name}: {kind[:-1]} {item!r} is not declared" for item in mounts if item not in declared[kind]]
    for name, spec in declared["configs"].items():
        if "file" in spec and not (compose_dir / spec["file"]).is_file():
            problems.append(f"config {name!r}: {spec['file']} does not exist")
    for name, spec in declared["secrets"].items():
        if "file" not in spec:
            problems.append(f"secret {name!r}: must come from a file (never inline or from the environment)")
        elif not (compose_dir / f"{spec['file']}.example").is_file():
            problems.append(f"secret {name!r}: no {spec['file']}.example template beside it")
    return problems


def scripts_run_by_bash_are_mounted(document: dict[str, Any]) -> list[str]:
    """`bash FILE` as entrypoint or command must run a config mounted at FILE in that service."""
    problems = []
    for name, service in services(document).items():
        for key in ("entrypoint", "command"):
            words = as_words(service.get(key))
            if words[:1] == ["bash"] and len(words) > 1 and words[1] not in mounted_configs(service).values():
                problems.append(f"{name}: {key} runs {words[1]}, which no config of the service mounts")
    return problems


def console_scripts_in_shell(text: str) -> set[str]:
    """The ``iot-*`` commands a shell script runs (its comments left out)."""
    code = "\n".join(line.split("#", 1)[0] for line in text.splitlines())
    return set(CONSOLE_SCRIPT.findall(code))


def console_scripts_used(document: dict[str, Any], compose_dir: Path) -> dict[str, set[str]]:
    """Service -> the ``iot-*`` commands it runs: in its entrypoint, command and healthcheck,
    and in the script it runs with ``bash`` from one of its configs."""
    declared = document.get("configs") or {}
    used = {}
    for name, service in services(document).items():
        # findall, not a whole-word match: a CMD-SHELL test is one word holding a command line.
        scripts = {script for word in command_words(service) for script in CONSOLE_SCRIPT.findall(word)}
        run_by_bash = {words[1] for key in ("entrypoint", "command") if (words := as_words(service.get(key)))[:1] == ["bash"]}
        for config, target in mounted_configs(service).items():
            if target in run_by_bash and "file" in declared.get(config, {}):
                scripts |= console_scripts_in_shell((compose_dir / declared[config]["file"]).read_text(encoding="utf-8"))
        used[name] = scripts
    return used


def unknown_console_scripts(document: dict[str, Any], compose_dir: Path, known: Iterable[str]) -> list[str]:
    known = set(known)
    return [
        f"{name}: runs {script}, which pyproject.toml does not install"
        for name, scripts in console_scripts_used(document, compose_dir).items()
        for script in sorted(scripts - known)
    ]


def plain_settings_variables() -> set[str]:
    """IOT_<SECTION>_<FIELD> for the str/int/float/bool fields that Settings.from_env reads."""
    return {
        f"IOT_{section}_{item.name}".upper()
        for section, section_type in get_type_hints(Settings).items()
        for item in fields(section_type)
        if get_type_hints(section_type)[item.name] in PLAIN_TYPES
    }


def reads_secret_file(variable: str) -> bool:
    """Whether Settings.from_env takes a credential from the file that ``variable`` names.

    Asked of the code itself: the secrets' names follow no single rule (IOT_SENSOR_API_KEY is
    the ``api_key`` field of the ``sensor_api`` section).
    """
    marker = f"probe-{uuid.uuid4().hex}"
    with tempfile.TemporaryDirectory() as folder:
        secret = Path(folder) / "secret"
        secret.write_text(marker, encoding="utf-8")
        settings = Settings.from_env({variable: str(secret)})
    return any(getattr(getattr(settings, section.name), item.name) == marker
               for section in fields(settings) for item in fields(getattr(settings, section.name)))


def unknown_variables(document: dict[str, Any]) -> list[str]:
    plain = plain_settings_variables()
    return [
        f"{name}: {variable} is not read by settings/__init__.py"
        for name, service in services(document).items()
        for variable in environment(service)
        if variable.startswith("IOT_")
        and variable not in plain
        and not (variable.endswith("_FILE") and reads_secret_file(variable))
    ]


def invalid_values(document: dict[str, Any]) -> list[str]:
    """IOT_* values that Settings.from_env rejects (secret files left out: they exist only in containers)."""
    problems = []
    for name, service in services(document).items():
        env = {key: re.sub(r"\$\{\w+:-([^}]*)\}", r"\1", value)  # as compose interpolates with the variable unset
               for key, value in environment(service).items() if key.startswith("IOT_") and not key.endswith("_FILE")}
        try:
            Settings.from_env(env)
        except ValueError as error:
            problems.append(f"{name}: {error}")
    return problems


def inlined_secrets(document: dict[str, Any]) -> list[str]:
    """Credentials must be *_FILE variables naming a secret mounted in the same service."""
    problems = []
    for name, service in services(document).items():
        secret_paths = set(mounted_secrets(service).values())
        for variable, value in environment(service).items():
            if not SECRET_NAME.search(variable):
                continue
            if not variable.endswith("_FILE"):
                problems.append(f"{name}: {variable} holds a credential inline; use {variable}_FILE and a secret")
            elif value not in secret_paths:
                problems.append(f"{name}: {variable}={value} is not a secret mounted in this service")
    return problems


def _published(port: Any) -> Iterator[tuple[str, str]]:
    """(host address, description) of each port a service publishes ('' for all interfaces)."""
    if isinstance(port, dict):
        if port.get("published") is not None:
            yield port.get("host_ip", ""), str(port)
        return
    text = str(port).split("/")[0]
    if ":" not in text:
        yield "", text  # a container port alone is published on a random port of every interface
        return
    address, _, rest = text.rpartition(":")
    host, _, _ = address.rpartition(":") if ":" in address else ("", "", "")
    yield host.strip("[]"), str(port)


def public_ports(document: dict[str, Any]) -> list[str]:
    return [
        f"{name}: port {description} is published beyond {LOOPBACK}"
        for name, service in services(document).items()
        for port in service.get("ports") or []
        for host, description in _published(port)
        if host != LOOPBACK
    ]
