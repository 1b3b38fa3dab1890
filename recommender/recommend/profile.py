"""The firm profile: what a borsista knows about a firm, validated and typed.

``FirmProfile.from_dict`` accepts the JSON/CLI shape and raises one
:class:`InvalidInput` listing *every* bad field with a reason and, where
possible, suggestions.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

from recommender.errors import FieldError, InvalidInput, LookupFailed
from recommender.lookups import (
    AtecoDivision,
    District,
    Province,
    districts_for_province,
    resolve_ateco,
    resolve_country,
    resolve_district,
    resolve_province,
)
from recommender.maturity import Maturity, assess

CUSTOMER_TYPES = ("b2b", "b2c", "both")
KNOWN_FIELDS = {"ateco", "province", "district", "customer_type", "current_markets", "excluded_markets",
                "languages", "employees", "maturity_level", "maturity_answers", "name"}
# size limits of the text fields and lists (the API's JSON schema states the same numbers from here)
MAX_LENGTHS = {"name": 200, "ateco": 20, "province": 60, "district": 120}
MAX_MARKETS = 80          # entries of current_markets / excluded_markets
MAX_MARKET_LENGTH = 60    # characters of one market
MAX_LANGUAGES = 20


def name_error(name) -> FieldError | None:
    """The firm name's rule (optional, at most MAX_LENGTHS["name"] characters), apart
    from the rest of the profile: registry scoring validates a row's profile once per
    distinct profile and its name once per row."""
    if name not in (None, "") and len(str(name)) > MAX_LENGTHS["name"]:
        return FieldError("name", f"at most {MAX_LENGTHS['name']} characters", value=len(str(name)))
    return None


@dataclass(frozen=True)
class FirmProfile:
    ateco: AtecoDivision
    maturity: Maturity
    province: Province | None = None
    district: District | None = None
    customer_type: str | None = None   # None = default from the sector's data
    current_markets: tuple[str, ...] = ()
    excluded_markets: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    employees: int | None = None
    name: str | None = None
    warnings: tuple[str, ...] = field(default=())

    @property
    def provinces(self) -> tuple[str, ...]:
        """The firm's province, or its district's provinces."""
        if self.province is not None:
            return (self.province.sigla,)
        return tuple(self.district.provinces) if self.district is not None else ()

    @classmethod
    def from_dict(cls, data: dict) -> "FirmProfile":
        if not isinstance(data, dict):
            raise InvalidInput([FieldError("", "a firm profile must be a JSON object")])
        errors: list[FieldError] = []
        for key in sorted(set(data) - KNOWN_FIELDS):
            errors.append(FieldError(key, "unknown field", suggestions=tuple(
                difflib.get_close_matches(key, sorted(KNOWN_FIELDS), n=3))))

        too_long = set()
        for fld, most in MAX_LENGTHS.items():
            if fld != "name" and isinstance(data.get(fld), str) and len(data[fld]) > most:
                errors.append(FieldError(fld, f"at most {most} characters", value=len(data[fld])))
                too_long.add(fld)
        if (err := name_error(data.get("name"))) is not None:
            errors.append(err)

        def lookup(fn, fld, value):
            if fld in too_long:
                return None
            try:
                return fn(str(value), field=fld)
            except LookupFailed as exc:
                errors.append(exc.error)
                return None

        ateco = None
        if data.get("ateco") in (None, ""):
            errors.append(FieldError("ateco", "required: the firm's ATECO code, e.g. 23.31 or 14.13"))
        else:
            ateco = lookup(resolve_ateco, "ateco", data["ateco"])

        province = district = None
        if data.get("province") not in (None, ""):
            province = lookup(resolve_province, "province", data["province"])
        if data.get("district") not in (None, ""):
            district = lookup(resolve_district, "district", data["district"])
        if data.get("province") in (None, "") and data.get("district") in (None, ""):
            errors.append(FieldError("province", "one of province or district is required"))

        customer = data.get("customer_type")
        if customer not in (None, ""):
            customer = str(customer).strip().lower()
            if customer not in CUSTOMER_TYPES:
                errors.append(FieldError("customer_type", "must be b2b, b2c or both", value=data["customer_type"],
                                         suggestions=CUSTOMER_TYPES))
                customer = None
        else:
            customer = None

        def markets(fld):
            raw = data.get(fld) or []
            if isinstance(raw, str):
                raw = [x for x in raw.replace(",", ";").split(";") if x.strip()]
            if not isinstance(raw, (list, tuple)):
                errors.append(FieldError(fld, "must be a list of country codes or names"))
                return ()
            if len(raw) > MAX_MARKETS:
                errors.append(FieldError(fld, f"at most {MAX_MARKETS} markets", value=len(raw)))
                return ()
            out = []
            for i, v in enumerate(raw):
                if isinstance(v, str) and len(v) > MAX_MARKET_LENGTH:
                    errors.append(FieldError(f"{fld}[{i}]", f"at most {MAX_MARKET_LENGTH} characters", value=len(v)))
                    continue
                c = lookup(resolve_country, f"{fld}[{i}]", v)
                if c is not None and c.iso3 not in out:
                    out.append(c.iso3)
            return tuple(out)

        current, excluded = markets("current_markets"), markets("excluded_markets")

        langs_raw = data.get("languages") or []
        if isinstance(langs_raw, str):
            langs_raw = [x for x in langs_raw.replace(",", ";").split(";") if x.strip()]
        languages = []
        if isinstance(langs_raw, (list, tuple)) and len(langs_raw) > MAX_LANGUAGES:
            errors.append(FieldError("languages", f"at most {MAX_LANGUAGES} languages", value=len(langs_raw)))
            langs_raw = []
        for i, lang in enumerate(langs_raw if isinstance(langs_raw, (list, tuple)) else [None]):
            if not isinstance(lang, str) or not lang.strip().isalpha() or len(lang.strip()) != 2:
                errors.append(FieldError(f"languages[{i}]", "must be an ISO 639-1 code such as en, de, fr", value=lang))
            else:
                languages.append(lang.strip().lower())

        employees = data.get("employees")
        if employees not in (None, ""):
            try:
                employees = int(data["employees"])  # present: its value is not None or ""
                if employees < 0 or employees > 1_000_000:
                    raise ValueError
            except (TypeError, ValueError):
                errors.append(FieldError("employees", "must be a whole number from 0 to 1,000,000", value=data["employees"]))
                employees = None
        else:
            employees = None

        maturity = None
        level, answers = data.get("maturity_level"), data.get("maturity_answers")
        try:
            maturity = assess(level=None if level in (None, "") else level, answers=answers or None)
        except InvalidInput as exc:
            errors.extend(exc.errors)

        if errors:
            raise InvalidInput(errors)
        # no errors: the ATECO lookup and assess() both succeeded
        assert ateco is not None and maturity is not None

        warnings = []
        if district is not None and ateco is not None and ateco.division not in district.ateco_divisions:
            warnings.append(f"ATECO {ateco.division} is not among the district's specialisations "
                            f"({', '.join(district.ateco_divisions)})")
        if province is not None and district is not None and province.sigla not in district.provinces:
            warnings.append(f"province {province.sigla} is not in district {district.name}")
        return cls(ateco=ateco, maturity=maturity, province=province, district=district, customer_type=customer,
                   current_markets=current, excluded_markets=excluded, languages=tuple(languages),
                   employees=employees, name=(str(data["name"]) if data.get("name") else None),
                   warnings=tuple(warnings))

    def suggested_districts(self) -> list[dict]:
        if self.district is not None or self.province is None:
            return []
        found = districts_for_province(self.province.sigla)
        found.sort(key=lambda d: self.ateco.division not in d.ateco_divisions)  # stable: sector matches first
        return [{"slug": d.slug, "name": d.name} for d in found]

    def to_dict(self) -> dict:
        """JSON shape, normalised (resolved codes, not what was typed)."""
        return {
            "name": self.name,
            "ateco": self.ateco.division if self.ateco else None,
            "ateco_code": getattr(self.ateco, "ateco_code", None),
            "sector": {"division": self.ateco.division, "name_it": self.ateco.name_it, "name_en": self.ateco.name_en,
                       "model_sector": self.ateco.model_sector},
            "province": self.province.sigla if self.province else None,
            "district": self.district.slug if self.district else None,
            "provinces": list(self.provinces),
            # a province alone suggests its districts, those matching the sector first
            "suggested_districts": self.suggested_districts(),
            "customer_type": self.customer_type,
            "current_markets": list(self.current_markets),
            "excluded_markets": list(self.excluded_markets),
            "languages": list(self.languages),
            "employees": self.employees,
            "maturity": {"level": self.maturity.level, "score": self.maturity.score,
                         "label_it": self.maturity.label_it, "label_en": self.maturity.label_en,
                         "missing": list(self.maturity.missing)},
            "warnings": list(self.warnings),
        }


