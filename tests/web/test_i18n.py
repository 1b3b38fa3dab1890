"""Every user-facing string of the web app is in the Italian catalog and
translated (so no English text leaks into the Italian pages), and the
compiled catalog is up to date."""

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
PO = ROOT / "api" / "translations" / "it" / "LC_MESSAGES" / "messages.po"
METHODS = [("api/**/templates/**.html", "jinja2"), ("api/**.py", "python")]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None}


def _source_messages() -> set:
    found = set()
    for _file, _line, msg, _comments, _ctx in extract_from_dir(str(ROOT), METHODS, keywords=KEYWORDS):
        found.add(msg if isinstance(msg, str) else tuple(msg))
    return found


def test_every_string_is_translated_in_italian():
    with PO.open("rb") as f:
        catalog = read_po(f, locale="it")
    translated = {m.id if isinstance(m.id, str) else tuple(m.id) for m in catalog
                  if m.id and m.string and (all(m.string) if isinstance(m.string, tuple) else True)
                  and "fuzzy" not in m.flags}
    source = _source_messages()
    assert len(source) > 200  # the extraction really read the templates and forms
    missing = sorted(str(m) for m in source - translated)
    assert not missing, f"untranslated (run `make translations-extract`, then translate): {missing}"


def test_compiled_catalog_is_current():
    mo = PO.with_suffix(".mo")
    assert mo.exists() and mo.stat().st_mtime >= PO.stat().st_mtime, "run `make translations`"
