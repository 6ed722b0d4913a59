-- Pareto/NBD (src/clv.c, src/clv.sql): predictions against an independent
-- high-precision computation, extreme summaries, errors, the fit on
-- simulated customers, combine and parallel query.  The CDNOW fit is in
-- sql/clv_cdnow.sql.
--
-- Reference values: test/reference/paretonbd.py (mpmath, 40 digits, the
-- likelihood's dropout term by quadrature rather than the hypergeometric
-- function), with the BTYD walkthrough's CDNOW estimates
-- r = 0.5534, alpha = 10.5802, s = 0.6061, beta = 11.6562.

CREATE TEMP TABLE m AS
SELECT ROW(0.5534, 10.5802, 0.6061, 11.6562, NULL, NULL, NULL, NULL, NULL)::crm.paretonbd AS pn;

-- P(alive) and E[Y(39) | x, t_x, T] (relative error below 1e-10; the
-- quadrature of the reference is good to about 1e-11 on the x = 200 and x = 50 rows)
SELECT x, t_x, "T", abs(pa / ref_pa - 1) < 1e-10 AS p_alive_matches, abs(e / ref_e - 1) < 1e-10 AS expected_matches
  FROM m, LATERAL (VALUES
	(2, 30.43::float8, 38.86::float8, 0.86911064396813704579::float8, 1.4550928438442546534::float8),
	(0, 0, 38.86, 0.29496148643704223669, 0.10702894636167582377),
	(7, 35, 38, 0.95281975178148363845, 4.7901603914241858435),
	(7, 20, 38, 0.24657225451866994092, 1.2396055445021568718),
	(1, 1, 2, 0.95205390368508265097, 2.8597447113047576012),
	(200, 999, 1000, 0.99933717216752859386, 7.6460231874100151993),
	(200, 500, 1000, 7.5338067427312901025e-58, 5.7641867678602374722e-57),
	(50, 10, 1000, 2.7801541976137402975e-85, 5.3618269522847378275e-85)) v(x, t_x, "T", ref_pa, ref_e),
	   LATERAL (SELECT crm.paretonbd_p_alive(pn, x, t_x, "T") AS pa,
					   crm.paretonbd_expected_purchases(pn, 39, x, t_x, "T") AS e) p;
-- shown rounded
SELECT round(crm.paretonbd_p_alive(pn, 2, 30.43, 38.86)::numeric, 12) AS p_alive,
	   round(crm.paretonbd_expected_purchases(pn, 39, 2, 30.43, 38.86)::numeric, 12) AS expected_39
  FROM m;
-- E[X(t)]: 1.2131177118615133595 (t = 39), 1.9093659969315099381 (78), 0.025820248903619318731 (0.5)
SELECT t, round(crm.paretonbd_expected_purchases_unconditional(pn, t)::numeric, 12) AS expected,
	   abs(crm.paretonbd_expected_purchases_unconditional(pn, t) - ref) < 1e-13 AS matches_reference
  FROM m, (VALUES (39::float8, 1.2131177118615133595::float8), (78, 1.9093659969315099381),
				  (0.5, 0.025820248903619318731), (0, 0)) v(t, ref);
-- E[X(t)] is E[Y(t) | x = 0, t_x = 0, T = 0], and t = 0 expects nothing
SELECT abs(crm.paretonbd_expected_purchases_unconditional(pn, 39) - crm.paretonbd_expected_purchases(pn, 39, 0, 0, 0)) < 1e-14 AS same,
	   crm.paretonbd_expected_purchases(pn, 0, 2, 30.43, 38.86) AS at_t0,
	   crm.paretonbd_p_alive(pn, 3, 20, 20) > crm.paretonbd_p_alive(pn, 3, 10, 20) AS recent_more_alive
  FROM m;
-- s = 1 is the limit of s = 1 -+ 1e-7 (the formula's (s - 1) divides 0 by 0 there)
SELECT abs(crm.paretonbd_expected_purchases(ROW(0.5534, 10.5802, 1, 11.6562, NULL, NULL, NULL, NULL, NULL)::crm.paretonbd, 39, 2, 30.43, 38.86)
		   - crm.paretonbd_expected_purchases(ROW(0.5534, 10.5802, 1 + 1e-7, 11.6562, NULL, NULL, NULL, NULL, NULL)::crm.paretonbd, 39, 2, 30.43, 38.86)) < 1e-7 AS s1_continuous,
	   abs(crm.paretonbd_expected_purchases_unconditional(ROW(0.5534, 10.5802, 1, 11.6562, NULL, NULL, NULL, NULL, NULL)::crm.paretonbd, 39)
		   - crm.paretonbd_expected_purchases_unconditional(ROW(0.5534, 10.5802, 1 - 1e-7, 11.6562, NULL, NULL, NULL, NULL, NULL)::crm.paretonbd, 39)) < 1e-7 AS s1_unconditional;
-- alpha = beta (the 2F1 argument is 0), and alpha < beta or alpha > beta on
-- either side of it agree closely
SELECT abs(crm.paretonbd_p_alive(ROW(0.55, 11, 0.6, 11, NULL, NULL, NULL, NULL, NULL)::crm.paretonbd, 7, 20, 38)
		   - crm.paretonbd_p_alive(ROW(0.55, 11 + 1e-9, 0.6, 11, NULL, NULL, NULL, NULL, NULL)::crm.paretonbd, 7, 20, 38)) < 1e-9 AS alpha_above,
	   abs(crm.paretonbd_p_alive(ROW(0.55, 11, 0.6, 11, NULL, NULL, NULL, NULL, NULL)::crm.paretonbd, 7, 20, 38)
		   - crm.paretonbd_p_alive(ROW(0.55, 11 - 1e-9, 0.6, 11, NULL, NULL, NULL, NULL, NULL)::crm.paretonbd, 7, 20, 38)) < 1e-9 AS alpha_below;

-- Extreme inputs stay finite: every combination of parameters 0.01, 1, 100
-- and summaries x = 0, x = 200 at T = 1000, t_x = T, x = 10^5 over 10 years
-- of days (alpha and beta 10^4 apart need about 10^5 terms of 2F1; 10^6
-- apart, more than its 10^7: error 22003 below)
SELECT count(*) AS combinations,
	   count(*) FILTER (WHERE e >= 0 AND e < 'infinity') AS expected_finite,
	   count(*) FILTER (WHERE pa >= 0 AND pa <= 1) AS p_alive_in_0_1,
	   count(*) FILTER (WHERE u >= 0 AND u < 'infinity') AS unconditional_finite
  FROM (VALUES (0.01::float8), (1), (100)) r(r), (VALUES (0.01::float8), (1), (100)) al(al),
	   (VALUES (0.01::float8), (1), (100)) s(s), (VALUES (0.01::float8), (1), (100)) b(b),
	   (VALUES (0, 0::float8, 1000::float8), (200, 999, 1000), (200, 1000, 1000), (200, 10, 1000), (100000, 3000, 3650)) v(x, t_x, "T"),
	   LATERAL (SELECT ROW(r, al, s, b, NULL, NULL, NULL, NULL, NULL)::crm.paretonbd AS model) mm,
	   LATERAL (SELECT crm.paretonbd_expected_purchases(model, 52, x, t_x, "T") AS e,
					   crm.paretonbd_p_alive(model, x, t_x, "T") AS pa,
					   crm.paretonbd_expected_purchases_unconditional(model, 52) AS u) p;

-- Errors
SELECT try($$SELECT crm.paretonbd_expected_purchases(ROW(0.55, 10.58, 0.61, 11.66, NULL, NULL, NULL, NULL, NULL)::crm.paretonbd, -1, 2, 30, 38)$$);
SELECT try($$SELECT crm.paretonbd_expected_purchases(ROW(0.55, 10.58, 0.61, 11.66, NULL, NULL, NULL, NULL, NULL)::crm.paretonbd, 10, 2, 40, 38)$$);
SELECT try($$SELECT crm.paretonbd_p_alive(ROW(0.55, 10.58, 0.61, 11.66, NULL, NULL, NULL, NULL, NULL)::crm.paretonbd, -1, 0, 38)$$);
SELECT try($$SELECT crm.paretonbd_p_alive(ROW(0.55, 10.58, 0, 11.66, NULL, NULL, NULL, NULL, NULL)::crm.paretonbd, 2, 5, 38)$$);
SELECT try($$SELECT crm.paretonbd_p_alive(ROW(0.55, NULL, 0.61, 11.66, NULL, NULL, NULL, NULL, NULL)::crm.paretonbd, 2, 5, 38)$$);
SELECT try($$SELECT crm.paretonbd_expected_purchases_unconditional(ROW(0.55, 10.58, 0.61, 'infinity', NULL, NULL, NULL, NULL, NULL)::crm.paretonbd, 10)$$);
-- alpha and beta so far apart that the 2F1 argument is within 1e-12 of 1
SELECT try($$SELECT crm.paretonbd_p_alive(ROW(0.55, 1e12, 0.61, 1, NULL, NULL, NULL, NULL, NULL)::crm.paretonbd, 2, 0.5, 38)$$);
SELECT try($$SELECT crm.paretonbd_fit(x, t_x, "T") FROM (VALUES (2, 6::float8, 5::float8)) v(x, t_x, "T")$$);
SELECT try($$SELECT crm.paretonbd_fit(x, t_x, "T", w) FROM (VALUES (1, 1::float8, 5::float8, -1::float8)) v(x, t_x, "T", w)$$);
SELECT try($$SELECT crm.paretonbd_fit(x, t_x, "T", 1, p) FROM (VALUES (1, 1::float8, 5::float8, 0.1::float8), (2, 1, 5, 0.2)) v(x, t_x, "T", p)$$);
-- a BG/NBD state is not a Pareto/NBD state
SELECT try($$SELECT crm.paretonbd_fit_final(crm.bgnbd_fit_trans(NULL, 1, 1, 5))$$);
SELECT try($$SELECT crm.paretonbd_fit_final('{3,0,1,0,-1,0,5,1}')$$);

-- Empty input and NULLs
SELECT crm.paretonbd_fit(x, t_x, "T") IS NULL AS empty FROM (VALUES (1, 1::float8, 5::float8)) v(x, t_x, "T") WHERE false;
SELECT crm.paretonbd_fit(x, t_x, "T") IS NULL AS only_nulls FROM (VALUES (1, NULL::float8, 5::float8)) v(x, t_x, "T");
SELECT crm.paretonbd_p_alive(NULL, 1, 1, 5) IS NULL AS strict;

-- Fit on simulated customers: 6,000 drawn from the Pareto/NBD story with
-- r = 1, alpha = 5 (exponential purchase rates, mean 0.2 a week), s = 1,
-- beta = 20 (exponential dropout rates, mean 0.05), T = 20 .. 52 weeks, t_x
-- to a tenth of a week (each likelihood is a 2F1 series per distinct
-- summary: fewer distinct summaries, faster)
SELECT setseed(0.5);
CREATE TABLE pnbd_fit_data AS
WITH RECURSIVE c AS (
	SELECT i, (20 + i % 33)::float8 AS "T", -ln(1 - random()) / 5 AS lam,
		   -ln(1 - random()) / (-ln(1 - random()) / 20) AS death
	  FROM generate_series(1, 6000) i),
ev(i, n, t) AS (
	SELECT i, 0, 0::float8 FROM c
	UNION ALL
	SELECT e.i, e.n + 1, e.t + g.gap
	  FROM ev e JOIN c ON c.i = e.i, LATERAL (SELECT -ln(1 - random()) / c.lam AS gap) g
	 WHERE e.t + g.gap <= least(c."T", c.death))
SELECT i AS id, max(n) AS x, round(max(t)::numeric, 1)::float8 AS t_x, "T"
  FROM ev JOIN c USING (i) GROUP BY i, "T";
ANALYZE pnbd_fit_data;
SELECT count(*) AS customers, sum(x) AS sum_x, count(*) FILTER (WHERE x > 0) AS repeat_buyers FROM pnbd_fit_data;
-- the fits print a progress NOTICE after 5 s, which a loaded machine reaches
SET client_min_messages = warning;
CREATE TEMP TABLE serial AS
SELECT (SELECT crm.paretonbd_fit(x, t_x, "T") FROM pnbd_fit_data) AS pn,
	   (SELECT crm.paretonbd_fit(x, t_x, "T", 1, 0.001) FROM pnbd_fit_data) AS pn_penalized;
-- near the simulated r = 1, alpha = 5, s = 1, beta = 20
SELECT round((pn).r::numeric, 4) AS r, round((pn).alpha::numeric, 4) AS alpha, round((pn).s::numeric, 4) AS s,
	   round((pn).beta::numeric, 4) AS beta, round((pn).log_likelihood::numeric, 2) AS ll, (pn).customers, (pn).converged
  FROM serial;
SELECT (pn_penalized).converged,
	   (pn_penalized).r ^ 2 + (pn_penalized).alpha ^ 2 + (pn_penalized).s ^ 2 + (pn_penalized).beta ^ 2
	   < (pn).r ^ 2 + (pn).alpha ^ 2 + (pn).s ^ 2 + (pn).beta ^ 2 AS shrunk,
	   (pn_penalized).log_likelihood < (pn).log_likelihood AS lower_likelihood
  FROM serial;
-- weights: each distinct summary once with its count gives the same fit
SELECT (SELECT crm.paretonbd_fit(x, t_x, "T", n) FROM (SELECT x, t_x, "T", count(*)::float8 AS n FROM pnbd_fit_data GROUP BY 1, 2, 3) g)
	   = pn AS weighted_equals_rows
  FROM serial;
-- combine in any split
CREATE AGGREGATE pg_temp.pnbd_state(integer, float8, float8) (SFUNC = crm.paretonbd_fit_trans, STYPE = float8[]);
WITH h AS (SELECT id % 3 = 0 AS part, pg_temp.pnbd_state(x, t_x, "T") AS s FROM pnbd_fit_data GROUP BY 1),
	 l AS (SELECT s FROM h WHERE part), r AS (SELECT s FROM h WHERE NOT part)
SELECT crm.paretonbd_fit_final(crm.paretonbd_fit_combine(l.s, r.s)) = pn AS left_right,
	   crm.paretonbd_fit_final(crm.paretonbd_fit_combine(r.s, l.s)) = pn AS right_left,
	   (SELECT s[1:3] FROM l) = ARRAY[3, 0, (SELECT count(*) FROM pnbd_fit_data WHERE id % 3 = 0)]::float8[] AS header
  FROM l, r, serial;

-- Parallel query: forced parallel plan, same result as serial
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
EXPLAIN (COSTS OFF) SELECT crm.paretonbd_fit(x, t_x, "T") FROM pnbd_fit_data;
SELECT (SELECT crm.paretonbd_fit(x, t_x, "T") FROM pnbd_fit_data) = pn AS parallel_equals_serial,
	   (SELECT crm.paretonbd_fit(x, t_x, "T", 1, 0.001) FROM pnbd_fit_data) = pn_penalized AS penalized_parallel_equals_serial
  FROM serial;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;
DROP TABLE pnbd_fit_data;
RESET client_min_messages;
