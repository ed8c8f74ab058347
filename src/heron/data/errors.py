"""The one error type for unreadable or malformed demonstration data."""

from __future__ import annotations


class DatasetError(ValueError):
    """A dataset file is missing, truncated, foreign, incompatible or malformed.

    The message names the file (and the episode, where there is one) and what is wrong.
    """
