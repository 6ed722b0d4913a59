/*
 * test/funnel.sql: pgTAP checks of funnel weighting and forecast
 * (src/funnel.c, src/funnel.sql).
 *
 * Run with: pg_prove -d DBNAME test/funnel.sql, in a database where
 * CREATE EXTENSION pgtap and CREATE EXTENSION crm have been run.
 *
 * Pins down the catalog entries and checks the seed's example, the
 * empirical funnel of a crafted history, the hand-over list and every error
 * path's SQLSTATE and message; the full output is in the pg_regress test
 * sql/funnel.sql.  Everything runs in one transaction that is rolled back.
 */
BEGIN;

SELECT plan(47);

--------------------------------------------------------------------------
-- Catalog
--------------------------------------------------------------------------

SELECT has_function('crm', 'win_probability', ARRAY['integer', 'double precision[]']);
SELECT has_function('crm', 'win_probability', ARRAY['integer', 'double precision[]', 'double precision']);
SELECT has_function('crm', 'months_to_close', ARRAY['integer', 'double precision[]', 'double precision']);
SELECT has_function('crm', 'funnel_forecast', ARRAY['integer', 'numeric', 'double precision[]', 'double precision[]', 'integer']);
SELECT has_function('crm', 'funnel_forecast',
	ARRAY['integer', 'numeric', 'double precision[]', 'double precision[]', 'integer', 'double precision']);
SELECT has_function('crm', 'funnel_forecast',
	ARRAY['integer', 'numeric', 'double precision[]', 'double precision[]', 'integer', 'double precision', 'double precision']);
SELECT is_aggregate('crm', 'funnel_forecast', ARRAY['integer', 'numeric', 'double precision[]', 'double precision[]', 'integer']);
SELECT function_returns('crm', 'funnel_forecast',
	ARRAY['integer', 'numeric', 'double precision[]', 'double precision[]', 'integer'], 'numeric[]');
SELECT is((SELECT string_agg(DISTINCT format('%s %s %s', a.aggtranstype::regtype, a.aggcombinefn, p.proparallel), ', ')
			 FROM pg_aggregate a JOIN pg_proc p ON p.oid = a.aggfnoid
			WHERE p.proname = 'funnel_forecast' AND p.pronamespace = 'crm'::regnamespace),
	'double precision[] crm.funnel_forecast_combine s',
	'funnel_forecast: float8[] state (Citus ships it), combine function, parallel safe');
SELECT volatility_is('crm', 'win_probability', ARRAY['integer', 'double precision[]'], 'immutable');
SELECT is_strict('crm', 'win_probability', ARRAY['integer', 'double precision[]']);
SELECT isnt_strict('crm', 'win_probability', ARRAY['integer', 'double precision[]', 'double precision']);
SELECT has_function('crm', 'pipeline_funnel', ARRAY['text']);
SELECT has_function('crm', 'pipeline_forecast', ARRAY['text', 'integer', 'timestamp with time zone']);
SELECT has_function('crm', 'empirical_funnel', ARRAY['text']);
SELECT has_function('crm', 'apply_empirical_funnel', ARRAY['text', 'integer']);
SELECT has_function('crm', 'handover', ARRAY['text']);
SELECT has_view('crm', 'funnel', 'view crm.funnel');
SELECT is((SELECT string_agg(attname, ', ' ORDER BY attnum) FROM pg_attribute
			WHERE attrelid = 'crm.funnel'::regclass AND attnum > 0),
	'pipeline, stage, position, open_count, amount, win_probability, weighted_amount, visits_per_week, planned_visits_per_week, months_to_close',
	'crm.funnel: columns');

--------------------------------------------------------------------------
-- The seed's example and the weighting
--------------------------------------------------------------------------

SELECT is((SELECT crm.funnel_forecast(stage, amount, '{0.5,0.8,0.9}', '{2,1,1}', 3)
			 FROM (VALUES (1, 500000), (2, 250000), (3, 200000)) AS o(stage, amount)),
	'{180000,180000,180000}'::numeric[], 'seed: 180,000 in each of the next three months');
SELECT results_eq(
	$$SELECT f.month::integer, f.expected_revenue
		FROM crm.pipeline_funnel('project') p,
			 LATERAL (SELECT crm.funnel_forecast(array_position(p.stages, o.stage), o.amount, p.conversion, p.stage_months, 3) AS m
						FROM (VALUES ('potential', 500000), ('bid', 250000), ('negotiation', 200000)) AS o(stage, amount)) a,
			 LATERAL unnest(a.m) WITH ORDINALITY AS f(expected_revenue, month)$$,
	$$VALUES (1, 180000.00), (2, 180000.00), (3, 180000.00)$$,
	'seed: the shipped project pipeline gives the same forecast');
SELECT is(round(crm.win_probability(1, '{0.5,0.8,0.9}')::numeric, 12), 0.36::numeric, 'potential: 0.5 * 0.8 * 0.9');
SELECT is(crm.win_probability(1, '{0.5,0.8,0.9}', 0.25), 0.25::float8, 'own probability overrides');
SELECT is(crm.months_to_close(2, '{2,1,1}'), 1.5::float8, 'bid closes in 0.5 + 1 months');
SELECT is(crm.months_to_close(1, '{2,1,1}', 0.5), 3.5::float8, 'potential, half a month in: 1.5 + 2');
SELECT is((SELECT crm.funnel_forecast(2, 100, '{1,1}', '{2,3}', 2, 2) ), '{100,0}'::numeric[],
	'remaining exactly 1 month lands in month 1');

--------------------------------------------------------------------------
-- Empirical funnel, funnel view, hand-over
--------------------------------------------------------------------------

INSERT INTO crm.pipeline_stages (pipeline, stage, position, is_final, conversion_rate, mean_days, visits_per_week) VALUES
	('tap', 'a', 1, false, 0.1, 1, 1), ('tap', 'b', 2, false, 0.1, 1, 2), ('tap', 'won', 3, true, NULL, NULL, NULL);
INSERT INTO crm.customers (id, name) OVERRIDING SYSTEM VALUE VALUES (710001, 'Tap Funnel Ltd.');
INSERT INTO crm.opportunities (id, customer_id, name, pipeline, stage, status, amount, owner, created_at, closed_at, closing_summary)
OVERRIDING SYSTEM VALUE VALUES
	(710001, 710001, 'won', 'tap', 'won', 'won', 100, 'rep_x', '2025-01-01', '2025-01-31', 'ok'),
	(710002, 710001, 'lost in b', 'tap', 'b', 'lost', 100, 'rep_x', '2025-01-01', '2025-02-01', 'no'),
	(710003, 710001, 'open in a', 'tap', 'a', 'open', 1000, 'rep_x', '2025-01-01', NULL, NULL),
	(710004, 710001, 'lost in a', 'tap', 'a', 'lost', 100, 'rep_y', '2025-01-01', '2025-01-03', 'no');
INSERT INTO crm.opportunity_history (opportunity_id, changed_at, old_stage, new_stage, old_status, new_status) VALUES
	(710001, '2025-01-11', 'a', 'b', 'open', 'open'),
	(710001, '2025-01-31', 'b', 'won', 'open', 'won'),
	(710002, '2025-01-21', 'a', 'b', 'open', 'open'),
	(710002, '2025-02-01', 'b', 'b', 'open', 'lost'),
	(710004, '2025-01-03', 'a', 'a', 'open', 'lost');
-- a: converted 2 (10 and 20 days), failed 1, open 1 -> 2/3, 15 days
-- b: converted 1 (20 days), failed 1 -> 1/2, 20 days
SELECT results_eq(
	$$SELECT stage, reached, converted, failed, still_open, round(conversion_rate::numeric, 4), mean_days
		FROM crm.empirical_funnel('tap')$$,
	$$VALUES ('a'::text, 4::bigint, 2::bigint, 1::bigint, 1::bigint, 0.6667, 15::float8),
			 ('b', 2, 1, 1, 0, 0.5000, 20)$$,
	'empirical funnel: open opportunities are not failures');
CALL crm.apply_empirical_funnel('tap');
SELECT results_eq(
	$$SELECT stage, round(conversion_rate::numeric, 4), mean_days FROM crm.pipeline_stages
		WHERE pipeline = 'tap' AND NOT is_final ORDER BY position$$,
	$$VALUES ('a'::text, 0.6667, 15::float8), ('b', 0.5000, 20)$$,
	'apply_empirical_funnel writes rates and mean days');
SELECT results_eq(
	$$SELECT stage, open_count, amount, weighted_amount, planned_visits_per_week FROM crm.funnel
		WHERE pipeline = 'tap' ORDER BY position$$,
	$$VALUES ('a'::text, 1::bigint, 1000.00, 333.33, 1::float8), ('b', 0, 0, 0.00, 0)$$,
	'funnel view: open count, amount, weighted amount (1000 * 2/3 * 1/2), visits');
SELECT results_eq($$SELECT opportunity_id FROM crm.handover('rep_x')$$, $$VALUES (710003::bigint)$$,
	'handover: only the open opportunities of the leaving rep');
SELECT is_empty($$SELECT * FROM crm.handover('rep_y')$$, 'handover: nothing open, nothing to hand over');

--------------------------------------------------------------------------
-- Errors
--------------------------------------------------------------------------

SELECT throws_ok($$SELECT crm.win_probability(4, '{0.5,0.8,0.9}')$$, '2202E',
	'stage 4 is outside the funnel''s open stages 1..3', 'stage past the end');
SELECT throws_ok($$SELECT crm.win_probability(1, '{0.5,1.2}')$$, '22023',
	'conversion rate 1.2 of stage 2 is outside [0, 1]', 'rate above 1');
SELECT throws_ok($$SELECT crm.win_probability(1, '{0.5,NULL}')$$, '22004',
	'element 2 of conversion is NULL', 'NULL rate');
SELECT throws_ok($$SELECT crm.win_probability(1, '{}')$$, '22023',
	'conversion must not be empty', 'empty funnel');
SELECT throws_ok($$SELECT crm.win_probability(1, '{0.5}', 2)$$, '22023',
	'win probability 2 is outside [0, 1]', 'own probability above 1');
SELECT throws_ok($$SELECT crm.funnel_forecast(1, 1, NULL, '{1}', 3)$$, '22004',
	'conversion must not be NULL', 'NULL conversion');
SELECT throws_ok($$SELECT crm.funnel_forecast(1, 1, '{1}', '{1}', 0)$$, '22023',
	'horizon 0 is outside 1..1200 months', 'horizon 0');
SELECT throws_ok($$SELECT crm.funnel_forecast(1, 1, '{0.5,0.5}', '{1}', 3)$$, '2202E',
	'stage_months has 1 elements but conversion has 2', 'length mismatch');
SELECT throws_ok($$SELECT crm.funnel_forecast(1, 1, '{0.5}', '{-1}', 3)$$, '22023',
	'mean duration -1 of stage 1 must be finite and not negative', 'negative duration');
SELECT throws_ok($$SELECT crm.funnel_forecast(1, 1, '{0.5}', '{1}', 3, -1)$$, '22023',
	'months_in_stage -1 must be finite and not negative', 'negative time in stage');
SELECT throws_ok($$SELECT crm.funnel_forecast(1, 1, '{0.5}', '{1}', h) FROM (VALUES (2), (3)) v(h)$$, '22023',
	'horizon must be the same on every row', 'horizon changes');
SELECT throws_ok($$SELECT crm.funnel_forecast_final('{1,2}')$$, '22023',
	'not a funnel_forecast state', 'a forged state');
SELECT throws_ok($$CALL crm.apply_empirical_funnel('nope')$$, '22023',
	'apply_empirical_funnel: pipeline "nope" does not exist', 'unknown pipeline');
SELECT throws_ok($$SELECT crm.months_to_close(2, '{1}')$$, '2202E',
	'stage 2 is outside the funnel''s open stages 1..1', 'months_to_close: stage past the end');

--------------------------------------------------------------------------
-- Parallel equals serial
--------------------------------------------------------------------------

CREATE TEMP TABLE tap_opps AS
SELECT 1 + i % 3 AS stage, (i % 1000) * 10.01 AS amount FROM generate_series(1, 30000) i;
SELECT is((SELECT crm.funnel_forecast(stage, amount, '{0.5,0.8,0.9}', '{2,1,1}', 3) FROM tap_opps),
	(SELECT array_agg(round(s, 2) ORDER BY m) FROM
		(SELECT 4 - stage AS m, sum(amount * (ARRAY[0.36, 0.72, 0.9])[stage]) AS s FROM tap_opps GROUP BY stage) x),
	'forecast equals the exact numeric weighted sum by stage');
SELECT ok(pg_catalog.pg_get_functiondef('crm.handover(text)'::regprocedure) LIKE '%search_path TO ''pg_catalog'', ''pg_temp''%',
	'handover runs with a fixed search_path');

SELECT * FROM finish();
ROLLBACK;
