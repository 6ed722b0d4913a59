/*
 * test/pipeline.sql: pgTAP checks of the pipeline over time
 * (src/pipeline.sql): catalog entries, the as-of state and the waterfall of
 * a small crafted history, and the error SQLSTATEs; the full output is in
 * the pg_regress test sql/pipeline_changes.sql.  Everything runs in one
 * transaction that is rolled back.
 *
 * Run with: pg_prove -d DBNAME test/pipeline.sql, in a database where
 * CREATE EXTENSION pgtap and CREATE EXTENSION crm have been run.
 */
BEGIN;

SELECT plan(25);

SELECT has_function('crm', 'opportunities_as_of', ARRAY['timestamp with time zone']);
SELECT has_function('crm', 'pipeline_changes', ARRAY['timestamp with time zone', 'timestamp with time zone', 'text']);
SELECT has_function('crm', 'pipeline_waterfall', ARRAY['timestamp with time zone', 'timestamp with time zone', 'text']);
SELECT volatility_is('crm', 'pipeline_changes', ARRAY['timestamp with time zone', 'timestamp with time zone', 'text'], 'stable');
SELECT is((SELECT count(*)::integer FROM pg_proc
			WHERE pronamespace = 'crm'::regnamespace AND prosecdef
			  AND proname IN ('opportunities_as_of', 'pipeline_changes', 'pipeline_waterfall', 'check_period')),
	0, 'the pipeline functions run with the caller''s rights (row security applies)');

-- One deal of 100 created Jan 1, raised to 150 on Feb 1, won on Mar 1; one
-- of 50 created Feb 10, suspended Feb 20.
INSERT INTO crm.pipeline_stages (pipeline, stage, position, is_final, conversion_rate, mean_days) VALUES
	('tap', 'a', 1, false, 0.5, 30), ('tap', 'done', 2, true, NULL, NULL);
INSERT INTO crm.customers (id, name) OVERRIDING SYSTEM VALUE VALUES (720001, 'Pipeline TAP');
INSERT INTO crm.opportunities (id, customer_id, name, pipeline, stage, status, amount, owner, created_at, closed_at, closing_summary)
OVERRIDING SYSTEM VALUE VALUES
	(720001, 720001, 'x', 'tap', 'done', 'won', 150, 'rep_x', '2025-01-01 00:00+00', '2025-03-01 00:00+00', 'ok'),
	(720002, 720001, 'y', 'tap', 'a', 'suspended', 50, 'rep_x', '2025-02-10 00:00+00', NULL, NULL);
INSERT INTO crm.opportunity_history (opportunity_id, changed_at, old_stage, new_stage, old_status, new_status,
									 old_amount, new_amount, old_owner, new_owner) VALUES
	(720001, '2025-02-01 00:00+00', 'a', 'a', 'open', 'open', 100, 150, 'rep_x', 'rep_x'),
	(720001, '2025-03-01 00:00+00', 'a', 'done', 'open', 'won', 150, 150, 'rep_x', 'rep_x'),
	(720002, '2025-02-20 00:00+00', 'a', 'a', 'open', 'suspended', 50, 50, 'rep_x', 'rep_x');

SELECT is((SELECT amount FROM crm.opportunities_as_of('2025-01-15 00:00+00') WHERE opportunity_id = 720001),
	100.00, 'as of Jan 15 the deal is at its first amount');
SELECT is((SELECT status::text FROM crm.opportunities_as_of('2025-02-15 00:00+00') WHERE opportunity_id = 720002),
	'open', 'as of Feb 15 the second deal is open');
SELECT is((SELECT count(*)::integer FROM crm.opportunities_as_of('2025-02-01 00:00+00') WHERE pipeline = 'tap'),
	1, 'a deal created later does not exist yet');
SELECT results_eq(
	$$SELECT change, amount_delta FROM crm.pipeline_changes('2025-01-01 00:00+00', '2025-03-01 00:00+00', 'tap')$$,
	$$VALUES ('amount up', 50.00), ('new', 50.00), ('suspended', -50.00), ('won', -150.00), ('stage forward', 0)$$,
	'changes: +50 raise, +50 new, -50 suspended, -150 won, stage forward 0');
SELECT results_eq(
	$$SELECT amount FROM crm.pipeline_waterfall('2025-01-01 00:00+00', '2025-03-01 00:00+00', 'tap') WHERE step IN (1, 17) ORDER BY step$$,
	$$VALUES (100.00), (0.00)$$,
	'open pipeline 100 at the start, 0 at the end');
SELECT is((SELECT sum(amount) FROM crm.pipeline_waterfall('2025-01-01 00:00+00', '2025-03-01 00:00+00', 'tap') WHERE step < 17),
	0.00, 'the waterfall adds up: 100 + 50 + 50 - 50 - 150 = 0');

-- the forecast as of Jan 15 (rates of tap: a 0.5 over 30 days): deal x in
-- a since Jan 1 (14 days = 0.45996 months): rest 0.52567 -> month 1, 100 * 0.5
SELECT results_eq($$SELECT owner, month, expected_revenue FROM crm.forecast_as_of('tap', '2025-01-15 00:00+00', 2)$$,
	$$VALUES ('rep_x', 1, 50.00), ('rep_x', 2, 0.00)$$, 'forecast_as_of: 50 in month 1');
SELECT throws_ok($$SELECT * FROM crm.forecast_accuracy('tap', '2025-01-01', '2025-03-01', 'year')$$, '22023');
SELECT throws_ok($$SELECT * FROM crm.forecast_as_of('tap', '2025-01-01', 0)$$, '22023');
-- hygiene on Apr 15: y (open? no: suspended) is left out; x is won: no open deal of tap
SELECT is((SELECT count(*)::integer FROM crm.pipeline_issues('2025-04-15 00:00+00') WHERE pipeline = 'tap'), 0,
	'pipeline_issues: closed and suspended deals are not checked');
-- (its reactivation, approved by a manager)
INSERT INTO crm.opportunity_approvals (opportunity_id, move, decision, decided_by, decided_at)
VALUES (720002, 'reactivation', 'approved', 'tap_manager', now());
UPDATE crm.opportunities SET status = 'open', expected_close = '2025-03-01' WHERE id = 720002;
SELECT results_eq($$SELECT issue, detail FROM crm.pipeline_issues('2025-04-15 12:00+00', 30) WHERE pipeline = 'tap'$$,
	$$VALUES ('past close date', 'expected close 2025-03-01, 45 days before as_of')$$,
	'pipeline_issues: past its close date, active today (reopened now)');
SELECT throws_ok($$SELECT * FROM crm.pipeline_issues(now(), 30, 3, 0)$$, '22023');
SELECT throws_ok($$SELECT * FROM crm.opportunities_as_of('infinity')$$, '22008');
SELECT throws_ok($$SELECT * FROM crm.pipeline_changes(NULL, now())$$, '22004');
SELECT throws_ok($$SELECT * FROM crm.pipeline_changes('infinity', 'infinity')$$, '22008');
SELECT throws_ok($$SELECT * FROM crm.pipeline_changes('2025-02-01', '2025-01-01')$$, '22023');
SELECT throws_ok($$SELECT * FROM crm.pipeline_waterfall('2025-01-01', '2025-02-01', 'nope')$$, '22023');

-- Close-date moves (pipeline tapd): a deal of 10 created Jan 5, its close
-- date pulled in from Mar 31 to Feb 28 on Feb 5, pushed out to Apr 30 with
-- a raise to 20 on Feb 25.
INSERT INTO crm.pipeline_stages (pipeline, stage, position, is_final, conversion_rate, mean_days) VALUES
	('tapd', 'a', 1, false, 0.5, 30), ('tapd', 'done', 2, true, NULL, NULL);
INSERT INTO crm.opportunities (id, customer_id, name, pipeline, stage, status, amount, owner, expected_close, created_at)
OVERRIDING SYSTEM VALUE VALUES (720003, 720001, 'z', 'tapd', 'a', 'open', 20, 'rep_x', '2025-04-30', '2025-01-05 00:00+00');
INSERT INTO crm.opportunity_history (opportunity_id, changed_at, old_stage, new_stage, old_status, new_status,
									 old_amount, new_amount, old_owner, new_owner, old_expected_close, new_expected_close) VALUES
	(720003, '2025-02-05 00:00+00', 'a', 'a', 'open', 'open', 10, 10, 'rep_x', 'rep_x', '2025-03-31', '2025-02-28'),
	(720003, '2025-02-25 00:00+00', 'a', 'a', 'open', 'open', 10, 20, 'rep_x', 'rep_x', '2025-02-28', '2025-04-30');
SELECT results_eq(
	$$SELECT change, amount_delta FROM crm.pipeline_changes('2025-02-01 00:00+00', '2025-03-01 00:00+00', 'tapd')$$,
	$$VALUES ('pulled in', 0.00), ('amount up', 10.00), ('pushed out', 0.00)$$,
	'close-date moves: pulled in 0, then a raise +10 and a push-out 0 in one change');
SELECT is((SELECT expected_close FROM crm.opportunities_as_of('2025-02-10 00:00+00') WHERE opportunity_id = 720003),
	'2025-02-28'::date, 'as of Feb 10 the close date is the pulled-in one');
SELECT results_eq(
	$$SELECT deals::integer, amount FROM crm.pipeline_waterfall('2025-02-01 00:00+00', '2025-03-01 00:00+00', 'tapd')
	   WHERE change IN ('pulled in', 'pushed out') ORDER BY step$$,
	$$VALUES (1, 0.00), (1, 0.00)$$, 'the waterfall counts the deal in both, with 0');

SELECT * FROM finish();
ROLLBACK;
