-- Standard errors of the fits (the covariance attribute of every fitted
-- model, crm.fit_parameters) and the interval of a customer's value
-- (crm.clv_interval).  The published and high-precision references on real
-- data are in clv_cdnow, sbg_retention and bgbb_donations (they need
-- ../shared/data); here: models made by hand, errors, fits on simulated
-- customers whose true parameters are known, the delta method of
-- clv_interval recomputed in SQL, and fits without a maximum.

-- A model made by hand has no covariance: estimates without standard errors
SELECT * FROM crm.fit_parameters(ROW(0.243, 4.414, 0.793, 2.426, NULL, NULL, NULL, NULL, NULL)::crm.bgnbd);
SELECT * FROM crm.fit_parameters(ROW(6.25, 3.74, 15.44, NULL, NULL, NULL, NULL, NULL, NULL)::crm.gammagamma);
SELECT * FROM crm.fit_parameters(ROW(0.55, 10.58, 0.61, 11.66, NULL, NULL, NULL, NULL, NULL)::crm.paretonbd);
SELECT * FROM crm.fit_parameters(ROW(0.704, 1.182, NULL, NULL, NULL, NULL, NULL)::crm.sbg);
SELECT * FROM crm.fit_parameters(ROW(1.204, 0.75, 0.657, 2.783, NULL, NULL, NULL, NULL, NULL)::crm.bgbb);
-- ... and a covariance given by hand is used as it is: se = sqrt(variance),
-- interval estimate * exp(+-1.959964 se / estimate)
SELECT parameter, estimate, std_error, round(lower95::numeric, 6) AS lower95, round(upper95::numeric, 6) AS upper95,
	   abs(lower95 - estimate * exp(-1.959963984540054 * std_error / estimate)) < 1e-15 AND
	   abs(upper95 - estimate * exp(1.959963984540054 * std_error / estimate)) < 1e-15 AS formula
  FROM crm.fit_parameters(ROW(2, 3, NULL, NULL, NULL, NULL, '{{0.25,0.1},{0.1,0.36}}')::crm.sbg);

-- Errors: a covariance of another shape, with NULLs, not finite, a negative
-- variance; a parameter that is not positive beside a covariance; an
-- interval of a model without covariance
SELECT try($$SELECT * FROM crm.fit_parameters(ROW(2, 3, NULL, NULL, NULL, NULL, '{0.25,0.1,0.1,0.36}')::crm.sbg)$$);
SELECT try($$SELECT * FROM crm.fit_parameters(ROW(2, 3, NULL, NULL, NULL, NULL, '{{0.25,0.1,0},{0.1,0.36,0}}')::crm.sbg)$$);
SELECT try($$SELECT * FROM crm.fit_parameters(ROW(2, 3, NULL, NULL, NULL, NULL, '{{0.25,NULL},{0.1,0.36}}')::crm.sbg)$$);
SELECT try($$SELECT * FROM crm.fit_parameters(ROW(2, 3, NULL, NULL, NULL, NULL, '{{0.25,0.1},{0.1,NaN}}')::crm.sbg)$$);
SELECT try($$SELECT * FROM crm.fit_parameters(ROW(2, 3, NULL, NULL, NULL, NULL, '{{-0.25,0.1},{0.1,0.36}}')::crm.sbg)$$);
SELECT try($$SELECT * FROM crm.fit_parameters(ROW(-2, 3, NULL, NULL, NULL, NULL, '{{0.25,0.1},{0.1,0.36}}')::crm.sbg)$$);
SELECT try($$SELECT * FROM crm.clv_interval(ROW(0.243, 4.414, 0.793, 2.426, NULL, NULL, NULL, NULL, NULL)::crm.bgnbd,
											ROW(6.25, 3.74, 15.44, NULL, NULL, NULL, NULL, NULL, '{{1,0,0},{0,1,0},{0,0,1}}')::crm.gammagamma,
											2, 30, 38, 40, 12, 0.01)$$);
SELECT try($$SELECT * FROM crm.clv_interval(ROW(0.243, 4.414, 0.793, 2.426, NULL, NULL, NULL, NULL, '{{1,0},{0,1}}')::crm.bgnbd,
											ROW(6.25, 3.74, 15.44, NULL, NULL, NULL, NULL, NULL, '{{1,0,0},{0,1,0},{0,0,1}}')::crm.gammagamma,
											2, 30, 38, 40, 12, 0.01)$$);
-- NULLs as crm.clv: a NULL model gives NULL, a NULL mean_amount the population mean spend
SELECT crm.clv_interval(NULL, NULL, 2, 30, 38, 40, 12, 0.01) IS NULL AS null_models;

-- Simulated customers: 8,000 drawn from the BG/NBD story with r = 1,
-- alpha = 5, a = 1, b = 3 (as in sql/clv.sql) and a Gamma-Gamma spend with
-- p = 4, q = 3, gamma = 20 (each purchase ~ Gamma(p, nu), nu ~ Gamma(q, gamma);
-- the mean of x purchases ~ Gamma(p x, nu x))
SELECT setseed(0.5);
CREATE TEMP TABLE sim AS
WITH RECURSIVE c AS (
	SELECT i, (20 + i % 33)::float8 AS "T", -ln(1 - random()) / 5 AS lam, 1 - (1 - random()) ^ (1 / 3.0) AS p
	  FROM generate_series(1, 8000) i),
ev(i, n, t, alive) AS (
	SELECT i, 0, 0::float8, true FROM c
	UNION ALL
	SELECT e.i, e.n + 1, e.t + g.gap, random() >= c.p
	  FROM ev e JOIN c ON c.i = e.i, LATERAL (SELECT -ln(1 - random()) / c.lam AS gap) g
	 WHERE e.alive AND e.t + g.gap <= c."T")
SELECT i AS id, max(n) AS x, round(max(t)::numeric, 2)::float8 AS t_x, "T"
  FROM ev JOIN c USING (i) GROUP BY i, "T";
-- Gamma(k, rate) for integer-free k by the sum of -ln(u) over floor(k)
-- exponentials and a Beta-free remainder is not needed: p x and q are whole here
CREATE FUNCTION pg_temp.rgamma(k integer, rate float8) RETURNS float8 LANGUAGE sql AS
$$ SELECT sum(-ln(1 - random())) / rate FROM generate_series(1, k) $$;
-- (drawn in one pass over the customers in id order, each customer's nu
-- then m: the draws do not depend on where an UPDATE puts the rows)
CREATE TEMP TABLE spend AS
SELECT s.id, n.nu, CASE WHEN s.x > 0 THEN pg_temp.rgamma(4 * s.x, n.nu * s.x) END AS m
  FROM (SELECT * FROM sim ORDER BY id OFFSET 0) s,
	   LATERAL (SELECT CASE WHEN s.x > 0 THEN pg_temp.rgamma(3, 20) END AS nu) n;
ALTER TABLE sim ADD COLUMN nu float8, ADD COLUMN m float8;
UPDATE sim SET nu = p.nu, m = p.m FROM spend p WHERE p.id = sim.id;
SELECT count(*) AS customers, sum(x) AS sum_x, count(*) FILTER (WHERE x > 0) AS repeat_buyers FROM sim;
-- the fits print a progress NOTICE after 5 s, which a loaded machine reaches
SET client_min_messages = warning;
CREATE TEMP TABLE fits AS
SELECT (SELECT crm.bgnbd_fit(x, t_x, "T") FROM sim) AS bg,
	   (SELECT crm.gammagamma_fit(x, m) FROM sim) AS gg,
	   (SELECT crm.paretonbd_fit(x, t_x, "T") FROM sim WHERE id <= 1500) AS pn,
	   (SELECT crm.bgnbd_fit(x, t_x, "T", 1, 0.01) FROM sim) AS bg_penalized;
RESET client_min_messages;
-- the true parameters lie in the 95 % intervals; standard errors shown to 2 digits
SELECT f.parameter, round(f.estimate::numeric, 3) AS estimate, round(f.std_error::numeric, 3) AS std_error,
	   f.lower95 < t.truth AND t.truth < f.upper95 AS covers_truth
  FROM fits, crm.fit_parameters(bg) WITH ORDINALITY f(parameter, estimate, std_error, lower95, upper95, k)
  JOIN (VALUES (1, 1.0), (2, 5.0), (3, 1.0), (4, 3.0)) t(k, truth) USING (k);
SELECT f.parameter, round(f.estimate::numeric, 3) AS estimate, round(f.std_error::numeric, 3) AS std_error,
	   f.lower95 < t.truth AND t.truth < f.upper95 AS covers_truth
  FROM fits, crm.fit_parameters(gg) WITH ORDINALITY f(parameter, estimate, std_error, lower95, upper95, k)
  JOIN (VALUES (1, 4.0), (2, 3.0), (3, 20.0)) t(k, truth) USING (k);
-- the covariance: 4 x 4, symmetric, positive variances, |correlation| < 1;
-- standard errors shrink as the square root of the customers (the first
-- 2,000 customers give errors about twice as large)
SELECT array_dims((bg).covariance) AS dims,
	   bool_and((bg).covariance[i][j] = (bg).covariance[j][i]) AS symmetric,
	   bool_and((bg).covariance[i][i] > 0) AS positive_variances,
	   bool_and(abs((bg).covariance[i][j]) < sqrt((bg).covariance[i][i] * (bg).covariance[j][j]) OR i = j) AS correlations_below_1
  FROM fits, generate_series(1, 4) i, generate_series(1, 4) j GROUP BY (bg).covariance;
SELECT bool_and(q.std_error / f.std_error BETWEEN 1.6 AND 2.5) AS quarter_of_the_data_doubles_errors
  FROM fits, crm.fit_parameters(bg) f,
	   crm.fit_parameters((SELECT crm.bgnbd_fit(x, t_x, "T") FROM sim WHERE id <= 2000)) q
 WHERE q.parameter = f.parameter;
-- Pareto/NBD on BG/NBD data (the first 1,500 customers): it has standard
-- errors too; a penalized fit's covariance is that of the penalized
-- objective (the penalty adds curvature)
SELECT (SELECT count(*) FROM crm.fit_parameters(pn) WHERE std_error > 0) AS paretonbd_errors,
	   (SELECT bool_and(p.std_error < f.std_error) FROM crm.fit_parameters(bg_penalized) p JOIN crm.fit_parameters(bg) f USING (parameter))
	   AS penalized_smaller
  FROM fits;

-- clv_interval: the clv of crm.clv, and its delta-method standard error
-- recomputed here from crm.clv of models moved by 1e-5 in each
-- log-parameter and the two covariances
CREATE TEMP TABLE cust AS SELECT * FROM (VALUES (1, 2, 30.43, 38.86, 22.35), (2, 0, 0, 38.86, NULL), (3, 7, 29.43, 38.86, 73.74),
											   (4, 7, 5, 38.86, 73.74)) v(k, x, t_x, "T", mean_amount);
-- the model with parameter i (1-4 BG/NBD, 5-7 Gamma-Gamma) times e^h
CREATE FUNCTION pg_temp.moved(bg crm.bgnbd, gg crm.gammagamma, i int, h float8, OUT bg crm.bgnbd, OUT gg crm.gammagamma)
LANGUAGE sql AS $$
SELECT ROW(($1).r * CASE i WHEN 1 THEN exp(h) ELSE 1 END, ($1).alpha * CASE i WHEN 2 THEN exp(h) ELSE 1 END,
		   ($1).a * CASE i WHEN 3 THEN exp(h) ELSE 1 END, ($1).b * CASE i WHEN 4 THEN exp(h) ELSE 1 END,
		   NULL, NULL, NULL, NULL, NULL)::crm.bgnbd,
	   ROW(($2).p * CASE i WHEN 5 THEN exp(h) ELSE 1 END, ($2).q * CASE i WHEN 6 THEN exp(h) ELSE 1 END,
		   ($2).gamma * CASE i WHEN 7 THEN exp(h) ELSE 1 END, NULL, NULL, NULL, NULL, NULL, NULL)::crm.gammagamma
$$;
CREATE TEMP TABLE grad AS
SELECT c.k, i, (crm.clv((u).bg, (u).gg, c.x, c.t_x, c."T", c.mean_amount, 24, 0.01)
				- crm.clv((d).bg, (d).gg, c.x, c.t_x, c."T", c.mean_amount, 24, 0.01))
			   / (2e-5 * (ARRAY[(fits.bg).r, (fits.bg).alpha, (fits.bg).a, (fits.bg).b, (fits.gg).p, (fits.gg).q, (fits.gg).gamma])[i]) AS g
  FROM cust c, fits, generate_series(1, 7) i,
	   LATERAL pg_temp.moved(fits.bg, fits.gg, i, 1e-5) u, LATERAL pg_temp.moved(fits.bg, fits.gg, i, -1e-5) d;
CREATE TEMP TABLE sql_delta AS
SELECT gi.k, sqrt(sum(gi.g * gj.g * CASE WHEN gi.i <= 4 AND gj.i <= 4 THEN (bg).covariance[gi.i][gj.i]
										 WHEN gi.i > 4 AND gj.i > 4 THEN (gg).covariance[gi.i - 4][gj.i - 4]
										 ELSE 0 END)) AS se
  FROM grad gi JOIN grad gj USING (k), fits
 GROUP BY gi.k;
SELECT c.k, c.x, round(i.clv::numeric, 4) AS clv, round(i.std_error::numeric, 4) AS std_error,
	   round(i.lower95::numeric, 4) AS lower95, round(i.upper95::numeric, 4) AS upper95,
	   i.clv = crm.clv(bg, gg, c.x, c.t_x, c."T", c.mean_amount, 24, 0.01) AS same_clv,
	   abs(i.std_error / d.se - 1) < 1e-6 AS delta_method_matches,
	   i.lower95 < i.clv AND i.clv < i.upper95 AS brackets
  FROM cust c JOIN sql_delta d USING (k), fits,
	   LATERAL crm.clv_interval(bg, gg, c.x, c.t_x, c."T", c.mean_amount, 24, 0.01) i
 ORDER BY c.k;
-- no months: nothing to value and nothing uncertain
SELECT i.* FROM fits, crm.clv_interval(bg, gg, 2, 30, 38, 40, 0, 0.01) i;

-- Fits without a maximum: no covariance (NULL standard errors)
SELECT (f).converged, (f).covariance IS NULL AS no_covariance
  FROM (SELECT crm.sbg_fit(periods, false) AS f FROM generate_series(1, 5) periods) s;
SELECT (f).converged, (f).covariance IS NULL AS no_covariance
  FROM (SELECT crm.bgnbd_fit(x, CASE WHEN x = 0 THEN 0 ELSE "T" END, "T") AS f FROM sim) s;
