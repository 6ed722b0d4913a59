-- Conditional P(n purchases in the next t) of BG/NBD and Pareto/NBD given a
-- customer's history (crm.bgnbd_p_purchases and crm.paretonbd_p_purchases
-- with (x, t_x, T)), and the unconditional Pareto/NBD one.
--
-- Reference values: test/reference/p_purchases.py (mpmath, 40 digits):
-- Pareto/NBD by mpmath's tanh-sinh quadrature of the defining integral over
-- the death time and P(alive) from test/reference/paretonbd.py (itself by
-- quadrature); BG/NBD from P(alive) (FHL 2005 eq. 11) and eq. 8 at the
-- posterior parameters with mpmath's betainc.  Parameters: the BTYD
-- walkthrough's Pareto/NBD (0.5534, 10.5802, 0.6061, 11.6562) and the
-- published BG/NBD (0.243, 4.414, 0.793, 2.426) of CDNOW.

CREATE TEMP TABLE m AS
SELECT ROW(0.5534, 10.5802, 0.6061, 11.6562, NULL, NULL, NULL, NULL, NULL)::crm.paretonbd AS pn,
	   ROW(0.243, 4.414, 0.793, 2.426, NULL, NULL, NULL, NULL, NULL)::crm.bgnbd AS bg;

-- against mpmath: relative error below 1e-11 (P(alive) of the x = 50 row is
-- 3e-85; the reference's quadrature is good to about 1e-11 there)
SELECT t, n, x, t_x, "T", abs(crm.paretonbd_p_purchases(pn, t, n, x, t_x, "T") / ref - 1) < 1e-10 AS paretonbd_matches
  FROM m, (VALUES (39::float8, 0, 2, 30.43::float8, 38.86::float8, 0.40809528235916169396::float8),
				  (39, 1, 2, 30.43, 38.86, 0.21926521337599159884),
				  (39, 3, 2, 30.43, 38.86, 0.095652267655823348531),
				  (39, 0, 0, 0, 0, 0.59357593702822907881),
				  (39, 2, 0, 0, 0, 0.082497948215170877159),
				  (39, 8, 200, 999, 1000, 0.13419339053165376534),
				  (39, 0, 200, 999, 1000, 0.0041608892520413417671),
				  (39, 1, 50, 10, 1000, 7.7116597153735476566e-86),
				  (1, 0, 7, 35, 38, 0.86488097133262621976),
				  (1000, 30, 7, 35, 38, 0.0057010265340401104783)) v(t, n, x, t_x, "T", ref);
SELECT t, n, x, t_x, "T", abs(crm.bgnbd_p_purchases(bg, t, n, x, t_x, "T") / ref - 1) < 1e-11 AS bgnbd_matches
  FROM m, (VALUES (39::float8, 0, 2, 30.43::float8, 38.86::float8, 0.4453728620829955636::float8),
				  (39, 1, 2, 30.43, 38.86, 0.23931893743502776277),
				  (39, 3, 2, 30.43, 38.86, 0.080850055995755320506),
				  (39, 2, 0, 0, 0, 0.085429759539060758646),
				  (39, 8, 200, 999, 1000, 0.13356329386554599693),
				  (39, 0, 200, 500, 1000, 1.0),
				  (1000, 30, 7, 35, 38, 0.0056996956630256417276)) v(t, n, x, t_x, "T", ref);
-- shown rounded: lifetimes' Quickstart customer 1 over the 39-week holdout
SELECT n, round(crm.bgnbd_p_purchases(bg, 39, n, 2, 30.43, 38.86)::numeric, 6) AS bgnbd,
	   round(crm.paretonbd_p_purchases(pn, 39, n, 2, 30.43, 38.86)::numeric, 6) AS paretonbd
  FROM m, generate_series(0, 5) n;

-- Identities that do not depend on the derivation: over n the
-- probabilities sum to 1, and their mean is the conditional expectation of
-- *_expected_purchases (to 1e-10: the tail beyond n = 400 is below 1e-15);
-- without a history they are the probabilities of a new customer
SELECT v.x, v.t_x, v."T",
	   abs(sum(crm.bgnbd_p_purchases(bg, 39, n, v.x, v.t_x, v."T")) - 1) < 1e-10 AS bgnbd_sums_to_1,
	   abs(sum(n * crm.bgnbd_p_purchases(bg, 39, n, v.x, v.t_x, v."T"))
		   - min(crm.bgnbd_expected_purchases(bg, 39, v.x, v.t_x, v."T"))) < 1e-10 AS bgnbd_mean,
	   abs(sum(crm.paretonbd_p_purchases(pn, 39, n, v.x, v.t_x, v."T")) - 1) < 1e-10 AS paretonbd_sums_to_1,
	   abs(sum(n * crm.paretonbd_p_purchases(pn, 39, n, v.x, v.t_x, v."T"))
		   - min(crm.paretonbd_expected_purchases(pn, 39, v.x, v.t_x, v."T"))) < 1e-10 AS paretonbd_mean
  FROM m, (VALUES (0, 0::float8, 38.86::float8), (2, 30.43, 38.86), (7, 20, 38), (200, 999, 1000), (200, 500, 1000)) v(x, t_x, "T"),
	   generate_series(0, 400) n
 GROUP BY v.x, v.t_x, v."T" ORDER BY v.x, v.t_x;
SELECT bool_and(crm.bgnbd_p_purchases(bg, 39, n, 0, 0, 0) = crm.bgnbd_p_purchases(bg, 39, n)) AS bgnbd_new_customer,
	   bool_and(crm.paretonbd_p_purchases(pn, 39, n, 0, 0, 0) = crm.paretonbd_p_purchases(pn, 39, n)) AS paretonbd_new_customer,
	   abs(sum(n * crm.paretonbd_p_purchases(pn, 39, n)) - min(crm.paretonbd_expected_purchases_unconditional(pn, 39))) < 1e-10 AS paretonbd_unconditional_mean
  FROM m, generate_series(0, 400) n;

-- Extremes: t = 0, a customer of 100,000 purchases, a rate far from the
-- horizon, huge n: finite probabilities in [0, 1]
SELECT crm.bgnbd_p_purchases(bg, 0, 0, 2, 30, 38) AS bg_t0_n0, crm.bgnbd_p_purchases(bg, 0, 3, 2, 30, 38) AS bg_t0_n3,
	   crm.paretonbd_p_purchases(pn, 0, 0, 2, 30, 38) AS pn_t0_n0, crm.paretonbd_p_purchases(pn, 0, 3, 2, 30, 38) AS pn_t0_n3
  FROM m;
SELECT round(crm.bgnbd_p_purchases(bg, 1, n, 100000, 99999.5, 100000)::numeric, 6) AS bgnbd,
	   round(crm.paretonbd_p_purchases(pn, 1, n, 100000, 99999.5, 100000)::numeric, 6) AS paretonbd
  FROM m, (VALUES (0), (1), (2)) v(n);
SELECT crm.bgnbd_p_purchases(bg, 39, 100000, 2, 30, 38) AS bgnbd_huge_n, crm.paretonbd_p_purchases(pn, 39, 100000, 2, 30, 38) AS paretonbd_huge_n
  FROM m;

-- Errors
SELECT try($$SELECT crm.paretonbd_p_purchases(pn, -1, 2, 2, 30, 38) FROM m$$);
SELECT try($$SELECT crm.paretonbd_p_purchases(pn, 39, -2, 2, 30, 38) FROM m$$);
SELECT try($$SELECT crm.paretonbd_p_purchases(pn, 39, 2, 2, 40, 38) FROM m$$);
SELECT try($$SELECT crm.paretonbd_p_purchases(pn, 'infinity', 2) FROM m$$);
SELECT try($$SELECT crm.paretonbd_p_purchases(pn, 1e9, 200000) FROM m$$);
SELECT try($$SELECT crm.bgnbd_p_purchases(bg, 39, -1, 2, 30, 38) FROM m$$);
SELECT try($$SELECT crm.bgnbd_p_purchases(bg, 39, 1, 0, 5, 38) FROM m$$);
SELECT try($$SELECT crm.bgnbd_p_purchases(ROW(0.243, 0, 0.793, 2.426, NULL, NULL, NULL, NULL, NULL)::crm.bgnbd, 39, 1, 2, 30, 38)$$);
