/*
 * test/tree.sql: pgTAP checks of the decision trees (src/tree.c,
 * src/tree_train.c, src/auc.c, src/tree.sql).
 *
 * Run with: pg_prove -d DBNAME test/tree.sql, in a database where
 * CREATE EXTENSION pgtap and CREATE EXTENSION crm have been run.
 *
 * Pins down the catalog entries (type, signatures, return types,
 * volatility, strictness, parallel safety, the aggregate's support
 * functions) and the behaviour a caller relies on; the hand-checked tree
 * and every error message are in the pg_regress tests sql/tree.sql,
 * sql/tree_errors.sql and sql/tree_churn.sql.  Everything runs in one
 * transaction that is rolled back.
 */
BEGIN;

SELECT plan(39);

--------------------------------------------------------------------------
-- Catalog
--------------------------------------------------------------------------

SELECT has_type('crm', 'tree', 'type crm.tree');
SELECT is((SELECT typalign::text || typstorage::text || typlen::text FROM pg_catalog.pg_type WHERE oid = 'crm.tree'::regtype),
	'de-1', 'crm.tree: varlena, double-aligned, stored uncompressed (external)');
SELECT has_function('crm', 'tree_train', ARRAY['text', 'text', 'jsonb']);
SELECT has_function('crm', 'tree_score', ARRAY['crm.tree', 'record']);
SELECT has_function('crm', 'tree_predict', ARRAY['crm.tree', 'record']);
SELECT has_function('crm', 'tree_probabilities', ARRAY['crm.tree', 'record']);
SELECT has_function('crm', 'tree_leaf', ARRAY['crm.tree', 'record']);
SELECT has_function('crm', 'tree_rules', ARRAY['crm.tree']);
SELECT has_function('crm', 'tree_to_sql', ARRAY['crm.tree', 'text']);
SELECT has_function('crm', 'tree_to_dot', ARRAY['crm.tree', 'jsonb']);
SELECT has_function('crm', 'tree_importance', ARRAY['crm.tree']);
SELECT has_function('crm', 'tree_info', ARRAY['crm.tree']);
SELECT has_function('crm', 'auc', ARRAY['double precision', 'boolean']);
SELECT has_function('crm', 'lift_table', ARRAY['text', 'integer']);
SELECT has_function('crm', 'gain_curve', ARRAY['text', 'integer']);
SELECT has_function('crm', 'tree_train_model', ARRAY['text', 'text', 'text', 'jsonb']);

SELECT results_eq(
	$$SELECT p.proname::text COLLATE "default", p.provolatile::text, p.proisstrict, p.proparallel::text,
			 pg_catalog.format_type(p.prorettype, NULL) COLLATE "default"
		FROM pg_catalog.pg_proc p
	   WHERE p.pronamespace = 'crm'::regnamespace
		 AND p.proname IN ('tree_train', 'tree_score', 'tree_predict', 'tree_probabilities', 'tree_leaf',
						   'tree_rules', 'tree_to_sql', 'tree_to_dot', 'tree_importance', 'tree_info', 'lift_table', 'gain_curve', 'tree_train_model')
	   ORDER BY 1$$,
	$$VALUES ('gain_curve', 's', false, 'u', 'record'),
			 ('lift_table', 's', false, 'u', 'record'),
			 ('tree_importance', 'i', true, 's', 'record'),
			 ('tree_info', 'i', true, 's', 'jsonb'),
			 ('tree_leaf', 'i', true, 's', 'integer'),
			 ('tree_predict', 'i', true, 's', 'text'),
			 ('tree_probabilities', 'i', true, 's', 'double precision[]'),
			 ('tree_rules', 'i', true, 's', 'record'),
			 ('tree_score', 'i', true, 's', 'double precision'),
			 ('tree_to_dot', 'i', true, 's', 'text'),
			 ('tree_to_sql', 'i', false, 's', 'text'),
			 ('tree_train', 'v', false, 'u', 'crm.tree'),
			 ('tree_train_model', 'v', false, 'u', 'crm.models')$$,
	'tree functions: volatility, strictness, parallel safety, return type');

SELECT results_eq(
	$$SELECT a.aggtransfn::text, a.aggcombinefn::text, a.aggserialfn::text, a.aggdeserialfn::text,
			 a.aggfinalfn::text, pg_catalog.format_type(a.aggtranstype, NULL) COLLATE "default", p.proparallel::text
		FROM pg_catalog.pg_aggregate a JOIN pg_catalog.pg_proc p ON p.oid = a.aggfnoid
	   WHERE a.aggfnoid = 'crm.auc(float8, boolean)'::regprocedure$$,
	$$VALUES ('crm.auc_trans', 'crm.auc_combine', 'crm.auc_serialize', 'crm.auc_deserialize', 'crm.auc_final', 'internal', 's')$$,
	'crm.auc: internal state with combine, serialize, deserialize; parallel safe');

SELECT is((SELECT count(*)::integer FROM pg_catalog.pg_proc p
			WHERE p.pronamespace = 'crm'::regnamespace AND (p.proname LIKE 'tree%' OR p.proname LIKE 'auc%' OR p.proname = 'lift_table')
			  AND pg_catalog.obj_description(p.oid, 'pg_proc') IS NULL),
	0, 'every tree and auc function has a comment');

--------------------------------------------------------------------------
-- Behaviour
--------------------------------------------------------------------------

CREATE TEMP TABLE t (age integer, job text, bill numeric, uses boolean);
INSERT INTO t SELECT 20 + g % 40, (ARRAY['sales', 'tech', 'admin'])[1 + g % 3], 50 + (g * 37) % 200,
					 (g % 3 = 0 AND g % 40 < 20) OR (g * 37) % 200 > 150
  FROM generate_series(1, 600) g;
CREATE TEMP TABLE m AS SELECT crm.tree_train('t', 'uses') AS m;

SELECT is((SELECT crm.tree_info(m)->>'positive' FROM m), 'true', 'a boolean target: the positive class is true');
SELECT ok((SELECT crm.auc(crm.tree_score(m, t), t.uses) > 0.95 FROM t, m), 'the tree separates a learnable rule (AUC > 0.95)');
SELECT is((SELECT count(*)::integer FROM t, m WHERE crm.tree_score(m, t) NOT BETWEEN 0 AND 1), 0, 'scores are probabilities');
SELECT is((SELECT count(*)::integer FROM t, m
			WHERE abs(crm.tree_score(m, t) - (crm.tree_probabilities(m, t))[2]) > 0), 0,
	'tree_score is the probability of the positive (second) class');
SELECT is((SELECT count(*)::integer FROM t, m
			WHERE crm.tree_predict(m, t) <> CASE WHEN crm.tree_score(m, t) > 0.5 THEN 'true' ELSE 'false' END), 0,
	'tree_predict is the majority class');
SELECT is((SELECT count(*)::integer FROM t, m, crm.tree_rules(m) r
			WHERE r.leaf = crm.tree_leaf(m, t) AND r.probability <> crm.tree_score(m, t)), 0,
	'tree_leaf joins to tree_rules with the same probability');
SELECT is((SELECT sum(samples)::integer FROM m, crm.tree_rules(m)), 600, 'the leaves hold every training row');
SELECT is((SELECT array_agg(probability ORDER BY probability DESC) FROM m, crm.tree_rules(m)),
		  (SELECT array_agg(probability) FROM m, crm.tree_rules(m)), 'rules come highest probability first');
SELECT is((SELECT round(sum(importance)::numeric, 12) FROM m, crm.tree_importance(m)), 1.0::numeric, 'importances sum to 1');
SELECT is((SELECT m::text::crm.tree::text = m::text FROM m), true, 'JSON round trip is exact');
SELECT is((SELECT crm.tree_train('t', 'uses')::text = m::text FROM m), true, 'training is deterministic');

-- the CASE expression is evaluated in this database on every row
CREATE FUNCTION pg_temp.case_score(sql text) RETURNS SETOF float8 LANGUAGE plpgsql AS $$
BEGIN
	RETURN QUERY EXECUTE format('SELECT (%s)::float8 FROM t ORDER BY age, job, bill, uses', sql);
END;
$$;
SELECT results_eq(
	$$SELECT pg_temp.case_score(crm.tree_to_sql(m)) FROM m$$,
	$$SELECT crm.tree_score(m, t) FROM t, m ORDER BY age, job, bill, uses$$,
	'tree_to_sql gives tree_score on every row');

-- a model per row: the scorer's cache holds several models
SELECT is((SELECT count(DISTINCT s)::integer FROM t,
			(SELECT crm.tree_train('t', 'uses', jsonb_build_object('max_depth', d)) AS m FROM generate_series(1, 3) d) ms,
			LATERAL (SELECT crm.tree_score(ms.m, t) - crm.tree_score(ms.m, t) AS s) x), 1,
	'scoring against several models in one query');

-- errors callers can rely on, by SQLSTATE
SELECT throws_ok($$SELECT crm.tree_score(m, r) FROM m, (SELECT 1 AS age) r$$, '42703');
SELECT throws_ok($$SELECT crm.tree_score(m, r) FROM m, (SELECT 1 AS age, 'x' AS job, 'x' AS bill) r$$, '42804');
SELECT throws_ok($$SELECT '{"format": "crm.tree"}'::crm.tree$$, '22P02');
SELECT throws_ok($$SELECT crm.tree_train('t', 'uses', '{"cp": -1}')$$, '22023');

-- stored models
SELECT lives_ok($$SELECT crm.tree_train_model('offer', 't', 'uses')$$, 'tree_train_model stores a model');
SELECT is((SELECT rows_used::integer FROM crm.models WHERE name = 'offer'), 600, 'crm.models: rows used');
SELECT ok((SELECT (metrics->>'auc')::float8 > 0.95 AND (metrics->>'accuracy')::float8 > 0.9 FROM crm.models WHERE name = 'offer'),
	'crm.models: training AUC and accuracy');

SELECT * FROM finish();
ROLLBACK;
