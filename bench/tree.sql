-- Decision trees (issue "Decision trees: train, score, explain and exchange").
--
-- (a) Scoring: crm.tree_score over 10,000,000 rows (10 features, table
--     bench.tree_rows) against the scan floor SELECT sum(f1) over the same
--     table and against the CASE expression of crm.tree_to_sql.  Targets: at
--     most 1.5x the scan floor, faster than the CASE.
-- (b) Training: crm.tree_train on 1,000,000 rows x 10 features against
--     scikit-learn's DecisionTreeClassifier.fit on the same rows and depth
--     (bench/tree_sklearn.py; its time excludes loading the CSV, ours includes
--     reading the rows with SPI).  Target: no slower, holdout AUC within 0.01.
--
-- psql variables: tree_rows (default 10000000), train_rows (1000000),
-- root (the repository, for bench/tree_sklearn.py).
\if :{?tree_rows}
\else
\set tree_rows 10000000
\endif
\if :{?train_rows}
\else
\set train_rows 1000000
\endif
\if :{?holdout_rows}
\else
\set holdout_rows 300000
\endif
\if :{?root}
\else
\set root .
\endif

\echo '== tree: data (' :tree_rows 'rows scored, ' :train_rows 'training rows, ' :holdout_rows 'holdout rows)'
-- 10 features, 7 double precision and 3 integer; the label follows f1, f2,
-- f3 + f4 and f6 with 10 % of the labels flipped
SELECT setseed(0.42);
DROP TABLE IF EXISTS bench.tree_source;
CREATE UNLOGGED TABLE bench.tree_source AS
SELECT g AS id, f1, f2, f3, f4, f5, f6, f7, f8, f9, f10,
	   ((f1 > 0.6 AND f2 < 0.4) OR f3 + f4 > 1.3 OR (f6 < 15 AND f5 > 0.5)) <> (noise < 0.1) AS label
  FROM (SELECT g, random() AS f1, random() AS f2, random() AS f3, random() AS f4, random() AS f5,
			   (random() * 100)::integer AS f6, (random() * 100)::integer AS f7, (random() * 1000)::integer AS f8,
			   random() * 50 AS f9, random() * 3 AS f10, random() AS noise
		  FROM generate_series(1, :tree_rows + :train_rows + :holdout_rows) g) s;
DROP TABLE IF EXISTS bench.tree_rows, bench.tree_train, bench.tree_holdout;
CREATE UNLOGGED TABLE bench.tree_train AS SELECT * FROM bench.tree_source WHERE id <= :train_rows;
CREATE UNLOGGED TABLE bench.tree_holdout AS SELECT * FROM bench.tree_source WHERE id > :train_rows AND id <= :train_rows + :holdout_rows;
CREATE UNLOGGED TABLE bench.tree_rows AS SELECT * FROM bench.tree_source WHERE id > :train_rows + :holdout_rows;
DROP TABLE bench.tree_source;
ALTER TABLE bench.tree_train DROP COLUMN id;
ALTER TABLE bench.tree_holdout DROP COLUMN id;
VACUUM ANALYZE bench.tree_train, bench.tree_holdout, bench.tree_rows;
SELECT (SELECT count(*) FROM bench.tree_rows) AS scored_rows, (SELECT count(*) FROM bench.tree_train) AS training_rows,
	   pg_size_pretty(pg_total_relation_size('bench.tree_rows')) AS scored_table_size;

\echo '== tree: (b) training, depth 8 and scikit-learn''s defaults otherwise (gini, no pruning): exact thresholds (bins 0) and 256 bins; and crm''s defaults'
DROP TABLE IF EXISTS bench.tree_models;
CREATE UNLOGGED TABLE bench.tree_models (name text, ms float8, model crm.tree);
CREATE OR REPLACE FUNCTION bench.tree_fit(name text, options jsonb) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
	t0 timestamptz := clock_timestamp();
	m crm.tree := crm.tree_train('bench.tree_train', 'label', options);
BEGIN
	INSERT INTO bench.tree_models VALUES (name, extract(epoch FROM clock_timestamp() - t0) * 1000, m);
END;
$$;
SELECT count(*) AS warm_up FROM bench.tree_train;
SELECT bench.tree_fit('exact', '{"max_depth": 8, "cp": 0, "min_samples_split": 2, "min_samples_leaf": 1, "bins": 0}');
SELECT bench.tree_fit('binned', '{"max_depth": 8, "cp": 0, "min_samples_split": 2, "min_samples_leaf": 1}');
SELECT bench.tree_fit('defaults', '{}');
SELECT name, round(ms::numeric) AS train_ms, crm.tree_info(model)->'leaves' AS leaves,
	   (SELECT round(crm.auc(crm.tree_score(model, h), h.label)::numeric, 4) FROM bench.tree_holdout h) AS holdout_auc
  FROM bench.tree_models ORDER BY name;

SELECT current_setting('data_directory') || '/bench_tree_train.csv' AS train_csv,
	   current_setting('data_directory') || '/bench_tree_holdout.csv' AS holdout_csv \gset
COPY bench.tree_train TO :'train_csv' CSV HEADER;
COPY bench.tree_holdout TO :'holdout_csv' CSV HEADER;
\echo '== tree: (b) scikit-learn DecisionTreeClassifier(max_depth=8).fit on the same rows'
\set sklearn_cmd '/usr/bin/python3 ' :root '/bench/tree_sklearn.py ' :train_csv ' ' :holdout_csv ' 8'
CREATE TEMP TABLE sklearn_out (line text);
COPY sklearn_out FROM PROGRAM :'sklearn_cmd';
SELECT line AS scikit_learn FROM sklearn_out;

\echo '== tree: (a) scoring: crm.tree_score, the scan floor and the CASE run in turn, 5 rounds; medians of the times and of the per-round ratios'
SELECT crm.tree_info(model) - 'bytes' AS model FROM bench.tree_models WHERE name = 'binned';
SELECT crm.tree_to_sql(model, 't') AS case_sql, model::text AS model_json FROM bench.tree_models WHERE name = 'binned' \gset
-- one query after the other in every round, so that a change of load on the
-- machine hits all three alike
CREATE OR REPLACE FUNCTION bench.tree_compare(workers integer, rounds integer, VARIADIC queries text[])
RETURNS TABLE (query integer, median_ms numeric, median_ratio_to_first numeric)
LANGUAGE plpgsql AS $$
DECLARE
	t float8[] := '{}';
	r integer;
	q integer;
	n integer := array_length(queries, 1);
BEGIN
	FOR r IN 1 .. rounds LOOP
		FOR q IN 1 .. n LOOP
			t := t || bench.time_ms(queries[q], workers, 1);
		END LOOP;
	END LOOP;
	RETURN QUERY
	SELECT q2, round(percentile_cont(0.5) WITHIN GROUP (ORDER BY t[(r2 - 1) * n + q2])::numeric, 1),
		   round(percentile_cont(0.5) WITHIN GROUP (ORDER BY t[(r2 - 1) * n + q2] / t[(r2 - 1) * n + 1])::numeric, 3)
	  FROM generate_series(1, n) q2, generate_series(1, rounds) r2
	 GROUP BY q2 ORDER BY q2;
END;
$$;
SELECT CASE query WHEN 1 THEN 'scan floor: sum(f1)' WHEN 2 THEN 'crm.tree_score, model from a scalar subquery'
				  WHEN 3 THEN 'CASE of crm.tree_to_sql' WHEN 4 THEN 'crm.tree_score, model from a join'
				  WHEN 5 THEN 'crm.tree_score, model as a literal' WHEN 6 THEN 'crm.tree_score, record path (no rewrite)'
				  ELSE 'scan to the last feature column: sum(f10)' END AS query,
	   median_ms, median_ratio_to_first AS ratio_to_scan_floor
  FROM bench.tree_compare(0, 5,
		$$SELECT sum(f1) FROM bench.tree_rows$$,
		$$SELECT sum(crm.tree_score((SELECT model FROM bench.tree_models WHERE name = 'binned'), t)) FROM bench.tree_rows t$$,
		format('SELECT sum(%s) FROM bench.tree_rows t', :'case_sql'),
		$$SELECT sum(crm.tree_score(m.model, t)) FROM bench.tree_rows t JOIN bench.tree_models m ON m.name = 'binned'$$,
		format('SELECT sum(crm.tree_score(%L::crm.tree, t)) FROM bench.tree_rows t', :'model_json'),
		$$SELECT sum(crm.tree_score((SELECT model FROM bench.tree_models WHERE name = 'binned'), t)) FROM (SELECT * FROM bench.tree_rows OFFSET 0) t$$,
		$$SELECT sum(f10) FROM bench.tree_rows$$);
\echo '== tree: (a) score / CASE per round (median)'
SELECT round(percentile_cont(0.5) WITHIN GROUP (ORDER BY ratio)::numeric, 3) AS score_vs_case
  FROM (SELECT a.median_ratio_to_first AS ratio FROM bench.tree_compare(0, 5,
		format('SELECT sum(%s) FROM bench.tree_rows t', :'case_sql'),
		$$SELECT sum(crm.tree_score((SELECT model FROM bench.tree_models WHERE name = 'binned'), t)) FROM bench.tree_rows t$$) a
		 WHERE a.query = 2) x;
\echo '== tree: (a) the same with 2 parallel workers (3 rounds)'
SELECT CASE query WHEN 1 THEN 'scan floor: sum(f1)' WHEN 2 THEN 'crm.tree_score, model from a scalar subquery'
				  ELSE 'CASE of crm.tree_to_sql' END AS query,
	   median_ms, median_ratio_to_first AS ratio_to_scan_floor
  FROM bench.tree_compare(2, 3,
		$$SELECT sum(f1) FROM bench.tree_rows$$,
		$$SELECT sum(crm.tree_score((SELECT model FROM bench.tree_models WHERE name = 'binned'), t)) FROM bench.tree_rows t$$,
		format('SELECT sum(%s) FROM bench.tree_rows t', :'case_sql'));
DROP TABLE bench.tree_rows, bench.tree_train, bench.tree_holdout, bench.tree_models;
DROP FUNCTION bench.tree_fit(text, jsonb);
DROP FUNCTION bench.tree_compare(integer, integer, text[]);
\set remove_cmd 'rm -f ' :train_csv ' ' :holdout_csv
COPY (SELECT 1) TO PROGRAM :'remove_cmd';
