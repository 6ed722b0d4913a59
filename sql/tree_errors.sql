-- Every way a crm.tree value, a training call or a scoring call can be
-- wrong, with the message a user reads (public.try from setup.sql).

-- a valid model to vary: x <= 2 -> left, categorical c: a -> left
CREATE TEMP TABLE good (j jsonb);
INSERT INTO good VALUES ('{"format": "crm.tree", "version": 1, "classes": ["no", "yes"],
	"features": [{"name": "x", "kind": "continuous"}, {"name": "c", "kind": "categorical", "levels": ["a", "b"]}],
	"nodes": [{"feature": "x", "threshold": 2, "left": 1, "right": 2, "counts": [3, 2]},
			  {"counts": [3, 0]},
			  {"feature": "c", "left_levels": ["a"], "left": 3, "right": 4, "missing": "right", "counts": [0, 2]},
			  {"counts": [0, 1]}, {"counts": [0, 1]}]}');
SELECT try(format('SELECT %L::crm.tree', j)) AS valid FROM good;

-- Bad JSON models: each is the valid one with one thing broken
SELECT note, try(format('SELECT %L::crm.tree', bad)) AS error
  FROM good, LATERAL (VALUES
	('not JSON', 'nodes: []'),
	('not an object', '[1, 2]'),
	('no format', (j - 'format')::text),
	('wrong format', jsonb_set(j, '{format}', '"sklearn"')::text),
	('no version', (j - 'version')::text),
	('version 2', jsonb_set(j, '{version}', '2')::text),
	('unknown key', jsonb_set(j, '{colour}', '"red"')::text),
	('bad criterion', jsonb_set(j, '{criterion}', '"mse"')::text),
	('classes not an array', jsonb_set(j, '{classes}', '"yes"')::text),
	('no classes', jsonb_set(j, '{classes}', '[]')::text),
	('class not a string', jsonb_set(j, '{classes,1}', '1')::text),
	('duplicate class', jsonb_set(j, '{classes,1}', '"no"')::text),
	('positive not a class', jsonb_set(j, '{positive}', '"maybe"')::text),
	('no features', (j - 'features')::text),
	('feature without name', (j #- '{features,0,name}')::text),
	('empty feature name', jsonb_set(j, '{features,0,name}', '""')::text),
	('duplicate feature', jsonb_set(j, '{features,1,name}', '"x"')::text),
	('bad kind', jsonb_set(j, '{features,0,kind}', '"ordinal"')::text),
	('continuous with levels', jsonb_set(j, '{features,0,levels}', '["a"]')::text),
	('categorical without levels', (j #- '{features,1,levels}')::text),
	('duplicate level', jsonb_set(j, '{features,1,levels,1}', '"a"')::text),
	('unknown feature key', jsonb_set(j, '{features,0,unit}', '"eur"')::text),
	('nulls not a boolean', jsonb_set(j, '{features,0,nulls}', '"yes"')::text),
	('no nodes', jsonb_set(j, '{nodes}', '[]')::text),
	('node not an object', jsonb_set(j, '{nodes,1}', '3')::text),
	('no counts', (j #- '{nodes,1,counts}')::text),
	('counts for 3 classes', jsonb_set(j, '{nodes,1,counts}', '[1, 2, 3]')::text),
	('negative count', jsonb_set(j, '{nodes,1,counts}', '[-1, 2]')::text),
	('zero counts', jsonb_set(j, '{nodes,1,counts}', '[0, 0]')::text),
	('count not a number', jsonb_set(j, '{nodes,1,counts,0}', '"3"')::text),
	('count too large', jsonb_set(j, '{nodes,1,counts,0}', '1e400')::text),
	('negative samples', jsonb_set(j, '{nodes,1,samples}', '-5')::text),
	('fractional samples', jsonb_set(j, '{nodes,1,samples}', '2.5')::text),
	('unknown split feature', jsonb_set(j, '{nodes,0,feature}', '"z"')::text),
	('no left', (j #- '{nodes,0,left}')::text),
	('no right', (j #- '{nodes,0,right}')::text),
	('child before parent (cycle)', jsonb_set(j, '{nodes,2,left}', '0')::text),
	('child is itself', jsonb_set(j, '{nodes,2,left}', '2')::text),
	('child out of range', jsonb_set(j, '{nodes,2,right}', '5')::text),
	('child index not integer', jsonb_set(j, '{nodes,2,right}', '3.5')::text),
	('same child twice', jsonb_set(j, '{nodes,2,right}', '3')::text),
	('node with two parents', jsonb_set(j, '{nodes,0,right}', '3')::text),
	('unreachable node', jsonb_set(j, '{nodes}', (j->'nodes') || '[{"counts": [1, 1]}]')::text),
	('no threshold', (j #- '{nodes,0,threshold}')::text),
	('threshold not a number', jsonb_set(j, '{nodes,0,threshold}', '"2"')::text),
	('threshold too large', jsonb_set(j, '{nodes,0,threshold}', '1e309')::text),
	('threshold on categorical', jsonb_set(j, '{nodes,2,threshold}', '1')::text),
	('left_levels on continuous', jsonb_set(j, '{nodes,0,left_levels}', '["a"]')::text),
	('no left_levels', (j #- '{nodes,2,left_levels}')::text),
	('unknown level', jsonb_set(j, '{nodes,2,left_levels}', '["z"]')::text),
	('level twice', jsonb_set(j, '{nodes,2,left_levels}', '["a", "a"]')::text),
	('bad missing', jsonb_set(j, '{nodes,2,missing}', '"up"')::text),
	('leaf with split keys', jsonb_set(j, '{nodes,1,threshold}', '1')::text),
	('unknown node key', jsonb_set(j, '{nodes,1,depth}', '1')::text),
	('negative rows', jsonb_set(j, '{rows}', '-1')::text)
  ) AS v(note, bad);

-- Scoring: features are bound by name; a missing column or an incompatible type
CREATE TEMP TABLE m AS SELECT j::text::crm.tree AS m FROM good;
SELECT try($$SELECT crm.tree_score(m, r) FROM m, (SELECT 1 AS x) r$$) AS missing_column;
SELECT try($$SELECT crm.tree_score(m, r) FROM m, (SELECT 'a'::text AS x, 'a' AS c) r$$) AS text_for_continuous;
SELECT try($$SELECT crm.tree_score(m, r) FROM m, (SELECT 1 AS x, 7 AS c) r$$) AS number_for_categorical;
SELECT try($$SELECT crm.tree_score(m, r) FROM m, (SELECT 1 AS x, now()::date AS c) r$$) AS date_for_categorical;
SELECT crm.tree_score(NULL, r), crm.tree_score(m, NULL::record) IS NULL AS null_row
  FROM m, (SELECT 1 AS x, 'a' AS c) r;
SELECT try($$SELECT crm.tree_to_sql(m, '') FROM m$$) AS empty_alias;
SELECT crm.tree_to_sql(NULL) IS NULL AS null_model;
-- crm.tree_to_dot: options
SELECT note, try(format('SELECT crm.tree_to_dot(m, %L) FROM m', o)) AS error FROM (VALUES
	('not an object', '[]'),
	('unknown option', '{"colour": "#ff0000"}'),
	('color not a string', '{"color": 1}'),
	('color not #rrggbb', '{"color": "red"}'),
	('color bad hex', '{"color": "#12345g"}'),
	('rankdir', '{"rankdir": "tb"}'),
	('edge_labels', '{"edge_labels": "1/0"}')) v(note, o);
SELECT crm.tree_to_dot(NULL) IS NULL AS null_model, crm.tree_to_dot(m, NULL) IS NULL AS null_options FROM m;

-- Training: bad arguments and options
CREATE TEMP TABLE train (x integer, c text, d date, y boolean);
INSERT INTO train VALUES (1, 'a', '2025-01-01', true), (2, 'b', '2025-01-02', false);
SELECT note, try(statement) AS error FROM (VALUES
	('no such table', $$SELECT crm.tree_train('no_such_table', 'y')$$),
	('no such target', $$SELECT crm.tree_train('train', 'z', '{"exclude": ["d"]}')$$),
	('date feature', $$SELECT crm.tree_train('train', 'y')$$),
	('unknown feature', $$SELECT crm.tree_train('train', 'y', '{"features": ["x", "q"]}')$$),
	('unknown excluded', $$SELECT crm.tree_train('train', 'y', '{"exclude": ["q"]}')$$),
	('features not an array', $$SELECT crm.tree_train('train', 'y', '{"features": "x"}')$$),
	('unknown option', $$SELECT crm.tree_train('train', 'y', '{"depth": 3}')$$),
	('options not an object', $$SELECT crm.tree_train('train', 'y', '[1]')$$),
	('bad criterion', $$SELECT crm.tree_train('train', 'y', '{"criterion": "mse", "exclude": ["d"]}')$$),
	('max_depth 0', $$SELECT crm.tree_train('train', 'y', '{"max_depth": 0}')$$),
	('max_depth 2.5', $$SELECT crm.tree_train('train', 'y', '{"max_depth": 2.5}')$$),
	('max_depth text', $$SELECT crm.tree_train('train', 'y', '{"max_depth": "3"}')$$),
	('min_samples_split 1', $$SELECT crm.tree_train('train', 'y', '{"min_samples_split": 1}')$$),
	('min_samples_leaf 0', $$SELECT crm.tree_train('train', 'y', '{"min_samples_leaf": 0}')$$),
	('cp 2', $$SELECT crm.tree_train('train', 'y', '{"cp": 2}')$$),
	('bins 1', $$SELECT crm.tree_train('train', 'y', '{"bins": 1}')$$),
	('positive not a class', $$SELECT crm.tree_train('train', 'y', '{"positive": "yes", "exclude": ["d"]}')$$),
	('class_weight not a class', $$SELECT crm.tree_train('train', 'y', '{"class_weight": {"yes": 2}, "exclude": ["d"]}')$$),
	('class_weight negative', $$SELECT crm.tree_train('train', 'y', '{"class_weight": {"true": -2}, "exclude": ["d"]}')$$),
	('class_weight a number', $$SELECT crm.tree_train('train', 'y', '{"class_weight": 2}')$$),
	('weight column missing', $$SELECT crm.tree_train('train', 'y', '{"weight": "w"}')$$),
	('weight column text', $$SELECT crm.tree_train('train', 'y', '{"weight": "c", "exclude": ["d"]}')$$),
	('negative weight', $$SELECT crm.tree_train('SELECT x, y, -1 AS w FROM train', 'y', '{"weight": "w"}')$$),
	('no rows', $$SELECT crm.tree_train('SELECT x, y FROM train WHERE false', 'y')$$),
	('only NULL targets', $$SELECT crm.tree_train('SELECT x, NULL::boolean AS y FROM train', 'y')$$),
	('infinite value', $$SELECT crm.tree_train('SELECT ''Infinity''::float8 AS x, y FROM train', 'y')$$),
	('query error', $$SELECT crm.tree_train('SELECT nonsense FROM train', 'y')$$),
	('NULL source', $$SELECT crm.tree_train(NULL, 'y')$$),
	('not a query', $$SELECT crm.tree_train('DELETE FROM train', 'y')$$)
  ) AS v(note, statement);
SELECT count(*) AS rows_left FROM train;

-- Evaluation and stored models
SELECT try($$SELECT * FROM crm.lift_table('SELECT 0.5, true', 0)$$) AS zero_groups;
SELECT try($$SELECT * FROM crm.gain_curve('SELECT 0.5, true', 0)$$) AS zero_points,
       try($$SELECT * FROM crm.gain_curve(NULL)$$) AS null_source,
       try($$SELECT * FROM crm.gain_curve('SELECT ''NaN''::float8, true')$$) AS nan_score;
SELECT try($$SELECT crm.tree_train_model(' ', 'train', 'y', '{"exclude": ["d"]}')$$) AS blank_name;
