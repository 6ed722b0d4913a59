-- BG/NBD and Gamma-Gamma fits on the demo data (crm.generate_demo_data:
-- 1,000,000 customers, about 9.5 M orders at the default scale), time unit
-- = day.  Targets (issue "Customer lifetime value"): the calibration summary
-- and BG/NBD fit end to end from crm.orders under 10 s, the fit alone under
-- 1 s.  The demo generator draws purchase rates ~ Gamma(r = 0.9, alpha = 27
-- days) and dropout ~ Beta(a = 0.8, b = 6) before a customer-specific
-- dropout scale (src/demo.c), so the fitted model should land near them.
\echo '== clv: calibration summary per customer at 2025-12-31 (days), kept for the fit-alone timings'
DROP TABLE IF EXISTS bench.clv_summary;
CREATE UNLOGGED TABLE bench.clv_summary AS
SELECT customer_id, (crm.rfm_summary(crm.purchase_stats(ordered_at, amount), '2025-12-31', 'day')).*
  FROM crm.orders GROUP BY customer_id;
VACUUM ANALYZE bench.clv_summary;
SELECT count(*) AS customers, count(DISTINCT (frequency, recency, age)) AS distinct_summaries,
	   count(*) FILTER (WHERE frequency > 0) AS repeat_buyers
  FROM bench.clv_summary;

\echo '== clv: fitted models (demo truth: r 0.9, alpha 27, a 0.8, b 6 before dropout scaling; p 6, q 3.5, gamma 15 before spend scaling)'
SELECT round(r::numeric, 4) AS r, round(alpha::numeric, 4) AS alpha, round(a::numeric, 4) AS a, round(b::numeric, 4) AS b,
	   round(log_likelihood::numeric, 1) AS log_likelihood, customers, iterations, converged
  FROM (SELECT (crm.bgnbd_fit(frequency, recency, age)).* FROM bench.clv_summary) f;
SELECT round(p::numeric, 4) AS p, round(q::numeric, 4) AS q, round(gamma::numeric, 4) AS gamma,
	   customers, skipped, iterations, converged
  FROM (SELECT (crm.gammagamma_fit(frequency, monetary::float8)).* FROM bench.clv_summary) f;

\echo '== clv: median ms of 3 runs (0 and 2 parallel workers)'
SELECT w AS workers,
	   round(bench.time_ms($$SELECT crm.bgnbd_fit(frequency, recency, age)
							FROM (SELECT (crm.rfm_summary(crm.purchase_stats(ordered_at, amount), '2025-12-31', 'day')).*
									FROM crm.orders GROUP BY customer_id) s$$, w, 3)::numeric, 1) AS summary_and_bgnbd_fit_ms,
	   round(bench.time_ms($$SELECT crm.bgnbd_fit(frequency, recency, age) FROM bench.clv_summary$$, w, 3)::numeric, 1) AS bgnbd_fit_alone_ms,
	   round(bench.time_ms($$SELECT crm.gammagamma_fit(frequency, monetary::float8) FROM bench.clv_summary$$, w, 3)::numeric, 1) AS gammagamma_fit_alone_ms,
	   round(bench.time_ms($$SELECT count(*) FROM bench.clv_summary$$, w, 3)::numeric, 1) AS scan_floor_ms
  FROM (VALUES (0), (2)) v(w);

\echo '== clv: the other purchase models on the same summaries (issue 15: each fit under 2 s serial), median ms of 3 runs, no parallel workers'
SELECT round(bench.time_ms($$SELECT crm.mbgnbd_fit(frequency, recency, age) FROM bench.clv_summary$$, 0, 3)::numeric, 1) AS mbgnbd_fit_ms,
	   round(bench.time_ms($$SELECT crm.paretonbd_fit(frequency, recency, age) FROM bench.clv_summary$$, 0, 3)::numeric, 1) AS paretonbd_fit_ms,
	   round(bench.time_ms($$SELECT crm.bgnbd_fit(frequency, recency, age) FROM bench.clv_summary$$, 0, 3)::numeric, 1) AS bgnbd_fit_ms;
SELECT 'mbgnbd' AS model, (f).iterations, (f).converged, round((f).log_likelihood::numeric, 1) AS log_likelihood
  FROM (SELECT crm.mbgnbd_fit(frequency, recency, age) AS f FROM bench.clv_summary) m
UNION ALL
SELECT 'paretonbd', (f).iterations, (f).converged, round((f).log_likelihood::numeric, 1)
  FROM (SELECT crm.paretonbd_fit(frequency, recency, age) AS f FROM bench.clv_summary) m;

-- The one-row table of models is analyzed: unanalyzed, the planner takes it
-- for 650 rows, expects 650 times the rows, and compiles the query with
-- JIT, which at 20,000 customers costs more than the predictions.
\echo '== clv: predictions for every customer against a scan of the summaries (issue 15: within 2x), median ms of 3 runs (wall and backend CPU), no parallel workers'
DROP TABLE IF EXISTS bench.clv_models;
CREATE UNLOGGED TABLE bench.clv_models AS
SELECT crm.bgnbd_fit(frequency, recency, age) AS bg, crm.mbgnbd_fit(frequency, recency, age) AS mbg,
	   crm.paretonbd_fit(frequency, recency, age) AS pnbd
  FROM bench.clv_summary;
ANALYZE bench.clv_models;
WITH t AS MATERIALIZED (
	SELECT p.n, p.prediction, bench.time_ms(p.query, 0, 3) AS wall, bench.cpu_ms(p.query, 0, 3) AS cpu
	  FROM (VALUES
		(0, 'scan: sum(frequency + recency + age)', $$SELECT sum(frequency + recency + age) FROM bench.clv_summary$$),
		(1, 'bgnbd_p_alive', $$SELECT sum(crm.bgnbd_p_alive(m.bg, frequency, recency, age)) FROM bench.clv_summary, bench.clv_models m$$),
		(2, 'bgnbd_expected_purchases (365 days)', $$SELECT sum(crm.bgnbd_expected_purchases(m.bg, 365, frequency, recency, age)) FROM bench.clv_summary, bench.clv_models m$$),
		(3, 'mbgnbd_p_alive', $$SELECT sum(crm.mbgnbd_p_alive(m.mbg, frequency, recency, age)) FROM bench.clv_summary, bench.clv_models m$$),
		(4, 'mbgnbd_expected_purchases (365 days)', $$SELECT sum(crm.mbgnbd_expected_purchases(m.mbg, 365, frequency, recency, age)) FROM bench.clv_summary, bench.clv_models m$$),
		(5, 'paretonbd_p_alive', $$SELECT sum(crm.paretonbd_p_alive(m.pnbd, frequency, recency, age)) FROM bench.clv_summary, bench.clv_models m$$),
		(6, 'paretonbd_expected_purchases (365 days)', $$SELECT sum(crm.paretonbd_expected_purchases(m.pnbd, 365, frequency, recency, age)) FROM bench.clv_summary, bench.clv_models m$$)
		   ) p(n, prediction, query))
SELECT round(t.wall::numeric, 1) AS wall_ms, round((t.wall / s.wall)::numeric, 2) AS wall_ratio,
	   round(t.cpu::numeric, 1) AS cpu_ms, round((t.cpu / s.cpu)::numeric, 2) AS cpu_ratio, t.prediction
  FROM t, t s WHERE s.n = 0 ORDER BY t.n;

\echo '== clv: the BG/NBD fit in Python instead (numpy + scipy BFGS on the same summaries, as the lifetimes package fits): export, load, fit, against crm'
\! /usr/bin/python3 "$CRM_BENCH_DIR/clv_scipy.py" --query 'SELECT frequency, recency, age FROM bench.clv_summary' --crm 'SELECT crm.bgnbd_fit(frequency, recency, age) FROM bench.clv_summary'

-- The discrete-time and contract models need their own summaries of the
-- demo data: BG/BB on calendar months (the opportunities after the month
-- of the first purchase to December 2025: x months with a purchase, the
-- last t_x months after the first, n months observed); sBG on the
-- contracts' renewal spells (crm.contract_retention, a next contract
-- within 90 days is a renewal, yearly periods).
\echo '== clv: the new fits in Python instead (issue 15: each at most 0.2x of numpy/scipy): Pareto/NBD, MBG/NBD, BG/BB, sBG'
DROP TABLE IF EXISTS bench.bgbb_summary, bench.sbg_rows;
CREATE UNLOGGED TABLE bench.bgbb_summary AS
WITH months AS (
	SELECT customer_id, (extract(year FROM ordered_at AT TIME ZONE 'UTC') * 12 + extract(month FROM ordered_at AT TIME ZONE 'UTC'))::integer AS month
	  FROM crm.orders WHERE amount IS NOT NULL GROUP BY 1, 2
), firsts AS (SELECT customer_id, min(month) AS first FROM months GROUP BY 1)
SELECT f.customer_id, (count(*) FILTER (WHERE m.month > f.first))::integer AS x,
	   coalesce(max(m.month) FILTER (WHERE m.month > f.first) - f.first, 0) AS t_x, 2025 * 12 + 12 - f.first AS n
  FROM months m JOIN firsts f USING (customer_id)
 GROUP BY f.customer_id, f.first;
CREATE UNLOGGED TABLE bench.sbg_rows AS
SELECT periods, churned FROM crm.contract_retention('2025-12-31', 365, 90);
VACUUM ANALYZE bench.bgbb_summary, bench.sbg_rows;
SELECT (SELECT count(*) FROM bench.bgbb_summary) AS bgbb_customers,
	   (SELECT count(DISTINCT (x, t_x, n)) FROM bench.bgbb_summary) AS bgbb_distinct_summaries,
	   (SELECT count(*) FROM bench.sbg_rows) AS sbg_contract_spells;
\! /usr/bin/python3 "$CRM_BENCH_DIR/clv_scipy.py" --model paretonbd --query 'SELECT frequency, recency, age FROM bench.clv_summary' --crm 'SELECT crm.paretonbd_fit(frequency, recency, age) FROM bench.clv_summary'
\! /usr/bin/python3 "$CRM_BENCH_DIR/clv_scipy.py" --model mbgnbd --query 'SELECT frequency, recency, age FROM bench.clv_summary' --crm 'SELECT crm.mbgnbd_fit(frequency, recency, age) FROM bench.clv_summary'
\! /usr/bin/python3 "$CRM_BENCH_DIR/clv_scipy.py" --model bgbb --query 'SELECT x, t_x, n FROM bench.bgbb_summary' --crm 'SELECT crm.bgbb_fit(x, t_x, n) FROM bench.bgbb_summary'
\! /usr/bin/python3 "$CRM_BENCH_DIR/clv_scipy.py" --model sbg --query 'SELECT periods, churned::integer FROM bench.sbg_rows' --crm 'SELECT crm.sbg_fit(periods, churned) FROM bench.sbg_rows'
SELECT round((bb).alpha::numeric, 4) AS bgbb_alpha, round((bb).beta::numeric, 4) AS bgbb_beta, round((bb).gamma::numeric, 4) AS bgbb_gamma,
	   round((bb).delta::numeric, 4) AS bgbb_delta, round((bb).log_likelihood::numeric, 1) AS bgbb_log_likelihood, (bb).converged AS bgbb_converged,
	   round((sb).alpha::numeric, 4) AS sbg_alpha, round((sb).beta::numeric, 4) AS sbg_beta, (sb).converged AS sbg_converged
  FROM (SELECT crm.bgbb_fit(x, t_x, n) AS bb FROM bench.bgbb_summary) b, (SELECT crm.sbg_fit(periods, churned) AS sb FROM bench.sbg_rows) s;
DROP TABLE bench.bgbb_summary, bench.sbg_rows;

\echo '== clv: predictions for every customer (median ms of 3 runs, no parallel workers)'
CREATE TEMP TABLE clv_models AS
SELECT (SELECT crm.bgnbd_fit(frequency, recency, age) FROM bench.clv_summary) AS bg,
	   (SELECT crm.gammagamma_fit(frequency, monetary::float8) FROM bench.clv_summary) AS gg;
ANALYZE clv_models;
SELECT round(bench.time_ms($$SELECT crm.bgnbd_p_alive(m.bg, frequency, recency, age) FROM bench.clv_summary, clv_models m$$, 0, 3)::numeric, 1) AS p_alive_ms,
	   round(bench.time_ms($$SELECT crm.bgnbd_expected_purchases(m.bg, 365, frequency, recency, age) FROM bench.clv_summary, clv_models m$$, 0, 3)::numeric, 1) AS expected_purchases_365_days_ms;
DROP TABLE bench.clv_summary;
