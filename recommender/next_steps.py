"""Next steps: 3-5 ordered actions from the firm's maturity toward its channels.

Steps come from a small catalogue of capabilities with prerequisites (a
website before a foreign-language site, a catalogue before a marketplace
account...). Capabilities the firm already has are skipped; what the
recommended channels need comes first, in prerequisite order, then opening
the best reachable channel.
"""

from __future__ import annotations

from dataclasses import dataclass

# capability -> (prerequisites, Italian, English)
STEPS: dict[str, tuple[tuple[str, ...], str, str]] = {
    "website": ((), "Creare un sito web aziendale con contatti e prodotti",
                "Build a company website with contacts and products"),
    "site_foreign_language": (("website",), "Tradurre il sito in inglese (e nella lingua dei mercati scelti)",
                              "Translate the site into English (and the target markets' languages)"),
    "online_catalogue": (("website",), "Pubblicare un catalogo online con prezzi e foto, in inglese",
                         "Publish an online catalogue with prices and photos, in English"),
    "social_accounts": ((), "Aprire e curare profili social aziendali (LinkedIn per B2B, Instagram per B2C)",
                        "Open and run business social accounts (LinkedIn for B2B, Instagram for B2C)"),
    "web_analytics": (("website",), "Attivare la web analytics e il tracciamento delle conversioni",
                      "Set up web analytics and conversion tracking"),
    "online_payments": (("online_catalogue",), "Attivare i pagamenti online (carte, PayPal, bonifico istantaneo)",
                        "Enable online payments (cards, PayPal, instant transfer)"),
    "ships_abroad": ((), "Organizzare spedizioni di pacchi all'estero (corriere, resi, dogana extra-UE)",
                     "Organise parcel shipping abroad (courier, returns, non-EU customs)"),
    "foreign_language_staff": ((), "Formare o assumere una persona che segua i clienti esteri in inglese",
                               "Train or hire someone to serve foreign customers in English"),
    "crm_email": ((), "Raccogliere i contatti con consenso GDPR e avviare l'e-mail marketing",
                  "Collect GDPR-consented contacts and start e-mail marketing"),
    "sells_own_site": (("online_catalogue", "online_payments"), "Aprire l'e-shop sul proprio sito",
                       "Open the e-shop on the firm's own site"),
    "paid_ads": (("web_analytics",), "Avviare campagne pubblicitarie a pagamento mirate ai mercati scelti",
                 "Start paid ad campaigns targeting the chosen markets"),
    "sells_marketplaces": (("online_catalogue", "ships_abroad"), "Vendere su un marketplace", "Sell on a marketplace"),
}
ORDER = list(STEPS)


@dataclass(frozen=True)
class Step:
    id: str
    text_it: str
    text_en: str
    text: str
    channel_id: str | None = None


def _with_prerequisites(cap: str, have: set[str], out: list[str]) -> None:
    for pre in STEPS[cap][0]:
        if pre not in have and pre not in out:
            _with_prerequisites(pre, have, out)
    if cap not in have and cap not in out:
        out.append(cap)


def next_steps(maturity, channels: list[dict], lang: str = "it", max_steps: int = 5) -> list[Step]:
    """Ordered actions; ``channels`` are suggestion dicts (reachable, steps_to_reach, name, channel_id)."""
    answers = getattr(maturity, "answers", None) or {}
    have = {k for k, v in answers.items() if v}
    if not answers:  # only a level: assume nothing beyond what the level implies at minimum
        have = set(ORDER[: {1: 0, 2: 1, 3: 3, 4: 6}[maturity.level]])
    needed: list[str] = []
    focus = channels[:3]  # the top channels drive the plan; more would dilute it
    for c in focus:
        for cap in c.get("steps_to_reach") or c.get("prerequisites", []):
            if cap in STEPS:
                _with_prerequisites(cap, have, needed)
    if not needed and not channels:
        for cap in ORDER:
            _with_prerequisites(cap, have, needed)
    steps = [Step(cap, STEPS[cap][1], STEPS[cap][2], STEPS[cap][1] if lang == "it" else STEPS[cap][2]) for cap in needed]
    steps = steps[: max_steps - 1] if channels else steps[:max_steps]
    for c in focus:  # then open the best channels once these are done
        it = f"Aprire il canale {c['name']} ({c['requirements_it']})"
        en = f"Open the {c['name']} channel ({c['requirements_en']})"
        steps.append(Step(f"open:{c['channel_id']}", it, en, it if lang == "it" else en, c["channel_id"]))
        if len(steps) >= max_steps:
            break
    while len(steps) < 3:  # always at least 3 concrete actions
        cap = next((x for x in ORDER if x not in have and x not in {s.id for s in steps}), None)
        if cap is None:
            break
        steps.append(Step(cap, STEPS[cap][1], STEPS[cap][2], STEPS[cap][1] if lang == "it" else STEPS[cap][2]))
    return steps[:max_steps]
