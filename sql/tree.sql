-- Decision trees (src/tree.c, src/tree_train.c, src/auc.c): a tree small
-- enough to check by hand, NULL and categorical handling, multi-class,
-- rules, the CASE expression, the JSON and binary round trips, evaluation.

-- 10 rows; c: a = 3 no + 1 yes, b = 2 yes, c = 4 yes.
CREATE TABLE tiny (x integer, c text, y boolean);
INSERT INTO tiny VALUES (1, 'a', false), (2, 'b', true), (3, 'a', false), (4, 'b', true), (5, 'a', false),
	(6, 'c', true), (7, 'c', true), (8, 'a', true), (9, 'c', true), (10, 'c', true);

-- Gini by hand (weighted: rows x impurity; lower is better):
--   root (3 false, 7 true): 10 x (1 - 0.3^2 - 0.7^2) = 10 x 0.42 = 4.2
--   c in (a) | (b, c):  4 x (1 - (3/4)^2 - (1/4)^2) + 6 x 0 = 4 x 0.375 = 1.5   <- best
--   x <= 5.5:           5 x (1 - 0.6^2 - 0.4^2) + 5 x 0 = 5 x 0.48 = 2.4
--   (levels ordered by share of true: a 0.25, b 1, c 1; the exact best of all subsets)
--   node c = a (x 1, 3, 5 false; 8 true): x <= 6.5 (midpoint of 5 and 8) gives
--   (3 false) | (1 true), impurity 0.
-- No NULL in training: NULL goes to the larger child (right at the root: 6
-- rows > 4; left under it: 3 rows > 1).
CREATE TABLE tiny_model AS
SELECT crm.tree_train('tiny', 'y', '{"min_samples_split": 2, "min_samples_leaf": 1, "cp": 0}') AS m;
SELECT m FROM tiny_model;
SELECT * FROM crm.tree_rules((SELECT m FROM tiny_model));
SELECT x, c, y, crm.tree_score(m, t) AS p, crm.tree_predict(m, t), crm.tree_probabilities(m, t), crm.tree_leaf(m, t)
  FROM tiny t, tiny_model ORDER BY x;
-- importances: c 4.2 - 1.5 = 2.7, x 1.5 - 0 = 1.5: 2.7 / 4.2 = 0.642857, 1.5 / 4.2 = 0.357143
SELECT feature, round(importance::numeric, 6) FROM crm.tree_importance((SELECT m FROM tiny_model));
SELECT crm.tree_info(m) FROM tiny_model;

-- NULL and an unseen level take the default direction; columns are bound by
-- name (order and extra columns do not matter), any record works
SELECT v.note, crm.tree_score(m, v) AS p
  FROM tiny_model, (VALUES ('c NULL: right at the root', 1, NULL::text),
						   ('c unseen: right at the root', 1, 'z'),
						   ('x NULL under c = a: left', NULL, 'a'),
						   ('x 7 under c = a: right', 7, 'a')) AS v(note, x, c);
SELECT crm.tree_score(m, r) FROM tiny_model, (SELECT 'a'::varchar AS c, 99::bigint AS x, now() AS extra) r;
SELECT crm.tree_score(m, r) FROM tiny_model, (SELECT 'a'::char(3) AS c, 1.5::numeric AS x) r;

-- crm.tree_score on a table's whole row is planned as crm.tree_score_columns
-- over its columns (no composite value per row); the same scores as the
-- record path (a subquery's row is an anonymous record), and NULL for the
-- missing side of an outer join, as for a NULL row
EXPLAIN (VERBOSE, COSTS OFF) SELECT crm.tree_score(m, t) FROM tiny t, tiny_model;
SELECT count(*) AS rows, count(*) FILTER (WHERE crm.tree_score(m, t) = crm.tree_score(m, s)) AS same
  FROM tiny t JOIN (SELECT * FROM tiny OFFSET 0) s USING (x), tiny_model;
SELECT g, crm.tree_score(m, t) FROM generate_series(9, 11) g LEFT JOIN tiny t ON t.x = g, tiny_model ORDER BY g;
-- with a NOT NULL column the rewrite knows a NULL row exactly: a row whose
-- features are all NULL is scored (default directions), a missing one is NULL
CREATE TABLE tiny_pk (id integer PRIMARY KEY, x integer, c text);
INSERT INTO tiny_pk VALUES (1, NULL, NULL), (2, 8, 'a');
EXPLAIN (VERBOSE, COSTS OFF) SELECT crm.tree_score(m, t) FROM tiny_pk t, tiny_model;
SELECT g, crm.tree_score(m, t) FROM generate_series(1, 3) g LEFT JOIN tiny_pk t ON t.id = g, tiny_model ORDER BY g;
-- a view's row (the planner pulls the view up into ROW(...)): rewritten too
CREATE VIEW tiny_view AS SELECT x * 1 AS x, upper(c) AS c_upper, lower(upper(c)) AS c FROM tiny;
EXPLAIN (VERBOSE, COSTS OFF) SELECT crm.tree_score(m, v) FROM tiny_view v, tiny_model;
SELECT count(*) AS rows, count(*) FILTER (WHERE crm.tree_score(m, v) = crm.tree_score(m, t)) AS same
  FROM tiny_view v JOIN tiny t USING (x), tiny_model;

-- default options (rpart's: min_samples_split 20) keep the root: 7 / 10
SELECT crm.tree_score(crm.tree_train('tiny', 'y'), t) FROM tiny t WHERE x = 1;

-- the same data and options give the same tree, in any row order
SELECT crm.tree_train('SELECT * FROM tiny ORDER BY x DESC', 'y', '{"min_samples_split": 2, "min_samples_leaf": 1, "cp": 0}')::text
	 = m::text AS same_tree
  FROM tiny_model;

-- min_samples_leaf 2: the node c = a (4 rows) cannot make a leaf of 1 row
SELECT rule, samples, class_counts, probability
  FROM crm.tree_rules(crm.tree_train('tiny', 'y', '{"min_samples_split": 2, "min_samples_leaf": 2, "cp": 0}'));
-- cp: the split under c = a removes 1 misclassified row; alpha = cp x 3
-- (root misclassified): kept at cp 0.3 (0.9 < 1), pruned at cp 0.34 (1.02 >= 1)
SELECT (crm.tree_info(crm.tree_train('tiny', 'y', '{"min_samples_split": 2, "min_samples_leaf": 1, "cp": 0.3}'))->>'leaves') AS leaves_cp_03,
	   (crm.tree_info(crm.tree_train('tiny', 'y', '{"min_samples_split": 2, "min_samples_leaf": 1, "cp": 0.34}'))->>'leaves') AS leaves_cp_034;
-- entropy: the same splits here; max_depth 1: only the root split
SELECT crm.tree_info(crm.tree_train('tiny', 'y', '{"min_samples_split": 2, "min_samples_leaf": 1, "cp": 0, "criterion": "entropy"}'))->>'criterion' AS criterion,
	   crm.tree_info(crm.tree_train('tiny', 'y', '{"min_samples_split": 2, "min_samples_leaf": 1, "cp": 0, "max_depth": 1}'))->>'depth' AS depth;
-- features / exclude: only x
SELECT rule FROM crm.tree_rules(crm.tree_train('tiny', 'y', '{"min_samples_split": 2, "min_samples_leaf": 1, "cp": 0, "features": ["x"]}'));
SELECT rule FROM crm.tree_rules(crm.tree_train('tiny', 'y', '{"min_samples_split": 2, "min_samples_leaf": 1, "cp": 0, "exclude": ["c"]}'));
-- class weights: false counts 3 times (counts are weighted); the weight column does the same
SELECT rule, class_counts FROM crm.tree_rules(crm.tree_train('tiny', 'y', '{"min_samples_split": 2, "min_samples_leaf": 1, "cp": 0, "class_weight": {"false": 3}}'));
SELECT rule, class_counts FROM crm.tree_rules(crm.tree_train('SELECT x, c, y, CASE WHEN y THEN 1 ELSE 3 END AS w FROM tiny', 'y',
	'{"min_samples_split": 2, "min_samples_leaf": 1, "cp": 0, "weight": "w"}'));
SELECT class_counts FROM crm.tree_rules(crm.tree_train('tiny', 'y', '{"cp": 0, "class_weight": "balanced"}'));

-- NULL features in training: the NULL rows are tried on both sides and go to
-- the better one.  income: 1-5 false, 6-10 true; NULL income: 3 rows, true
-- -> NULL goes right (with the trues).  NULL target: skipped and counted.
CREATE TABLE nulls (income numeric, segment text, buys boolean);
INSERT INTO nulls SELECT g, CASE WHEN g % 2 = 0 THEN 'even' END, g > 5 FROM generate_series(1, 10) g;
INSERT INTO nulls VALUES (NULL, 'x', true), (NULL, 'x', true), (NULL, NULL, true), (3, 'odd', NULL);
CREATE TABLE nulls_model AS
SELECT crm.tree_train('nulls', 'buys', '{"min_samples_split": 2, "min_samples_leaf": 1, "cp": 0}') AS m;
SELECT * FROM crm.tree_rules((SELECT m FROM nulls_model));
SELECT crm.tree_info(m)->'rows' AS rows, crm.tree_info(m)->'skipped' AS skipped FROM nulls_model;
SELECT n.income, n.segment, n.buys, crm.tree_score(m, n) FROM nulls n, nulls_model ORDER BY income, segment;

-- categorical features of every kind: boolean, enum, varchar, char
CREATE TYPE plan AS ENUM ('basic', 'plus', 'premium');
CREATE TABLE kinds (p plan, roaming boolean, region varchar, grade char(2), churn text);
INSERT INTO kinds SELECT (ARRAY['basic', 'plus', 'premium'])[1 + g % 3]::plan, g % 4 = 0,
		(ARRAY['north', 'south'])[1 + g % 2], (ARRAY['A', 'B'])[1 + g / 20],
		CASE WHEN g % 3 = 2 OR (g % 4 = 0 AND g < 20) THEN 'yes' ELSE 'no' END
  FROM generate_series(0, 39) g;
CREATE TABLE kinds_model AS SELECT crm.tree_train('kinds', 'churn', '{"min_samples_split": 2, "min_samples_leaf": 1, "cp": 0}') AS m;
SELECT rule, samples, class_counts, probability, predicted FROM crm.tree_rules((SELECT m FROM kinds_model));
SELECT count(*) AS rows, count(*) FILTER (WHERE crm.tree_predict(m, k) = k.churn) AS predicted_right FROM kinds k, kinds_model;
-- the positive class is "yes" (last in byte order) unless named
SELECT crm.tree_info(m)->>'positive' AS positive,
	   crm.tree_info(crm.tree_train('kinds', 'churn', '{"positive": "no"}'))->>'positive' AS named
  FROM kinds_model;

-- Multi-class: three species by petal length and width
CREATE TABLE flowers AS
SELECT CASE WHEN g <= 10 THEN 'setosa' WHEN g <= 20 THEN 'versicolor' ELSE 'virginica' END AS species,
	   CASE WHEN g <= 10 THEN 1.0 + g / 10.0 WHEN g <= 20 THEN 3.5 + (g - 10) / 5.0 ELSE 4.9 + (g - 20) / 5.0 END AS petal_length,
	   CASE WHEN g <= 10 THEN 0.2 WHEN g <= 20 THEN 1.0 + (g % 4) / 10.0 ELSE 1.5 + (g % 5) / 5.0 END AS petal_width
  FROM generate_series(1, 30) g;
CREATE TABLE flowers_model AS SELECT crm.tree_train('flowers', 'species', '{"min_samples_split": 2, "min_samples_leaf": 1, "cp": 0}') AS m;
SELECT crm.tree_info(m)->'classes' AS classes FROM flowers_model;
SELECT rule, class_counts, predicted FROM crm.tree_rules((SELECT m FROM flowers_model)) ORDER BY leaf;
SELECT species, count(*), count(*) FILTER (WHERE crm.tree_predict(m, f) = species) AS right
  FROM flowers f, flowers_model GROUP BY species ORDER BY species;
SELECT crm.tree_probabilities(m, r) FROM flowers_model, (SELECT 5.0 AS petal_length, 1.2 AS petal_width) r;

-- CASE equivalence: the expression of crm.tree_to_sql gives crm.tree_score on every row
SELECT crm.tree_to_sql(m) FROM tiny_model;
SELECT crm.tree_to_sql(m, 'n') FROM nulls_model;
CREATE FUNCTION case_mismatches(model crm.tree, tab text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
	n bigint;
BEGIN
	EXECUTE format('SELECT count(*) FROM %s t WHERE (%s) IS DISTINCT FROM crm.tree_score($1, t)',
				   tab, crm.tree_to_sql(model, 't')) INTO n USING model;
	RETURN n;
END;
$$;
SELECT case_mismatches(m, 'tiny') AS tiny, (SELECT case_mismatches(m, 'nulls') FROM nulls_model) AS nulls,
	   (SELECT case_mismatches(m, 'kinds') FROM kinds_model) AS kinds,
	   (SELECT case_mismatches(m, 'flowers') FROM flowers_model) AS flowers
  FROM tiny_model;
-- NaN is missing, like NULL: training learns where it goes, and the CASE
-- expression sends it the same way (NaN sorts above every number in SQL)
CREATE TABLE nan_rows (v float8, y boolean);
INSERT INTO nan_rows SELECT g, g > 5 FROM generate_series(1, 10) g;
INSERT INTO nan_rows VALUES ('NaN', false), ('NaN', false), (NULL, false), ('Infinity'::float8 - 'Infinity'::float8, false);
CREATE TABLE nan_model AS SELECT crm.tree_train('nan_rows', 'y', '{"min_samples_split": 2, "min_samples_leaf": 1, "cp": 0}') AS m;
SELECT rule, class_counts FROM crm.tree_rules((SELECT m FROM nan_model));
SELECT v, crm.tree_score(m, n) FROM nan_rows n, nan_model WHERE v IS NULL OR v = 'NaN' OR v IN (5, 6);
SELECT crm.tree_to_sql(m), case_mismatches(m, 'nan_rows') AS mismatches FROM nan_model;

-- Graphviz DOT (crm.tree_to_dot): nodes in node order, a split's left child
-- is its "true" edge.  tiny_model by hand: root c in {a} (NULL and unseen
-- levels go right: "false"), 10 rows 3 false (30.0%) / 7 true (70.0%);
-- n1 x <= 6.5 (NULL left: "true"), 4 rows 3 / 1; leaves n2 3 / 0 (share
-- of true 0: white #ffffff), n3 0 / 1 and n4 0 / 6 (share 1: the color
-- itself, #e58139 by default)
SELECT crm.tree_to_dot(m) FROM tiny_model;
-- multi-class, hand-written, names that need escaping: '"' and '\' are
-- backslash-escaped, '&' is &amp;, a newline &#10;, non-ASCII is copied
-- (UTF-8 database).  Positive class 'Zürich & co': leaf n3 2 of 2 (share
-- 1: #2060c0); leaf n4 2 of 4 (share 0.5: 255 + (32 - 255) / 2 = 143.5 ->
-- 144 = 90, 255 + (96 - 255) / 2 = 175.5 -> 176 = b0, 255 + (192 - 255) / 2
-- = 223.5 -> 224 = e0: #90b0e0, rint rounds half to even); leaf n1 share 0
SELECT crm.tree_to_dot('{"format": "crm.tree", "version": 1, "target": "deal \"outcome\"",
	"classes": ["lost", "won \"big\"", "Zürich & co"], "positive": "Zürich & co",
	"features": [{"name": "Größe\\path", "kind": "continuous"},
				 {"name": "tag \"x\"", "kind": "categorical", "levels": ["a\nb", "日本", "c&d"]}],
	"nodes": [{"feature": "Größe\\path", "threshold": 2.5, "left": 1, "right": 2, "missing": "right", "samples": 8, "counts": [3, 1, 4]},
			  {"samples": 2, "counts": [2, 0, 0]},
			  {"feature": "tag \"x\"", "left_levels": ["a\nb", "日本"], "left": 3, "right": 4, "missing": "left", "samples": 6, "counts": [1, 1, 4]},
			  {"samples": 2, "counts": [0, 0, 2]}, {"samples": 4, "counts": [1, 1, 2]}]}'::crm.tree,
	'{"color": "#2060C0", "rankdir": "LR", "edge_labels": "yes/no"}');

-- JSON round trip: text out and in again gives the same model; binary too (COPY BINARY)
SELECT name, m::text::crm.tree::text = m::text AS json_round_trip
  FROM (SELECT 'tiny', m FROM tiny_model UNION ALL SELECT 'nulls', m FROM nulls_model UNION ALL
		SELECT 'kinds', m FROM kinds_model UNION ALL SELECT 'flowers', m FROM flowers_model) v(name, m);
CREATE TABLE models_copy (m crm.tree);
DO $$
BEGIN
	EXECUTE format('COPY (SELECT m FROM kinds_model) TO %L (FORMAT binary)', current_setting('data_directory') || '/crm_tree_copy.bin');
	EXECUTE format('COPY models_copy FROM %L (FORMAT binary)', current_setting('data_directory') || '/crm_tree_copy.bin');
END;
$$;
SELECT c.m::text = k.m::text AS binary_round_trip FROM models_copy c, kinds_model k;
-- a hand-written model: leaves only need counts; "missing" defaults to left
SELECT crm.tree_score('{"format": "crm.tree", "version": 1, "classes": ["no", "yes"],
	"features": [{"name": "x", "kind": "continuous"}],
	"nodes": [{"feature": "x", "threshold": 2, "left": 1, "right": 2, "counts": [3, 1]},
			  {"counts": [3, 0]}, {"counts": [0, 1]}]}'::crm.tree, r)
  FROM (VALUES (1), (2), (3), (NULL)) r(x);

-- AUC, exact with ties counted half.  Positives 0.9, 0.5, 0.5; negatives 0.5, 0.1:
-- pairs won 0.9: 2; each 0.5: 0.5 + 1 = 1.5; (2 + 1.5 + 1.5) / (3 x 2) = 5 / 6
SELECT crm.auc(s, l) AS auc, abs(crm.auc(s, l) - 5.0 / 6) < 1e-15 AS five_sixths
  FROM (VALUES (0.9, true), (0.5, true), (0.5, true), (0.5, false), (0.1, false), (NULL, true), (0.3, NULL)) v(s, l);
SELECT crm.auc(s, l) FROM (VALUES (0.9, true)) v(s, l);
SELECT crm.auc(s, l) FROM (VALUES (0.9::float8, true)) v(s, l) WHERE false;
-- parallel plan: partial aggregates combined, same result as serial
CREATE TABLE auc_rows AS
SELECT ((g * 7919) % 1000) / 1000.0 AS score, ((g * 7919) % 1000) + (g % 13) * 40 > 700 AS label
  FROM generate_series(1, 200000) g;
ANALYZE auc_rows;
SET max_parallel_workers_per_gather = 0;
CREATE TEMP TABLE auc_serial AS SELECT crm.auc(score, label) AS a FROM auc_rows;
SET max_parallel_workers_per_gather = 2;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
EXPLAIN (COSTS OFF) SELECT crm.auc(score, label) FROM auc_rows;
SELECT crm.auc(score, label) = (SELECT a FROM auc_serial) AS parallel_equals_serial FROM auc_rows;
RESET max_parallel_workers_per_gather;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;

-- lift / gain by group: 10 rows, 7 positive (overall rate 0.7), 5 groups of 2;
-- group 1 (x 10, 9: both positive): lift 1 / 0.7 = 1.4286, gain 2 / 7
SELECT * FROM crm.lift_table('SELECT x / 10.0, y FROM tiny', 5);
-- the gain curve of the same ranking, one row per point from the origin:
-- population 0.2 .. 1, gain 2/7, 4/7, 5/7, 6/7, 7/7 (tiny's 7 positives
-- among x 10 9 | 8 7 | 6 5 | 4 3 | 2 1: 2, 2, 1, 1, 1), lift = gain /
-- population: 10/7 = 1.428571, 10/7, 25/21 = 1.190476, 15/14 = 1.071429, 1
SELECT point, population_share, round(gain::numeric, 6) AS gain, round(lift::numeric, 6) AS lift, min_score
  FROM crm.gain_curve('SELECT x / 10.0, y FROM tiny', 5);
SELECT bool_and(abs(gain - g) < 1e-12 AND abs(lift - g / population_share) < 1e-12) AS exact
  FROM crm.gain_curve('SELECT x / 10.0, y FROM tiny', 5) JOIN (VALUES (1, 2 / 7.0), (2, 4 / 7.0), (3, 5 / 7.0), (4, 6 / 7.0), (5, 1.0)) v(point, g) USING (point);
-- no positive: gain and lift NULL; no row: no point
SELECT * FROM crm.gain_curve('SELECT x, false FROM tiny', 2);
SELECT count(*) FROM crm.gain_curve('SELECT x, y FROM tiny WHERE false');

-- stored models
SELECT name, source, target, options, rows_used, rows_skipped, metrics
  FROM crm.tree_train_model('tiny', 'tiny', 'y', '{"min_samples_split": 2, "min_samples_leaf": 1, "cp": 0}');
SELECT name, rows_used, metrics FROM crm.tree_train_model('tiny', 'SELECT * FROM tiny WHERE x > 2', 'y');
SELECT name, source, rows_used FROM crm.models;
SELECT t.x, crm.tree_score(m.model, t) FROM tiny t, crm.models m WHERE m.name = 'tiny' AND t.x < 3;
DELETE FROM crm.models;

-- one rule for column types, trainer and scorer alike (crm_tree_feature_kind):
-- name is categorical like text, date is no feature in either
CREATE TEMP TABLE kinds AS
SELECT (CASE WHEN g % 2 = 0 THEN 'even' ELSE 'odd' END)::name AS parity, g % 2 = 0 AS y
  FROM generate_series(1, 20) g;
CREATE TEMP TABLE kinds_model AS
SELECT crm.tree_train('kinds', 'y', '{"min_samples_split": 2, "min_samples_leaf": 1}') AS model;
SELECT DISTINCT k.parity, crm.tree_score(m.model, k) AS scored_as_name,
	   crm.tree_score(m.model, t) AS scored_as_text
  FROM kinds_model m, kinds k, LATERAL (SELECT k.parity::text AS parity) t
 ORDER BY 1;
SELECT try($$SELECT crm.tree_train('SELECT DATE ''2025-01-01'' AS d, true AS y', 'y')$$) AS train_date;
SELECT try($$SELECT crm.tree_score(m.model, r) FROM kinds_model m, (SELECT DATE '2025-01-01' AS parity) r$$) AS score_date;
