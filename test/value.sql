/*
 * test/value.sql: pgTAP checks of the value, RFM, lifecycle, relationship
 * and segment functions (src/value.c, src/value.sql).
 *
 * Run with: pg_prove -d DBNAME test/value.sql, in a database where
 * CREATE EXTENSION pgtap and CREATE EXTENSION crm have been run.
 *
 * Pins down the catalog entries (signatures, defaults, return types,
 * volatility, strictness, parallel safety, enum labels, the view) and checks
 * the behaviour a report relies on; the hand-checked values and every error
 * message are in the pg_regress test sql/value.sql.  Everything runs in one
 * transaction that is rolled back.
 */
BEGIN;

SELECT plan(78);

--------------------------------------------------------------------------
-- Signatures and return types
--------------------------------------------------------------------------

SELECT has_function('crm', 'value_score',
	ARRAY['crm.purchase_stats', 'date', 'double precision', 'double precision', 'double precision', 'double precision[]']);
SELECT has_function('crm', 'rfm_segment', ARRAY['integer', 'integer', 'integer']);
SELECT has_function('crm', 'lifecycle',
	ARRAY['crm.purchase_stats', 'date', 'numeric', 'integer', 'numeric', 'double precision', 'double precision']);
SELECT has_function('crm', 'relationship', ARRAY['crm.purchase_stats', 'boolean', 'date', 'integer']);
SELECT has_function('crm', 'segment', ARRAY['numeric', 'numeric', 'numeric[]', 'numeric[]']);
SELECT has_function('crm', 'segment_strategy', ARRAY['text']);

SELECT function_returns('crm', 'value_score',
	ARRAY['crm.purchase_stats', 'date', 'double precision', 'double precision', 'double precision', 'double precision[]'],
	'double precision');
SELECT function_returns('crm', 'rfm_segment', ARRAY['integer', 'integer', 'integer'], 'text');
SELECT function_returns('crm', 'lifecycle',
	ARRAY['crm.purchase_stats', 'date', 'numeric', 'integer', 'numeric', 'double precision', 'double precision'],
	'crm.lifecycle_stage');
SELECT function_returns('crm', 'relationship', ARRAY['crm.purchase_stats', 'boolean', 'date', 'integer'],
	'crm.relationship_state');
SELECT function_returns('crm', 'segment', ARRAY['numeric', 'numeric', 'numeric[]', 'numeric[]'], 'text');
SELECT function_returns('crm', 'segment_strategy', ARRAY['text'], 'setof record');

-- The argument names and defaults a caller sees (named notation uses them).
SELECT is(pg_catalog.pg_get_function_arguments('crm.value_score(crm.purchase_stats, date, float8, float8, float8, float8[])'::regprocedure),
	'stats crm.purchase_stats, as_of date, half_life_days double precision DEFAULT 180, frequency_half double precision DEFAULT 3, monetary_half double precision DEFAULT 1000, weights double precision[] DEFAULT ''{0.4,0.2,0.2,0.2}''::double precision[]',
	'value_score: arguments and defaults');
SELECT is(pg_catalog.pg_get_function_arguments('crm.rfm_segment(integer, integer, integer)'::regprocedure),
	'r integer, f integer, m integer',
	'rfm_segment: arguments');
SELECT is(pg_catalog.pg_get_function_arguments('crm.lifecycle(crm.purchase_stats, date, numeric, integer, numeric, float8, float8)'::regprocedure),
	'stats crm.purchase_stats, as_of date, arrears numeric DEFAULT 0, new_days integer DEFAULT 90, worthless_at numeric DEFAULT 0, trend_threshold double precision DEFAULT 0.2, gap_factor double precision DEFAULT 2',
	'lifecycle: arguments and defaults');
SELECT is(pg_catalog.pg_get_function_arguments('crm.relationship(crm.purchase_stats, boolean, date, integer)'::regprocedure),
	'stats crm.purchase_stats, responded boolean, as_of date, lost_after_days integer DEFAULT 365',
	'relationship: arguments and defaults');
SELECT is(pg_catalog.pg_get_function_arguments('crm.segment(numeric, numeric, numeric[], numeric[])'::regprocedure),
	'satisfaction numeric, volume numeric, satisfaction_cuts numeric[] DEFAULT ''{5,8}''::numeric[], volume_cuts numeric[] DEFAULT NULL::numeric[]',
	'segment: arguments and defaults');
SELECT is(pg_catalog.pg_get_function_result('crm.segment_strategy(text)'::regprocedure),
	'TABLE(segment text, satisfaction text, volume text, sales_strategy text, service_strategy text, description text)',
	'segment_strategy: result columns');

--------------------------------------------------------------------------
-- Volatility, strictness, parallel safety, language
--------------------------------------------------------------------------

-- All six are IMMUTABLE (no table is read, as_of is an argument) and
-- PARALLEL SAFE, and all are C.  value_score, rfm_segment and
-- segment_strategy are STRICT; lifecycle (NULL arrears = 0), relationship
-- (NULL stats = never bought) and segment (missing volume_cuts is an error)
-- look at their NULLs themselves.
SELECT results_eq(
	$$SELECT p.proname::text COLLATE "default", p.provolatile::text, p.proisstrict, p.proparallel::text, l.lanname::text COLLATE "default"
		FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_language l ON l.oid = p.prolang
	   WHERE p.pronamespace = 'crm'::regnamespace
		 AND p.proname IN ('value_score', 'rfm_segment', 'lifecycle', 'relationship', 'segment', 'segment_strategy')
	   ORDER BY 1$$,
	$$VALUES ('lifecycle', 'i', false, 's', 'c'),
			 ('relationship', 'i', false, 's', 'c'),
			 ('rfm_segment', 'i', true, 's', 'c'),
			 ('segment', 'i', false, 's', 'c'),
			 ('segment_strategy', 'i', true, 's', 'c'),
			 ('value_score', 'i', true, 's', 'c')$$,
	'value functions: volatility, strictness, parallel safety and language'
);
SELECT volatility_is('crm', 'value_score',
	ARRAY['crm.purchase_stats', 'date', 'double precision', 'double precision', 'double precision', 'double precision[]'],
	'immutable');
SELECT is_strict('crm', 'value_score',
	ARRAY['crm.purchase_stats', 'date', 'double precision', 'double precision', 'double precision', 'double precision[]']);
SELECT volatility_is('crm', 'lifecycle',
	ARRAY['crm.purchase_stats', 'date', 'numeric', 'integer', 'numeric', 'double precision', 'double precision'],
	'immutable');
SELECT isnt_strict('crm', 'lifecycle',
	ARRAY['crm.purchase_stats', 'date', 'numeric', 'integer', 'numeric', 'double precision', 'double precision']);
SELECT isnt_strict('crm', 'relationship', ARRAY['crm.purchase_stats', 'boolean', 'date', 'integer']);
SELECT isnt_strict('crm', 'segment', ARRAY['numeric', 'numeric', 'numeric[]', 'numeric[]']);
SELECT is_strict('crm', 'rfm_segment', ARRAY['integer', 'integer', 'integer']);
SELECT is_strict('crm', 'segment_strategy', ARRAY['text']);
SELECT is((SELECT p.proretset FROM pg_catalog.pg_proc p WHERE p.oid = 'crm.segment_strategy(text)'::regprocedure),
	true, 'segment_strategy returns a set');

-- Every one of them documents itself.
SELECT is_empty(
	$$SELECT p.oid::regprocedure::text FROM pg_catalog.pg_proc p
	   WHERE p.pronamespace = 'crm'::regnamespace
		 AND p.proname IN ('value_score', 'rfm_segment', 'lifecycle', 'relationship', 'segment', 'segment_strategy')
		 AND pg_catalog.obj_description(p.oid, 'pg_proc') IS NULL$$,
	'every value function has a comment'
);

--------------------------------------------------------------------------
-- Enums and the view
--------------------------------------------------------------------------

SELECT has_enum('crm', 'lifecycle_stage', 'enum crm.lifecycle_stage should exist');
SELECT enum_has_labels('crm', 'lifecycle_stage',
	ARRAY['new', 'growing', 'stable', 'declining', 'problem', 'worthless'],
	'crm.lifecycle_stage labels, in lifecycle order');
SELECT has_enum('crm', 'relationship_state', 'enum crm.relationship_state should exist');
SELECT enum_has_labels('crm', 'relationship_state',
	ARRAY['potential', 'responsive', 'relationship', 'lost'],
	'crm.relationship_state labels, in marketing-process order');
SELECT isnt(pg_catalog.obj_description('crm.lifecycle_stage'::regtype, 'pg_type'), NULL, 'crm.lifecycle_stage has a comment');
SELECT isnt(pg_catalog.obj_description('crm.relationship_state'::regtype, 'pg_type'), NULL, 'crm.relationship_state has a comment');

SELECT has_view('crm', 'segment_strategies', 'view crm.segment_strategies should exist');
SELECT columns_are('crm', 'segment_strategies',
	ARRAY['segment', 'satisfaction', 'volume', 'sales_strategy', 'service_strategy', 'description']);
SELECT isnt(pg_catalog.obj_description('crm.segment_strategies'::regclass, 'pg_class'), NULL,
	'crm.segment_strategies has a comment');
-- no table behind it: nothing to register with pg_extension_config_dump
SELECT is_empty(
	$$SELECT d.refobjid::regclass::text FROM pg_catalog.pg_depend d
		JOIN pg_catalog.pg_rewrite r ON r.oid = d.objid
	   WHERE d.classid = 'pg_catalog.pg_rewrite'::regclass
		 AND d.refclassid = 'pg_catalog.pg_class'::regclass
		 AND r.ev_class = 'crm.segment_strategies'::regclass
		 AND d.refobjid <> 'crm.segment_strategies'::regclass$$,
	'crm.segment_strategies reads no table'
);
SELECT results_eq(
	$$SELECT segment, satisfaction, volume, sales_strategy, service_strategy FROM crm.segment_strategies$$,
	$$VALUES ('A', 'high', 'large', 'one-to-one: account manager', 'partner'),
			 ('B', 'high', 'medium', 'one-to-many: regional sales rep', 'partner'),
			 ('C', 'high', 'small', 'through retailers', 'partner'),
			 ('D', 'medium', 'large', 'one-to-one: account manager', 'improve'),
			 ('E', 'medium', 'medium', 'one-to-many: regional sales rep', 'improve'),
			 ('F', 'medium', 'small', 'through retailers', 'improve'),
			 ('G', 'low', 'large', 'one-to-one: account manager', 'correct'),
			 ('H', 'low', 'medium', 'one-to-many: regional sales rep', 'correct'),
			 ('I', 'low', 'small', 'through retailers', 'correct')$$,
	'segment_strategies: nine segments; volume drives sales, satisfaction drives service'
);
SELECT is((SELECT pg_catalog.count(*) FROM crm.segment_strategies WHERE pg_catalog.length(description) > 40), 9::bigint,
	'every segment has a description');

--------------------------------------------------------------------------
-- Behaviour
--------------------------------------------------------------------------

-- value_score: in 0..100, recency beats one old huge order.
SELECT cmp_ok(crm.value_score(ROW('2025-01-05', '2025-12-20', 14, 12, 5200, 400, 4800, 371.43, 380.0, 0.1), '2025-12-31'),
	'>', crm.value_score(ROW('2023-12-20', '2023-12-20', 1, 1, 50000, 500, 49500, 50000, NULL, NULL), '2025-12-31'),
	'a steady recent buyer scores above a one-off big spender of two years ago');
SELECT is(round(crm.value_score(ROW('2025-01-05', '2025-12-20', 14, 12, 5200, 400, 4800, 371.43, 380.0, 0.1), '2025-12-31')::numeric, 2),
	90.42, 'value_score of the steady buyer is 90.42');
SELECT is(crm.value_score(ROW('2025-06-01', '2025-06-01', 1, 1, 100, 0, 100, 100, NULL, NULL), '2025-12-31', 30, weights => '{1,0,0,0}')
		  BETWEEN 0 AND 100, true, 'value_score stays in 0..100');
SELECT is(crm.value_score(ROW('2025-06-01', '2025-06-01', 1, 1, 100, 0, 100, 100, NULL, NULL), '2025-06-01', weights => '{1,0,0,0}'),
	100::float8, 'recency is 1 on the day of the last purchase');
SELECT is(crm.value_score(ROW('2025-06-01', '2025-06-01', 1, 1, 100, 0, 100, 100, NULL, NULL), '2025-11-28', weights => '{1,0,0,0}'),
	50::float8, 'recency halves after half_life_days (180)');
SELECT is(crm.value_score(ROW(NULL, NULL, 0, 0, 0, 50, -50, NULL, NULL, NULL), '2025-12-31'), NULL,
	'value_score: no purchase, no score');
SELECT is(crm.value_score(NULL, '2025-12-31'), NULL, 'value_score: NULL stats give NULL');
SELECT throws_ok($$SELECT crm.value_score(ROW('2025-01-05', '2025-12-20', 14, 12, 5200, 400, 4800, 371.43, 380.0, 0.1), '2025-12-31', weights => '{1,1,1}')$$,
	'22023', NULL, 'value_score: three weights are refused');
SELECT throws_ok($$SELECT crm.value_score(ROW('2025-01-05', '2025-12-20', 14, 12, 5200, 400, 4800, 371.43, 380.0, 0.1), '2025-12-01')$$,
	'22023', NULL, 'value_score: as_of before the last purchase is refused');

-- rfm_segment: the corners of the grid and all eleven names.
SELECT is(crm.rfm_segment(5, 5, 5), 'champions', 'rfm 555 = champions');
SELECT is(crm.rfm_segment(1, 1, 1), 'lost', 'rfm 111 = lost');
SELECT is(crm.rfm_segment(1, 5, 5), 'can''t lose', 'rfm 155 = can''t lose');
SELECT is(crm.rfm_segment(5, 1, 1), 'new', 'rfm 511 = new');
SELECT set_eq(
	$$SELECT DISTINCT crm.rfm_segment(r, f, m)
		FROM pg_catalog.generate_series(1, 5) r, pg_catalog.generate_series(1, 5) f, pg_catalog.generate_series(1, 5) m$$,
	ARRAY['champions', 'loyal', 'potential loyalists', 'new', 'promising', 'need attention', 'about to sleep',
		  'at risk', 'can''t lose', 'hibernating', 'lost'],
	'rfm_segment names exactly the eleven segments'
);
SELECT throws_ok($$SELECT crm.rfm_segment(6, 1, 1)$$, '22023', NULL, 'rfm_segment: score 6 is refused');
SELECT is(crm.rfm_segment(NULL, 1, 1), NULL, 'rfm_segment: NULL gives NULL');

-- lifecycle: each stage from a history built for it, and the rule order.
SELECT is(crm.lifecycle(ROW('2025-01-05', '2025-12-20', 14, 12, 5200, 400, 4800, 371.43, 380.0, 0.1), '2025-12-31'),
	'stable'::crm.lifecycle_stage, 'lifecycle: steady buyer is stable');
SELECT is(crm.lifecycle(ROW('2025-03-01', '2025-12-28', 9, 9, 4000, 300, 3700, 444.44, 475, 0.5), '2025-12-31'),
	'growing'::crm.lifecycle_stage, 'lifecycle: rising spend is growing');
SELECT is(crm.lifecycle(ROW('2025-11-20', '2025-12-15', 2, 2, 300, 20, 280, 150, 200, 0.33), '2025-12-31'),
	'new'::crm.lifecycle_stage, 'lifecycle: first purchase 41 days ago is new');
SELECT is(crm.lifecycle(ROW('2024-01-10', '2025-06-30', 10, 8, 6000, 500, 5500, 600, 450, 0), '2025-12-31'),
	'declining'::crm.lifecycle_stage, 'lifecycle: silent for more than twice the own mean gap is declining');
SELECT is(crm.lifecycle(ROW('2023-12-20', '2023-12-20', 1, 1, 50000, 500, 49500, 50000, NULL, NULL), '2025-12-31'),
	'declining'::crm.lifecycle_stage, 'lifecycle: an old one-off buyer is declining');
SELECT is(crm.lifecycle(ROW('2025-02-01', '2025-10-15', 3, 3, 300, 900, -600, 100, 100, 0), '2025-12-31'),
	'worthless'::crm.lifecycle_stage, 'lifecycle: costs more than it brings is worthless');
SELECT is(crm.lifecycle(ROW('2025-02-01', '2025-10-15', 3, 3, 300, 900, -600, 100, 100, 0), '2025-12-31', 10),
	'problem'::crm.lifecycle_stage, 'lifecycle: arrears come before everything');
SELECT is(crm.lifecycle(ROW('2025-01-05', '2025-12-20', 14, 12, 5200, 400, 4800, 371.43, 380.0, 0.1), '2025-12-31', NULL),
	'stable'::crm.lifecycle_stage, 'lifecycle: NULL arrears count as 0');
SELECT is(crm.lifecycle(NULL, '2025-12-31'), NULL, 'lifecycle: NULL stats give NULL');
SELECT throws_ok($$SELECT crm.lifecycle(NULL, '2025-12-31', -1)$$, '22023', NULL,
	'lifecycle: negative arrears are refused, even without stats');
SELECT throws_ok($$SELECT crm.lifecycle(ROW('2025-01-05', '2025-12-20', 14, 12, 5200, 400, 4800, 371.43, 380.0, 0.1), '2025-12-31', trend_threshold => 0)$$,
	'22023', NULL, 'lifecycle: trend_threshold 0 is refused');

-- relationship: the four states.
SELECT is(crm.relationship(ROW('2025-01-05', '2025-12-20', 14, 12, 5200, 400, 4800, 371.43, 380.0, 0.1), false, '2025-12-31'),
	'relationship'::crm.relationship_state, 'relationship: bought 11 days ago');
SELECT is(crm.relationship(ROW('2023-12-20', '2023-12-20', 1, 1, 50000, 500, 49500, 50000, NULL, NULL), true, '2025-12-31'),
	'lost'::crm.relationship_state, 'relationship: bought 742 days ago is lost, whatever the response');
SELECT is(crm.relationship(NULL, true, '2025-12-31'), 'responsive'::crm.relationship_state,
	'relationship: never bought, responded');
SELECT is(crm.relationship(NULL, NULL, '2025-12-31'), 'potential'::crm.relationship_state,
	'relationship: never bought, no response known');

-- segment: the grid corners, NULLs, and the required volume cuts.
SELECT is(crm.segment(9, 1000, volume_cuts => '{100,500}'), 'A', 'segment: high satisfaction, large volume = A');
SELECT is(crm.segment(2, 1000, volume_cuts => '{100,500}'), 'G', 'segment: low satisfaction, large volume = G');
SELECT is(crm.segment(2, 10, volume_cuts => '{100,500}'), 'I', 'segment: low satisfaction, small volume = I');
SELECT is(crm.segment(NULL, 1000, volume_cuts => '{100,500}'), NULL, 'segment: NULL satisfaction gives NULL');
SELECT throws_ok($$SELECT crm.segment(9, 1000)$$, '22023', 'volume_cuts must be given',
	'segment: volume_cuts is required');
SELECT throws_ok($$SELECT * FROM crm.segment_strategy('X')$$, '22023', 'unknown segment "X"',
	'segment_strategy: unknown segment is refused');

SELECT * FROM finish();
ROLLBACK;
