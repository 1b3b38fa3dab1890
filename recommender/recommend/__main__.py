"""``python -m recommender.recommend``: recommendations for one firm, in the terminal.

Example:
    python -m recommender.recommend --ateco 23.31 --province MO --maturity-level 2 --customer b2b -k 10

Prints a readable table (Italian by default, --lang en) or the full result
as JSON (--json). Web maturity is either --maturity-level 1-4 or
--answers FILE (a JSON object of the 12 yes/no questionnaire answers).
Exit codes: 0 ok, 2 invalid input (every bad field is listed), 3 model problem.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from recommender.errors import InvalidInput, ModelError, RecommenderError

LABELS = {
    "it": {"title": "Mercati consigliati", "market": "Mercato", "score": "Punteggio", "pot": "Italia",
           "fit": "Orizzonte", "now": "ora", "prepare": "prepara liv.", "status": "Stato", "channels": "Canali", "why": "Perché", "steps": "Prossimi passi",
           "overall": "Canali consigliati", "excluded": "Esclusi (embargo o divieto per il prodotto)", "product": "Prodotto", "new": "nuovo", "expand": "espandi",
           "model": "Modello", "maturity": "Maturità digitale"},
    "en": {"title": "Recommended markets", "market": "Market", "score": "Score", "pot": "Italy",
           "fit": "Horizon", "now": "now", "prepare": "prepare lvl", "status": "Status", "channels": "Channels", "why": "Why", "steps": "Next steps",
           "overall": "Recommended channels", "excluded": "Excluded (embargo or ban on the product)", "product": "Product", "new": "new", "expand": "expand",
           "model": "Model", "maturity": "Digital maturity"},
}


def render(result: dict) -> str:
    lang = result["lang"]
    L = LABELS[lang]
    name = "name_it" if lang == "it" else "name_en"
    firm = result["firm"]
    lines = [f"ATECO {firm['ateco']} - {firm['sector']['name_' + lang]} | {', '.join(firm['provinces'])} | "
             f"{firm['customer_type'].upper()} | {L['maturity']}: {result['maturity']['label']} "
             f"({result['maturity']['level']}/4)"]
    p = result.get("product")
    if p:
        lines.append(f"{L['product']}: {p['family_name_' + lang]} (ATECO {p['subcategory'] or p['ateco_class']}, "
                     f"{p['end_use'] or '-'}; ICIO {p['parts_sector']}, forecast {p['forecast_sector']})")
    lines.append("")
    lines.append(f"{L['title']}")
    lines.append(f"{'#':>2}  {L['market']:<24}{L['score']:>9}{L['pot']:>9}  {L['fit']:<15} {L['status']:<8} {L['channels']}")
    for m in result["markets"]:
        chans = ", ".join(c.get("name_" + lang) or c["name"] for c in m["channels"])
        status = L[m["status"]]
        horizon = L["now"] if m["horizon"] == "now" else f"{L['prepare']} {m['needs_level']}"
        lines.append(f"{m['rank']:>2}  {m[name][:23]:<24}{m['score']:>9.1f}{m['parts']['peers']:>9.2f}"
                     f"  {horizon:<15} {status:<8} {chans}")
        for r in m["reasons"]:
            lines.append(f"      - {r}")
        for w in m["warnings"]:
            lines.append(f"      ! {w.get('text') or w.get('rule')}" + (f" -> {w['step']}" if w.get("step") else ""))
    if result["excluded_markets"]:
        lines += ["", f"{L['excluded']}: " + ", ".join(e["iso3"] for e in result["excluded_markets"])]
    lines += ["", f"{L['overall']}:"] + [f"  - {c.get('name_' + lang) or c['name']}" for c in result["channels"]]
    lines += ["", f"{L['steps']}:"] + [f"  {s['order']}. {s['text']} [{s['owner_label']}"
                                       + (f", {s['effort']}" if s.get("effort") else "") + "]"
                                       for s in result["next_steps"]]
    lines += ["", f"{L['model']}: {result['model_version']} | {result['scoring']['formula']}"]
    for w in firm.get("warnings", []):
        lines.append(f"! {w}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m recommender.recommend", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--ateco", required=True, help="ATECO code in any usual spelling: 23.31, 2331, C23, 14.13.1")
    p.add_argument("--province", help="province: sigla (MO), name (Modena) or a comune (Sassuolo)")
    p.add_argument("--district", help="industrial district: slug or name (e.g. 'ceramica di sassuolo')")
    p.add_argument("--customer", choices=["b2b", "b2c", "both"], help="customer type (default: from the sector's data)")
    p.add_argument("--maturity-level", type=int, help="web maturity 1 (very low) to 4 (very high)")
    p.add_argument("--answers", type=Path, help="JSON file with the 12 yes/no maturity answers")
    p.add_argument("--current", default="", help="markets the firm already serves, e.g. DE,FR")
    p.add_argument("--exclude", default="", help="markets to leave out, e.g. US,CN")
    p.add_argument("--languages", default="", help="languages spoken in the firm, ISO 639-1, e.g. en,de")
    p.add_argument("--employees", type=int, help="number of employees")
    p.add_argument("-k", type=int, default=10, help="how many markets (1-30, default 10)")
    p.add_argument("--lang", choices=["it", "en"], default="it", help="output language (default it)")
    p.add_argument("--json", action="store_true", help="print the full result as JSON")
    p.add_argument("--models-dir", type=Path, help="models folder (default models/)")
    args = p.parse_args(argv)

    answers = None
    if args.answers:
        try:
            answers = json.loads(args.answers.read_text())
        except (OSError, json.JSONDecodeError) as exc:
            print(f"error: --answers: cannot read {args.answers}: {exc}", file=sys.stderr)
            return 2
    data = {"ateco": args.ateco, "province": args.province, "district": args.district,
            "customer_type": args.customer, "maturity_level": args.maturity_level, "maturity_answers": answers,
            "current_markets": args.current, "excluded_markets": args.exclude, "languages": args.languages,
            "employees": args.employees}
    try:
        from recommender.model.artifact import load_current
        from recommender.recommend import FirmProfile, Recommender

        profile = FirmProfile.from_dict(data)
        result = Recommender(load_current(args.models_dir)).recommend(profile, k=args.k, lang=args.lang)
    except InvalidInput as exc:
        print("error: invalid input", file=sys.stderr)
        for e in exc.errors:
            print(f"  - {e}", file=sys.stderr)
        return 2
    except ModelError as exc:
        print(f"error: model: {exc}", file=sys.stderr)
        return 3
    except RecommenderError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 3
    print(json.dumps(result, ensure_ascii=False, indent=2) if args.json else render(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
