"""Parts shared between answers: encoded as plain JSON, once, and never changed by an answer."""

import copy
import enum
import pickle
from collections import OrderedDict

import orjson

from api.fast_json import dumps
from recommender.products import product_for
from recommender.shared import SharedList
from recommending import recommend


class Colour(str, enum.Enum):
    RED = "red"


class Label(str):
    pass


def test_a_shared_list_is_written_as_the_plain_list_and_its_text_kept():
    shared = SharedList([{"a": 1, "b": [1.5, None]}, "x"])
    assert dumps({"s": shared, "t": shared}) == orjson.dumps({"s": list(shared), "t": list(shared)})
    assert shared.serialized is not None  # kept on the list: the next answer reuses it
    assert dumps([shared]) == b'[[{"a":1,"b":[1.5,null]},"x"]]'


def test_other_subclasses_are_written_as_their_base_types():
    assert dumps({"e": Colour.RED, "l": Label("y"), "o": OrderedDict(k=2), "b": True, "n": 3}) == \
        b'{"e":"red","l":"y","o":{"k":2},"b":true,"n":3}'


def test_a_copy_of_a_shared_list_does_not_carry_the_text():
    shared = SharedList([1, 2])
    dumps(shared)
    for other in (pickle.loads(pickle.dumps(shared)), copy.copy(shared)):
        assert other == [1, 2] and type(other) is SharedList and other.serialized is None


def test_a_product_keeps_its_hash_and_equality_through_pickle():
    product = product_for("11.02", "2022")
    again = pickle.loads(pickle.dumps(product))
    assert again == product and hash(again) == hash(product)
    assert {product: 1}[again] == 1


def test_two_answers_for_the_same_firm_are_equal_and_serialize_alike(rec):
    first = recommend(rec, ateco="11.02", province="TV", maturity_level=3)
    second = recommend(rec, ateco="11.02", province="TV", maturity_level=3)
    assert first == second
    assert orjson.loads(dumps(first)) == orjson.loads(dumps(second))
    usa = next(m for m in first["markets"] if m["iso3"] == "USA")
    assert isinstance(usa["district_evidence"], list) and isinstance(usa["channels"], list)
