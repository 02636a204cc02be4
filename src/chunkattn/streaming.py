"""Streaming inference: feed frames in pieces of any size, get each completed chunk's outputs
(public: it only re-exports :mod:`chunkattn._internal.impl.streaming`)."""

from chunkattn._internal.impl.streaming import StreamingEncoder

__all__ = ["StreamingEncoder"]
