"""Forms of the web app (Flask-WTF: every form carries a CSRF token).

Forms check shape only (required, lengths, choices); what the values mean
(ATECO, province, district, countries, partita IVA, maturity) is checked by
``api.registry`` and the library, whose field errors are attached back to
these fields by :func:`attach_errors`.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, RadioField, SelectField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from api.registry import OUTCOME_STATUSES
from api.web import i18n
from recommender.maturity import QUESTIONS


def options(pairs, optgroup=None) -> list[SelectChoice]:
    """(value, label) pairs as WTForms choices (tuples are deprecated in WTForms 3.3)."""
    return [SelectChoice(str(v), str(label), optgroup=optgroup) for v, label in pairs]


def _split(text: str | None) -> list[str]:
    return [x.strip() for x in (text or "").replace(";", ",").split(",") if x.strip()]


def _whole_number(text: str | None):
    """``"12"`` -> 12; anything else typed is passed on as typed (the registry names it); empty -> None."""
    text = (text or "").strip()
    if not text:
        return None
    return int(text) if text.lstrip("-").isdigit() and len(text) <= 12 else text


class WebForm(FlaskForm):
    """A form whose fields can also carry the library's suggestions (closest valid values)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.suggestions: dict[str, list[str]] = {}


class FirmForm(WebForm):
    name = StringField(i18n.FIELDS["name"], validators=[DataRequired(), Length(max=200)])
    vat_number = StringField(i18n.FIELDS["vat_number"], validators=[Optional(), Length(max=11)],
                             description=_l("11 digits, optional"), render_kw={"inputmode": "numeric"})
    ateco = StringField(i18n.FIELDS["ateco"], validators=[DataRequired(), Length(max=20)],
                        description=_l("a code (e.g. 14.13, 1413) or what the firm makes (e.g. occhiali, vino): "
                                       "pick from the list"), render_kw={"list": "ateco-options"})
    province = StringField(i18n.FIELDS["province"], validators=[Optional(), Length(max=60)],
                           description=_l("sigla, name or comune, e.g. MO or Sassuolo"),
                           render_kw={"list": "place-options"})
    district = SelectField(i18n.FIELDS["district"], choices=[], validate_choice=False,
                           description=_l("optional; the list follows the province"))
    customer_type = SelectField(i18n.FIELDS["customer_type"], validate_choice=True, default="")
    maturity_level = SelectField(i18n.FIELDS["maturity_level"], validate_choice=True,
                                 description=_l("the questionnaire replaces this estimate"))
    current_markets = StringField(i18n.FIELDS["current_markets"], validators=[Optional(), Length(max=600)],
                                  description=_l("countries separated by commas, e.g. DE, France"))
    excluded_markets = StringField(i18n.FIELDS["excluded_markets"], validators=[Optional(), Length(max=600)],
                                   description=_l("countries separated by commas"))
    languages = StringField(i18n.FIELDS["languages"], validators=[Optional(), Length(max=100)],
                            description=_l("two-letter codes separated by commas, e.g. en, de"))
    # text, checked by the registry like the API's: "abc" and -3 get one message naming the value
    employees = StringField(i18n.FIELDS["employees"], validators=[Optional(), Length(max=20)],
                            render_kw={"inputmode": "numeric"})
    submit = SubmitField(_l("Save"))

    def __init__(self, *args, has_questionnaire: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.customer_type.choices = options([("", _l("Let the sector's data decide")),
                                              *i18n.CUSTOMER_TYPES.items()])
        self.maturity_level.choices = options((n, f"{n} – {i18n.level_label(n)}") for n in (1, 2, 3, 4))
        self.has_questionnaire = has_questionnaire
        if has_questionnaire:  # the level comes from the questionnaire
            del self.maturity_level

    def to_firm_data(self) -> dict:
        """The dict ``api.registry`` validates (empty fields cleared)."""
        data = {
            "name": (self.name.data or "").strip(), "vat_number": (self.vat_number.data or "").strip() or None,
            "ateco": (self.ateco.data or "").strip(), "province": (self.province.data or "").strip() or None,
            "district": self.district.data or None, "customer_type": self.customer_type.data or None,
            "current_markets": _split(self.current_markets.data), "excluded_markets": _split(self.excluded_markets.data),
            "languages": _split(self.languages.data), "employees": _whole_number(self.employees.data),
        }
        if not self.has_questionnaire:
            level = str(self.maturity_level.data or "")
            data["maturity_level"] = int(level) if level.isdigit() else None
        return data

    @classmethod
    def from_firm(cls, firm, **kwargs) -> FirmForm:
        p = firm.profile
        return cls(data={
            "name": firm.name, "vat_number": firm.vat_number or "", "ateco": p.get("ateco", ""),
            "province": p.get("province", ""), "district": p.get("district", ""),
            "customer_type": p.get("customer_type", ""), "maturity_level": str(p.get("maturity_level", 2)),
            "current_markets": ", ".join(p.get("current_markets", [])),
            "excluded_markets": ", ".join(p.get("excluded_markets", [])),
            "languages": ", ".join(p.get("languages", [])), "employees": "" if p.get("employees") is None else str(p.get("employees")),
        }, has_questionnaire=bool(p.get("maturity_answers")), **kwargs)


ANSWERS = [("yes", _l("Yes")), ("no", _l("No")), ("unknown", _l("Don't know"))]  # labels: lazy, per request


class QuestionnaireForm(WebForm):
    """The 12 yes/no questions of recommender.maturity; "don't know" leaves one unanswered."""

    submit = SubmitField(_l("Save the questionnaire"))

    def answers(self) -> dict:
        out = {}
        for q in QUESTIONS:
            value = self[q.id].data
            out[q.id] = True if value == "yes" else False if value == "no" else None
        return out


for _q in QUESTIONS:
    # labels are filled per request in the page language (see views.questionnaire)
    setattr(QuestionnaireForm, _q.id, RadioField(_q.id, choices=[SelectChoice(v, label) for v, label in ANSWERS],
                                                 validators=[DataRequired()]))


class RerankForm(WebForm):
    """The what-if controls on the recommendation page (GET, so no CSRF token)."""

    class Meta:
        csrf = False

    customer_type = SelectField(i18n.FIELDS["customer_type"], validate_choice=True, default="")
    current_markets = StringField(i18n.FIELDS["current_markets"], validators=[Optional(), Length(max=600)],
                                  description=_l("countries separated by commas, e.g. DE, France"))
    excluded_markets = StringField(i18n.FIELDS["excluded_markets"], validators=[Optional(), Length(max=600)],
                                   description=_l("countries separated by commas"))
    submit = SubmitField(_l("Update the ranking"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.customer_type.choices = options([("", _l("As in the firm's file")), *i18n.CUSTOMER_TYPES.items()])

    def overrides(self) -> dict:
        """The profile fields to change for this page view only."""
        out = {}
        if self.customer_type.data:
            out["customer_type"] = self.customer_type.data
        if self.current_markets.data is not None and self.current_markets.raw_data:
            out["current_markets"] = _split(self.current_markets.data)
        if self.excluded_markets.data is not None and self.excluded_markets.raw_data:
            out["excluded_markets"] = _split(self.excluded_markets.data)
        return out


class OutcomeForm(WebForm):
    """One outcome: nothing is preselected (market, status and date start empty and
    are required); the channels are those the recommendation gave for the chosen market."""

    market = SelectField(i18n.FIELDS["market"], validators=[DataRequired()], validate_choice=True)
    channel_id = SelectField(_l("Channel"), validate_choice=False,
                             description=_l("the channels recommended for the chosen market"))
    status = SelectField(i18n.FIELDS["status"], validators=[DataRequired()], validate_choice=True)
    date = DateField(_l("Date"), validators=[DataRequired()])
    note = StringField(_l("Note"), validators=[Optional(), Length(max=2000)])
    submit = SubmitField(_l("Record"))

    def __init__(self, *args, markets=(), channels=(), **kwargs):
        super().__init__(*args, **kwargs)
        # a dict groups the choices (recommended markets first); either way an empty first choice
        placeholder = options([("", _l("Choose a market"))])
        if isinstance(markets, dict):
            self.market.choices = placeholder + [c for group, pairs in markets.items()
                                                 for c in options(pairs, str(group))]
        else:
            self.market.choices = placeholder + options(markets)
        self.channel_id.choices = options([("", _l("No specific channel")), *channels])
        self.status.choices = options([("", _l("Choose what happened")),
                                       *((s, i18n.OUTCOME_STATUS[s]) for s in OUTCOME_STATUSES)])

    def validate_channel_id(self, field):
        if field.data and field.data not in {c.value for c in field.choices}:
            raise ValidationError(_l("«%(value)s» is not one of the channels recommended for this market",
                                     value=field.data))


class LanguageForm(FlaskForm):
    lang = HiddenField()
    next = HiddenField()
