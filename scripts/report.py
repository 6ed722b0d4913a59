#!/usr/bin/python3
"""The visual report of the demo database (scripts/demo.sh writes it).

One self-contained HTML file: every chart a PNG inline (data: URI), no
script, no network.  Each chart is drawn with matplotlib (the tree with
Graphviz's dot) from the chart-ready rows crm returns, and the table a
person needs is printed beside it.  Reads the database the demo made
(crm.generate_demo_data, then scripts/demo.sql: grades refreshed, the
decision tree 'offer' trained on the view public.offer_customers).

    /usr/bin/python3 scripts/report.py --dbname crm --as-of 2025-12-31 --output report.html

Connection settings come from the libpq environment (PGHOST, PGPORT,
PGUSER).  Needs python3-matplotlib, python3-psycopg2 and graphviz.
"""
import argparse
import base64
import datetime
import html
import io
import subprocess

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import psycopg2  # noqa: E402

# Every chart is CHART_WIDTH x CHART_HEIGHT pixels (the browser test checks it).
CHART_WIDTH, CHART_HEIGHT, DPI = 900, 500, 100
BLUE, ORANGE, GREY = "#1f77b4", "#ff7f0e", "#7f7f7f"


def figure(ncols=1):
    fig, axes = plt.subplots(1, ncols, figsize=(CHART_WIDTH / DPI, CHART_HEIGHT / DPI), dpi=DPI)
    return fig, axes


def png(fig):
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI)
    plt.close(fig)
    return buf.getvalue()


def img(chart_id, data, alt):
    return ('<img id="%s" class="chart" alt="%s" src="data:image/png;base64,%s">'
            % (chart_id, html.escape(alt), base64.b64encode(data).decode()))


def html_table(headers, data):
    """Rows as an HTML table."""
    head = "".join("<th>%s</th>" % html.escape(h) for h in headers)
    body = "".join("<tr>%s</tr>" % "".join(
        "<td>%s</td>" % ("&ndash;" if v is None else html.escape(str(v))) for v in row)
        for row in data)
    return '<table><tr>%s</tr>%s</table>' % (head, body)


def table(cur, sql, args=None):
    """The rows of a query as an HTML table."""
    cur.execute(sql, args)
    return html_table([d.name for d in cur.description], cur.fetchall())


def fixed(x, digits):
    """A number shown with digits decimals, as SQL's round() would; None stays."""
    return None if x is None else "%.*f" % (digits, x)


def rows(cur, sql, args=None):
    cur.execute(sql, args)
    return cur.fetchall()


def section(title, chart, *tables, note=""):
    parts = ['<section><h2>%s</h2>' % html.escape(title)]
    if note:
        parts.append('<p>%s</p>' % note)
    parts.append('<div class="row">%s<div class="tables">%s</div></div></section>' % (chart, "".join(tables)))
    return "".join(parts)


def segment_matrix(cur):
    counts = {s: (v, c) for s, v, c in rows(cur, """
        SELECT s.segment, s.volume, count(g.customer_id)
          FROM crm.segment_strategies s LEFT JOIN crm.customer_grades g ON g.segment = s.segment
         GROUP BY s.segment, s.volume, s.satisfaction""")}
    strategies = rows(cur, "SELECT segment, satisfaction, volume, sales_strategy, service_strategy "
                           "FROM crm.segment_strategies ORDER BY segment")
    sats, vols = ["high", "medium", "low"], ["large", "medium", "small"]
    grid = [[0] * 3 for _ in sats]
    label = [[""] * 3 for _ in sats]
    for seg, sat, vol, sales, service in strategies:
        i, j = sats.index(sat), vols.index(vol)
        grid[i][j] = counts[seg][1]
        label[i][j] = "%s: %d\n%s\n%s" % (seg, counts[seg][1], sales.split(":")[0], service)
    fig, ax = figure()
    im = ax.imshow(grid, cmap="Blues")
    top = max(max(r) for r in grid)
    for i in range(3):
        for j in range(3):
            ax.text(j, i, label[i][j], ha="center", va="center", fontsize=9,
                    color="white" if grid[i][j] > top * 0.6 else "black")
    ax.set_xticks(range(3), ["large volume", "medium volume", "small volume"])
    ax.set_yticks(range(3), ["high\nsatisfaction", "medium\nsatisfaction", "low\nsatisfaction"])
    fig.colorbar(im, ax=ax, label="customers")
    ax.set_title("Segment matrix: customers, sales and service strategy")
    fig.tight_layout()
    return section("Segment matrix (crm.segment_matrix, crm.segment_strategies)",
                   img("chart-segment-matrix", png(fig), "segment matrix heat map"),
                   table(cur, "SELECT * FROM crm.segment_matrix"),
                   table(cur, "SELECT segment, sales_strategy, service_strategy FROM crm.segment_strategies ORDER BY segment"))


def lifecycle(cur):
    data = rows(cur, "SELECT coalesce(lifecycle_stage::text, 'never bought'), customers, net_value "
                     "FROM crm.lifecycle_summary")
    fig, (a1, a2) = figure(2)
    names = [r[0] for r in data]
    a1.barh(names, [r[1] for r in data], color=BLUE)
    a1.invert_yaxis()
    a1.set_title("customers")
    a2.barh(names, [float(r[2]) for r in data], color=[BLUE if r[2] >= 0 else ORANGE for r in data])
    a2.invert_yaxis()
    a2.set_yticks([])
    a2.set_title("net value (revenue - cost to serve)")
    fig.suptitle("Lifecycle stages")
    fig.tight_layout()
    return section("Lifecycle distribution (crm.lifecycle_summary)",
                   img("chart-lifecycle", png(fig), "lifecycle distribution"),
                   table(cur, "SELECT coalesce(lifecycle_stage::text, '(never bought)') AS lifecycle_stage, customers, "
                              "round(100 * share_of_customers, 1) AS pct, revenue, net_value FROM crm.lifecycle_summary"))


def lorenz(cur, as_of):
    curve = rows(cur, "SELECT customer_share, value_share FROM crm.lorenz_curve(%s, 'net_value', 200)", (as_of,))
    n, total, gini, top20, for80 = rows(cur, "SELECT * FROM crm.value_concentration(%s)", (as_of,))[0]
    fig, ax = figure()
    ax.plot([100 * c for c, _ in curve], [100 * v for _, v in curve], color=BLUE, lw=2, label="customers, highest value first")
    ax.plot([0, 100], [0, 100], color=GREY, ls="--", lw=1, label="every customer equal")
    ax.plot([20, 20, 0], [0, 100 * top20, 100 * top20], color=ORANGE, lw=1)
    ax.plot([100 * for80, 100 * for80, 0], [0, 80, 80], color=ORANGE, lw=1, ls=":")
    ax.annotate("top 20 %% bring %.0f %%" % (100 * top20), (20, 100 * top20), xytext=(28, 100 * top20 - 12),
                arrowprops={"arrowstyle": "->"})
    ax.set_xlabel("share of customers (%)")
    ax.set_ylabel("share of net value (%)")
    ax.set_title("Lorenz curve of net value: Gini %.3f" % gini)
    ax.legend(loc="lower right")
    ax.set_xlim(0, 100)
    ax.set_ylim(0, 101)
    fig.tight_layout()
    return section("80/20: Lorenz curve (crm.lorenz_curve, crm.value_concentration)",
                   img("chart-lorenz", png(fig), "Lorenz curve"),
                   html_table(["customers", "positive_value", "gini", "top_20_pct_bring_pct", "pct_of_customers_for_80_pct"],
                              [(n, total, fixed(gini, 3), fixed(None if top20 is None else 100 * top20, 1),
                                fixed(None if for80 is None else 100 * for80, 1))]))


def funnel(cur, as_of):
    stages = rows(cur, "SELECT stage, open_count, amount, weighted_amount FROM crm.funnel "
                       "WHERE pipeline = 'project' ORDER BY position")
    forecast = rows(cur, "SELECT month, expected_revenue FROM crm.pipeline_forecast('project', 3, %s)",
                    (as_of + datetime.timedelta(days=1),))
    fig, (a1, a2) = figure(2)
    names = ["%s (%d)" % (s, c) for s, c, _, _ in stages]
    a1.barh(names, [float(a) for _, _, a, _ in stages], color="#c6dbef", label="open amount")
    a1.barh(names, [float(w) for _, _, _, w in stages], color=BLUE, label="weighted by win probability")
    a1.invert_yaxis()
    a1.legend(loc="lower right", fontsize=8)
    a1.set_title("open funnel by stage (deals)")
    a2.bar(["month %d" % m for m, _ in forecast], [float(r) for _, r in forecast], color=ORANGE)
    a2.set_title("expected revenue, next 3 months")
    fig.suptitle("Funnel of pipeline 'project' and its forecast")
    fig.tight_layout()
    return section("Funnel and forecast (crm.funnel, crm.pipeline_forecast)",
                   img("chart-funnel", png(fig), "funnel and forecast"),
                   table(cur, "SELECT stage, open_count, amount, round(win_probability::numeric, 3) AS win_probability, "
                              "weighted_amount FROM crm.funnel WHERE pipeline = 'project' ORDER BY position"),
                   html_table(["month", "expected_revenue"], forecast))


def campaigns(cur):
    data = rows(cur, "SELECT key, roi, actual_cost, revenue_won FROM crm.campaign_roi_by_method ORDER BY roi DESC")
    fig, ax = figure()
    ax.bar([r[0] for r in data], [float(r[1]) for r in data],
           color=[BLUE if r[1] >= 0 else ORANGE for r in data])
    ax.axhline(0, color=GREY, lw=1)
    ax.set_ylabel("ROI = (revenue won - cost) / cost")
    ax.set_title("Campaign return by method")
    fig.tight_layout()
    return section("Campaign ROI (crm.campaign_roi_by_method)",
                   img("chart-campaigns", png(fig), "campaign ROI by method"),
                   table(cur, "SELECT key AS method, campaigns, actual_cost, revenue_won, roi, opportunity_ratio "
                              "FROM crm.campaign_roi_by_method"))


def quotas(cur, as_of):
    data = rows(cur, "SELECT extract(year FROM period_start)::int, region, attainment_pct FROM crm.quota_attainment "
                     "WHERE owner IS NULL AND region IS NOT NULL AND period_end <= %s "
                     "ORDER BY 1, 2", (as_of,))
    years = sorted({r[0] for r in data})
    regions = sorted({r[1] for r in data})
    fig, ax = figure()
    width = 0.8 / len(years)
    for k, y in enumerate(years):
        vals = {r[1]: float(r[2] or 0) for r in data if r[0] == y}
        ax.bar([i + k * width for i in range(len(regions))], [vals.get(g, 0) for g in regions], width, label=str(y))
    ax.axhline(100, color=GREY, ls="--", lw=1)
    ax.set_xticks([i + width * (len(years) - 1) / 2 for i in range(len(regions))], regions)
    ax.set_ylabel("attainment (%)")
    ax.set_title("Quota attainment by region and year (target = 100 %)")
    ax.legend()
    fig.tight_layout()
    return section("Quota attainment by period (crm.quota_attainment)",
                   img("chart-quotas", png(fig), "quota attainment"),
                   table(cur, "SELECT period_start, region, target, actual, attainment_pct, growth_pct "
                              "FROM crm.quota_attainment WHERE owner IS NULL AND region IS NOT NULL "
                              "AND period_end <= %s ORDER BY period_start DESC, region", (as_of,)))


def clv(cur, as_of):
    cal_end = as_of - datetime.timedelta(days=184)
    cur.execute("CREATE TEMP TABLE report_fit AS SELECT crm.bgnbd_fit(x, t_x, \"T\") AS bg "
                "FROM crm.calibration_holdout(%s, %s)", (cal_end, cal_end))
    calibration = rows(cur, "SELECT c.* FROM report_fit, crm.clv_calibration(bg, %s, %s) c", (cal_end, as_of))
    tracking = rows(cur, "SELECT period, period_end, in_holdout, actual, expected, cumulative_actual, cumulative_expected "
                         "FROM report_fit, crm.clv_tracking(bg, %s, %s)", (cal_end, as_of))
    fig, ax = figure()
    ax.plot([r[0] for r in calibration], [r[2] for r in calibration], "o-", color=BLUE, label="actual")
    ax.plot([r[0] for r in calibration], [r[3] for r in calibration], "s--", color=ORANGE, label="BG/NBD expected")
    ax.set_xlabel("repeat purchases in the calibration period (last: that many or more)")
    ax.set_ylabel("mean purchases in the holdout period")
    ax.set_title("Calibration to %s vs holdout to %s" % (cal_end, as_of))
    ax.legend()
    fig.tight_layout()
    calibration_chart = img("chart-clv-calibration", png(fig), "CLV calibration vs holdout")

    fig, (a1, a2) = figure(2)
    when = [r[1] for r in tracking]
    a1.plot(when, [r[3] for r in tracking], color=BLUE, lw=1, label="actual")
    a1.plot(when, [r[4] for r in tracking], color=ORANGE, lw=1, label="expected")
    a1.set_title("repeat purchases per week")
    a2.plot(when, [r[5] for r in tracking], color=BLUE, label="actual")
    a2.plot(when, [r[6] for r in tracking], color=ORANGE, ls="--", label="expected")
    a2.set_title("cumulative")
    for a in (a1, a2):
        a.axvline(cal_end, color=GREY, ls=":", lw=1)
        a.legend(fontsize=8)
        a.tick_params(axis="x", labelrotation=30, labelsize=8)
    fig.suptitle("Tracking: BG/NBD fitted to %s (dotted line), holdout after" % cal_end)
    fig.tight_layout()
    tracking_chart = img("chart-clv-tracking", png(fig), "CLV tracking")

    cur.execute("CREATE TEMP TABLE report_full_fit AS SELECT crm.bgnbd_fit(x, t_x, \"T\") AS bg "
                "FROM crm.calibration_holdout(%s, %s)", (as_of, as_of))
    grid = rows(cur, "SELECT frequency, recency, p_alive FROM report_full_fit, crm.p_alive_grid(bg, 104, 30, 26)")
    fig, ax = figure()
    cells = [[float("nan")] * 27 for _ in range(31)]
    for x, r, p in grid:
        cells[x][round(r / 4)] = p
    im = ax.imshow(cells, origin="lower", aspect="auto", cmap="RdYlGn", vmin=0, vmax=1,
                   extent=(-2, 106, -0.5, 30.5))
    fig.colorbar(im, ax=ax, label="P(alive)")
    ax.set_xlabel("recency: weeks from first to last purchase (age 104 weeks)")
    ax.set_ylabel("repeat purchases")
    ax.set_title("Probability a customer is still active, by recency and frequency")
    fig.tight_layout()
    return (section("Lifetime value: calibration vs holdout (crm.clv_calibration)", calibration_chart,
                    html_table(["frequency", "customers", "actual", "expected"],
                               [(f, c, fixed(a, 3), fixed(e, 3)) for f, c, a, e in calibration]),
                    table(cur, "SELECT round((bg).r::numeric, 3) AS r, round((bg).alpha::numeric, 3) AS alpha, "
                               "round((bg).a::numeric, 3) AS a, round((bg).b::numeric, 3) AS b FROM report_fit")) +
            section("Lifetime value: weekly tracking (crm.clv_tracking)", tracking_chart,
                    html_table(["in_holdout", "actual", "expected"],
                               [(h, sum(r[3] for r in tracking if r[2] == h),
                                 fixed(sum(r[4] for r in tracking if r[2] == h), 1)) for h in sorted({r[2] for r in tracking})])) +
            section("Lifetime value: P(alive) (crm.p_alive_grid)",
                    img("chart-p-alive", png(fig), "P(alive) by recency and frequency")))


def tree(cur):
    found = rows(cur, "SELECT crm.tree_to_dot(model) FROM crm.models WHERE name = 'offer'")
    if not found:
        raise SystemExit("report: no decision tree named 'offer' (scripts/demo.sql trains it)")
    diagram = subprocess.run(["dot", "-Tpng", "-Gdpi=60"], input=found[0][0].encode(),
                             stdout=subprocess.PIPE, check=True).stdout
    source = ("SELECT crm.tree_score(m.model, c) AS score, c.uses_offer AS label "
              "FROM public.offer_customers c, crm.models m WHERE m.name = 'offer'")
    curve = rows(cur, "SELECT population_share, gain FROM crm.gain_curve(%s, 100)", (source,))
    fig, ax = figure()
    ax.plot([100 * p for p, _ in curve], [100 * g for _, g in curve], color=BLUE, lw=2, label="tree 'offer'")
    ax.plot([0, 100], [0, 100], color=GREY, ls="--", lw=1, label="random")
    ax.set_xlabel("customers contacted, highest score first (%)")
    ax.set_ylabel("share of all offer users reached (%)")
    ax.set_title("Cumulative gain of the decision tree")
    ax.legend(loc="lower right")
    fig.tight_layout()
    return (section("Decision tree 'offer' (crm.tree_to_dot, Graphviz)",
                    img("chart-tree", diagram, "decision tree diagram"),
                    table(cur, "SELECT round(100 * probability) AS pct_using_offer, samples AS customers, rule "
                               "FROM crm.tree_rules((SELECT model FROM crm.models WHERE name = 'offer'))")) +
            section("Gain chart of the tree (crm.gain_curve)",
                    img("chart-gain", png(fig), "gain chart"),
                    table(cur, "SELECT point AS decile, round(100 * gain::numeric, 1) AS pct_of_users_reached, "
                               "round(lift::numeric, 2) AS lift FROM crm.gain_curve(%s, 10) WHERE point > 0", (source,))))


STYLE = """
body { font-family: DejaVu Sans, sans-serif; margin: 2em; color: #222; }
h1 { font-size: 1.6em; } h2 { font-size: 1.2em; margin-top: 2em; border-bottom: 1px solid #ccc; }
.row { display: flex; flex-wrap: wrap; gap: 1.5em; align-items: flex-start; }
.tables { font-size: 0.8em; max-width: 60em; }
table { border-collapse: collapse; margin-bottom: 1em; }
td, th { border: 1px solid #ddd; padding: 2px 6px; text-align: right; }
th { background: #f0f0f0; }
img { max-width: 100%; height: auto; }
"""


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dbname", default="crm")
    ap.add_argument("--as-of", default="2025-12-31", type=datetime.date.fromisoformat)
    ap.add_argument("--output", required=True)
    args = ap.parse_args()
    conn = psycopg2.connect(dbname=args.dbname)
    cur = conn.cursor()
    # the demo data is stamped in UTC: count its days in UTC (as scripts/demo.sql)
    cur.execute("SET TimeZone = 'UTC'")
    parts = [segment_matrix(cur), lifecycle(cur), lorenz(cur, args.as_of), funnel(cur, args.as_of),
             campaigns(cur), quotas(cur, args.as_of), clv(cur, args.as_of), tree(cur)]
    conn.rollback()     # nothing of the report stays: its temporary fits go
    page = ('<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>crm report</title>'
            '<style>%s</style></head><body><h1>crm: the demo database as of %s</h1>'
            '<p>Every chart is drawn from the rows of the crm function or view named in its heading.</p>'
            '%s</body></html>' % (STYLE, args.as_of, "".join(parts)))
    with open(args.output, "w", encoding="utf-8") as f:
        f.write(page)


if __name__ == "__main__":
    main()
