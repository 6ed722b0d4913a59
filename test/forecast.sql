/*
 * test/forecast.sql: pgTAP checks of forecast categories and the roll-up
 * with manager adjustments (src/forecast.sql): catalog entries, the
 * default categories, a small roll-up and an adjustment, who may adjust;
 * the full output is in the pg_regress test sql/forecast.sql.  Everything
 * runs in one transaction that is rolled back.
 *
 * Run with: pg_prove -d DBNAME test/forecast.sql, in a database where
 * CREATE EXTENSION pgtap and CREATE EXTENSION crm have been run.
 */
BEGIN;

SELECT plan(12);

SELECT has_column('crm', 'opportunities', 'forecast_category', 'opportunities.forecast_category');
SELECT has_column('crm', 'opportunity_history', 'new_forecast_category', 'opportunity_history.new_forecast_category');
SELECT is(crm.default_forecast_category('open', 0.9), 'commit'::crm.forecast_category, 'open at 0.9: commit');
SELECT is(crm.default_forecast_category('open', NULL), 'pipeline'::crm.forecast_category, 'open without a probability: pipeline');
SELECT is(crm.default_forecast_category('won', 0), 'closed'::crm.forecast_category, 'won: closed');
SELECT table_privs_are('crm', 'forecast_adjustments', 'crm_manager', ARRAY['INSERT', 'SELECT'],
	'managers insert and read adjustments, never rewrite them');
SELECT function_privs_are('crm', 'adjust_forecast',
	ARRAY['text', 'date', 'text', 'text', 'text', 'crm.forecast_category', 'numeric', 'text'], 'crm_rep', ARRAY[]::text[],
	'reps may not adjust the forecast');

-- one pipeline, two deals in May 2026: 100 at s (0.95: commit), 50 set to best_case
INSERT INTO crm.pipeline_stages (pipeline, stage, position, is_final, conversion_rate, mean_days) VALUES
	('tapf', 's', 1, false, 0.95, 10), ('tapf', 'done', 2, true, NULL, NULL);
INSERT INTO crm.customers (id, name) OVERRIDING SYSTEM VALUE VALUES (750001, 'Forecast TAP');
INSERT INTO crm.opportunities (id, customer_id, name, pipeline, stage, amount, expected_close, owner, forecast_category)
OVERRIDING SYSTEM VALUE VALUES
	(750001, 750001, 'x', 'tapf', 's', 100, '2026-05-10', 'rep_x', NULL),
	(750002, 750001, 'y', 'tapf', 's', 50, '2026-05-20', 'rep_x', 'best_case');
SELECT results_eq(
	$$SELECT level, category::text, deals, amount FROM crm.forecast_rollup('tapf', '2026-05-01') WHERE level = 'all'$$,
	$$VALUES ('all', 'commit', 1::bigint, 100.00), ('all', 'best_case', 1::bigint, 50.00)$$,
	'roll-up: 100 commit by default, 50 best case as set');
SELECT is((SELECT from_amount FROM crm.adjust_forecast('tapf', '2026-05-01', 'month', 'all', NULL, 'commit', 80)),
	100.00, 'an adjustment records the figure it replaces');
SELECT is((SELECT adjusted_amount FROM crm.forecast_rollup('tapf', '2026-05-01') WHERE level = 'all' AND category = 'commit'),
	80.00, 'the roll-up shows the adjusted figure');
SELECT throws_ok($$SELECT * FROM crm.forecast_rollup('tapf', '2026-05-02')$$, '22023');
SELECT throws_ok($$SELECT crm.adjust_forecast('tapf', '2026-05-01', 'month', 'all', NULL, 'closed', 1)$$, '22023');

SELECT * FROM finish();
ROLLBACK;
