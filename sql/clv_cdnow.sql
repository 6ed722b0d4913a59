-- BG/NBD and Gamma-Gamma on CDNOW (../shared/data; runs only when the data
-- are there, see the Makefile).  Published references:
--   Fader, Hardie & Lee (2005), "Counting your customers the easy way: an
--   alternative to the Pareto/NBD model", Marketing Science 24(2) 275-284:
--   on the 1/10 sample (2,357 customers, calibration to 1997-09-30, weeks)
--   r = 0.243, alpha = 4.414, a = 0.793, b = 2.426, log-likelihood -9582.4.
--   Fader, Hardie & Lee (2005), "RFM and CLV: using iso-value curves for
--   customer base analysis", JMR 42(4) 415-430, and Fader & Hardie (2013),
--   "The Gamma-Gamma model of monetary value": on the 946 repeat buyers
--   p = 6.25, q = 3.74, gamma = 15.44.

CREATE TEMP TABLE cdnow (customer_id integer, order_date date, quantity integer, amount numeric);
\copy cdnow FROM '../shared/data/cdnow_sample.csv' CSV HEADER
CREATE TEMP TABLE calibration AS
SELECT customer_id, (crm.rfm_summary(crm.purchase_stats(order_date, amount), '1997-09-30', 'week')).*
  FROM cdnow WHERE order_date <= '1997-09-30' GROUP BY customer_id;

CREATE TEMP TABLE fit AS
SELECT (SELECT crm.bgnbd_fit(frequency, recency, age) FROM calibration) AS bg,
	   (SELECT crm.gammagamma_fit(frequency, monetary::float8) FROM calibration) AS gg;
SELECT round((bg).r::numeric, 4) AS r, round((bg).alpha::numeric, 4) AS alpha,
	   round((bg).a::numeric, 4) AS a, round((bg).b::numeric, 4) AS b,
	   round((bg).log_likelihood::numeric, 2) AS log_likelihood, (bg).customers, (bg).converged
  FROM fit;
SELECT abs((bg).r - 0.243) < 0.001 AS r_published, abs((bg).alpha - 4.414) < 0.001 AS alpha_published,
	   abs((bg).a - 0.793) < 0.001 AS a_published, abs((bg).b - 2.426) < 0.001 AS b_published,
	   abs((bg).log_likelihood - -9582.4) < 0.1 AS log_likelihood_published
  FROM fit;
SELECT round((gg).p::numeric, 4) AS p, round((gg).q::numeric, 4) AS q, round((gg).gamma::numeric, 4) AS gamma,
	   round((gg).log_likelihood::numeric, 2) AS log_likelihood, (gg).customers AS repeat_buyers, (gg).skipped, (gg).converged
  FROM fit;
SELECT abs((gg).p - 6.25) < 0.01 AS p_published, abs((gg).q - 3.74) < 0.01 AS q_published,
	   abs((gg).gamma - 15.44) < 0.01 AS gamma_published
  FROM fit;

-- Weighted: the distinct summaries with their counts give the same model
SELECT (SELECT crm.bgnbd_fit(frequency, recency, age, n)
		  FROM (SELECT frequency, recency, age, count(*)::float8 AS n FROM calibration GROUP BY 1, 2, 3) g) = bg
	   AS weighted_equals_rows
  FROM fit;

-- Pareto/NBD on the same summary.  Published: r = 0.5534, alpha = 10.5802,
-- s = 0.6061, beta = 11.6562, log-likelihood -9594.98 (R BTYD's
-- walkthrough; FHL 2005 give r = 0.55, alpha = 10.58, s = 0.61,
-- beta = 11.67).  The likelihood is flat along a ridge there: BTYD's optim
-- stops at alpha and beta 0.0025 and 0.0125 short of the maximum.  mpmath
-- (test/reference/paretonbd.py, 40 digits, quadrature) gives the
-- log-likelihood -9594.976178913 at crm's estimates and -9594.976204323 at
-- the published ones, so crm's are the better maximum; they round to FHL's
-- two decimals, and to BTYD's four for r and s.
CREATE TEMP TABLE pfit AS SELECT crm.paretonbd_fit(frequency, recency, age) AS pn FROM calibration;
SELECT round((pn).r::numeric, 4) AS r, round((pn).alpha::numeric, 4) AS alpha,
	   round((pn).s::numeric, 4) AS s, round((pn).beta::numeric, 4) AS beta,
	   round((pn).log_likelihood::numeric, 2) AS log_likelihood, (pn).customers, (pn).converged
  FROM pfit;
SELECT round((pn).r::numeric, 2) = 0.55 AND round((pn).alpha::numeric, 2) = 10.58 AND
	   round((pn).s::numeric, 2) = 0.61 AND round((pn).beta::numeric, 2) = 11.67 AS fhl_published,
	   abs((pn).r - 0.5534) < 0.0002 AND abs((pn).s - 0.6061) < 0.0002 AS btyd_r_s,
	   abs((pn).alpha - 10.5802) < 0.003 AND abs((pn).beta - 11.6562) < 0.013 AS btyd_alpha_beta,
	   round((pn).log_likelihood::numeric, 2) = -9594.98 AS log_likelihood_published,
	   abs((pn).log_likelihood - -9594.976178913) < 1e-6 AS log_likelihood_mpmath
  FROM pfit;
SELECT (SELECT crm.paretonbd_fit(frequency, recency, age, n)
		  FROM (SELECT frequency, recency, age, count(*)::float8 AS n FROM calibration GROUP BY 1, 2, 3) g) = pn
	   AS weighted_equals_rows
  FROM pfit;

-- MBG/NBD on the same summary.  BTYDplus (and lifetimes' test of its
-- ModifiedBetaGeoFitter against it, to 3 decimals): r = 0.525,
-- alpha = 6.183, a = 0.891, b = 1.614.
CREATE TEMP TABLE mfit AS SELECT crm.mbgnbd_fit(frequency, recency, age) AS mb FROM calibration;
SELECT round((mb).r::numeric, 4) AS r, round((mb).alpha::numeric, 4) AS alpha,
	   round((mb).a::numeric, 4) AS a, round((mb).b::numeric, 4) AS b,
	   round((mb).log_likelihood::numeric, 2) AS log_likelihood, (mb).customers, (mb).converged
  FROM mfit;
SELECT abs((mb).r - 0.525) < 0.0015 AND abs((mb).alpha - 6.183) < 0.0015 AND
	   abs((mb).a - 0.891) < 0.0015 AND abs((mb).b - 1.614) < 0.0015 AS btydplus_published
  FROM mfit;
SELECT f.parameter, round(f.estimate::numeric, 4) AS estimate, round(f.std_error::numeric, 4) AS std_error,
	   round(f.lower95::numeric, 4) AS lower95, round(f.upper95::numeric, 4) AS upper95
  FROM mfit, crm.fit_parameters(mb) f;

-- Standard errors (the covariance of each fit, crm.fit_parameters).
-- lifetimes' published BetaGeoFitter summary on this summary (its
-- Quickstart): r 0.242593 se 0.012557, alpha 4.413532 se 0.378221,
-- a 0.792886 se 0.185719, b 2.425752 se 0.705345 (its estimates differ from
-- crm's in the 4th digit, hence the tolerance).  mpmath
-- (test/reference/standard_errors.py: the likelihoods written out from the
-- papers, their Hessians by mpmath's differentiation at 30 digits, at crm's
-- estimates) gives the standard errors to 1e-7 (BG/NBD, Gamma-Gamma,
-- Pareto/NBD).
SELECT f.parameter, round(f.estimate::numeric, 6) AS estimate, round(f.std_error::numeric, 6) AS std_error,
	   round(f.lower95::numeric, 6) AS lower95, round(f.upper95::numeric, 6) AS upper95,
	   abs(f.std_error - l.se) < 1e-4 AS lifetimes_published,
	   abs(f.std_error / m.se - 1) < 1e-6 AS mpmath
  FROM fit, crm.fit_parameters(bg) f
  JOIN (VALUES ('r', 0.012557), ('alpha', 0.378221), ('a', 0.185719), ('b', 0.705345)) l(parameter, se) USING (parameter)
  JOIN (VALUES ('r', 0.0125573783046), ('alpha', 0.378224062128), ('a', 0.185733785469), ('b', 0.705414078905)) m(parameter, se) USING (parameter);
SELECT f.parameter, round(f.estimate::numeric, 6) AS estimate, round(f.std_error::numeric, 6) AS std_error,
	   round(f.lower95::numeric, 6) AS lower95, round(f.upper95::numeric, 6) AS upper95,
	   abs(f.std_error / m.se - 1) < 1e-6 AS mpmath
  FROM fit, crm.fit_parameters(gg) f
  JOIN (VALUES ('p', 1.19005533203), ('q', 0.290133063687), ('gamma', 4.15942270521)) m(parameter, se) USING (parameter);
SELECT f.parameter, round(f.estimate::numeric, 6) AS estimate, round(f.std_error::numeric, 6) AS std_error,
	   round(f.lower95::numeric, 6) AS lower95, round(f.upper95::numeric, 6) AS upper95,
	   abs(f.std_error / m.se - 1) < 1e-6 AS mpmath
  FROM pfit, crm.fit_parameters(pn) f
  JOIN (VALUES ('r', 0.0476279257416), ('alpha', 0.842722538983), ('s', 0.187281368895), ('beta', 6.21111442836)) m(parameter, se) USING (parameter);
-- the reference was computed at these estimates (17 digits)
SELECT abs((bg).r / 0.24259452545605212 - 1) < 1e-12 AND abs((bg).alpha / 4.413602050783059 - 1) < 1e-12
	   AND abs((bg).a / 0.7929219508021993 - 1) < 1e-12 AND abs((bg).b / 2.4259064729118816 - 1) < 1e-12 AS bgnbd_estimates,
	   abs((gg).p / 6.249572291888551 - 1) < 1e-12 AND abs((gg).q / 3.7442246661242686 - 1) < 1e-12
	   AND abs((gg).gamma / 15.443520901693965 - 1) < 1e-12 AS gammagamma_estimates,
	   (SELECT abs((pn).r / 0.5532770482284274 - 1) < 1e-9 AND abs((pn).alpha / 10.577683532761526 - 1) < 1e-9
			   AND abs((pn).s / 0.6062400261454712 - 1) < 1e-9 AND abs((pn).beta / 11.668736321413443 - 1) < 1e-9 FROM pfit) AS paretonbd_estimates
  FROM fit;
-- lifetimes' Quickstart customer 1 (x = 2, t_x = 30.43, T = 38.86, mean 22.35):
-- 12 months at 1 % a month, with its 95 % interval (delta method)
SELECT round(i.clv::numeric, 4) AS clv, round(i.std_error::numeric, 4) AS std_error,
	   round(i.lower95::numeric, 4) AS lower95, round(i.upper95::numeric, 4) AS upper95
  FROM fit, crm.clv_interval(bg, gg, 2, 30.43, 38.86, 22.35, 12, 0.01) i;

-- Holdout: 39 weeks, 1997-10-01 .. 1998-06-30.  Purchases counted as
-- distinct purchase days (as x is).  FHL 2005 (Figure 4) compare the
-- expected and actual weekly repeat transactions in aggregate.
CREATE TEMP TABLE holdout AS
SELECT c.customer_id, c.frequency, c.recency, c.age, count(DISTINCT h.order_date) AS actual
  FROM calibration c
  LEFT JOIN cdnow h ON h.customer_id = c.customer_id AND h.order_date > '1997-09-30' AND h.order_date <= '1998-06-30'
 GROUP BY 1, 2, 3, 4;
SELECT sum(actual) AS actual_holdout_purchases,
	   round(sum(crm.bgnbd_expected_purchases(bg, 39, frequency, recency, age))::numeric, 1) AS expected_holdout_purchases,
	   round((sum(crm.bgnbd_expected_purchases(bg, 39, frequency, recency, age)) / sum(actual) - 1)::numeric * 100, 1) AS error_percent
  FROM holdout, fit;
-- the same with Pareto/NBD
SELECT round(sum(crm.paretonbd_expected_purchases(pn, 39, frequency, recency, age))::numeric, 1) AS paretonbd_expected_holdout_purchases,
	   round((sum(crm.paretonbd_expected_purchases(pn, 39, frequency, recency, age)) / sum(actual) - 1)::numeric * 100, 1) AS error_percent
  FROM holdout, pfit;
-- the same with MBG/NBD
SELECT round(sum(crm.mbgnbd_expected_purchases(mb, 39, frequency, recency, age))::numeric, 1) AS mbgnbd_expected_holdout_purchases,
	   round((sum(crm.mbgnbd_expected_purchases(mb, 39, frequency, recency, age)) / sum(actual) - 1)::numeric * 100, 1) AS error_percent
  FROM holdout, mfit;
-- by calibration frequency (FHL 2005 Figure 5: conditional expectations)
SELECT least(frequency, 7) AS x_capped, count(*) AS customers,
	   round(avg(actual)::numeric, 3) AS actual_mean,
	   round(avg(crm.bgnbd_expected_purchases(bg, 39, frequency, recency, age))::numeric, 3) AS expected_mean
  FROM holdout, fit GROUP BY 1 ORDER BY 1;
-- cumulative repeat purchases of the cohort to 1998-06-30 (78 weeks after
-- 1997-01-01): sum over customers of E[X(78 - (first purchase week))]
SELECT round(sum(crm.bgnbd_expected_purchases_unconditional(bg, ((date '1998-06-30' - first_day) / 7.0)::float8))::numeric, 1) AS expected_repeat_purchases,
	   (SELECT count(*) FROM (SELECT DISTINCT customer_id, order_date FROM cdnow) d) - count(*) AS actual_repeat_purchases
  FROM (SELECT customer_id, min(order_date) AS first_day FROM cdnow GROUP BY 1) f, fit;

-- The same data through crm.orders and crm.calibration_holdout
INSERT INTO crm.customers (id, name) OVERRIDING SYSTEM VALUE
SELECT DISTINCT customer_id + 800000000, 'cdnow ' || customer_id FROM cdnow;
INSERT INTO crm.orders (customer_id, ordered_at, amount)
SELECT customer_id + 800000000, order_date, amount FROM cdnow;
SELECT count(*) AS customers, sum(x) AS sum_x, sum(holdout_purchases) AS holdout_purchases, min(holdout_days) AS holdout_days,
	   (SELECT crm.bgnbd_fit(frequency, recency, age) FROM calibration) =
	   crm.bgnbd_fit(x, t_x, "T") AS same_fit
  FROM crm.calibration_holdout('1997-09-30', '1998-06-30') WHERE customer_id > 800000000;
-- The fit checks (crm.clv_calibration, crm.clv_tracking) on these orders
-- give the figures computed by hand above: the by-frequency table (FHL 2005
-- figure 5) and the cumulative repeat purchases to 1998-06-30 (figure 3),
-- both actual and expected
SELECT c.frequency, c.customers, round(c.actual_purchases::numeric, 3) AS actual_mean,
	   round(c.expected_purchases::numeric, 3) AS expected_mean,
	   abs(c.expected_purchases - h.expected) < 1e-12 AS expected_as_by_hand, c.actual_purchases = h.actual AS actual_as_by_hand
  FROM fit, crm.clv_calibration(bg, '1997-09-30', '1998-06-30') c
  JOIN (SELECT least(frequency, 7) AS x, avg(actual)::float8 AS actual,
			   avg(crm.bgnbd_expected_purchases(bg, 39, frequency, recency, age)) AS expected
		  FROM holdout, fit GROUP BY 1) h ON h.x = c.frequency
 ORDER BY 1;
SELECT count(*) AS weeks, sum(actual) AS actual_repeat_purchases, max(cumulative_actual) AS cumulative_actual,
	   round(max(cumulative_expected)::numeric, 1) AS expected_repeat_purchases,
	   count(*) FILTER (WHERE in_holdout) AS holdout_weeks
  FROM fit, crm.clv_tracking(bg, '1997-09-30', '1998-06-30');
-- Which model to use on CDNOW (crm.compare_models): the log-likelihoods of
-- the three fits above, and their 39-week holdout forecasts (1,653.4,
-- 1,576.7 and 1,665.5 against 1,882 actual).  compare_models reads all of
-- crm.orders: the other tests' orders are deleted in a transaction rolled
-- back afterwards.
BEGIN;
DELETE FROM crm.orders WHERE customer_id <= 800000000;
SELECT model, round(log_likelihood::numeric, 2) AS log_likelihood, round(aic::numeric, 2) AS aic, round(bic::numeric, 2) AS bic,
	   holdout_actual, round(holdout_expected::numeric, 1) AS holdout_expected, round(holdout_error::numeric, 4) AS holdout_error,
	   round(holdout_rmse::numeric, 4) AS holdout_rmse, chosen
  FROM crm.compare_models('1997-09-30', '1998-06-30') ORDER BY model;
SELECT bool_and(abs(c.log_likelihood - CASE c.model WHEN 'bgnbd' THEN (f.bg).log_likelihood WHEN 'mbgnbd' THEN (m.mb).log_likelihood
													 ELSE (p.pn).log_likelihood END) < 1e-6) AS same_fits
  FROM crm.compare_models('1997-09-30', '1998-06-30') c, fit f, mfit m, pfit p;
ROLLBACK;
DELETE FROM crm.customers WHERE id > 800000000;

-- The master file: all 23,570 customers who first bought in 1997 Q1
CREATE TEMP TABLE cdnow_master (customer_id integer, order_date date, quantity integer, amount numeric);
\copy cdnow_master FROM '../shared/data/cdnow_master.csv' CSV HEADER
CREATE TEMP TABLE master_calibration AS
SELECT customer_id, (crm.rfm_summary(crm.purchase_stats(order_date, amount), '1997-09-30', 'week')).*
  FROM cdnow_master WHERE order_date <= '1997-09-30' GROUP BY customer_id;
-- a few repeat buyers there spent nothing on their repeat purchases: the
-- Gamma-Gamma fit refuses them (zero spend is not Gamma), so they are filtered
SELECT count(*) FILTER (WHERE frequency > 0 AND monetary = 0) AS free_repeat_buyers FROM master_calibration;
CREATE TEMP TABLE master_fit AS
SELECT crm.bgnbd_fit(frequency, recency, age) AS bg,
	   crm.gammagamma_fit(frequency, monetary::float8) FILTER (WHERE frequency = 0 OR monetary > 0) AS gg
  FROM master_calibration;
SELECT round((bg).r::numeric, 4) AS r, round((bg).alpha::numeric, 4) AS alpha, round((bg).a::numeric, 4) AS a,
	   round((bg).b::numeric, 4) AS b, round((bg).log_likelihood::numeric, 1) AS log_likelihood, (bg).customers, (bg).converged
  FROM master_fit;
SELECT round((gg).p::numeric, 4) AS p, round((gg).q::numeric, 4) AS q, round((gg).gamma::numeric, 4) AS gamma,
	   (gg).customers AS repeat_buyers, (gg).skipped, (gg).converged
  FROM master_fit;
