-- Quotas: exact allocation, allocation of an annual target, forecasts of
-- monthly sales, attainment (src/quotas.c, src/quotas.sql).

-- crm.allocate: largest remainder, sums exactly to the total
SELECT crm.allocate(100, '{1,1,1}') AS thirds,                      -- 33.34 + 33.33 + 33.33
	   crm.allocate(100, ARRAY[1/3.0, 1/3.0, 1/3.0]) AS thirds_as_decimals,
	   crm.allocate(1, '{1,1,1,1,1,1,1}') AS one_in_sevenths,        -- 100 cents / 7 = 14 r 2: two get 15
	   crm.allocate(0.05, '{1,0,1}') AS zero_weight_gets_nothing,
	   crm.allocate(-10, '{1,2}', 0) AS negative_total,              -- 3.33 -> 3, 6.67 -> 7
	   crm.allocate(1000, '{2,1}', 0) AS whole_units,
	   crm.allocate(10, '{0.000000000000000000001,0.000000000000000000002}', 4) AS tiny_weights,
	   crm.allocate(123456789012345678901234.56, '{1,1,1}') AS huge_total;
-- ties go to the earlier weight; remainders, not weights, decide
SELECT crm.allocate(0.02, '{1,1,1}') AS ties_to_first,
	   crm.allocate(0.10, '{1,2,3,4}') AS exact,
	   crm.allocate(1, '{1,2,3}') AS remainders;                     -- 16 r 4/6, 33 r 2/6, 50 cents: the first gets the cent
-- 2,000 awkward cases: every allocation sums exactly to its total, every
-- share is within one unit of its exact proportion
SELECT count(*) AS cases,
	   bool_and((SELECT sum(x) FROM unnest(a) x) = total) AS sums_exact,
	   bool_and((SELECT bool_and(abs(a[i] - total * w[i] / (SELECT sum(y) FROM unnest(w) y)) < 0.01)
				   FROM generate_subscripts(w, 1) i)) AS within_one_cent
  FROM (SELECT total, w, crm.allocate(total, w) AS a
		  FROM (SELECT round((i * 7919 % 100000) / 7.0, 2) AS total,
					   ARRAY[1 / 3.0, (i % 7) / 9.0, i % 5, 1 / 7.0]::numeric[] AS w
				  FROM generate_series(1, 2000) i) c) x;

SELECT try($$SELECT crm.allocate(100, '{0,0}')$$) AS all_zero;
SELECT try($$SELECT crm.allocate(100, '{1,-1}')$$) AS negative_weight;
SELECT try($$SELECT crm.allocate(100, '{1,NULL}')$$) AS null_weight;
SELECT try($$SELECT crm.allocate(100, '{1,NaN}')$$) AS nan_weight;
SELECT try($$SELECT crm.allocate(100, '{}')$$) AS no_weights;
SELECT try($$SELECT crm.allocate(100, '{{1,2},{3,4}}')$$) AS two_dimensional;
SELECT try($$SELECT crm.allocate(100.001, '{1,2}')$$) AS too_many_decimals;
SELECT try($$SELECT crm.allocate('NaN', '{1,2}')$$) AS nan_total;
SELECT try($$SELECT crm.allocate(100, '{1,2}', -1)$$) AS negative_scale;
SELECT try($$SELECT crm.allocate(100, '{1,2}', 101)$$) AS scale_too_large;
SELECT crm.allocate(NULL, '{1}') IS NULL AS null_total;

-- Allocation of an annual target.  Crafted sales of 2025 (noon UTC):
--   rep_n (North, direct, product A): Q1 100, Q2 200, Q3 300, Q4 400 = 1000
--   rep_s (South, partner, product B): Q1 300, Q2 300, Q3 200, Q4 200 = 1000
--   rep_e (East, online, product C):   Q4 1000                        = 1000
-- quarters of 2025: 400, 500, 500, 1600 of 3000
BEGIN;
-- only these sales and targets (rolled back at the end)
DELETE FROM crm.orders;
DELETE FROM crm.quotas;
INSERT INTO crm.customers (id, name, region, channel, owner) OVERRIDING SYSTEM VALUE VALUES
	(720001, 'North Ltd.', 'North', 'direct', 'rep_n'),
	(720002, 'South Ltd.', 'South', 'partner', 'rep_s'),
	(720003, 'East Ltd.', 'East', 'online', 'rep_e');
INSERT INTO crm.orders (customer_id, ordered_at, amount, product) VALUES
	(720001, '2025-02-15 12:00+00', 100, 'A'), (720001, '2025-05-15 12:00+00', 200, 'A'),
	(720001, '2025-08-15 12:00+00', 300, 'A'), (720001, '2025-11-15 12:00+00', 400, 'A'),
	(720002, '2025-02-15 12:00+00', 300, 'B'), (720002, '2025-05-15 12:00+00', 300, 'B'),
	(720002, '2025-08-15 12:00+00', 200, 'B'), (720002, '2025-11-15 12:00+00', 200, 'B'),
	(720003, '2025-11-15 12:00+00', 1000, 'C'),
	-- this year so far
	(720001, '2026-02-15 12:00+00', 150, 'A'), (720003, '2026-03-15 12:00+00', 500, 'C');
-- to-date shares of last year
SELECT * FROM crm.sales_share('owner', 'ytd', '2025-12-31');
SELECT * FROM crm.sales_share('region', 'qtd', '2025-09-30');     -- Q3: North 300, South 200
SELECT * FROM crm.sales_share('product', 'mtd', '2025-11-30');    -- November: A 400, B 200, C 1000
-- 10,000 + 5 % = 10,500 by quarter (400 : 500 : 500 : 1600 -> 1400, 1750,
-- 1750, 5600), each by owner's YTD share (1/3 each):
--   1400 / 3 = 466.666...  -> 466.67, 466.67, 466.66 (equal remainders: the earlier keys)
--   1750 / 3 = 583.333...  -> 583.34, 583.33, 583.33
--   5600 / 3 = 1866.666... -> 1866.67, 1866.67, 1866.66
SELECT period_start, period_end, owner, target
  FROM crm.allocate_quotas(2026, 10000, 'quarter', 'owner', 'ytd', adjust_pct => 5)
 ORDER BY period_start, owner;
SELECT sum(target) AS total_is_10500, count(*) AS quotas FROM crm.quotas WHERE period_start >= '2026-01-01';
-- half-years by region, Q3 shares (North 0.6, South 0.4; East had none),
-- -10 %: 9000 by half (900 : 2100) -> 2700, 6300
SELECT period_start, period_end, region, target, note
  FROM crm.allocate_quotas(2026, 10000, 'half', 'region', 'qtd', '2025-09-30', -10)
 ORDER BY period_start, region;
-- Adjustments per key (seed: "adjusted up or down, 5 %, 10 %"): North +10 %
-- alone: H1 1620 -> 1782.00, H2 3780 -> 4158.00; South unchanged
SELECT period_start, region, target
  FROM crm.adjust_quotas('2026-01-01', '2026-12-31', 'region', '{"North": 10}')
 ORDER BY period_start, region;
-- South -5 % keeping H1's total 1782 + 1080 = 2862: weights 1782 and
-- 1080 * 0.95 = 1026 -> 2862 * 1782 / 2808 = 1816.269..., 2862 * 1026 / 2808 =
-- 1045.730...: 1816.26 + 1045.73 = 2861.99, the cent left to the larger
-- remainder (North): 1816.27 and 1045.73
SELECT period_start, region, target, note LIKE '%adjust_quotas by % {"South": -5}, total kept' AS noted
  FROM crm.adjust_quotas('2026-01-01', '2026-06-30', 'region', '{"South": -5}', keep_total => true)
 ORDER BY period_start, region;
SELECT period_start, sum(target) AS total FROM crm.quotas WHERE region IS NOT NULL GROUP BY 1 ORDER BY 1;
SELECT try($$SELECT crm.adjust_quotas('2026-01-01', '2026-12-31', 'region', '{"West": 5}')$$) AS key_without_targets;
SELECT try($$SELECT crm.adjust_quotas('2026-01-01', '2026-12-31', 'region', '{"North": -100, "South": "x"}')$$) AS bad_percent;
SELECT try($$SELECT crm.adjust_quotas('2026-01-01', '2026-12-31', 'region', '[5]')$$) AS not_an_object;
SELECT try($$SELECT crm.adjust_quotas('2026-01-01', '2026-12-31', 'colour', '{"North": 5}')$$) AS bad_dimension;
SELECT try($$SELECT crm.adjust_quotas('2026-12-31', '2026-01-01', 'region', '{"North": 5}')$$) AS reversed_range;
-- Short-term targets from the forecast of monthly sales before April 2026
-- (2025-02 .. 2026-03): naive = March 2026, 500 a month, +10 % = 550, by
-- region's YTD share as of 2026-03-31 (North 150, East 500 of 650):
-- 550 * 150 / 650 = 126.923..., 550 * 500 / 650 = 423.076...: 126.92 +
-- 423.07 = 549.99, the cent to East: 126.92 and 423.08
SELECT period_start, period_end, region, target
  FROM crm.forecast_quotas('2026-04-01', 3, 'naive', 'region', 'ytd', 10)
 ORDER BY period_start, region;
-- seasonal naive (12 months): April, May, June 2025 = 0, 500, 0
SELECT period_start, target, note
  FROM crm.forecast_quotas('2026-04-01', 3, 'seasonal_naive')
 ORDER BY period_start;
SELECT try($$SELECT crm.forecast_quotas('2026-04-15')$$) AS not_a_first_day;
SELECT try($$SELECT crm.forecast_quotas('2026-04-01', 0)$$) AS no_months;
SELECT try($$SELECT crm.forecast_quotas('2026-04-01', 3, 'holt_winters')$$) AS series_too_short;
SELECT try($$SELECT crm.forecast_quotas('2020-01-01')$$) AS no_sales_before;
-- months without a dimension: last year's months weigh; again replaces
SELECT count(*) AS months, sum(target) AS total, count(*) FILTER (WHERE target = 0) AS months_without_sales_last_year,
	   max(target) FILTER (WHERE period_start = '2026-11-01') AS november
  FROM crm.allocate_quotas(2026, 3000, 'month');
SELECT count(*) AS after_again, sum(target) AS total
  FROM (SELECT * FROM crm.allocate_quotas(2026, 6000, 'month')) x;
SELECT count(*) AS monthly_quotas, sum(target) AS total
  FROM crm.quotas WHERE owner IS NULL AND region IS NULL AND period_end - period_start < 31;
-- the year itself, with an even split when last year had no sales
SELECT period_start, period_end, target FROM crm.allocate_quotas(2030, 1000, 'quarter');

-- attainment: target vs actual, this year vs last year
SELECT period, period_start, owner, region, target, actual, last_year, gap, attainment_pct, growth_pct
  FROM crm.quota_attainment
 WHERE period_start = '2026-01-01' AND (owner IS NOT NULL OR region IS NOT NULL)
 ORDER BY period, owner, region;
SELECT period, count(*) FROM crm.quota_attainment GROUP BY period ORDER BY period;

SELECT try($$SELECT crm.allocate_quotas(2026, 1000, 'week')$$) AS bad_period;
SELECT try($$SELECT crm.allocate_quotas(2026, 1000, 'month', 'colour')$$) AS bad_dimension;
SELECT try($$SELECT crm.allocate_quotas(2026, 1000, 'month', 'region', 'wtd')$$) AS bad_basis;
SELECT try($$SELECT crm.allocate_quotas(2026, 1000, 'month', adjust_pct => -100)$$) AS adjust_minus_100;
SELECT try($$SELECT crm.allocate_quotas(2026, -1)$$) AS negative_target;
SELECT try($$SELECT crm.allocate_quotas(NULL, 1000)$$) AS null_year;
SELECT try($$SELECT crm.allocate_quotas(2026, 1000, 'month', 'region', 'ytd', '2019-12-31')$$) AS no_sales_to_share;
SELECT try($$SELECT * FROM crm.sales_share('region', 'ytd', 'infinity')$$) AS infinite_as_of;
ROLLBACK;

-- Forecasts of monthly sales.  The series (30 months from 2023-01) and
-- the reference values are from test/reference/seasonal_forecast.py
-- (plain Python, the formulas of src/quotas.c written out):
--   naive 1176; seasonal_naive (m 12) 1116, 1111, 1100; moving average of
--   3: 1158.333333, of 6: 1137.166667;
--   holt_winters m 12, alpha 0.3, beta 0.1, gamma 0.1: 1189.066570,
--   1193.747539, 1180.970707, 1185.844305, 1183.984582, 1185.714912;
--   holt_winters m 4, alpha 0.5, beta 0.2, gamma 0.3: 1180.761393,
--   1186.305349, 1199.509526, 1212.843015
CREATE TEMP TABLE series AS
SELECT (date '2023-01-01' + make_interval(months => t))::date AS month,
	   (ARRAY[983, 988, 1015, 1029, 1034, 1052, 1057, 1056, 1036, 1035, 1027, 1023,
			  1038, 1050, 1079, 1084, 1092, 1117, 1116, 1111, 1100, 1097, 1088, 1078,
			  1100, 1114, 1134, 1142, 1157, 1176])[t + 1]::float8 AS sales
  FROM generate_series(0, 29) t;
SELECT crm.seasonal_forecast(month, sales, 3, 'naive') AS naive,
	   crm.seasonal_forecast(month, sales, 3, 'seasonal_naive') AS seasonal_naive,
	   (SELECT array_agg(round(x::numeric, 6)) FROM unnest(crm.seasonal_forecast(month, sales, 2, 'moving_average')) x) AS moving_average_3,
	   (SELECT array_agg(round(x::numeric, 6)) FROM unnest(crm.seasonal_forecast(month, sales, 2, 'moving_average', 6)) x) AS moving_average_6
  FROM series;
SELECT h, round(f::numeric, 6) AS holt_winters_12
  FROM (SELECT crm.seasonal_forecast(month, sales, 6, 'holt_winters') AS fc FROM series) s,
	   unnest(s.fc) WITH ORDINALITY AS u(f, h);
SELECT h, round(f::numeric, 6) AS holt_winters_4
  FROM (SELECT crm.seasonal_forecast(month, sales, 4, 'holt_winters', 4, 0.5, 0.2, 0.3) AS fc FROM series) s,
	   unnest(s.fc) WITH ORDINALITY AS u(f, h);
-- any day of the month counts for its month, rows in any order, several
-- rows per month are summed, NULL rows skipped, missing months are 0
SELECT crm.seasonal_forecast(d, v, 2, 'naive') AS last_month_summed,
	   crm.seasonal_forecast(d, v, 3, 'seasonal_naive', 3) AS gap_month_zero
  FROM (VALUES ('2025-03-31'::date, 5.0::float8), ('2025-01-15', 1), ('2025-03-01', 2), (NULL, 7), ('2025-02-01', NULL)) AS r(d, v);
SELECT crm.seasonal_forecast(month, sales, 3, 'naive') AS no_rows FROM series WHERE false;

SELECT try($$SELECT crm.seasonal_forecast(month, sales, 3, 'arima') FROM series$$) AS unknown_method;
SELECT try($$SELECT crm.seasonal_forecast(month, sales, 0, 'naive') FROM series$$) AS horizon_zero;
SELECT try($$SELECT crm.seasonal_forecast(month, sales, 3, 'holt_winters', 0) FROM series$$) AS season_zero;
SELECT try($$SELECT crm.seasonal_forecast(month, sales, 3, 'holt_winters', 12, 1.5, 0.1, 0.1) FROM series$$) AS alpha_above_one;
SELECT try($$SELECT crm.seasonal_forecast(month, sales, 3, 'holt_winters', 12, 0.3, -0.1, 0.1) FROM series$$) AS beta_negative;
SELECT try($$SELECT crm.seasonal_forecast(month, sales, 3, 'holt_winters', 12, 0.3, 0.1, NULL) FROM series$$) AS gamma_null;
SELECT try($$SELECT crm.seasonal_forecast(month, sales, 3, 'holt_winters', 16) FROM series$$) AS too_short_for_two_seasons;
SELECT try($$SELECT crm.seasonal_forecast(month, sales, 3, 'moving_average', 31) FROM series$$) AS window_too_long;
SELECT try($$SELECT crm.seasonal_forecast(month, sales, 3, 'seasonal_naive', 31) FROM series$$) AS season_too_long;
SELECT try($$SELECT crm.seasonal_forecast(month, 'NaN', 3, 'naive') FROM series$$) AS nan_value;
SELECT try($$SELECT crm.seasonal_forecast('infinity', 1, 3, 'naive')$$) AS infinite_month;
SELECT try($$SELECT crm.seasonal_forecast(month, sales, h, 'naive') FROM series, (VALUES (1), (2)) v(h)$$) AS parameters_change;
SELECT try($$SELECT crm.seasonal_forecast_final('{1,2,3}')$$) AS not_a_state;

-- Parallel equals serial: the series spread over 300,000 rows (10,000 a
-- month, in no particular order)
CREATE TABLE quota_par AS
SELECT s.month + (i % 28) AS day, s.sales / 10000 AS sales
  FROM series s, generate_series(1, 10000) i
 ORDER BY md5(s.month::text || i);
ANALYZE quota_par;
CREATE TEMP TABLE quota_serial AS
SELECT crm.seasonal_forecast(day, sales, 6, 'holt_winters') AS hw FROM quota_par;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
EXPLAIN (COSTS OFF) SELECT crm.seasonal_forecast(day, sales, 6, 'holt_winters') FROM quota_par;
SELECT (SELECT array_agg(round(x::numeric, 6)) FROM unnest(p.hw) x) = (SELECT array_agg(round(x::numeric, 6)) FROM unnest(s.hw) x)
		   AS parallel_equals_serial,
	   (SELECT array_agg(round(x::numeric, 6)) FROM unnest(p.hw) x) AS holt_winters_12
  FROM (SELECT crm.seasonal_forecast(day, sales, 6, 'holt_winters') AS hw FROM quota_par) p, quota_serial s;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;
DROP TABLE quota_par;

-- Split credit (crm.won_credit) and the attainment it gives, on crafted
-- deals of 2025 at one North customer:
--   deal 9601: 1000 won 2025-03-10, split rep_a 60 %, rep_b 40 %
--   deal 9602:  500 won 2025-05-01 by rep_b, no split: rep_b 100 %
--   deal 9603:  800 lost: no credit
--   deal 9604:  300 won 2026-01-05 in thirds (33.33, 33.33, 33.34 %: 99.99,
--               99.99, 100.02): outside 2025
-- Credit in 2025: rep_a 600, rep_b 400 + 500 = 900; North (every owner)
-- 1500; a product target has none (deals carry no product).
INSERT INTO crm.customers (id, name, region, owner) VALUES (9600, 'Split Co', 'North', 'rep_a');
INSERT INTO crm.opportunities (id, customer_id, name, stage, owner, amount, status, closing_summary, closed_at) OVERRIDING SYSTEM VALUE VALUES
	(9601, 9600, 'Split deal', 'negotiation', 'rep_a', 1000, 'won', 'won together', '2025-03-10 12:00+00'),
	(9602, 9600, 'Own deal', 'negotiation', 'rep_b', 500, 'won', 'won alone', '2025-05-01 12:00+00'),
	(9603, 9600, 'Lost deal', 'bid', 'rep_a', 800, 'lost', 'price', '2025-06-01 12:00+00'),
	(9604, 9600, 'Next year', 'negotiation', 'rep_a', 300, 'won', 'won late', '2026-01-05 12:00+00');
BEGIN;
INSERT INTO crm.opportunity_owners (customer_id, opportunity_id, owner, share) VALUES
	(9600, 9601, 'rep_a', 60), (9600, 9601, 'rep_b', 40),
	(9600, 9604, 'rep_a', 33.33), (9600, 9604, 'rep_b', 33.33), (9600, 9604, 'rep_c', 33.34);
COMMIT;
SELECT opportunity_id, owner, share, amount, credited_amount FROM crm.won_credit WHERE customer_id = 9600 ORDER BY 1, 2;
-- a deal's credits sum to its amount, also for a split of thirds
SELECT opportunity_id, sum(credited_amount) = min(amount) AS credits_sum_to_amount
  FROM crm.won_credit WHERE customer_id = 9600 GROUP BY 1 ORDER BY 1;
INSERT INTO crm.quotas (id, period_start, period_end, owner, region, product, target) OVERRIDING SYSTEM VALUE VALUES
	(9701, '2025-01-01', '2025-12-31', 'rep_a', NULL, NULL, 1000),
	(9702, '2025-01-01', '2025-12-31', 'rep_b', NULL, NULL, 1000),
	(9703, '2025-01-01', '2025-12-31', NULL, 'North', NULL, 2000),
	(9704, '2025-01-01', '2025-12-31', NULL, 'South', NULL, 2000),
	(9705, '2025-01-01', '2025-12-31', NULL, NULL, 'X', 100);
SELECT quota_id, owner, region, product, target, won_credit FROM crm.quota_attainment WHERE quota_id >= 9701 ORDER BY quota_id;
DELETE FROM crm.quotas WHERE id >= 9701;
SET client_min_messages = warning;
DELETE FROM crm.customers WHERE id = 9600;
RESET client_min_messages;
