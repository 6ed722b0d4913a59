-- Model comparison (crm.compare_models): BG/NBD, MBG/NBD and Pareto/NBD
-- fitted on the calibration summaries of crm.calibration_holdout, with
-- AIC, BIC and their holdout forecasts, and the model to use.  Every
-- figure is recomputed here from the fits and predictions it is made of;
-- the CDNOW comparison is in sql/clv_cdnow.sql.
--
-- Orders of 2,000 customers drawn from the Pareto/NBD story (purchase rate
-- Gamma(1, 5) a week, dropout rate Gamma(1, 20)), acquired over the first
-- 12 weeks of 2024, purchase days up to 2025-06-30; calibration to
-- 2024-09-30.
SELECT setseed(0.125);
CREATE TEMP TABLE sim_orders AS
WITH RECURSIVE c AS (
	SELECT i, floor(random() * 84)::integer AS first_day, -ln(1 - random()) / 5 AS lam,
		   -ln(1 - random()) / (-ln(1 - random()) / 20) AS death
	  FROM generate_series(1, 2000) i),
ev(i, t) AS (
	SELECT i, 0::float8 FROM c
	UNION ALL
	SELECT e.i, e.t + g.gap
	  FROM ev e JOIN c ON c.i = e.i, LATERAL (SELECT -ln(1 - random()) / c.lam AS gap) g
	 WHERE e.t + g.gap <= c.death AND date '2024-01-01' + c.first_day + floor((e.t + g.gap) * 7)::integer <= date '2025-06-30')
SELECT 920000 + i AS customer_id, date '2024-01-01' + c.first_day + floor(ev.t * 7)::integer AS day
  FROM ev JOIN c USING (i);
INSERT INTO crm.customers (id, name) OVERRIDING SYSTEM VALUE
SELECT DISTINCT customer_id, 'compare ' || customer_id FROM sim_orders;
INSERT INTO crm.orders (customer_id, ordered_at, amount)
SELECT customer_id, day + time '12:00', 20 FROM sim_orders;
SELECT count(DISTINCT customer_id) AS customers, count(*) AS orders FROM sim_orders;

CREATE TEMP TABLE cmp AS SELECT * FROM crm.compare_models('2024-09-30', '2025-06-30');
CREATE TEMP TABLE s AS
SELECT * FROM crm.calibration_holdout('2024-09-30', '2025-06-30') WHERE customer_id > 920000;
CREATE TEMP TABLE f AS
SELECT crm.bgnbd_fit(x, t_x, "T") AS bg, crm.mbgnbd_fit(x, t_x, "T") AS mb, crm.paretonbd_fit(x, t_x, "T") AS pn FROM s;
SELECT model, parameters, customers, round(log_likelihood::numeric, 2) AS log_likelihood, round(aic::numeric, 2) AS aic,
	   round(bic::numeric, 2) AS bic, converged, holdout_actual, round(holdout_expected::numeric, 1) AS holdout_expected,
	   round(holdout_error::numeric, 4) AS holdout_error, round(holdout_rmse::numeric, 4) AS holdout_rmse, chosen
  FROM cmp ORDER BY model;
-- the same figures from the fits and predictions themselves (the holdout
-- is 273 days = 39 weeks)
WITH by_hand AS (
	SELECT 'bgnbd' AS model, (bg).log_likelihood AS ll,
		   sum(crm.bgnbd_expected_purchases(bg, holdout_days / 7, x, t_x, "T")) AS expected,
		   sqrt(avg((crm.bgnbd_expected_purchases(bg, holdout_days / 7, x, t_x, "T") - holdout_purchases) ^ 2)) AS rmse
	  FROM s, f GROUP BY bg
	UNION ALL
	SELECT 'mbgnbd', (mb).log_likelihood,
		   sum(crm.mbgnbd_expected_purchases(mb, holdout_days / 7, x, t_x, "T")),
		   sqrt(avg((crm.mbgnbd_expected_purchases(mb, holdout_days / 7, x, t_x, "T") - holdout_purchases) ^ 2))
	  FROM s, f GROUP BY mb
	UNION ALL
	SELECT 'paretonbd', (pn).log_likelihood,
		   sum(crm.paretonbd_expected_purchases(pn, holdout_days / 7, x, t_x, "T")),
		   sqrt(avg((crm.paretonbd_expected_purchases(pn, holdout_days / 7, x, t_x, "T") - holdout_purchases) ^ 2))
	  FROM s, f GROUP BY pn)
SELECT c.model, c.log_likelihood = h.ll AS same_fit,
	   abs(c.aic - (2 * 4 - 2 * h.ll)) < 1e-9 AS aic, abs(c.bic - (4 * ln(2000) - 2 * h.ll)) < 1e-9 AS bic,
	   c.holdout_actual = (SELECT sum(holdout_purchases) FROM s) AS actual,
	   abs(c.holdout_expected - h.expected) < 1e-9 AS expected,
	   abs(c.holdout_error - (h.expected / (SELECT sum(holdout_purchases) FROM s) - 1)) < 1e-12 AS error,
	   abs(c.holdout_rmse - h.rmse) < 1e-12 AS rmse,
	   c.chosen = (h.rmse = min(h.rmse) OVER ()) AS chosen_has_least_rmse
  FROM cmp c JOIN by_hand h USING (model) ORDER BY c.model;
-- without a holdout the model with the smallest BIC is chosen
SELECT model, holdout_actual, holdout_rmse, chosen, bic = min(bic) OVER () AS least_bic
  FROM crm.compare_models('2024-09-30', '2024-09-30') ORDER BY model;

-- Errors
SELECT try($$SELECT * FROM crm.compare_models('2024-09-30', '2025-06-30', 'fortnight')$$);
SELECT try($$SELECT * FROM crm.compare_models('2024-09-30', '2024-06-30')$$);
SELECT count(*) AS no_customers_no_rows FROM crm.compare_models('1990-01-01', '1990-12-31');

DELETE FROM crm.orders WHERE customer_id > 920000;
DELETE FROM crm.customers WHERE id > 920000;
