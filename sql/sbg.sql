-- Shifted-beta-geometric contract retention (src/clv.c, src/clv.sql):
-- survival, retention rates and DERL against an independent high-precision
-- computation, errors, a fit on simulated contracts, combine and parallel
-- query.  The published fit on Fader & Hardie's retention data is in
-- sql/sbg_retention.sql.
--
-- Reference values: test/reference/sbg.py (mpmath, 40 digits; S(t) as the
-- product of the retention rates, DERL summed term by term), with the
-- published model of the "regular" segment, alpha = 0.704, beta = 1.182.

CREATE TEMP TABLE m AS SELECT ROW(0.704, 1.182, NULL, NULL, NULL, NULL, NULL)::crm.sbg AS sb;

SELECT t, round(s::numeric, 12) AS survival, abs(s / ref - 1) < 1e-13 AS matches_reference
  FROM m, (VALUES (1, 0.6267232237539766702::float8), (7, 0.23905064169324441058), (8, 0.22011167570719398687),
				  (12, 0.17006257680605059881), (100, 0.040226799145213505926)) v(t, ref),
	   LATERAL (SELECT crm.sbg_survival(sb, t) AS s) p;
-- S(0) = 1; the retention rate of period t is S(t) / S(t - 1)
SELECT crm.sbg_survival(sb, 0) AS s0,
	   round(crm.sbg_retention_rate(sb, 1)::numeric, 12) AS r1,
	   abs(crm.sbg_retention_rate(sb, 8) - crm.sbg_survival(sb, 8) / crm.sbg_survival(sb, 7)) < 1e-14 AS ratio,
	   crm.sbg_retention_rate(sb, 100) > crm.sbg_retention_rate(sb, 2) AS rises
  FROM m;
SELECT d, n, round(e::numeric, 12) AS derl, abs(e / ref - 1) < 1e-13 AS matches_reference
  FROM m, (VALUES (0.1::float8, 0, 2.9646621461320314329::float8), (0.1, 4, 5.894422859844159844),
				  (0.1, 100, 10.275327961355416025), (0.01, 0, 8.5029471720112697199)) v(d, n, ref),
	   LATERAL (SELECT crm.sbg_derl(sb, d, n) AS e) p;
-- extreme: a huge period count, a tiny discount, extreme parameters stay finite
SELECT count(*) AS combinations,
	   count(*) FILTER (WHERE s >= 0 AND s <= 1) AS survival_in_0_1,
	   count(*) FILTER (WHERE r >= 0 AND r <= 1) AS retention_in_0_1,
	   count(*) FILTER (WHERE e >= 0 AND e < 'infinity') AS derl_finite
  FROM (VALUES (1e-6::float8), (1), (1e6)) a(a), (VALUES (1e-6::float8), (1), (1e6)) b(b),
	   (VALUES (1), (1000), (2147483647)) t(t), (VALUES (1e-4::float8), (0.1), (100)) d(d),
	   LATERAL (SELECT ROW(a, b, NULL, NULL, NULL, NULL, NULL)::crm.sbg AS model) mm,
	   LATERAL (SELECT crm.sbg_survival(model, t) AS s, crm.sbg_retention_rate(model, t) AS r,
					   crm.sbg_derl(model, d, t) AS e) p;

-- Errors
SELECT try($$SELECT crm.sbg_survival(ROW(0.704, 1.182, NULL, NULL, NULL, NULL, NULL)::crm.sbg, -1)$$);
SELECT try($$SELECT crm.sbg_retention_rate(ROW(0.704, 1.182, NULL, NULL, NULL, NULL, NULL)::crm.sbg, 0)$$);
SELECT try($$SELECT crm.sbg_derl(ROW(0.704, 1.182, NULL, NULL, NULL, NULL, NULL)::crm.sbg, 0, 3)$$);
SELECT try($$SELECT crm.sbg_derl(ROW(0.704, 1.182, NULL, NULL, NULL, NULL, NULL)::crm.sbg, 0.1, -3)$$);
SELECT try($$SELECT crm.sbg_derl(ROW(0.704, 1.182, NULL, NULL, NULL, NULL, NULL)::crm.sbg, 1e-9, 3)$$);
SELECT try($$SELECT crm.sbg_survival(ROW(-0.704, 1.182, NULL, NULL, NULL, NULL, NULL)::crm.sbg, 3)$$);
SELECT try($$SELECT crm.sbg_fit(p, c) FROM (VALUES (0, true)) v(p, c)$$);
SELECT try($$SELECT crm.sbg_fit(p, c) FROM (VALUES (-1, false)) v(p, c)$$);
SELECT try($$SELECT crm.sbg_fit(p, c, w) FROM (VALUES (3, false, 0::float8)) v(p, c, w)$$);
SELECT try($$SELECT crm.sbg_fit_final('{4,0,1,0,3,0.5,1}')$$);
SELECT try($$SELECT crm.sbg_fit_final(crm.paretonbd_fit_trans(NULL, 1, 1, 5))$$);

-- Empty input and NULLs
SELECT crm.sbg_fit(p, c) IS NULL AS empty FROM (VALUES (1, true)) v(p, c) WHERE false;
SELECT crm.sbg_fit(p, c) IS NULL AS only_nulls FROM (VALUES (1, NULL::boolean)) v(p, c);
SELECT crm.sbg_survival(NULL, 3) IS NULL AS strict;
-- no contract ever churned (the likelihood rises towards alpha / beta -> 0),
-- or none lasted a period (towards alpha / beta -> infinity): not converged
SELECT (f).alpha / (f).beta < 1e-6 AS runs_off, (f).converged FROM (SELECT crm.sbg_fit(p, false) AS f FROM generate_series(0, 5) p) s;
SELECT (f).alpha / (f).beta > 1e6 AS runs_off, (f).converged FROM (SELECT crm.sbg_fit(1, true) AS f FROM generate_series(0, 5) p) s;

-- Fit on 20,000 simulated contracts: churn probabilities theta ~ Beta(0.7, 1)
-- (theta = u^(1/0.7)), the churn period geometric in theta, each contract
-- observed for 1 .. 10 periods (running when it has not churned by then)
SELECT setseed(0.125);
CREATE TABLE sbg_fit_data AS
SELECT i AS id, least(g, horizon)::integer AS periods, g <= horizon AS churned
  FROM (SELECT i, 1 + i % 10 AS horizon, ceil(ln(1 - random()) / ln(1 - random() ^ (1 / 0.7))) AS g
		  FROM generate_series(1, 20000) i) c;
ANALYZE sbg_fit_data;
SELECT count(*) AS contracts, count(*) FILTER (WHERE churned) AS churned, sum(periods) AS periods FROM sbg_fit_data;
CREATE TEMP TABLE serial AS SELECT crm.sbg_fit(periods, churned) AS sb FROM sbg_fit_data;
-- near the simulated alpha = 0.7, beta = 1
SELECT round((sb).alpha::numeric, 4) AS alpha, round((sb).beta::numeric, 4) AS beta,
	   round((sb).log_likelihood::numeric, 2) AS ll, (sb).customers, (sb).converged
  FROM serial;
-- weights: each distinct (periods, churned) once with its count gives the same fit
SELECT (SELECT crm.sbg_fit(periods, churned, n) FROM (SELECT periods, churned, count(*)::float8 AS n FROM sbg_fit_data GROUP BY 1, 2) g)
	   = sb AS weighted_equals_rows
  FROM serial;
-- combine in any split
CREATE AGGREGATE pg_temp.sbg_state(integer, boolean) (SFUNC = crm.sbg_fit_trans, STYPE = float8[]);
WITH h AS (SELECT id % 3 = 0 AS part, pg_temp.sbg_state(periods, churned) AS s FROM sbg_fit_data GROUP BY 1),
	 l AS (SELECT s FROM h WHERE part), r AS (SELECT s FROM h WHERE NOT part)
SELECT crm.sbg_fit_final(crm.sbg_fit_combine(l.s, r.s)) = sb AS left_right,
	   crm.sbg_fit_final(crm.sbg_fit_combine(r.s, l.s)) = sb AS right_left,
	   (SELECT s[1:3] FROM l) = ARRAY[4, 0, (SELECT count(*) FROM sbg_fit_data WHERE id % 3 = 0)]::float8[] AS header
  FROM l, r, serial;

-- Parallel query: forced parallel plan, same result as serial
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
EXPLAIN (COSTS OFF) SELECT crm.sbg_fit(periods, churned) FROM sbg_fit_data;
SELECT (SELECT crm.sbg_fit(periods, churned) FROM sbg_fit_data) = sb AS parallel_equals_serial FROM serial;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;
DROP TABLE sbg_fit_data;
