-- Deal scoring by naive Bayes: a model computed by hand, its reasons, NULL
-- and unseen features, every error, merging and a forced parallel plan
-- equal to the serial one, and on data with a signal beyond the stage the
-- holdout AUC above a constant per stage.

-- Three deals: (stage=a, size=big) won, (stage=a, size=small) lost,
-- (stage=b, NULL) lost.  By hand, alpha 1: W = 1, L = 2, prior log(2/3);
-- size: n(won) 1, n(lost) 1, 2 values: P(big | won) = 2/4, P(big | lost) = 1/4;
-- stage: n(won) 1, n(lost) 2, 2 values: P(a | won) = 2/4, P(a | lost) = 2/5.
-- A deal (a, big): odds 2/3 * 2 * 1.25 = 5/3, score 5/8 = 0.625.
CREATE TEMP TABLE nb_three (features text[], won boolean);
INSERT INTO nb_three VALUES (ARRAY['stage=a', 'size=big'], true), (ARRAY['stage=a', 'size=small'], false),
	(ARRAY['stage=b', NULL], false), (NULL, true), (ARRAY['stage=c'], NULL);
SELECT (m).* FROM (SELECT crm.nb_train(features, won) AS m FROM nb_three) x;
CREATE TEMP TABLE nb_model_three AS SELECT crm.nb_train(features, won) AS model FROM nb_three;
SELECT crm.nb_score(model, ARRAY['stage=a', 'size=big']) AS a_big,
	   abs(crm.nb_score(model, ARRAY['stage=a', 'size=big']) - 0.625) < 1e-15 AS five_eighths,
	   crm.nb_factors(model, ARRAY['stage=a', 'size=big']) AS up,
	   crm.nb_factors(model, ARRAY['stage=a', 'size=big'], 'down') AS down
  FROM nb_model_three;
-- (b, small): P(b | won) = 1/4, P(b | lost) = 2/5, P(small | won) = 1/4,
-- P(small | lost) = 2/4: odds 2/3 * 5/8 * 1/2 = 5/24, score 5/29;
-- an unseen value of a known field (size=huge: 1/4 against 1/4) changes
-- nothing, nor does an unknown field (colour) or a NULL element; the prior
-- alone is 2/3, score 0.4
SELECT round(crm.nb_score(model, ARRAY['stage=b', 'size=small'])::numeric, 12) AS b_small,
	   round(5 / 29.0, 12) AS by_hand,
	   crm.nb_factors(model, ARRAY['stage=b', 'size=small'], 'down', 1) AS strongest_down,
	   crm.nb_factors(model, ARRAY['stage=b', 'size=small'], 'up') AS up_none,
	   round(crm.nb_score(model, ARRAY['size=huge', 'colour=red', NULL])::numeric, 12) AS prior_only,
	   round(crm.nb_score(model, '{}')::numeric, 12) AS no_features
  FROM nb_model_three;
-- no deal with an outcome: no model; NULL arguments: NULL
SELECT crm.nb_train(features, won) IS NULL AS no_model FROM nb_three WHERE won IS NULL OR features IS NULL;
SELECT crm.nb_score(NULL, '{stage=a}') IS NULL AS null_model, crm.nb_score(model, NULL) IS NULL AS null_features
  FROM nb_model_three;
SELECT crm.nb_bin('amount', 5000, '{10000,50000}') AS below, crm.nb_bin('amount', 10000, '{10000,50000}') AS first,
	   crm.nb_bin('amount', 50000, '{10000,50000}') AS last, crm.nb_bin('amount', NULL, '{10000}') AS null_value;
-- the labels of width_bucket's buckets, the bounds as float8 text; NaN is
-- above every cut; no cuts, no feature
SELECT v, crm.nb_bin('p', v, '{-Infinity,1e-7,0.25,3}') AS bin, crm.nb_bin('p', v, '{}') AS no_cuts
  FROM unnest('{-Infinity,-1,1e-7,0.2,0.25,2.5,3,Infinity,NaN}'::float8[]) v;
-- one call site whose cuts change from row to row (equal cuts: the rightmost)
SELECT c, crm.nb_bin('amount', 12000, c) AS bin
  FROM (VALUES ('{10000}'::float8[]), ('{10000,10000,20000}'), ('{12000.5,50000}')) v(c);

-- Errors
SELECT try($$SELECT crm.nb_train(f, true) FROM (VALUES (ARRAY['stage'])) v(f)$$) AS no_equals;
SELECT try($$SELECT crm.nb_train(f, true) FROM (VALUES (ARRAY['=a'])) v(f)$$) AS no_field;
SELECT try($$SELECT crm.nb_train(f, true) FROM (VALUES (ARRAY['x=' || repeat('y', 300)])) v(f)$$) AS too_long;
SELECT try($$SELECT crm.nb_train(f, true) FROM (VALUES ('{{a=1},{b=2}}'::text[])) v(f)$$) AS two_dimensions;
SELECT try($$SELECT crm.nb_score(model, '{stage}') FROM nb_model_three$$) AS score_no_equals;
SELECT try($$SELECT crm.nb_bin('amount', 5, '{10000,5000}')$$) AS bin_unsorted;
SELECT try($$SELECT crm.nb_bin('amount', 5, '{1,NaN}')$$) AS bin_nan_cut;
SELECT try($$SELECT crm.nb_bin('amount', 5, '{1,NULL}')$$) AS bin_null_cut;
SELECT try($$SELECT crm.nb_bin('amount', 5, '{{1,2},{3,4}}')$$) AS bin_two_dimensions;
SELECT try($$SELECT crm.nb_factors(model, '{stage=a}', 'sideways') FROM nb_model_three$$) AS bad_direction;
SELECT try($$SELECT crm.nb_factors(model, '{stage=a}', 'up', 0) FROM nb_model_three$$) AS top_zero;
SELECT try($$SELECT crm.nb_score(ROW(1, 2, 0, '{a=1}', '{1}', '{0}')::crm.nb_model, '{a=1}')$$) AS alpha_zero;
SELECT try($$SELECT crm.nb_score(ROW(1, 2, 1, '{a=1}', '{1,2}', '{0}')::crm.nb_model, '{a=1}')$$) AS lengths_differ;
SELECT try($$SELECT crm.nb_score(ROW(1, 2, 1, '{a=1}', '{-1}', '{0}')::crm.nb_model, '{a=1}')$$) AS negative_count;
SELECT try($$SELECT crm.nb_score(ROW(1, 2, 1, '{a=1,a=1}', '{1,1}', '{0,0}')::crm.nb_model, '{a=1}')$$) AS duplicate_feature;
SELECT try($$SELECT crm.nb_score(ROW('NaN', 2, 1, '{a=1}', '{1}', '{0}')::crm.nb_model, '{a=1}')$$) AS nan_won;
SELECT try($$SELECT crm.nb_score(ROW(1, 2, 1, NULL, '{1}', '{0}')::crm.nb_model, '{a=1}')$$) AS null_features;
SELECT try($$SELECT crm.nb_score(ROW(1, 2, 1, '{a=1,NULL}', '{1,1}', '{0,0}')::crm.nb_model, '{a=1}')$$) AS null_element;

-- Synthetic deals with a signal beyond the stage: stage s (1..3) and size
-- (small, medium, large) set the chance of winning, 0.2 s times 0.6, 1 or
-- 1.3; region is noise.  Trained on the first 14,000 (closed first),
-- evaluated on the last 6,000.
CREATE TABLE nb_deals AS
SELECT i, 1 + i % 3 AS stage, (ARRAY['small', 'medium', 'large'])[1 + (i / 3) % 3] AS size,
	   (ARRAY['north', 'south', 'east', 'west'])[1 + (i / 9) % 4] AS region,
	   crm.demo_uniform(1, 1, i) < 0.2 * (1 + i % 3) * (ARRAY[0.6, 1, 1.3])[1 + (i / 3) % 3] AS won
  FROM generate_series(1, 20000) i;
ANALYZE nb_deals;
CREATE VIEW nb_features AS
SELECT i, won, ARRAY['stage=' || stage, 'size=' || size, 'region=' || region] AS features FROM nb_deals;

-- the model of all rows is the merge of models of any split, and a forced
-- parallel plan gives the serial model
CREATE TEMP TABLE nb_serial AS SELECT crm.nb_train(features, won) AS model FROM nb_features;
SELECT count(*) AS splits, count(*) FILTER (WHERE m = (SELECT model FROM nb_serial)) AS merge_equals_whole
  FROM (SELECT crm.nb_merge((SELECT crm.nb_train(features, won) FROM nb_features WHERE i <= k),
							(SELECT crm.nb_train(features, won) FROM nb_features WHERE i > k)) AS m
		  FROM unnest(ARRAY[0, 1, 7, 9999, 19999, 20000]) k) s;
SELECT crm.nb_merge(NULL, model) = model AS merge_with_nothing FROM nb_serial;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
EXPLAIN (COSTS OFF) SELECT crm.nb_train(ARRAY['stage=' || stage, 'size=' || size], won) FROM nb_deals;
SELECT crm.nb_train(features, won) = (SELECT model FROM nb_serial) AS parallel_equals_serial FROM nb_features;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;

-- holdout AUC: naive Bayes sees size, a constant per stage cannot
WITH m AS (SELECT crm.nb_train(features, won) AS model FROM nb_features WHERE i <= 14000),
	 r AS (SELECT stage, avg(won::integer)::float8 AS p FROM nb_deals WHERE i <= 14000 GROUP BY stage)
SELECT round(crm.auc(crm.nb_score(m.model, f.features), f.won)::numeric, 3) AS naive_bayes,
	   round(crm.auc(r.p, d.won)::numeric, 3) AS stage_rate,
	   crm.auc(crm.nb_score(m.model, f.features), f.won) > crm.auc(r.p, d.won) + 0.02 AS naive_bayes_better
  FROM nb_features f JOIN nb_deals d USING (i) JOIN r USING (stage), m
 WHERE f.i > 14000;
-- the reasons of the best and the worst test deal
WITH m AS (SELECT crm.nb_train(features, won) AS model FROM nb_features WHERE i <= 14000)
SELECT f.features, round(crm.nb_score(m.model, f.features)::numeric, 3) AS score,
	   crm.nb_factors(m.model, f.features, 'up') AS up, crm.nb_factors(m.model, f.features, 'down') AS down
  FROM nb_features f, m WHERE f.i IN (14003, 14001);
DROP VIEW nb_features;
DROP TABLE nb_deals;

-- A model stored compressed (above 2 kB) and one stored plain, scored in
-- turns by one call site: each row gets its own model's score, as two call
-- sites of one model each give it (a call site keeps the model it read,
-- recognised by its stored bytes before they are decompressed).
CREATE TEMP TABLE nb_big AS
SELECT i, ARRAY['f=' || (i % 300), 'g=' || (i % 7), CASE WHEN i % 5 = 0 THEN 'h=new' END] AS features, i % 3 = 0 AS won
  FROM generate_series(1, 3000) i;
CREATE TEMP TABLE nb_models AS
SELECT 1 AS k, crm.nb_train(features[1:2], won) AS model FROM nb_big
UNION ALL
SELECT 2, model FROM nb_model_three;
SELECT k, pg_column_compression(model) AS compressed FROM nb_models ORDER BY k;
WITH turns AS (
	SELECT x.i, m.k, crm.nb_score(m.model, x.features) AS score FROM nb_big x CROSS JOIN nb_models m),
apart AS (
	SELECT x.i, 1 AS k, crm.nb_score((SELECT model FROM nb_models WHERE k = 1), x.features) AS score FROM nb_big x
	UNION ALL
	SELECT x.i, 2, crm.nb_score((SELECT model FROM nb_models WHERE k = 2), x.features) FROM nb_big x)
SELECT count(*) AS scores, count(*) FILTER (WHERE t.score = a.score) AS same_as_apart,
	   count(DISTINCT round(t.score::numeric, 12)) > 2 AS scores_vary
  FROM turns t JOIN apart a ON a.i = t.i AND a.k = t.k;
DROP TABLE nb_big, nb_models;

-- The training rows of a crafted history (pipeline ds: a -> b -> c -> done):
--   1 a -> b (Jan 10) -> done, won (Feb 1)      a and b, won
--   2 a, lost (Jan 5)                           a, not won
--   3 open in b                                 none (not closed)
--   4 lost in c without history (Mar 1)         c, not won
--   5 a -> b (Jan 3), terminated (Jan 20), archived (Jul 1)   a and b, not won
BEGIN;
SET LOCAL TimeZone = 'UTC';
INSERT INTO crm.pipeline_stages (pipeline, stage, position, is_final, conversion_rate, mean_days) VALUES
	('ds', 'a', 1, false, 0.5, 10), ('ds', 'b', 2, false, 0.5, 10), ('ds', 'c', 3, false, 0.5, 10), ('ds', 'done', 4, true, NULL, NULL);
INSERT INTO crm.customers (id, name) OVERRIDING SYSTEM VALUE VALUES (730001, 'Deal Snapshots');
INSERT INTO crm.opportunities (id, customer_id, name, pipeline, stage, status, amount, owner, created_at, closed_at, closing_summary)
OVERRIDING SYSTEM VALUE VALUES
	(730001, 730001, 'one', 'ds', 'done', 'won', 100, 'rep', '2025-01-01', '2025-02-01', 'ok'),
	(730002, 730001, 'two', 'ds', 'a', 'lost', 100, 'rep', '2025-01-01', '2025-01-05', 'no'),
	(730003, 730001, 'three', 'ds', 'b', 'open', 100, 'rep', '2025-01-01', NULL, NULL),
	(730004, 730001, 'four', 'ds', 'c', 'lost', 100, 'rep', '2025-01-01', '2025-03-01', 'no'),
	(730005, 730001, 'five', 'ds', 'b', 'archived', 100, 'rep', '2025-01-01', '2025-01-20', NULL);
INSERT INTO crm.opportunity_history (opportunity_id, changed_at, old_stage, new_stage, old_status, new_status) VALUES
	(730001, '2025-01-10', 'a', 'b', 'open', 'open'), (730001, '2025-02-01', 'b', 'done', 'open', 'won'),
	(730002, '2025-01-05', 'a', 'a', 'open', 'lost'),
	(730003, '2025-01-02', 'a', 'b', 'open', 'open'),
	(730005, '2025-01-03', 'a', 'b', 'open', 'open'), (730005, '2025-01-20', 'b', 'b', 'open', 'terminated'),
	(730005, '2025-07-01', 'b', 'b', 'terminated', 'archived');
SELECT opportunity_id, stage, entered_at::date, closed_at::date, won FROM crm.deal_snapshots('ds');
SELECT try($$SELECT * FROM crm.deal_snapshots('DS')$$) AS unknown_pipeline;
ROLLBACK;
