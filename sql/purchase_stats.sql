-- crm.purchase_stats and crm.rfm_summary: hand-checked histories, every
-- input rule and error, row-order independence, time zones, and the same
-- result under a forced parallel plan as serially.

SET TimeZone = 'UTC';
CREATE TEMP TABLE history (who text, at timestamptz, amount numeric, cost numeric);
INSERT INTO history VALUES
	-- steady: every two months, 100 to 120
	('steady', '2025-01-10 10:00', 100.00, NULL), ('steady', '2025-03-10 10:00', 110.00, NULL),
	('steady', '2025-05-10 10:00', 105.00, NULL), ('steady', '2025-07-10 10:00', 120.00, NULL),
	('steady', '2025-09-10 10:00', 115.00, NULL), ('steady', '2025-11-10 10:00', 110.00, NULL),
	('steady', NULL, NULL, 60.00),
	-- fading: big early, small late; two orders on one day
	('fading', '2024-02-01 09:00', 900.00, NULL), ('fading', '2024-02-01 17:00', 300.00, NULL),
	('fading', '2024-06-01 09:00', 400.00, NULL), ('fading', '2025-01-15 09:00', 50.00, NULL),
	-- new: first order two weeks before as_of
	('new', '2025-12-17 12:00', 80.00, NULL),
	-- costly: buys little, costs a lot to serve
	('costly', '2025-04-01 12:00', 40.00, NULL), ('costly', '2025-08-01 12:00', 35.50, NULL),
	('costly', NULL, NULL, 300.00), ('costly', NULL, NULL, 125.25),
	-- one-off big spender, long ago
	('one-off', '2023-03-03 15:00', 25000.00, NULL);

-- Hand-checked:
-- steady: 6 orders on 6 days, revenue 660, cost 60, net 600, mean 110;
--   repeat days 110+105+120+115+110 = 560 / 5 = 112; the earlier three
--   purchase days 315, the later three 345, trend 30/660.
-- fading: 4 orders on 3 days (1200 on 2024-02-01), revenue 1650, mean
--   412.5; repeat days (400 + 50) / 2 = 225; earlier half 1200 + 400 / 2,
--   later half 50 + 400 / 2 (the middle day half each): trend -1150/1650.
-- costly: revenue 75.50, cost 425.25, net -349.75.
SELECT who, (s).* FROM (SELECT who, crm.purchase_stats(at, amount, cost) AS s FROM history GROUP BY who) t ORDER BY who;
SELECT round(30 / 660.0, 6) AS steady_trend, round(-1150 / 1650.0, 6) AS fading_trend;
-- Five equal purchases, the last gap short (days 0, 30, 60, 90, 95): the
-- trend is of the spend per purchase day, 0, however uneven the gaps.
SELECT (crm.purchase_stats(d, 100)).trend AS equal_orders_uneven_gap
  FROM unnest(ARRAY[timestamptz '2025-01-01 12:00', '2025-01-31 12:00', '2025-03-02 12:00', '2025-04-01 12:00', '2025-04-06 12:00']) d;

-- The result does not depend on the row order.
SELECT bool_and(a = b) AS order_independent
  FROM (SELECT who, crm.purchase_stats(at, amount, cost ORDER BY at) AS a,
			   crm.purchase_stats(at, amount, cost ORDER BY at DESC) AS b
		  FROM history GROUP BY who) t;

-- Without the cost argument costs are 0; cost-only rows are not purchases.
SELECT (crm.purchase_stats(at, amount)).* FROM history WHERE who = 'steady';
SELECT (crm.purchase_stats(at, amount, cost)).* FROM history WHERE who = 'costly' AND amount IS NULL;
-- no rows, or no row with an amount or a cost: NULL
SELECT crm.purchase_stats(at, amount) IS NULL AS empty_is_null FROM history WHERE false;
SELECT crm.purchase_stats(at, amount) IS NULL AS only_null_amounts FROM history WHERE amount IS NULL;

-- Dates, float8 and numeric forms agree; float8 amounts are summed exactly
-- at 0.0001 (ten times 0.1 is 1, not 0.9999999999999999).
SELECT (crm.purchase_stats(at::date, amount)).revenue AS date_numeric,
	   (crm.purchase_stats(at, amount::float8)).revenue AS timestamptz_float8,
	   (crm.purchase_stats(at::date, amount::float8, cost::float8)).net_value AS date_float8_net
  FROM history WHERE who = 'steady';
SELECT (crm.purchase_stats(date '2025-01-01' + i, 0.1::float8)).revenue AS ten_times_a_tenth,
	   sum(0.1::float8) AS float8_sum
  FROM generate_series(1, 10) i;
-- numeric keeps its scale; beyond four decimals it is rounded half away from zero
SELECT (crm.purchase_stats(date '2025-01-01', x)).revenue FROM (VALUES (1.5), (2.25), (0.125)) v(x);
SELECT (crm.purchase_stats(date '2025-01-01', 0.00005)).revenue AS rounded_up,
	   (crm.purchase_stats(date '2025-01-01', 0.00004)).revenue AS rounded_down;
-- integers work through the implicit cast to numeric; zero-amount orders count
SELECT (s).orders, (s).purchase_days, (s).revenue
  FROM (SELECT crm.purchase_stats(date '2025-01-01' + i, i * 0) AS s FROM generate_series(1, 3) i) t;

-- The purchase day of a timestamptz is its date in the session time zone.
SELECT (crm.purchase_stats(at, 1.0)).purchase_days AS utc_days
  FROM (VALUES ('2025-01-01 15:30+00'::timestamptz), ('2025-01-01 23:30+00')) v(at);
SET TimeZone = 'Asia/Shanghai';
SELECT (crm.purchase_stats(at, 1.0)).purchase_days AS shanghai_days,
	   (crm.purchase_stats(at, 1.0)).last_purchase AS shanghai_last
  FROM (VALUES ('2025-01-01 15:30+00'::timestamptz), ('2025-01-01 23:30+00')) v(at);
SET TimeZone = 'UTC';

-- The day of a timestamptz comes from a cached UTC offset and the time it
-- next changes (purchase_stats.c): it equals ::date in every zone, for
-- every time from 1960 to 2060 in steps of 7 h 13 min and for the instants
-- around DST changes, whatever the row order.
CREATE TEMP TABLE instants AS
SELECT t FROM generate_series(timestamptz '1960-01-01 00:00+00', '2060-01-01 00:00+00', interval '7 hours 13 minutes') t
UNION ALL
SELECT b + d FROM (VALUES ('2025-03-09 07:00+00'::timestamptz), ('2025-11-02 06:00+00'), ('2025-03-30 01:00+00'),
					  ('2025-10-26 01:00+00'), ('2025-04-05 15:00+00'), ('2025-10-04 15:30+00'), ('2099-03-08 07:00+00')) v(b),
				  (VALUES (interval '-1 microsecond'), (interval '0'), (interval '1 microsecond')) w(d);
CREATE FUNCTION pg_temp.day_mismatches(zone text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE n bigint;
BEGIN
	PERFORM set_config('TimeZone', zone, true);
	SELECT count(*) INTO n
	  FROM (SELECT t, (crm.purchase_stats(t, 1.0)).first_purchase AS day
			  FROM (SELECT t FROM instants ORDER BY md5(t::text)) s GROUP BY t) g
	 WHERE g.day <> g.t::date;
	RETURN n;
END;
$$;
SELECT zone, pg_temp.day_mismatches(zone) AS mismatches
  FROM unnest('{UTC,America/New_York,Europe/London,Asia/Shanghai,Australia/Lord_Howe,America/St_Johns,Pacific/Chatham,Asia/Kathmandu}'::text[]) zone;
SELECT count(*) AS instants FROM instants;
SET TimeZone = 'UTC';

-- Errors, each with its message and hint.
SELECT try($$SELECT crm.purchase_stats(date '2025-01-01', -5.00)$$) AS negative_amount;
SELECT try($$SELECT crm.purchase_stats(date '2025-01-01', 5.00, -1)$$) AS negative_cost;
SELECT try($$SELECT crm.purchase_stats(date '2025-01-01', -0.5::float8)$$) AS negative_float8;
SELECT try($$SELECT crm.purchase_stats(date '2025-01-01', 'NaN'::numeric)$$) AS nan_amount;
SELECT try($$SELECT crm.purchase_stats(date '2025-01-01', 'Infinity'::float8)$$) AS infinite_amount;
SELECT try($$SELECT crm.purchase_stats(date '2025-01-01', 1e14)$$) AS amount_too_large;
SELECT try($$SELECT crm.purchase_stats(date '2025-01-01', 1e30)$$) AS amount_far_too_large;
SELECT try($$SELECT crm.purchase_stats(date '2025-01-01', 1e14::float8)$$) AS float8_too_large;
SELECT (crm.purchase_stats(date '2025-01-01', 99999999999999.9999)).revenue AS largest_amount;
SELECT try($$SELECT crm.purchase_stats(NULL::date, 10.00)$$) AS purchase_without_time;
SELECT try($$SELECT crm.purchase_stats('infinity'::timestamptz, 10.00)$$) AS infinite_time;
SELECT try($$SELECT crm.purchase_stats('-infinity'::date, 10.00)$$) AS infinite_date;
SELECT try($$SELECT crm.purchase_stats(now(), 'ten'::text)$$) AS text_amount;
SELECT try($$SELECT crm.purchase_stats('2025-01-01'::text, 1.0)$$) AS text_time;

-- rfm_summary: x, t_x, T and monetary in each unit (Fader, Hardie & Lee 2005).
-- fading at 2025-12-31: x = 2, t_x = 349 days (2024-02-01 to 2025-01-15),
-- T = 699 days.
SELECT u.unit, (r).* FROM (VALUES ('day'), ('week'), ('month'), ('year')) u(unit),
	   LATERAL (SELECT crm.rfm_summary(crm.purchase_stats(at, amount), '2025-12-31', u.unit) AS r
				  FROM history WHERE who = 'fading') t;
SELECT (crm.rfm_summary(crm.purchase_stats(at, amount), '2025-12-31')).* FROM history WHERE who = 'new';
SELECT crm.rfm_summary(crm.purchase_stats(at, amount, cost), '2025-12-31') IS NULL AS no_purchase_no_summary
  FROM history WHERE who = 'costly' AND amount IS NULL;
SELECT try($$SELECT crm.rfm_summary(crm.purchase_stats(date '2025-06-01', 1.0), '2025-12-31', 'fortnight')$$) AS unknown_unit;
SELECT try($$SELECT crm.rfm_summary(crm.purchase_stats(date '2025-06-01', 1.0), '2025-05-31')$$) AS as_of_before_last;
SELECT try($$SELECT crm.rfm_summary(crm.purchase_stats(date '2025-06-01', 1.0), 'infinity')$$) AS infinite_as_of;

-- As a window aggregate: the history so far at each order.
SELECT at::date, (s).orders, (s).purchase_days, (s).revenue, (s).mean_repeat_value
  FROM (SELECT at, crm.purchase_stats(at, amount) OVER (ORDER BY at) AS s
		  FROM history WHERE who = 'fading') t;

-- Parallel query: partial states are serialized by the workers and combined
-- by the leader.  200,000 orders of 20,000 customers, deterministic.
CREATE TABLE parallel_orders AS
SELECT i % 20000 AS customer_id,
	   timestamptz '2024-01-01 00:00+00' + (crm.demo_uniform(1, 1, i) * 700) * interval '1 day' AS at,
	   round((crm.demo_uniform(1, 2, i) * 500)::numeric, 2) AS amount,
	   CASE WHEN i % 7 = 0 THEN round((crm.demo_uniform(1, 3, i) * 50)::numeric, 2) END AS cost
  FROM generate_series(1, 200000) i;
ANALYZE parallel_orders;
SET max_parallel_workers_per_gather = 0;
CREATE TEMP TABLE serial_total AS SELECT crm.purchase_stats(at, amount, cost) AS s FROM parallel_orders;
CREATE TEMP TABLE serial_groups AS
SELECT customer_id, crm.purchase_stats(at, amount, cost) AS s FROM parallel_orders GROUP BY customer_id;
SET max_parallel_workers_per_gather = 2;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET parallel_leader_participation = off;
EXPLAIN (COSTS OFF) SELECT crm.purchase_stats(at, amount, cost) FROM parallel_orders;
SELECT (SELECT s FROM serial_total) = crm.purchase_stats(at, amount, cost) AS parallel_equals_serial,
	   ((SELECT s FROM serial_total)).orders AS orders
  FROM parallel_orders;
SET enable_hashagg = off;
EXPLAIN (COSTS OFF) SELECT customer_id, crm.purchase_stats(at, amount, cost) FROM parallel_orders GROUP BY customer_id;
SELECT count(*) AS groups, count(*) FILTER (WHERE p.s = g.s) AS equal_groups
  FROM (SELECT customer_id, crm.purchase_stats(at, amount, cost) AS s FROM parallel_orders GROUP BY customer_id) p
  JOIN serial_groups g USING (customer_id);
RESET enable_hashagg;
RESET max_parallel_workers_per_gather;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET parallel_leader_participation;
DROP TABLE parallel_orders;
