"""``chunkattn survey --library NAME``: the survey entries of one library.

A library is named as the survey prints it (an adapter module's ``LIBRARY``: ``nemo``,
``transformers``, ``local-attention``, ...), case-insensitively.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["library_entries", "library_of"]


def library_of(name: str) -> str:
    """The library adapter ``name`` belongs to, as the survey prints it (module not imported
    beyond its own code: the library itself is not loaded)."""
    from chunkattn.adapters import load

    return str(getattr(load(name), "LIBRARY", ""))


def library_entries(names: Sequence[str], library: str) -> list[str]:
    """The entries of ``names`` whose library is ``library``; ``ValueError`` (one line, naming
    the option and the known libraries) for a library no entry has."""
    wanted = library.strip().lower()
    chosen = [n for n in names if library_of(n).lower() == wanted]
    if not chosen:
        known = sorted({library_of(n) for n in names} - {""})
        raise ValueError(
            f"survey --library: {library!r} is not a library the survey knows; known: "
            f"{', '.join(known)}"
        )
    return chosen
