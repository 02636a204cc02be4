"""An adapter whose library is not installed: the survey lists it as such and runs nothing."""

from chunkattn.adapters._common import Library

LIBRARY = "chunkattn-no-such-library"
VARIANT = "none"
MAPPING = "none"

_LIB = Library(LIBRARY, "chunkattn_no_such_library")
available, version = _LIB.available, _LIB.version


def create_dynamic_chunk_mask(seq_len, config, device=None):
    return _LIB.load()
