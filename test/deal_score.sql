/*
 * test/deal_score.sql: pgTAP checks of deal scoring by naive Bayes
 * (src/deal_score.c, src/deal_score.sql): catalog entries, a model computed
 * by hand, its reasons, merging and the error SQLSTATEs; the full output is
 * in the pg_regress test sql/deal_score.sql.  Everything runs in one
 * transaction that is rolled back.
 *
 * Run with: pg_prove -d DBNAME test/deal_score.sql, in a database where
 * CREATE EXTENSION pgtap and CREATE EXTENSION crm have been run.
 */
BEGIN;

SELECT plan(12);

SELECT has_type('crm', 'nb_model', 'crm.nb_model');
SELECT is_aggregate('crm', 'nb_train', ARRAY['text[]', 'boolean']);
SELECT is((SELECT format('%s %s %s %s %s', a.aggtranstype::regtype, a.aggcombinefn, a.aggserialfn, a.aggdeserialfn, p.proparallel)
			 FROM pg_aggregate a JOIN pg_proc p ON p.oid = a.aggfnoid
			WHERE p.proname = 'nb_train' AND p.pronamespace = 'crm'::regnamespace),
	'internal crm.nb_train_combine crm.nb_train_serialize crm.nb_train_deserialize s',
	'nb_train: internal state with combine, serialize, deserialize; parallel safe');
SELECT volatility_is('crm', 'nb_score', ARRAY['crm.nb_model', 'text[]'], 'immutable');

CREATE TEMP TABLE tap_nb AS
SELECT crm.nb_train(f, w) AS model
  FROM (VALUES (ARRAY['stage=a', 'size=big'], true), (ARRAY['stage=a', 'size=small'], false), (ARRAY['stage=b'], false)) v(f, w);
-- by hand: odds 2/3 * 2 * 5/4 = 5/3, score 5/8
SELECT ok((SELECT abs(crm.nb_score(model, '{stage=a,size=big}') - 0.625) < 1e-15 FROM tap_nb), 'nb_score: 5/8 by hand');
SELECT is((SELECT crm.nb_factors(model, '{stage=a,size=big}') FROM tap_nb),
	'size=big (odds x2.00), stage=a (odds x1.25)', 'nb_factors: the reasons up, strongest first');
SELECT is((SELECT crm.nb_merge(a.model, b.model) = t.model
			 FROM tap_nb t,
				  (SELECT crm.nb_train(f, w) AS model FROM (VALUES (ARRAY['stage=a', 'size=big'], true)) v(f, w)) a,
				  (SELECT crm.nb_train(f, w) AS model
					 FROM (VALUES (ARRAY['stage=a', 'size=small'], false), (ARRAY['stage=b'], false)) v(f, w)) b),
	true, 'nb_merge of two parts is the model of the whole');
SELECT throws_ok($$SELECT crm.nb_train('{stage}', true)$$, '22023');
SELECT throws_ok($$SELECT crm.nb_train(ARRAY['x=' || repeat('y', 300)], true)$$, '54000');
SELECT throws_ok($$SELECT crm.nb_factors(model, '{stage=a}', 'left') FROM tap_nb$$, '22023');
SELECT throws_ok($$SELECT crm.nb_score(ROW(1, 1, -1, '{}', '{}', '{}')::crm.nb_model, '{}')$$, '22023');
SELECT throws_ok($$SELECT * FROM crm.deal_snapshots('no such pipeline')$$, '22023');

SELECT * FROM finish();
ROLLBACK;
