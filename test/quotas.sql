/*
 * test/quotas.sql: pgTAP checks of allocation, seasonal forecasts and
 * attainment (src/quotas.c, src/quotas.sql).
 *
 * Run with: pg_prove -d DBNAME test/quotas.sql, in a database where
 * CREATE EXTENSION pgtap and CREATE EXTENSION crm have been run.
 *
 * Reference values of the forecasts come from
 * test/reference/seasonal_forecast.py; the full output is in the pg_regress
 * test sql/quotas.sql.  Everything runs in one transaction that is rolled
 * back.
 */
BEGIN;

SELECT plan(33);

SELECT has_function('crm', 'allocate', ARRAY['numeric', 'numeric[]', 'integer']);
SELECT function_returns('crm', 'allocate', ARRAY['numeric', 'numeric[]', 'integer'], 'numeric[]');
SELECT volatility_is('crm', 'allocate', ARRAY['numeric', 'numeric[]', 'integer'], 'immutable');
SELECT has_function('crm', 'sales_share', ARRAY['text', 'text', 'date']);
SELECT has_function('crm', 'allocate_quotas', ARRAY['integer', 'numeric', 'text', 'text', 'text', 'date', 'numeric']);
SELECT volatility_is('crm', 'allocate_quotas', ARRAY['integer', 'numeric', 'text', 'text', 'text', 'date', 'numeric'], 'volatile');
SELECT is_aggregate('crm', 'seasonal_forecast', ARRAY['date', 'double precision', 'integer', 'text']);
SELECT is_aggregate('crm', 'seasonal_forecast', ARRAY['date', 'double precision', 'integer', 'text', 'integer']);
SELECT is_aggregate('crm', 'seasonal_forecast',
	ARRAY['date', 'double precision', 'integer', 'text', 'integer', 'double precision', 'double precision', 'double precision']);
SELECT is((SELECT string_agg(DISTINCT format('%s %s %s', a.aggtranstype::regtype, a.aggcombinefn, p.proparallel), ', ')
			 FROM pg_aggregate a JOIN pg_proc p ON p.oid = a.aggfnoid
			WHERE p.proname = 'seasonal_forecast' AND p.pronamespace = 'crm'::regnamespace),
	'double precision[] crm.seasonal_forecast_combine s',
	'seasonal_forecast: float8[] state, combine function, parallel safe');
SELECT has_view('crm', 'monthly_sales', 'view crm.monthly_sales');
SELECT has_view('crm', 'monthly_sales_total', 'view crm.monthly_sales_total');
SELECT has_view('crm', 'quota_attainment', 'view crm.quota_attainment');

-- allocate
SELECT is(crm.allocate(100, '{1,1,1}'), '{33.34,33.33,33.33}'::numeric[], 'thirds: the cent goes to the first');
SELECT is(crm.allocate(1, '{1,2,3}'), '{0.17,0.33,0.50}'::numeric[], 'largest remainder gets the cent');
SELECT is(crm.allocate(-10, '{1,2}', 0), '{-3,-7}'::numeric[], 'negative total');
SELECT ok((SELECT bool_and((SELECT sum(x) FROM unnest(crm.allocate(t, ARRAY[1/3.0, 1/7.0, 2/9.0])) x) = t)
			 FROM (SELECT round(i / 3.0, 2) AS t FROM generate_series(1, 500) i) s),
	'500 totals split by 1/3, 1/7, 2/9 sum exactly');
SELECT throws_ok($$SELECT crm.allocate(100, '{0,0}')$$, '22023', 'all 2 weights are zero', 'all zero weights');
SELECT throws_ok($$SELECT crm.allocate(100, '{1,-2}')$$, '22023', 'weight 2 is -2, not a finite number >= 0', 'negative weight');
SELECT throws_ok($$SELECT crm.allocate(100, '{NULL,1}')$$, '22004', 'weight 1 is NULL', 'NULL weight');
SELECT throws_ok($$SELECT crm.allocate(1.005, '{1}')$$, '22023', 'total 1.005 has more than 2 decimals', 'total finer than the scale');

-- allocate_quotas and attainment on crafted sales
DELETE FROM crm.orders;
DELETE FROM crm.quotas;
INSERT INTO crm.customers (id, name, region, channel, owner) OVERRIDING SYSTEM VALUE VALUES
	(730001, 'Tap North', 'North', 'direct', 'rep_n'), (730002, 'Tap South', 'South', 'partner', 'rep_s');
INSERT INTO crm.orders (customer_id, ordered_at, amount, product) VALUES
	(730001, '2025-02-15 12:00+00', 100, 'A'), (730002, '2025-08-15 12:00+00', 200, 'B'),
	(730001, '2026-02-15 12:00+00', 120, 'A');
-- 1000 + 5 % by half (100 : 200 -> 350, 700), by region YTD (1 : 2)
SELECT results_eq(
	$$SELECT period_start, region, target FROM crm.allocate_quotas(2026, 1000, 'half', 'region', 'ytd', adjust_pct => 5)
		ORDER BY 1, 2$$,
	$$VALUES ('2026-01-01'::date, 'North'::text, 116.67::numeric), ('2026-01-01', 'South', 233.33),
			 ('2026-07-01', 'North', 233.33), ('2026-07-01', 'South', 466.67)$$,
	'allocate_quotas: halves by last year, regions by YTD share, +5 %');
SELECT is((SELECT sum(target) FROM crm.quotas), 1050.00, 'the targets sum to the adjusted annual target');
SELECT results_eq(
	$$SELECT period, target, actual, last_year, attainment_pct, growth_pct FROM crm.quota_attainment
		WHERE region = 'North' AND period_start = '2026-01-01'$$,
	$$VALUES ('half'::text, 116.67::numeric, 120.00::numeric, 100.00::numeric, 102.9::numeric, 20.0::numeric)$$,
	'attainment: target vs actual, this year vs last year');
SELECT throws_ok($$SELECT crm.allocate_quotas(2026, 1000, 'week')$$, '22023',
	'allocate_quotas: period must be year, half, quarter or month, got ''week''', 'bad period');
SELECT throws_ok($$SELECT crm.allocate_quotas(2026, 1000, 'month', 'region', 'ytd', '2019-12-31')$$, 'P0002',
	'allocate_quotas: no region has sales in the ytd window ending 2019-12-31', 'nothing to share by');

-- seasonal_forecast against test/reference/seasonal_forecast.py
CREATE TEMP TABLE tap_series AS
SELECT (date '2023-01-01' + make_interval(months => t))::date AS month,
	   (ARRAY[983, 988, 1015, 1029, 1034, 1052, 1057, 1056, 1036, 1035, 1027, 1023,
			  1038, 1050, 1079, 1084, 1092, 1117, 1116, 1111, 1100, 1097, 1088, 1078,
			  1100, 1114, 1134, 1142, 1157, 1176])[t + 1]::float8 AS sales
  FROM generate_series(0, 29) t;
SELECT is((SELECT array_agg(round(x::numeric, 6)) FROM unnest((SELECT crm.seasonal_forecast(month, sales, 6, 'holt_winters') FROM tap_series)) x),
	'{1189.066570,1193.747539,1180.970707,1185.844305,1183.984582,1185.714912}'::numeric[],
	'Holt-Winters additive, m 12, alpha 0.3, beta 0.1, gamma 0.1 = the Python reference');
SELECT is((SELECT array_agg(round(x::numeric, 6)) FROM unnest((SELECT crm.seasonal_forecast(month, sales, 4, 'holt_winters', 4, 0.5, 0.2, 0.3) FROM tap_series)) x),
	'{1180.761393,1186.305349,1199.509526,1212.843015}'::numeric[],
	'Holt-Winters additive, m 4, alpha 0.5, beta 0.2, gamma 0.3 = the Python reference');
SELECT is((SELECT crm.seasonal_forecast(month, sales, 3, 'seasonal_naive') FROM tap_series), '{1116,1111,1100}'::float8[], 'seasonal naive');
SELECT is((SELECT round(f[1]::numeric, 6) FROM (SELECT crm.seasonal_forecast(month, sales, 1, 'moving_average', 6) AS f FROM tap_series) x),
	1137.166667, 'moving average of 6 months');
SELECT throws_ok($$SELECT crm.seasonal_forecast(month, sales, 3, 'arima') FROM tap_series$$, '22023',
	'unknown method "arima"', 'unknown method');
SELECT throws_ok($$SELECT crm.seasonal_forecast(month, sales, 3, 'holt_winters', 16) FROM tap_series$$, '22023',
	'holt_winters needs at least 32 months (two seasons), the series has 30', 'too short for two seasons');
SELECT throws_ok($$SELECT crm.seasonal_forecast(month, sales, 3, 'holt_winters', 12, 2, 0.1, 0.1) FROM tap_series$$, '22023',
	'alpha 2 is outside [0, 1]', 'alpha above 1');

SELECT * FROM finish();
ROLLBACK;
