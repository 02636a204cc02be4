"""A model adapter whose library is not installed: the survey lists it as skipped, with why."""

from types import SimpleNamespace

LIBRARY = "not-installed-anywhere"
KIND = "model"
FACTORIES = {"make_model": ("a model of a missing library", "C = 1, L = 0")}


def available() -> bool:
    return False


def version() -> None:
    return None


def make_model(seed: int = 0) -> SimpleNamespace:
    raise ModuleNotFoundError("not-installed-anywhere")
