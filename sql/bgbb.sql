-- BG/BB for discrete opportunities (src/clv.c, src/clv.sql): predictions
-- against an independent high-precision computation, errors, a fit on
-- simulated donors, combine and parallel query.  The published fit on the
-- donations data is in sql/bgbb_donations.sql.
--
-- Reference values: test/reference/bgbb.py (mpmath, 40 digits, FHS 2010's
-- closed form eq. 13, which crm does not use), with the published model
-- alpha = 1.204, beta = 0.750, gamma = 0.657, delta = 2.783.

CREATE TEMP TABLE m AS SELECT ROW(1.204, 0.750, 0.657, 2.783, NULL, NULL, NULL, NULL, NULL)::crm.bgbb AS bb;

SELECT x, t_x, n, abs(pa / ref_pa - 1) < 1e-12 AS p_alive_matches, abs(e5 / ref5 - 1) < 1e-12 AS next_5_matches,
	   abs(e100 / ref100 - 1) < 1e-12 AS next_100_matches
  FROM m, LATERAL (VALUES
	(0, 0, 6, 0.10801658416867419518::float8, 0.072802877475043012434::float8, 0.60437599071961804549::float8),
	(1, 1, 6, 0.069408093206549673556, 0.085635398337870302167, 0.71090567442010187602),
	(3, 6, 6, 0.93040254237288135593, 2.189602167455527654, 18.177069713918964835),
	(3, 4, 6, 0.43946285705575648715, 1.0342284984211044896, 8.585689124416694795),
	(6, 6, 6, 0.93040254237288135593, 3.7521156075998147524, 31.148337349922032034),
	(2, 30, 200, 0.0040397347868384179489, 0.00031840880160955269958, 0.005595298832412437017),
	(150, 190, 200, 0.000092281676332241744063, 0.00034325625348159413829, 0.0060319353755772872273)) v(x, t_x, n, ref_pa, ref5, ref100),
	   LATERAL (SELECT crm.bgbb_p_alive(bb, x, t_x, n) AS pa, crm.bgbb_expected_purchases(bb, 5, x, t_x, n) AS e5,
					   crm.bgbb_expected_purchases(bb, 100, x, t_x, n) AS e100) p;
SELECT round(crm.bgbb_p_alive(bb, 3, 4, 6)::numeric, 12) AS p_alive, round(crm.bgbb_expected_purchases(bb, 5, 3, 4, 6)::numeric, 12) AS next_5,
	   crm.bgbb_expected_purchases(bb, 0, 3, 4, 6) AS next_0,
	   -- gamma = 1, where eq. 13 divides by zero, lies between gamma = 1 -+ 1e-7
	   abs(crm.bgbb_expected_purchases(ROW(1.204, 0.75, 1, 2.783, NULL, NULL, NULL, NULL, NULL)::crm.bgbb, 5, 3, 4, 6)
		   - crm.bgbb_expected_purchases(ROW(1.204, 0.75, 1 + 1e-7, 2.783, NULL, NULL, NULL, NULL, NULL)::crm.bgbb, 5, 3, 4, 6)) < 1e-6 AS gamma_1
  FROM m;
-- E[X(n)], the expected transactions in the first n opportunities:
-- test/reference/bgbb_unconditional.py (mpmath, 40 digits, the closed form
-- with gamma - 1 in the denominator; at gamma = 1 its limit, d (psi(1+d+n)
-- - psi(1+d))); crm sums the opportunities
SELECT v.model, v.n, abs(e / ref - 1) < 1e-12 AS matches_reference
  FROM (VALUES
	('published', 1.204::float8, 0.750::float8, 0.657::float8, 2.783::float8, 1, 0.49849027635619242579::float8),
	('published', 1.204, 0.750, 0.657, 2.783, 6, 2.2196313934872988569),
	('published', 1.204, 0.750, 0.657, 2.783, 11, 3.3875711110646219909),
	('published', 1.204, 0.750, 0.657, 2.783, 100, 11.59034999360381258),
	('published', 1.204, 0.750, 0.657, 2.783, 100000, 170.50195654010952466),
	('gamma 1', 1.204, 0.750, 1, 2.783, 6, 1.7767175290766637737),
	('gamma 1', 1.204, 0.750, 1, 2.783, 100, 5.907359646082817785),
	('small delta', 0.5, 3, 2.5, 0.1, 6, 0.0088045443920908737842),
	('small delta', 0.5, 3, 2.5, 0.1, 100000, 0.0095238090712421595873),
	('extreme', 1e-3, 1e3, 1e3, 1e-3, 1, 9.99998000002999996e-13),
	('extreme', 1e-3, 1e3, 1e3, 1e-3, 100000, 1.001000000001001e-12)) v(model, a, b, g, d, n, ref),
	   LATERAL (SELECT crm.bgbb_expected_purchases_unconditional(ROW(v.a, v.b, v.g, v.d, NULL, NULL, NULL, NULL, NULL)::crm.bgbb, v.n) AS e) p;
-- n = 0: none; a new customer's conditional expectation (x = t_x = n = 0) is
-- the same sum
SELECT crm.bgbb_expected_purchases_unconditional(bb, 0) AS first_0,
	   round(crm.bgbb_expected_purchases_unconditional(bb, 6)::numeric, 12) AS first_6,
	   abs(crm.bgbb_expected_purchases_unconditional(bb, 6) / crm.bgbb_expected_purchases(bb, 6, 0, 0, 0) - 1) < 1e-12 AS conditional_at_0
  FROM m;
-- extreme parameters and long histories stay finite
SELECT count(*) AS combinations,
	   count(*) FILTER (WHERE pa >= 0 AND pa <= 1) AS p_alive_in_0_1,
	   count(*) FILTER (WHERE e >= 0 AND e < 'infinity') AS expected_finite
  FROM (VALUES (1e-6::float8), (1), (1e6)) a(a), (VALUES (1e-6::float8), (1), (1e6)) b(b),
	   (VALUES (1e-6::float8), (1), (1e6)) g(g), (VALUES (1e-6::float8), (1), (1e6)) d(d),
	   (VALUES (0, 0, 0), (0, 0, 1000), (500, 1000, 1000), (500, 600, 1000)) v(x, t_x, n),
	   LATERAL (SELECT ROW(a, b, g, d, NULL, NULL, NULL, NULL, NULL)::crm.bgbb AS model) mm,
	   LATERAL (SELECT crm.bgbb_p_alive(model, x, t_x, n) AS pa, crm.bgbb_expected_purchases(model, 100, x, t_x, n) AS e) p;

-- Errors
SELECT try($$SELECT crm.bgbb_p_alive(ROW(1.204, 0.75, 0.657, 2.783, NULL, NULL, NULL, NULL, NULL)::crm.bgbb, 3, 2, 6)$$);
SELECT try($$SELECT crm.bgbb_p_alive(ROW(1.204, 0.75, 0.657, 2.783, NULL, NULL, NULL, NULL, NULL)::crm.bgbb, 0, 2, 6)$$);
SELECT try($$SELECT crm.bgbb_p_alive(ROW(1.204, 0.75, 0.657, 2.783, NULL, NULL, NULL, NULL, NULL)::crm.bgbb, 2, 7, 6)$$);
SELECT try($$SELECT crm.bgbb_expected_purchases(ROW(1.204, 0.75, 0.657, 2.783, NULL, NULL, NULL, NULL, NULL)::crm.bgbb, -1, 2, 4, 6)$$);
SELECT try($$SELECT crm.bgbb_expected_purchases(ROW(1.204, 0.75, 0, 2.783, NULL, NULL, NULL, NULL, NULL)::crm.bgbb, 5, 2, 4, 6)$$);
SELECT try($$SELECT crm.bgbb_expected_purchases_unconditional(ROW(1.204, 0.75, 0.657, 2.783, NULL, NULL, NULL, NULL, NULL)::crm.bgbb, -1)$$);
SELECT try($$SELECT crm.bgbb_expected_purchases_unconditional(ROW(1.204, 0.75, 0.657, 2.783, NULL, NULL, NULL, NULL, NULL)::crm.bgbb, 100001)$$);
SELECT try($$SELECT crm.bgbb_expected_purchases_unconditional(ROW(1.204, -0.75, 0.657, 2.783, NULL, NULL, NULL, NULL, NULL)::crm.bgbb, 6)$$);
SELECT try($$SELECT crm.bgbb_fit(x, t_x, n) FROM (VALUES (1, 0, 6)) v(x, t_x, n)$$);
SELECT try($$SELECT crm.bgbb_fit(x, t_x, n, w) FROM (VALUES (1, 1, 6, 0::float8)) v(x, t_x, n, w)$$);
SELECT try($$SELECT crm.bgbb_fit_final('{5,0,1,0,1,0,6,1}')$$);
SELECT try($$SELECT crm.bgbb_fit_final(crm.sbg_fit_trans(NULL, 1, true))$$);

-- Empty input and NULLs
SELECT crm.bgbb_fit(x, t_x, n) IS NULL AS empty FROM (VALUES (1, 1, 6)) v(x, t_x, n) WHERE false;
SELECT crm.bgbb_fit(x, t_x, n) IS NULL AS only_nulls FROM (VALUES (1, NULL::integer, 6)) v(x, t_x, n);
SELECT crm.bgbb_p_alive(NULL, 1, 1, 6) IS NULL AS strict,
	   crm.bgbb_expected_purchases_unconditional(NULL, 6) IS NULL AS strict_unconditional;

-- Fit on 20,000 simulated donors over 6 opportunities: p ~ Beta(1, 1)
-- (uniform), theta ~ Beta(0.5, 1) (u^2); alive at opportunity t with
-- probability (1 - theta)^t (dies - 1 opportunities), buying with probability p
SELECT setseed(0.375);
CREATE TABLE bgbb_fit_data AS
WITH c AS (SELECT i, random() AS p, ceil(ln(1 - random()) / ln(1 - greatest(random() ^ 2, 1e-12))) AS dies
			 FROM generate_series(1, 20000) i),
	 e AS (SELECT c.i, t, random() < c.p AS buy FROM c, generate_series(1, 6) t WHERE t < c.dies)
SELECT c.i AS id, (count(*) FILTER (WHERE e.buy))::integer AS x,
	   coalesce(max(e.t) FILTER (WHERE e.buy), 0)::integer AS t_x, 6 AS n
  FROM c LEFT JOIN e ON e.i = c.i GROUP BY c.i;
ANALYZE bgbb_fit_data;
SELECT count(*) AS donors, sum(x) AS transactions, count(DISTINCT (x, t_x)) AS summaries FROM bgbb_fit_data;
CREATE TEMP TABLE serial AS SELECT crm.bgbb_fit(x, t_x, n) AS bb FROM bgbb_fit_data;
-- near the simulated alpha = 1, beta = 1, gamma = 0.5, delta = 1
SELECT round((bb).alpha::numeric, 4) AS alpha, round((bb).beta::numeric, 4) AS beta, round((bb).gamma::numeric, 4) AS gamma,
	   round((bb).delta::numeric, 4) AS delta, round((bb).log_likelihood::numeric, 2) AS ll, (bb).customers, (bb).converged
  FROM serial;
SELECT (SELECT crm.bgbb_fit(x, t_x, n, w) FROM (SELECT x, t_x, n, count(*)::float8 AS w FROM bgbb_fit_data GROUP BY 1, 2, 3) g)
	   = bb AS weighted_equals_rows
  FROM serial;
CREATE AGGREGATE pg_temp.bgbb_state(integer, integer, integer) (SFUNC = crm.bgbb_fit_trans, STYPE = float8[]);
WITH h AS (SELECT id % 3 = 0 AS part, pg_temp.bgbb_state(x, t_x, n) AS s FROM bgbb_fit_data GROUP BY 1),
	 l AS (SELECT s FROM h WHERE part), r AS (SELECT s FROM h WHERE NOT part)
SELECT crm.bgbb_fit_final(crm.bgbb_fit_combine(l.s, r.s)) = bb AS left_right,
	   crm.bgbb_fit_final(crm.bgbb_fit_combine(r.s, l.s)) = bb AS right_left
  FROM l, r, serial;

-- Parallel query: forced parallel plan, same result as serial
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
EXPLAIN (COSTS OFF) SELECT crm.bgbb_fit(x, t_x, n) FROM bgbb_fit_data;
SELECT (SELECT crm.bgbb_fit(x, t_x, n) FROM bgbb_fit_data) = bb AS parallel_equals_serial FROM serial;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;
DROP TABLE bgbb_fit_data;
