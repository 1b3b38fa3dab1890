"""Web-maturity questionnaire and next steps."""

import pytest

from recommender.channels import ChannelFit, channels_for_market, overall_channels
from recommender.errors import InvalidInput
from recommender.maturity import QUESTION_IDS, assess
from recommender.next_steps import next_steps

APPAREL = ChannelFit("apparel", ("consumption",))
MACHINERY = ChannelFit("machinery", ("capital",))


def answers(yes: int, missing: int = 0):
    a = {q: i < yes for i, q in enumerate(QUESTION_IDS)}
    for q in QUESTION_IDS[len(QUESTION_IDS) - missing:]:
        del a[q]
    return a


@pytest.mark.parametrize("yes,level", [(0, 1), (3, 1), (4, 2), (6, 2), (7, 3), (9, 3), (10, 4), (12, 4)])
def test_score_to_level_as_dii(yes, level):
    m = assess(answers=answers(yes))
    assert (m.score, m.level) == (yes, level) and m.missing == ()


def test_missing_answers_are_reported_not_assumed():
    m = assess(answers=answers(4, missing=3))
    assert m.missing == QUESTION_IDS[-3:] and m.score == 4
    with pytest.raises(InvalidInput):
        assess(answers=answers(2, missing=7))


def test_accepts_yes_no_spellings_and_rejects_bad_values():
    m = assess(answers={**{q: "no" for q in QUESTION_IDS}, "website": "sì", "paid_ads": 1})
    assert m.score == 2
    with pytest.raises(InvalidInput) as err:
        assess(answers={**{q: False for q in QUESTION_IDS}, "website": "maybe", "webiste": True})
    fields = {e.field: e for e in err.value.errors}
    assert set(fields) == {"maturity_answers.website", "maturity_answers.webiste"}
    assert "website" in fields["maturity_answers.webiste"].suggestions


@pytest.mark.parametrize("bad", [0, 5, "2.5", True, "high"])
def test_level_must_be_1_to_4(bad):
    with pytest.raises(InvalidInput) as err:
        assess(level=bad)
    assert err.value.errors[0].field == "maturity_level"


def test_firm_without_website_starts_with_the_website():
    m = assess(answers=answers(0))
    chans = overall_channels(["DEU", "FRA"], APPAREL, "b2c", m)
    steps = next_steps(m, chans, lang="it")
    assert steps[0].id in ("website", "social_accounts", "ships_abroad") and "website" in [s.id for s in steps]
    assert [s.id for s in steps].index("website") < [s.id for s in steps].index("online_catalogue")
    plan = [s for s in steps if not s.id.startswith("support:")]
    assert 3 <= len(plan) <= 5 and all(s.text_it and s.text_en and s.owner and s.effort for s in plan)
    assert [s.order for s in steps] == list(range(1, len(steps) + 1))


def test_very_high_maturity_gets_channel_steps_not_a_website():
    m = assess(answers=answers(12))
    chans = overall_channels(["DEU", "USA"], APPAREL, "b2c", m)
    steps = next_steps(m, chans, lang="en")
    ids = [s.id for s in steps if not s.id.startswith("support:")]
    assert "website" not in ids and all(i.startswith("open:") for i in ids)
    assert steps[0].text.startswith("Open the")


def test_channel_above_maturity_comes_with_steps_to_reach():
    low = assess(answers=answers(1))  # only a website
    zal = [c for c in channels_for_market("DEU", APPAREL, "b2c", low, k=None) if c["channel_id"] == "zalando"][0]
    assert not zal["reachable"] and "online_catalogue" in zal["steps_to_reach"]


def test_channels_only_where_they_operate():
    assert "tmall-global" in {c["channel_id"] for c in channels_for_market("CHN", APPAREL, "b2c", assess(level=4), k=None)}
    fra = {c["channel_id"] for c in channels_for_market("FRA", APPAREL, "b2c", assess(level=4), k=None)}
    assert "amazon-de" not in fra and "amazon-fr" in fra and "google-ads" in fra
    chn = {c["channel_id"] for c in channels_for_market("CHN", MACHINERY, "b2b", assess(level=4), k=None)}
    assert "google-ads" not in chn and "linkedin" not in chn


def test_a_firm_that_speaks_foreign_languages_is_not_told_to_hire_for_them():
    m = assess(answers={q: q != "foreign_language_staff" for q in QUESTION_IDS})
    ids = [s.id for s in next_steps(m, [])]
    assert ids[0] == "foreign_language_staff"
    assert "foreign_language_staff" not in [s.id for s in next_steps(m, [], languages=("en", "de", "fr"))]
    assert [s.id for s in next_steps(m, [], languages=("it",))] == ids  # Italian alone is not a foreign language


@pytest.mark.parametrize("score, level, more", [(0, 1, 4), (3, 1, 1), (4, 2, 3), (6, 2, 1), (7, 3, 3),
                                                (9, 3, 1), (10, 4, None), (12, 4, None)])
def test_levels_and_the_yes_answers_to_the_next_one(score, level, more):
    from recommender.maturity import level_of_score, yes_to_next_level
    assert level_of_score(score) == level and yes_to_next_level(score) == more
