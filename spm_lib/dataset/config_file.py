"""Reading ``spm.yaml``: a folder's, or a named file, bounded in size and aliases before it is
parsed (:func:`spm_lib.dataset.config.parse_config` turns the mapping into a Config)."""

from __future__ import annotations

from pathlib import Path

import yaml

from spm_lib.dataset.config import Config, parse_config
from spm_lib.exceptions import DataError


def load_config(folder: Path) -> Config:
    """Read ``folder/spm.yaml`` if present; defaults otherwise."""
    path = Path(folder) / "spm.yaml"
    if not path.exists():
        return Config()
    return load_config_file(path)


MAX_CONFIG_BYTES = 1_000_000  # a real spm.yaml is a few KB
MAX_CONFIG_ALIASES = 100  # YAML aliases (*name): a few reuse a block; a "billion laughs" nests
MAX_CONFIG_NODES = 100_000  # values once aliases are expanded


def _check_bounded(path: Path, text: str) -> None:
    """Refuse a configuration past :data:`MAX_CONFIG_BYTES` or with more than
    :data:`MAX_CONFIG_ALIASES` aliases, before it is built (a 1 KB alias bomb took
    2 min 21 s and 3.1 GB)."""
    size = len(text.encode("utf-8"))
    if size > MAX_CONFIG_BYTES:
        raise DataError(
            f"{path}: the configuration is {size:,} bytes; expected at most {MAX_CONFIG_BYTES:,}",
            path=str(path),
            expected=f"at most {MAX_CONFIG_BYTES:,} bytes",
        )

    def refuse(what: str) -> DataError:
        return DataError(
            f"{path}: {what}; write the settings out instead of nesting YAML references (*name)",
            path=str(path),
            expected=f"at most {MAX_CONFIG_ALIASES} aliases and "
            f"{MAX_CONFIG_NODES:,} values once expanded",
        )

    try:
        aliases = sum(
            isinstance(e, yaml.AliasEvent) for e in yaml.parse(text, Loader=yaml.SafeLoader)
        )
        if aliases > MAX_CONFIG_ALIASES:
            raise refuse(f"{aliases} YAML aliases")
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return  # the parse below reports it
    try:
        size = _expanded_size(node, {}, set()) if node is not None else 0
    except RecursionError:
        raise refuse("the configuration nests too deeply") from None
    if size > MAX_CONFIG_NODES:
        raise refuse(f"the configuration expands to more than {MAX_CONFIG_NODES:,} values")


def _expanded_size(node: yaml.Node, sizes: dict[int, int], open_nodes: set[int]) -> int:
    """How many values ``node`` becomes once its aliases are expanded (each shared node is
    counted where it is used, computed once); a node that contains itself is endless."""
    key = id(node)
    if key in sizes:
        return sizes[key]
    if key in open_nodes:
        return MAX_CONFIG_NODES + 1
    open_nodes.add(key)
    if isinstance(node, yaml.SequenceNode):
        size = 1 + sum(_expanded_size(child, sizes, open_nodes) for child in node.value)
    elif isinstance(node, yaml.MappingNode):
        size = 1 + sum(
            _expanded_size(k, sizes, open_nodes) + _expanded_size(v, sizes, open_nodes)
            for k, v in node.value
        )
    else:
        size = 1
    open_nodes.discard(key)
    sizes[key] = min(size, MAX_CONFIG_NODES + 1)
    return sizes[key]


def load_config_file(path: Path) -> Config:
    """Read one ``spm.yaml`` (it must exist; bounded in size and aliases)."""
    path = Path(path)
    if not path.exists():
        raise DataError(
            f"{path}: no such configuration file", path=str(path), expected="an spm.yaml file"
        )
    try:
        text = path.read_text(encoding="utf-8")
        _check_bounded(path, text)
        raw = yaml.safe_load(text)
    except UnicodeDecodeError as exc:
        raise DataError(
            f"{path}: the configuration is not UTF-8 text (byte {exc.start}); expected a YAML file",
            path=str(path),
            expected="spm.yaml as UTF-8 text",
        ) from None
    except (OSError, yaml.YAMLError) as exc:
        raise DataError(f"{path}: cannot read the configuration: {exc}", path=str(path)) from exc
    if raw is not None and not isinstance(raw, dict):
        raise DataError(f"{path}: expected a mapping at the top level", path=str(path))
    return parse_config(raw, str(path))
