"""chunkattn's chunked-attention Transformer for CTC (public: it only re-exports
:mod:`chunkattn._internal.impl.model`)."""

from chunkattn._internal.impl.model import BACKENDS, TransformerModel

__all__ = ["BACKENDS", "TransformerModel"]
