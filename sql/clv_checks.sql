-- The fit checks of the lifetime-value models (src/clv_checks.sql):
-- calibration vs holdout by frequency, tracking, the P(alive) grid, on
-- crafted orders whose counts are written out by hand below.  The model is
-- the published BG/NBD fit of CDNOW (FHL 2005: r 0.243, alpha 4.414,
-- a 0.793, b 2.426) and the Pareto/NBD of the BTYD walkthrough; the
-- expectations are checked against the model's own predictions at the
-- hand-computed (x, t_x, T) and ages.  sql/clv_cdnow.sql checks both on
-- CDNOW against the figures of FHL 2005 computed by hand there.

SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';
CREATE TEMP TABLE m AS
SELECT ROW(0.243, 4.414, 0.793, 2.426, NULL, NULL, NULL, NULL, NULL)::crm.bgnbd AS bg,
	   ROW(0.5534, 10.5802, 0.6061, 11.6562, NULL, NULL, NULL, NULL, NULL)::crm.paretonbd AS pn;

-- Calibration to 2024-01-14, holdout to 2024-02-10 (27 days):
--   9101 A: 01-01, 01-03, 01-10 twice (one day), 02-05: x 2, t_x 9/7, T 13/7; holdout 1
--   9102 B: 01-05, 01-20: x 0, T 9/7; holdout 1
--   9103 C: 01-08: x 0, T 6/7; holdout 0
--   9104 D: first purchase 02-01, after the calibration: not in the cohort
--   9105 E: first purchase 01-15, the day after the calibration: not in the cohort
INSERT INTO crm.customers (id, name) VALUES (9101, 'A'), (9102, 'B'), (9103, 'C'), (9104, 'D'), (9105, 'E');
INSERT INTO crm.orders (customer_id, ordered_at, amount) VALUES
	(9101, '2024-01-01 10:00', 10), (9101, '2024-01-03 10:00', 20), (9101, '2024-01-10 09:00', 5),
	(9101, '2024-01-10 17:00', 5), (9101, '2024-02-05 10:00', 30),
	(9102, '2024-01-05 10:00', 10), (9102, '2024-01-20 10:00', 10),
	(9103, '2024-01-08 10:00', 10),
	(9104, '2024-02-01 10:00', 10),
	(9105, '2024-01-15 10:00', 10);

-- By frequency, max_frequency 1 (A's 2 shown as 1): frequency 0 = B and C,
-- actual (1 + 0) / 2; frequency 1 = A, actual 1.  expected = the mean of
-- crm.bgnbd_expected_purchases over 27/7 weeks at their own (x, t_x, T).
SELECT frequency, customers, actual_purchases,
	   round(expected_purchases::numeric, 6) AS expected_purchases
  FROM m, crm.clv_calibration(bg, '2024-01-14', '2024-02-10', 'week', 1);
SELECT round(((crm.bgnbd_expected_purchases(bg, 27 / 7.0, 0, 0, 9 / 7.0) +
			   crm.bgnbd_expected_purchases(bg, 27 / 7.0, 0, 0, 6 / 7.0)) / 2)::numeric, 6) AS frequency_0_by_hand,
	   round(crm.bgnbd_expected_purchases(bg, 27 / 7.0, 2, 9 / 7.0, 13 / 7.0)::numeric, 6) AS frequency_1_by_hand
  FROM m;
-- each frequency on its own with the default max_frequency (7); Pareto/NBD
SELECT c.frequency, c.customers, c.actual_purchases, round(c.expected_purchases::numeric, 6) AS expected_purchases,
	   abs(c.expected_purchases - CASE c.frequency
			WHEN 0 THEN (crm.paretonbd_expected_purchases(pn, 27 / 7.0, 0, 0, 9 / 7.0) +
						 crm.paretonbd_expected_purchases(pn, 27 / 7.0, 0, 0, 6 / 7.0)) / 2
			ELSE crm.paretonbd_expected_purchases(pn, 27 / 7.0, 2, 9 / 7.0, 13 / 7.0) END) < 1e-12 AS as_by_hand
  FROM m, crm.clv_calibration(pn, '2024-01-14', '2024-02-10') c;
-- in days: the same customers, T and t in days
SELECT c.frequency, c.customers, c.actual_purchases,
	   abs(c.expected_purchases - crm.bgnbd_expected_purchases(m.bg, 27, 2, 9, 13)) < 1e-12 AS frequency_2_by_hand
  FROM m, crm.clv_calibration(bg, '2024-01-14', '2024-02-10', 'day') c WHERE c.frequency = 2;

-- Tracking by week from 2024-01-01 (A's first purchase) to 2024-02-10:
-- 41 days, 6 periods, the last cut at 02-10 (6 days).  Repeat purchase days
-- of the cohort A, B, C: A 01-03 (week 1), 01-10 (week 2), 02-05 (week 6);
-- B 01-20 (week 3).  Weeks 3.. start after 01-14: in_holdout.
-- Expected at a week's last day: the sum of E[X(age)] of the customers born
-- by then, age = (last day - first purchase) / 7: week 1 (01-07): A 6/7,
-- B 2/7; week 2 (01-14): A 13/7, B 9/7, C 6/7; ...; week 6 (02-10): A 40/7,
-- B 36/7, C 33/7.
SELECT period, period_start, period_end, in_holdout, actual, cumulative_actual,
	   round(expected::numeric, 6) AS expected, round(cumulative_expected::numeric, 6) AS cumulative_expected
  FROM m, crm.clv_tracking(bg, '2024-01-14', '2024-02-10');
SELECT round((crm.bgnbd_expected_purchases_unconditional(bg, 6 / 7.0) +
			  crm.bgnbd_expected_purchases_unconditional(bg, 2 / 7.0))::numeric, 6) AS week_1_by_hand,
	   round((crm.bgnbd_expected_purchases_unconditional(bg, 40 / 7.0) +
			  crm.bgnbd_expected_purchases_unconditional(bg, 36 / 7.0) +
			  crm.bgnbd_expected_purchases_unconditional(bg, 33 / 7.0))::numeric, 6) AS week_6_by_hand
  FROM m;
-- the increments add up to the cumulative ones; Pareto/NBD the same way
SELECT count(*) AS periods, sum(actual) AS actual, max(cumulative_actual) AS cumulative_actual,
	   abs(sum(expected) - max(cumulative_expected)) < 1e-12 AS increments_add_up,
	   abs(max(cumulative_expected) - (SELECT crm.paretonbd_expected_purchases_unconditional(pn, 40 / 7.0) +
											  crm.paretonbd_expected_purchases_unconditional(pn, 36 / 7.0) +
											  crm.paretonbd_expected_purchases_unconditional(pn, 33 / 7.0) FROM m)) < 1e-12 AS week_6_by_hand
  FROM m, crm.clv_tracking(pn, '2024-01-14', '2024-02-10');
-- by month (30.4375 days; day 30 = 01-31 is still in the first): 2024-01-01 .. 01-31 and 02-01 .. 02-10
SELECT period, period_start, period_end, in_holdout, actual FROM m, crm.clv_tracking(bg, '2024-01-14', '2024-02-10', 'month');
-- a holdout of no days: the calibration periods only
SELECT count(*) AS periods, max(period_end) AS last_day FROM m, crm.clv_tracking(bg, '2024-01-14', '2024-01-14');
-- no cohort: no rows
SELECT count(*) AS periods FROM m, crm.clv_tracking(bg, '2023-12-31', '2024-02-10');
SELECT count(*) AS frequencies FROM m, crm.clv_calibration(bg, '2023-12-31', '2024-02-10');

-- The P(alive) grid at T 52 weeks: frequency 0 at recency 0, frequencies
-- 1..3 at recency 0, 13, 26, 39, 52: 1 + 3 x 5 = 16 cells, each the
-- model's P(alive) there.
SELECT frequency, recency, round(p_alive::numeric, 6) AS p_alive,
	   p_alive = crm.bgnbd_p_alive(bg, frequency, recency, 52) AS as_the_model
  FROM m, crm.p_alive_grid(bg, 52, 3, 4);
SELECT count(*) AS cells, bool_and(p_alive = crm.paretonbd_p_alive(pn, frequency, recency, 39)) AS as_the_model,
	   min(p_alive) >= 0 AND max(p_alive) <= 1 AS probabilities
  FROM m, crm.p_alive_grid(pn, 39);

-- Errors, with and without rows to compute.
SELECT try($$SELECT * FROM crm.clv_calibration((SELECT bg FROM m), '2024-01-14', '2024-02-10', 'fortnight')$$) AS unknown_unit;
SELECT try($$SELECT * FROM crm.clv_calibration((SELECT bg FROM m), '2024-01-14', '2024-01-10')$$) AS holdout_before_calibration;
SELECT try($$SELECT * FROM crm.clv_calibration((SELECT bg FROM m), '2024-01-14', '2024-02-10', 'week', -1)$$) AS negative_max_frequency;
SELECT try($$SELECT * FROM crm.clv_calibration((SELECT bg FROM m), '2023-12-31', '2024-02-10', 'week', 1001)$$) AS max_frequency_without_rows;
SELECT try($$SELECT * FROM crm.clv_tracking((SELECT bg FROM m), '2024-01-14', '2024-01-10')$$) AS holdout_before_calibration;
SELECT try($$SELECT * FROM crm.clv_tracking((SELECT pn FROM m), '2024-01-14', '2024-02-10', 'quarter')$$) AS unknown_unit;
SELECT try($$SELECT * FROM crm.p_alive_grid((SELECT bg FROM m), 0)$$) AS zero_age;
SELECT try($$SELECT * FROM crm.p_alive_grid((SELECT bg FROM m), 'infinity')$$) AS infinite_age;
SELECT try($$SELECT * FROM crm.p_alive_grid((SELECT bg FROM m), 52, 1001)$$) AS too_many_frequencies;
SELECT try($$SELECT * FROM crm.p_alive_grid((SELECT pn FROM m), 52, 20, 0)$$) AS no_recency_steps;
SELECT try($$SELECT crm.time_unit_days('fortnight')$$) AS unknown_unit;
SELECT crm.time_unit_days('day') AS day, crm.time_unit_days('week') AS week,
	   crm.time_unit_days('month') AS month, crm.time_unit_days('year') AS year;

SET client_min_messages = warning;
TRUNCATE crm.customers CASCADE;
RESET client_min_messages;
RESET TimeZone;
RESET DateStyle;
