"""Parts of an answer that many answers share.

The recommender keeps a market's citations, channels and other fixed parts once
per key and hands the same objects to every answer that needs them (see
``Recommender._market_fixed``). :class:`SharedList` marks such a list: a plain
list to every reader, which must read it and never change it. A serializer may
remember its JSON text on the object (``serialized``), which the API does
(api/fast_json.py): 40 of a recommendation's 73 KB are such parts, encoded once
rather than on every request.
"""

from __future__ import annotations


class SharedList(list):
    """A list shared between answers: read it, never change it."""

    __slots__ = ("serialized",)

    def __init__(self, items=()):
        super().__init__(items)
        self.serialized = None  # the JSON text, set by a serializer that keeps it

    def __reduce__(self):
        # a copy (pickle, copy.copy) is a plain shared list; the serializer's text is not carried over
        return SharedList, (list(self),)
