"""Reading config files: YAML from a path, a parsed dict, or the embedded default.

The only module that parses YAML for configs; the schema it validates against is
:mod:`chunkattn._internal.contract.config`.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from chunkattn._internal.contract.config import ProjectConfig, parse_config
from chunkattn._internal.contract.core import ConfigError

__all__ = ["DEFAULT_CONFIG_NAME", "default_config_text", "load_config", "read_yaml"]

DEFAULT_CONFIG_NAME = "<embedded default>"


def default_config_text() -> str:
    """The embedded default config (the seed's values), as YAML text."""
    return resources.files("chunkattn").joinpath("data/default.yaml").read_text(encoding="utf-8")


def load_config(source: str | Path | dict[str, Any] | None = None) -> ProjectConfig:
    """Load and validate a config from a path, a parsed dict, or (``None``) the embedded default.

    Raises :class:`~chunkattn._internal.contract.core.ConfigError` with a one-line message naming the file and the
    key.

    >>> load_config().chunked.eval_config()
    ChunkConfig(chunk_size=4, context_chunks=10)
    """
    if source is None:
        return parse_config(yaml.safe_load(default_config_text()), DEFAULT_CONFIG_NAME)
    if isinstance(source, dict):
        return parse_config(source, "<dict>")
    return parse_config(read_yaml(Path(source)), str(source))


def read_yaml(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError("no such file", source=str(path)) from None
    except IsADirectoryError:
        raise ConfigError("is a directory, not a config file", source=str(path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read: {exc.__class__.__name__}", source=str(path)) from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or "invalid syntax"
        raise ConfigError(f"not valid YAML{where}: {problem}", source=str(path)) from None
