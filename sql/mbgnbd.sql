-- MBG/NBD (src/clv.c, src/clv.sql): predictions against an independent
-- high-precision computation, extreme summaries, errors, the fit on
-- simulated customers, combine and parallel query.  The CDNOW fit is in
-- sql/clv_cdnow.sql.
--
-- Reference values: test/reference/mbgnbd.py (mpmath, 40 digits,
-- lifetimes' ModifiedBetaGeoFitter formulas with mpmath's hyp2f1), with
-- the BTYDplus CDNOW estimates r = 0.525, alpha = 6.183, a = 0.891,
-- b = 1.614 and with a = 2.5 (the other series of the expectation).

CREATE TEMP TABLE m AS
SELECT ROW(0.525, 6.183, 0.891, 1.614, NULL, NULL, NULL, NULL, NULL)::crm.mbgnbd AS mb,
	   ROW(0.8, 5, 2.5, 4, NULL, NULL, NULL, NULL, NULL)::crm.mbgnbd AS mb2;

-- P(alive) and E[Y(39) | x, t_x, T]: relative error below 1e-11
SELECT x, t_x, "T", abs(crm.mbgnbd_p_alive(mb, x, t_x, "T") / ref_pa - 1) < 1e-11 AS p_alive_matches,
	   abs(crm.mbgnbd_expected_purchases(mb, 39, x, t_x, "T") / ref_e - 1) < 1e-11 AS expected_matches
  FROM m, (VALUES (0, 0::float8, 38.86::float8, 0.3897350809187629024::float8, 0.15401274667514668185::float8),
				  (2, 30.43, 38.86, 0.7062022651184872783, 1.2629606232673656944),
				  (7, 35, 38, 0.85064675168222188287, 4.3940474183805088975),
				  (7, 20, 38, 0.15862370111038765576, 0.81937662487946618583),
				  (200, 999, 1000, 0.99463443698708299907, 7.6016339209958596091),
				  (50, 10, 1000, 1.3814759540746070049e-89, 2.661479571951270459e-89)) v(x, t_x, "T", ref_pa, ref_e);
SELECT x, t_x, "T", abs(crm.mbgnbd_p_alive(mb2, x, t_x, "T") / ref_pa - 1) < 1e-11 AS p_alive_matches,
	   abs(crm.mbgnbd_expected_purchases(mb2, 39, x, t_x, "T") / ref_e - 1) < 1e-11 AS expected_matches
  FROM m, (VALUES (0, 0::float8, 38.86::float8, 0.21972867273674526362::float8, 0.12488489651911340251::float8),
				  (2, 30.43, 38.86, 0.5690131658072292748, 0.98661624674623854462),
				  (7, 35, 38, 0.71453312929623278661, 2.9732078163850654854),
				  (7, 20, 38, 0.060170010806557681528, 0.25037040146512679818),
				  (200, 999, 1000, 0.98525401715957761874, 7.3304551102370406115),
				  (50, 10, 1000, 3.7141015501361132445e-92, 7.0143930837719114437e-92)) v(x, t_x, "T", ref_pa, ref_e);
-- E[X(t)] of a new customer
SELECT t, round(crm.mbgnbd_expected_purchases_unconditional(mb, t)::numeric, 12) AS expected,
	   abs(crm.mbgnbd_expected_purchases_unconditional(mb, t) / ref - 1) < 1e-12 AS matches,
	   abs(crm.mbgnbd_expected_purchases_unconditional(mb2, t) / ref2 - 1) < 1e-12 AS matches_a_2_5
  FROM m, (VALUES (39::float8, 1.1829536655971726405::float8, 1.334108461555758105::float8),
				  (78, 1.8047575775531416551, 1.6951225012512720841),
				  (0.5, 0.026937355002919776482, 0.047808173934633001117)) v(t, ref, ref2);
-- shown rounded; unlike BG/NBD, a customer without repeat purchases may be dead
SELECT round(crm.mbgnbd_p_alive(mb, 2, 30.43, 38.86)::numeric, 12) AS p_alive,
	   round(crm.mbgnbd_expected_purchases(mb, 39, 2, 30.43, 38.86)::numeric, 12) AS expected_39,
	   crm.mbgnbd_p_alive(mb, 0, 0, 38.86) < 1 AS no_repeat_may_be_dead,
	   crm.mbgnbd_expected_purchases(mb, 0, 2, 30.43, 38.86) AS at_t0,
	   crm.mbgnbd_expected_purchases_unconditional(mb, 39) = crm.mbgnbd_expected_purchases(mb, 39, 0, 0, 0) AS unconditional_is_x0
  FROM m;
-- a = 1 and a near 1 (the closed form divides by a - 1; the series do not)
SELECT abs(crm.mbgnbd_expected_purchases(ROW(0.5, 3, 1, 2, NULL, NULL, NULL, NULL, NULL)::crm.mbgnbd, 10, 1, 2, 5)
		   - crm.mbgnbd_expected_purchases(ROW(0.5, 3, 1.000001, 2, NULL, NULL, NULL, NULL, NULL)::crm.mbgnbd, 10, 1, 2, 5)) < 1e-6 AS a_1_continuous;

-- Errors
SELECT try($$SELECT crm.mbgnbd_expected_purchases(mb, -1, 2, 30, 38) FROM m$$);
SELECT try($$SELECT crm.mbgnbd_expected_purchases(mb, 10, 2, 40, 38) FROM m$$);
SELECT try($$SELECT crm.mbgnbd_p_alive(mb, -1, 0, 38) FROM m$$);
SELECT try($$SELECT crm.mbgnbd_p_alive(ROW(0.525, 6.183, 0, 1.614, NULL, NULL, NULL, NULL, NULL)::crm.mbgnbd, 2, 5, 38)$$);
SELECT try($$SELECT crm.mbgnbd_expected_purchases_unconditional(ROW(0.525, NULL, 0.891, 1.614, NULL, NULL, NULL, NULL, NULL)::crm.mbgnbd, 10)$$);
SELECT try($$SELECT crm.mbgnbd_expected_purchases(ROW(0.525, 1e-6, 0.891, 1.614, NULL, NULL, NULL, NULL, NULL)::crm.mbgnbd, 1000, 0, 0, 0)$$);
SELECT try($$SELECT crm.mbgnbd_fit(x, t_x, "T") FROM (VALUES (2, 6::float8, 5::float8)) v(x, t_x, "T")$$);
SELECT try($$SELECT crm.mbgnbd_fit(x, t_x, "T", w) FROM (VALUES (1, 1::float8, 5::float8, 0::float8)) v(x, t_x, "T", w)$$);
SELECT try($$SELECT crm.mbgnbd_fit(x, t_x, "T", 1, p) FROM (VALUES (1, 1::float8, 5::float8, 0.1::float8), (2, 1, 5, 0.2)) v(x, t_x, "T", p)$$);
-- a BG/NBD state is not an MBG/NBD state
SELECT try($$SELECT crm.mbgnbd_fit_final(crm.bgnbd_fit_trans(NULL, 1, 1, 5))$$);

-- Empty input and NULLs
SELECT crm.mbgnbd_fit(x, t_x, "T") IS NULL AS empty FROM (VALUES (1, 1::float8, 5::float8)) v(x, t_x, "T") WHERE false;
SELECT crm.mbgnbd_fit(x, t_x, "T") IS NULL AS only_nulls FROM (VALUES (1, NULL::float8, 5::float8)) v(x, t_x, "T");
SELECT crm.mbgnbd_p_alive(NULL, 1, 1, 5) IS NULL AS strict;

-- Fit on simulated customers: 8,000 drawn from the MBG/NBD story with
-- r = 1, alpha = 5, a = 1, b = 3: a customer drops out at her first
-- purchase with probability p, then after each repeat purchase
SELECT setseed(0.75);
CREATE TABLE mbg_fit_data AS
WITH RECURSIVE c AS (
	SELECT i, (20 + i % 33)::float8 AS "T", -ln(1 - random()) / 5 AS lam, 1 - (1 - random()) ^ (1 / 3.0) AS p
	  FROM generate_series(1, 8000) i),
ev(i, n, t, alive) AS (
	SELECT i, 0, 0::float8, random() >= c.p FROM c
	UNION ALL
	SELECT e.i, e.n + 1, e.t + g.gap, random() >= c.p
	  FROM ev e JOIN c ON c.i = e.i, LATERAL (SELECT -ln(1 - random()) / c.lam AS gap) g
	 WHERE e.alive AND e.t + g.gap <= c."T")
SELECT i AS id, max(n) AS x, round(max(t)::numeric, 2)::float8 AS t_x, "T"
  FROM ev JOIN c USING (i) GROUP BY i, "T";
ANALYZE mbg_fit_data;
SELECT count(*) AS customers, sum(x) AS sum_x, count(*) FILTER (WHERE x > 0) AS repeat_buyers FROM mbg_fit_data;
CREATE TEMP TABLE serial AS
SELECT (SELECT crm.mbgnbd_fit(x, t_x, "T") FROM mbg_fit_data) AS mb,
	   (SELECT crm.mbgnbd_fit(x, t_x, "T", 1, 0.01) FROM mbg_fit_data) AS mb_penalized,
	   (SELECT crm.bgnbd_fit(x, t_x, "T") FROM mbg_fit_data) AS bg;
-- near the simulated r = 1, alpha = 5, a = 1, b = 3, inside the 95 % intervals
SELECT f.parameter, round(f.estimate::numeric, 3) AS estimate, round(f.std_error::numeric, 3) AS std_error,
	   f.lower95 < t.truth AND t.truth < f.upper95 AS covers_truth
  FROM serial, crm.fit_parameters(mb) WITH ORDINALITY f(parameter, estimate, std_error, lower95, upper95, k)
  JOIN (VALUES (1, 1.0), (2, 5.0), (3, 1.0), (4, 3.0)) t(k, truth) USING (k);
SELECT round((mb).log_likelihood::numeric, 2) AS ll, (mb).customers, (mb).converged,
	   (mb).log_likelihood > (bg).log_likelihood AS fits_better_than_bgnbd
  FROM serial;
SELECT (mb_penalized).converged,
	   (mb_penalized).r ^ 2 + (mb_penalized).alpha ^ 2 + (mb_penalized).a ^ 2 + (mb_penalized).b ^ 2
	   < (mb).r ^ 2 + (mb).alpha ^ 2 + (mb).a ^ 2 + (mb).b ^ 2 AS shrunk
  FROM serial;
-- weights: each distinct summary once with its count gives the same fit
SELECT (SELECT crm.mbgnbd_fit(x, t_x, "T", n) FROM (SELECT x, t_x, "T", count(*)::float8 AS n FROM mbg_fit_data GROUP BY 1, 2, 3) g)
	   = mb AS weighted_equals_rows
  FROM serial;
-- combine in any split
CREATE AGGREGATE pg_temp.mbg_state(integer, float8, float8) (SFUNC = crm.mbgnbd_fit_trans, STYPE = float8[]);
WITH h AS (SELECT id % 3 = 0 AS part, pg_temp.mbg_state(x, t_x, "T") AS s FROM mbg_fit_data GROUP BY 1),
	 l AS (SELECT s FROM h WHERE part), r AS (SELECT s FROM h WHERE NOT part)
SELECT crm.mbgnbd_fit_final(crm.mbgnbd_fit_combine(l.s, r.s)) = mb AS left_right,
	   crm.mbgnbd_fit_final(crm.mbgnbd_fit_combine(r.s, l.s)) = mb AS right_left,
	   (SELECT s[1:3] FROM l) = ARRAY[6, 0, (SELECT count(*) FROM mbg_fit_data WHERE id % 3 = 0)]::float8[] AS header
  FROM l, r, serial;

-- Parallel query: forced parallel plan, same result as serial
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
EXPLAIN (COSTS OFF) SELECT crm.mbgnbd_fit(x, t_x, "T") FROM mbg_fit_data;
SELECT (SELECT crm.mbgnbd_fit(x, t_x, "T") FROM mbg_fit_data) = mb AS parallel_equals_serial,
	   (SELECT crm.mbgnbd_fit(x, t_x, "T", 1, 0.01) FROM mbg_fit_data) = mb_penalized AS penalized_parallel_equals_serial
  FROM serial;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;
DROP TABLE mbg_fit_data;
