"""Pages for borsisti and Chamber staff. Each view validates its input, calls
one function of ``api.registry`` / ``api.chamber_stats`` / the recommender,
and renders. Every firm is looked up within the user's tenant: another
Chamber's firm is a 404. Every POST is CSRF-checked; every page needs a
signed-in user."""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from datetime import date

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from werkzeug.exceptions import HTTPException

from api import ateco_search, chamber_stats, registry
from api.auth import csrf
from api.auth.users import set_locale
from api.auth.views import safe_path
from api.blueprints.reference import search_items
from api.errors import DATABASE_UNAVAILABLE
from api.web import database_down_page, i18n, no_model_page, pdf, presenter
from api.web.forms import FirmForm, LanguageForm, OutcomeForm, QuestionnaireForm, RerankForm, options
from recommender.errors import InvalidInput, LookupFailed, ModelError
from recommender.lookups import all_countries, all_districts, districts_for_province, resolve_province
from recommender.maturity import QUESTIONS

bp = Blueprint("web", __name__, template_folder="templates", static_folder="static", static_url_path="/web/static")
PAGE_SIZE = 20
K = 10  # markets per recommendation page and plan


@bp.before_request
def _check_csrf():
    csrf.protect()  # POST/PUT/PATCH/DELETE only; CSRFError (400) otherwise


def _firm_or_404(firm_id: int):
    firm = registry.own_firm(g.db, current_user.tenant_id, firm_id)
    if firm is None:
        abort(404)
    return firm


def attach_errors(form, exc: InvalidInput | LookupFailed, skip: set[str] = frozenset()) -> None:
    """Put the library's field errors (the value, the reason, suggestions) next to the
    form's fields; fields in ``skip`` already show the form's own error for the same value."""
    errors = exc.errors if isinstance(exc, InvalidInput) else [exc.error]
    for e in errors:
        name = i18n.form_field(e)
        if name in skip:
            continue
        message = i18n.error_message(e)
        if name in form._fields:
            if message not in form[name].errors:
                form[name].errors = list(form[name].errors) + [message]
            if e.suggestions:
                known = form.suggestions.setdefault(name, [])
                known.extend(x for x in e.suggestions if x not in known)
        else:
            form.form_errors.append(f"{i18n.label(i18n.FIELDS, name)}: {message}" if name else message)


def _validate_firm_form(form: FirmForm, base: dict | None = None) -> bool:
    """Check the form's shape and what its values mean together, so every bad
    field is shown after one submit (not the shape errors first, then the
    library's). True when all is valid; ``base`` is the stored firm an edit merges into."""
    shape_ok = form.validate()
    if shape_ok:
        return True
    skip = set(form.errors)
    try:
        registry.validated({**(base or {}), **form.to_firm_data()})
    except InvalidInput as exc:
        attach_errors(form, exc, skip=skip)
    return False


def _district_choices(province: str | None, current: str | None = None) -> list[tuple[str, str]]:
    """Districts of the typed province (all districts if it does not resolve)."""
    try:
        found = districts_for_province(resolve_province(province).sigla) if province else all_districts()
    except LookupFailed:
        found = all_districts()
    choices = [("", _("No district / not sure"))]
    choices += sorted(((d.slug, d.name) for d in found), key=lambda c: c[1])
    if current and current not in {c[0] for c in choices}:
        choices.append((current, current))
    return choices


@bp.errorhandler(HTTPException)
def _http_error(e: HTTPException):
    return render_template("error.html", code=e.code, message=None), e.code


# outages: a 503 page (before the catch-all below, which would make them a 500)
for _exc in DATABASE_UNAVAILABLE:
    bp.register_error_handler(_exc, database_down_page)
bp.register_error_handler(ModelError, no_model_page)


@bp.errorhandler(registry.FirmGone)
def _firm_gone(_e):  # deleted (by another user or through the API) while this page was writing
    return render_template("error.html", code=404, message=None), 404


@bp.errorhandler(registry.ConcurrentChange)
def _concurrent_change(_e):
    return render_template("error.html", code=409, message=None), 409


@bp.errorhandler(Exception)
def _unexpected(e: Exception):  # a bug: logged; the user sees a plain page, never a trace
    current_app.logger.exception("unhandled error in the web app")
    return render_template("error.html", code=500, message=None), 500


# -- pages --------------------------------------------------------------------
@bp.route("/")
def index():
    return redirect(url_for("web.firms") if current_user.is_authenticated else url_for("auth.login"))


@bp.route("/firms")
@login_required
def firms():
    q = request.args.get("q", "").strip()[:100]
    page = max(1, request.args.get("page", 1, type=int) or 1)
    items, total = registry.list_firms(g.db, current_user.tenant_id, q=q, limit=PAGE_SIZE,
                                       offset=(page - 1) * PAGE_SIZE)
    pages = max(1, -(-total // PAGE_SIZE))
    return render_template("firms/list.html", firms=items, total=total, q=q, page=page, pages=pages)


@bp.route("/firms/new", methods=["GET", "POST"])
@login_required
def firm_new():
    form = FirmForm()
    form.district.choices = options(_district_choices(form.province.data, form.district.data))
    if form.is_submitted() and _validate_firm_form(form):
        try:
            firm = registry.create_firm(g.db, current_user.tenant_id, form.to_firm_data())
        except InvalidInput as exc:
            attach_errors(form, exc)
        else:
            flash(_("Firm saved. Next: the web-maturity questionnaire."), "success")
            return redirect(url_for("web.questionnaire", firm_id=firm.id))
    status = 422 if form.errors or form.form_errors else 200
    return render_template("firms/form.html", form=form, firm=None), status


@bp.route("/firms/<int:firm_id>/edit", methods=["GET", "POST"])
@login_required
def firm_edit(firm_id):
    firm = _firm_or_404(firm_id)
    has_q = bool(firm.profile.get("maturity_answers"))
    form = FirmForm(has_questionnaire=has_q) if request.method == "POST" else FirmForm.from_firm(firm)
    form.district.choices = options(_district_choices(form.province.data, form.district.data))
    stored = {"name": firm.name, "vat_number": firm.vat_number, **firm.profile}
    if form.is_submitted() and _validate_firm_form(form, stored):
        try:
            registry.update_firm(g.db, firm, form.to_firm_data())
        except InvalidInput as exc:
            g.db.rollback()
            attach_errors(form, exc)
        else:
            flash(_("Changes saved."), "success")
            return redirect(url_for("web.firm", firm_id=firm.id))
    status = 422 if form.errors or form.form_errors else 200
    return render_template("firms/form.html", form=form, firm=firm), status


def _latest_result(firm) -> dict | None:
    latest = registry.latest_recommendation(g.db, firm)
    return latest.result if latest else None


def _outcome_form(firm, formdata=None, outcome=None) -> OutcomeForm:
    """The outcome form: recommended markets first, then the others; the channels
    the recommendation gave for the chosen market (the posted one, or the outcome's)."""
    result = _latest_result(firm)
    recommended = presenter.market_choices(result)
    rec_codes = {c for c, _n in recommended}
    others = sorted(((c.iso3, i18n.country_name(c.iso3)) for c in all_countries() if c.iso3 not in rec_codes),
                    key=lambda c: c[1])
    markets = {_("Recommended markets"): recommended, _("Other markets"): others} if recommended else others
    market = (formdata.get("market") if formdata is not None else outcome.market if outcome is not None else None)
    channels = presenter.market_channel_choices(result, market)
    if outcome is not None and outcome.channel_id and outcome.channel_id not in {c for c, _n in channels}:
        channels.append((outcome.channel_id, presenter.channel_name(outcome.channel_id)))  # kept as recorded
    data = None
    if outcome is not None and formdata is None:
        data = {"market": outcome.market, "channel_id": outcome.channel_id or "", "status": outcome.status,
                "date": outcome.date, "note": outcome.note or ""}
    return OutcomeForm(formdata=formdata, data=data, markets=markets, channels=channels)


def _firm_page(firm, outcome_form, status=200):
    history = registry.assessments(g.db, firm)
    outcomes = registry.feedback_for(g.db, current_user.tenant_id, firm)
    latest = registry.latest_recommendation(g.db, firm)
    return render_template("firms/detail.html", firm=firm, history=history, outcomes=outcomes, latest=latest,
                           form=outcome_form, outcome_history=registry.feedback_history(g.db, firm),
                           understood=presenter.understood(firm), reading=presenter.maturity_reading(history),
                           channel_name=presenter.channel_name), status


def _outcome_or_404(firm, outcome_id: int):
    fb = registry.own_feedback(g.db, current_user.tenant_id, outcome_id)
    if fb is None or fb.firm_id != firm.id:
        abort(404)
    return fb


@bp.route("/firms/<int:firm_id>")
@login_required
def firm(firm_id):
    firm = _firm_or_404(firm_id)
    return _firm_page(firm, _outcome_form(firm))


@bp.route("/firms/<int:firm_id>/outcomes", methods=["POST"])
@login_required
def outcome_new(firm_id):
    firm = _firm_or_404(firm_id)
    form = _outcome_form(firm, request.form)
    if form.validate():
        try:
            registry.record_feedback(g.db, firm, form.market.data, form.status.data, form.date.data,
                                     channel_id=form.channel_id.data or None, note=form.note.data or None)
        except (InvalidInput, LookupFailed) as exc:
            attach_errors(form, exc)
        else:
            flash(_("Outcome recorded."), "success")
            return redirect(url_for("web.firm", firm_id=firm.id, _anchor="outcomes"))
    return _firm_page(firm, form, 422)


@bp.route("/firms/<int:firm_id>/outcomes/channels")
@login_required
def outcome_channels(firm_id):
    """<option>s of the channel field for the chosen market (htmx; without it the page
    narrows the list after a submit)."""
    firm = _firm_or_404(firm_id)
    market = request.args.get("market", "")[:3]
    options = [("", _("No specific channel")), *presenter.market_channel_choices(_latest_result(firm), market)]
    return render_template("lookup/options.html", options=options)


@bp.route("/firms/<int:firm_id>/outcomes/<int:outcome_id>/edit", methods=["GET", "POST"])
@login_required
def outcome_edit(firm_id, outcome_id):
    firm = _firm_or_404(firm_id)
    outcome = _outcome_or_404(firm, outcome_id)
    form = _outcome_form(firm, request.form if request.method == "POST" else None, outcome=outcome)
    if request.method == "POST" and form.validate():
        try:
            registry.edit_feedback(g.db, firm, outcome, form.market.data, form.status.data, form.date.data,
                                   channel_id=form.channel_id.data or None, note=form.note.data or None,
                                   user_id=current_user.id)
        except (InvalidInput, LookupFailed) as exc:
            g.db.rollback()
            attach_errors(form, exc)
        else:
            flash(_("Outcome changed; the earlier version is kept in the history."), "success")
            return redirect(url_for("web.firm", firm_id=firm.id, _anchor="outcomes"))
    status = 422 if form.errors or form.form_errors else 200
    return render_template("firms/outcome_edit.html", firm=firm, outcome=outcome, form=form), status


@bp.route("/firms/<int:firm_id>/outcomes/<int:outcome_id>/delete", methods=["POST"])
@login_required
def outcome_delete(firm_id, outcome_id):
    firm = _firm_or_404(firm_id)
    outcome = _outcome_or_404(firm, outcome_id)
    registry.delete_feedback(g.db, firm, outcome, user_id=current_user.id)
    flash(_("Outcome deleted; it stays in the history."), "success")
    return redirect(url_for("web.firm", firm_id=firm.id, _anchor="outcomes"))


@bp.route("/firms/<int:firm_id>/questionnaire", methods=["GET", "POST"])
@login_required
def questionnaire(firm_id):
    firm = _firm_or_404(firm_id)
    history = registry.assessments(g.db, firm)
    if request.method == "GET" and history:  # start from the last answers
        last = history[0].answers
        form = QuestionnaireForm(data={q.id: ("yes" if last.get(q.id) else "no" if q.id in last else "unknown")
                                       for q in QUESTIONS})
    else:
        form = QuestionnaireForm()
    if form.validate_on_submit():
        answers = form.answers()
        try:
            row = registry.save_assessment(g.db, firm, answers, user_id=current_user.id)
        except InvalidInput as exc:
            g.db.rollback()
            attach_errors(form, exc)
        else:
            flash(_("Questionnaire saved: web maturity %(level)s of 4 (%(label)s), %(score)s yes out of 12.",
                    level=row.level, label=i18n.level_label(row.level), score=row.score), "success")
            unknown = [q for q in QUESTIONS if answers.get(q.id) is None]
            if unknown:  # a partial submit says what is still open and what it means for the level
                texts = "; ".join(q.text_en if i18n.lang() == "en" else q.text_it for q in unknown)
                flash(ngettext("%(num)d answer left as \"don't know\" counts as \"not yet\" until answered: %(questions)s",
                               "%(num)d answers left as \"don't know\" count as \"not yet\" until answered: "
                               "%(questions)s", len(unknown), questions=texts), "info")
            return redirect(url_for("web.firm", firm_id=firm.id))
    status = 422 if form.errors or form.form_errors else 200
    return render_template("firms/questionnaire.html", firm=firm, form=form, questions=QUESTIONS,
                           history=history), status


def _recommendation(firm, form: RerankForm):
    """(result or None, error message or None) for the firm with the page's what-if changes."""
    holder = current_app.extensions["model_holder"].get()
    overrides = form.overrides() if request.args and form.validate() else {}
    try:
        # explore only on the firm's own ranking: it is the one stored and logged as an impression
        result = registry.recommend_for_firm(holder, firm, overrides, k=K, lang=i18n.lang(),
                                             explore=0.0 if overrides else current_app.config["EXPLORATION_SHARE_WEB"])
    except InvalidInput as exc:
        if not overrides:
            return None, "; ".join(i18n.reason(e.reason) for e in exc.errors)
        attach_errors(form, exc)  # the changed fields are wrong: show them, keep the firm's own ranking
        return _recommendation(firm, RerankForm(formdata=None))
    if not overrides:
        registry.remember_recommendation(g.db, firm, holder.model.version, result,
                                         keep=current_app.config["HISTORY_MAX_PER_FIRM"], surface="web")
    return result, None


@bp.route("/firms/<int:firm_id>/recommendation")
@login_required
def recommendation(firm_id):
    firm = _firm_or_404(firm_id)
    form = RerankForm(formdata=request.args)
    if not request.args:  # the what-if fields start from the firm's file, not empty
        for name in ("current_markets", "excluded_markets"):
            getattr(form, name).data = ", ".join(firm.profile.get(name) or [])
    result, error = _recommendation(firm, form)
    ctx = {"firm": firm, "form": form, "result": result, "error": error,
           "chart": presenter.score_chart(result) if result else None,
           "groups": presenter.market_groups(result["markets"]) if result else [],
           "vintages": presenter.flatten_vintages(result.get("data_vintages")) if result else []}
    if request.headers.get("HX-Request") and not request.headers.get("HX-Boosted"):
        return render_template("recommendation/_body.html", **ctx)
    return render_template("recommendation/page.html", **ctx)


@bp.route("/firms/<int:firm_id>/plan.pdf")
@login_required
def plan_pdf(firm_id):
    firm = _firm_or_404(firm_id)
    form = RerankForm(formdata=request.args)
    result, error = _recommendation(firm, form)
    if result is None:
        flash(error, "error")
        return redirect(url_for("web.recommendation", firm_id=firm.id))
    html = render_template("plan/plan.html", firm=firm, result=result, chart=presenter.score_chart(result),
                           groups=presenter.market_groups(result["markets"]),
                           vintages=presenter.flatten_vintages(result.get("data_vintages")), today=date.today())
    # named after the firm and the day, as a borsista files it: piano-export-lanificio-bisenzio-2026-12-04.pdf
    name = re.sub(r"[^a-z0-9]+", "-", unicodedata.normalize("NFKD", firm.name).encode("ascii", "ignore")
                  .decode().lower()).strip("-")[:60] or str(firm.id)
    filename = f"{'piano-export' if i18n.lang() == 'it' else 'export-plan'}-{name}-{date.today().isoformat()}.pdf"
    return Response(pdf.render(html), mimetype="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@bp.route("/dashboard")
@login_required
def dashboard():
    return render_template("dashboard.html", s=chamber_stats.summary(g.db, current_user.tenant_id))


@bp.route("/dashboard.csv")
@login_required
def dashboard_csv():
    buf = io.StringIO()
    rows = chamber_stats.csv_rows(chamber_stats.summary(g.db, current_user.tenant_id))
    csv.writer(buf).writerows([chamber_stats.csv_safe(cell) for cell in row] for row in rows)
    return Response(buf.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": 'attachment; filename="chamber-firms.csv"'})


@bp.route("/language", methods=["POST"])
def language():
    form = LanguageForm()
    if form.validate_on_submit() and form.lang.data in current_app.config["LANGUAGES"]:
        session["lang"] = form.lang.data
        if current_user.is_authenticated:
            set_locale(g.db, current_user.id, form.lang.data)
    return redirect(safe_path(form.next.data, url_for("web.index")))


# -- autocomplete fragments (htmx; the pages work without them) ----------------
@bp.route("/lookup/places")
@login_required
def lookup_places():
    """<option>s for the province/comune field: matching provinces, and the comune typed if it resolves."""
    q = request.args.get("province", "").strip()[:60]
    options = [(p["sigla"], f'{p["name"]} ({p["sigla"]})') for p in search_items("provinces", q)["items"][:15]] \
        if len(q) >= 2 else []
    try:
        prov = resolve_province(q) if len(q) >= 2 else None
    except LookupFailed:
        prov = None
    if prov is not None and q.upper() != prov.sigla:
        options.insert(0, (q, f"{q} → {prov.name} ({prov.sigla})"))
    return render_template("lookup/options.html", options=options)


@bp.route("/lookup/ateco")
@login_required
def lookup_ateco():
    """<option>s for the ATECO field: codes and titles for a product word ("occhiali",
    "vino") or part of a code ("325", "32.50"), see api/ateco_search.py."""
    q = request.args.get("ateco", "").strip()[:60]
    return render_template("lookup/options.html",
                           options=[(m.code, f"{m.code} – {m.title}") for m in ateco_search.search(q)])


@bp.route("/lookup/districts")
@login_required
def lookup_districts():
    return render_template("lookup/options.html", options=_district_choices(request.args.get("province", "")[:60]),
                           selected=request.args.get("district"))
