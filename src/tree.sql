-- tree.sql: decision trees (C in tree.c, tree_train.c, auc.c).
--
-- Train a CART tree on a table, view or query, keep it as a crm.tree value
-- (or under a name in crm.models), score rows by column name, explain it as
-- rules, export it as a SQL CASE expression, evaluate it with crm.auc and
-- crm.lift_table:
--
--   SELECT crm.tree_train_model('offer', 'offer_customers', 'uses_offer',
--                               '{"exclude": ["customer_id"]}');
--   SELECT * FROM crm.tree_rules((SELECT model FROM crm.models WHERE name = 'offer'));
--   SELECT c.customer_id, crm.tree_score(m.model, c) AS p
--     FROM offer_customers c, crm.models m
--    WHERE m.name = 'offer' AND NOT c.uses_offer ORDER BY p DESC;
--
-- The JSON text form of crm.tree is documented in the README.

CREATE TYPE @extschema@.tree;

CREATE FUNCTION @extschema@.tree_in(cstring) RETURNS @extschema@.tree
	AS 'MODULE_PATHNAME', 'crm_tree_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.tree_out(@extschema@.tree) RETURNS cstring
	AS 'MODULE_PATHNAME', 'crm_tree_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.tree_recv(internal) RETURNS @extschema@.tree
	AS 'MODULE_PATHNAME', 'crm_tree_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.tree_send(@extschema@.tree) RETURNS bytea
	AS 'MODULE_PATHNAME', 'crm_tree_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE @extschema@.tree (
	INPUT = @extschema@.tree_in,
	OUTPUT = @extschema@.tree_out,
	RECEIVE = @extschema@.tree_recv,
	SEND = @extschema@.tree_send,
	INTERNALLENGTH = VARIABLE,
	ALIGNMENT = double,
	STORAGE = external
);
COMMENT ON TYPE @extschema@.tree IS
	'A fitted CART decision tree (stored uncompressed, out of line above 2 kB, so that a scorer recognizes a model it has cached by its 18-byte toast pointer): features (names, continuous or categorical with levels), classes, and only the nodes that exist (split, children, default direction for NULL, class counts); text form is JSON, validated on input';

COMMENT ON FUNCTION @extschema@.tree_in(cstring) IS
	'Text input of crm.tree: the JSON form, every reference and number validated';
COMMENT ON FUNCTION @extschema@.tree_out(@extschema@.tree) IS
	'Text output of crm.tree: the JSON form (round-trips exactly)';
COMMENT ON FUNCTION @extschema@.tree_recv(internal) IS
	'Binary input of crm.tree: a version byte 1 and the JSON text, validated as text input is';
COMMENT ON FUNCTION @extschema@.tree_send(@extschema@.tree) IS
	'Binary output of crm.tree: a version byte 1 and the JSON text';

CREATE FUNCTION @extschema@.tree_train(source text, target text, options jsonb DEFAULT '{}')
RETURNS @extschema@.tree
	AS 'MODULE_PATHNAME', 'crm_tree_train' LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION @extschema@.tree_train(text, text, jsonb) IS
	'Train a CART decision tree on source (a table or view name, or a SELECT/WITH/VALUES/TABLE query) to predict column target from every other column (numbers continuous; boolean, text, enum categorical); options: criterion, max_depth, min_samples_split, min_samples_leaf, cp, bins, class_weight, weight, features, exclude, positive; rows with a NULL target are skipped and counted';

CREATE FUNCTION @extschema@.tree_score_columns(model @extschema@.tree, columns text[], null_row integer, VARIADIC "any") RETURNS float8
	AS 'MODULE_PATHNAME', 'crm_tree_score_columns' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.tree_score_columns(@extschema@.tree, text[], integer, "any") IS
	'crm.tree_score with the row passed as column names and values: the planner''s rewrite of crm.tree_score on a table''s or view''s whole row. null_row: -1 the row is never NULL, n >= 0 it is NULL when column n (NOT NULL) is, -2 when every column is';

CREATE FUNCTION @extschema@.tree_support(internal) RETURNS internal
	AS 'MODULE_PATHNAME', 'crm_tree_support' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.tree_support(internal) IS
	'Planner support of crm.tree_score: a call on a table''s or view''s whole row becomes crm.tree_score_columns over its columns, so no composite value is formed per row';

CREATE FUNCTION @extschema@.tree_score(model @extschema@.tree, features record) RETURNS float8
	AS 'MODULE_PATHNAME', 'crm_tree_score' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
	SUPPORT @extschema@.tree_support;
COMMENT ON FUNCTION @extschema@.tree_score(@extschema@.tree, record) IS
	'Probability (0..1) of the model''s positive class for a row: features are the row''s columns of the same names, bound once per query';

CREATE FUNCTION @extschema@.tree_predict(model @extschema@.tree, features record) RETURNS text
	AS 'MODULE_PATHNAME', 'crm_tree_predict' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.tree_predict(@extschema@.tree, record) IS
	'Predicted class of a row (the majority class of its leaf; on a tie the first in class order), as text';

CREATE FUNCTION @extschema@.tree_probabilities(model @extschema@.tree, features record) RETURNS float8[]
	AS 'MODULE_PATHNAME', 'crm_tree_probabilities' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.tree_probabilities(@extschema@.tree, record) IS
	'Probabilities (0..1) of every class for a row, in the order of the model''s classes (crm.tree_info)';

CREATE FUNCTION @extschema@.tree_leaf(model @extschema@.tree, features record) RETURNS integer
	AS 'MODULE_PATHNAME', 'crm_tree_leaf' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.tree_leaf(@extschema@.tree, record) IS
	'The node number of the leaf a row reaches: joins to crm.tree_rules(model).leaf';

CREATE FUNCTION @extschema@.tree_info(model @extschema@.tree) RETURNS jsonb
	AS 'MODULE_PATHNAME', 'crm_tree_info' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.tree_info(@extschema@.tree) IS
	'Summary of a model as JSON: target, classes, positive class, criterion, features, nodes, leaves, depth, training rows used and skipped, size in bytes';

CREATE FUNCTION @extschema@.tree_rules(model @extschema@.tree)
RETURNS TABLE (leaf integer, rule text, samples bigint, class_counts float8[], probability float8, predicted text)
	AS 'MODULE_PATHNAME', 'crm_tree_rules' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 20;
COMMENT ON FUNCTION @extschema@.tree_rules(@extschema@.tree) IS
	'One row per leaf, highest positive-class probability first: the rule (conditions of the path, merged per feature), training rows, weighted class counts, probability (0..1) of the positive class, predicted class';

CREATE FUNCTION @extschema@.tree_to_sql(model @extschema@.tree, row_alias text DEFAULT NULL) RETURNS text
	AS 'MODULE_PATHNAME', 'crm_tree_to_sql' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.tree_to_sql(@extschema@.tree, text) IS
	'A SQL CASE expression giving the same positive-class probability as crm.tree_score, over columns named like the features (qualified with row_alias when given): for databases without crm';

CREATE FUNCTION @extschema@.tree_to_dot(model @extschema@.tree, options jsonb DEFAULT '{}') RETURNS text
	AS 'MODULE_PATHNAME', 'crm_tree_to_dot' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.tree_to_dot(@extschema@.tree, jsonb) IS
	'Graphviz DOT text of the tree (render with dot -Tsvg): per node the split (the left child is the "true" edge) and where NULL goes, training rows, weighted count and share (%) of every class, predicted class; leaves filled from white to options.color by the share of the positive class; options: color ("#rrggbb"), rankdir ("TB", "LR", "BT", "RL"), edge_labels ("true/false" or "yes/no")';

CREATE FUNCTION @extschema@.tree_importance(model @extschema@.tree)
RETURNS TABLE (feature text, importance float8)
	AS 'MODULE_PATHNAME', 'crm_tree_importance' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 10;
COMMENT ON FUNCTION @extschema@.tree_importance(@extschema@.tree) IS
	'Feature importances (mean decrease in impurity, summing to 1; scikit-learn''s feature_importances_), most important first';

-- Evaluation --------------------------------------------------------------

CREATE FUNCTION @extschema@.auc_trans(internal, float8, boolean) RETURNS internal
	AS 'MODULE_PATHNAME', 'crm_auc_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.auc_combine(internal, internal) RETURNS internal
	AS 'MODULE_PATHNAME', 'crm_auc_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.auc_serialize(internal) RETURNS bytea
	AS 'MODULE_PATHNAME', 'crm_auc_serialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.auc_deserialize(bytea, internal) RETURNS internal
	AS 'MODULE_PATHNAME', 'crm_auc_deserialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.auc_final(internal) RETURNS float8
	AS 'MODULE_PATHNAME', 'crm_auc_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.auc_trans(internal, float8, boolean) IS 'Transition function of crm.auc: keeps the score under its label';
COMMENT ON FUNCTION @extschema@.auc_combine(internal, internal) IS 'Combine function of crm.auc (parallel query)';
COMMENT ON FUNCTION @extschema@.auc_serialize(internal) IS 'Serialize function of crm.auc: version 1, counts, scores as float8';
COMMENT ON FUNCTION @extschema@.auc_deserialize(bytea, internal) IS 'Deserialize function of crm.auc; checks the length';
COMMENT ON FUNCTION @extschema@.auc_final(internal) IS 'Final function of crm.auc: exact AUC, ties counted half';

CREATE AGGREGATE @extschema@.auc(score float8, label boolean) (
	SFUNC = @extschema@.auc_trans,
	STYPE = internal,
	SSPACE = 4096,
	COMBINEFUNC = @extschema@.auc_combine,
	SERIALFUNC = @extschema@.auc_serialize,
	DESERIALFUNC = @extschema@.auc_deserialize,
	FINALFUNC = @extschema@.auc_final,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.auc(float8, boolean) IS
	'Exact area under the ROC curve (0..1): the probability that a positive row scores above a negative one, ties counted half; rows with a NULL score or label are ignored; NULL without both classes. Keeps 8 bytes per row; under Citus the rows are gathered on the coordinator';

CREATE FUNCTION @extschema@.lift_table(source text, groups integer DEFAULT 10)
RETURNS TABLE (grp integer, rows bigint, positives float8, positive_rate float8, lift float8,
			   cumulative_rows bigint, cumulative_positives float8, gain float8,
			   min_score float8, max_score float8)
LANGUAGE plpgsql STABLE PARALLEL UNSAFE
AS $$
DECLARE
	scored	text;		-- the (score, label) rows, as SQL
	r		record;
	msg		text;
	detail	text;
	hint	text;
	state	text;
BEGIN
	IF source IS NULL OR groups IS NULL OR groups < 1 OR groups > 1000 THEN
		RAISE EXCEPTION 'lift_table: source must be given and groups must be from 1 to 1000, got %',
			coalesce(groups::text, 'NULL')
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'Pass a table, view or query of (score, label) rows, and 10 for deciles, 20 for ventiles.';
	END IF;
	-- As crm.tree_train reads its source: a query starting with SELECT,
	-- WITH, VALUES or TABLE as it is (its first two columns are the score
	-- and the label), otherwise the name of a table or view with columns
	-- named score and label.
	IF source OPERATOR(pg_catalog.~*) '^[[:space:](]*(select|with|values|table)([^[:alnum:]_]|$)' THEN
		scored := pg_catalog.format('SELECT q.score::double precision AS score, q.label::boolean AS label FROM (%s) AS q (score, label)', source);
	ELSIF source OPERATOR(pg_catalog.~) '[[:space:]]' AND pg_catalog.strpos(source, '"') OPERATOR(pg_catalog.=) 0 THEN
		RAISE EXCEPTION 'lift_table: source "%" is neither a table or view name nor a query', source
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'Pass a table or view name (optionally schema-qualified) with columns score and label, or a query starting with SELECT, WITH, VALUES or TABLE.';
	ELSE
		scored := pg_catalog.format('SELECT q.score::double precision AS score, q.label::boolean AS label FROM %s AS q',
						 source::regclass);
	END IF;
	-- Rows of equal score are one block: a group boundary inside a block
	-- shares the block's positives pro rata (each row counts the block's
	-- positive rate), so the table does not depend on the order of ties.
	-- The caller's query runs with the caller's search_path (its names are
	-- the caller's); everything of this function's own is schema-qualified.
	-- A NaN score cannot be ranked (PostgreSQL sorts it above Infinity):
	-- counted, and refused below.
	BEGIN
		FOR r IN EXECUTE pg_catalog.format($q$
			WITH s AS (
				SELECT q.score, q.label FROM (%s) AS q
				 WHERE q.score IS NOT NULL AND q.label IS NOT NULL),
			e AS (
				SELECT score, pg_catalog.avg(label::integer) OVER (PARTITION BY score)::double precision AS expected FROM s),
			g AS (
				SELECT pg_catalog.ntile(%s) OVER (ORDER BY score DESC) AS grp, score, expected FROM e),
			t AS (
				SELECT grp, pg_catalog.count(*) AS n, pg_catalog.sum(expected) AS pos, pg_catalog.min(score) AS lo,
					   pg_catalog.max(score) AS hi
				  FROM g GROUP BY grp),
			a AS (SELECT pg_catalog.sum(n) AS n, pg_catalog.sum(pos) AS pos FROM t),
			nan AS (SELECT pg_catalog.count(*) AS n FROM s WHERE s.score OPERATOR(pg_catalog.=) 'NaN')
			SELECT t.grp::integer AS grp, t.n, t.pos, t.pos OPERATOR(pg_catalog./) t.n AS rate,
				   CASE WHEN a.pos OPERATOR(pg_catalog.>) 0
						THEN (t.pos OPERATOR(pg_catalog./) t.n) OPERATOR(pg_catalog./) (a.pos OPERATOR(pg_catalog./) a.n) END AS lift,
				   (pg_catalog.sum(t.n) OVER w)::bigint AS cn, pg_catalog.sum(t.pos) OVER w AS cpos,
				   CASE WHEN a.pos OPERATOR(pg_catalog.>) 0 THEN pg_catalog.sum(t.pos) OVER w OPERATOR(pg_catalog./) a.pos END AS gain,
				   t.lo, t.hi, nan.n AS nan
			  FROM t, a, nan
			WINDOW w AS (ORDER BY t.grp)
			 ORDER BY t.grp$q$, scored, groups)
		LOOP
			IF r.nan > 0 THEN
				RAISE EXCEPTION 'lift_table: % rows have the score NaN', r.nan
					USING ERRCODE = 'invalid_parameter_value',
						  HINT = 'Filter out NaN scores, or make them NULL: rows with a NULL score or label are left out.';
			END IF;
			grp := r.grp; rows := r.n; positives := r.pos; positive_rate := r.rate; lift := r.lift;
			cumulative_rows := r.cn; cumulative_positives := r.cpos; gain := r.gain;
			min_score := r.lo; max_score := r.hi;
			RETURN NEXT;
		END LOOP;
	EXCEPTION WHEN OTHERS THEN
		-- the error as the source caused it, without the query generated
		-- around it (which says nothing to the caller)
		GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT, detail = PG_EXCEPTION_DETAIL,
								hint = PG_EXCEPTION_HINT, state = RETURNED_SQLSTATE;
		IF pg_catalog.starts_with(msg, 'lift_table: ') IS NOT TRUE THEN
			msg := pg_catalog.concat('lift_table: ', msg);
		END IF;
		IF hint OPERATOR(pg_catalog.=) '' THEN
			hint := 'The source must give (score, label) rows: a query''s first two columns, or a table''s or view''s columns score and label.';
		END IF;
		IF detail OPERATOR(pg_catalog.=) '' THEN
			RAISE EXCEPTION USING ERRCODE = state, MESSAGE = msg, HINT = hint;
		END IF;
		RAISE EXCEPTION USING ERRCODE = state, MESSAGE = msg, DETAIL = detail, HINT = hint;
	END;
END;
$$;
COMMENT ON FUNCTION @extschema@.lift_table(text, integer) IS
	'Lift and gain table of a scoring: source is a query (starting with SELECT, WITH, VALUES or TABLE; its first two columns are the score and the boolean label) or the name of a table or view with columns score and label, as crm.tree_train takes its source; rows are ranked by score descending into groups of equal size (10: deciles); per group rows, positives (rows of a tied score share its block''s positives pro rata), positive rate (0..1), lift (rate / overall rate), cumulative rows and positives, gain (share 0..1 of all positives found so far), score range. Rows with a NULL score or label are left out. Errors: groups outside 1..1000 (22023), a source neither a name nor a query (22023), NaN scores (22023); an error of the source is reported as it is, prefixed lift_table:, without the query built around it';

CREATE FUNCTION @extschema@.gain_curve(source text, points integer DEFAULT 100)
RETURNS TABLE (point integer, population_share float8, gain float8, lift float8, min_score float8)
LANGUAGE plpgsql STABLE PARALLEL UNSAFE
AS $$
BEGIN
	IF source IS NULL OR points IS NULL OR points < 1 OR points > 1000 THEN
		RAISE EXCEPTION 'gain_curve: source must be given and points must be from 1 to 1000, got %',
			coalesce(points::text, 'NULL')
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'Pass a table, view or query of (score, label) rows, and 100 for percentiles, 10 for deciles.';
	END IF;
	-- crm.lift_table reads the source (the caller's names, so no pinned
	-- search_path here: everything of this function is schema-qualified)
	-- and ranks it into points groups of equal size, ties shared pro rata;
	-- point 0 is the origin of the chart.
	RETURN QUERY
	WITH l AS (SELECT * FROM @extschema@.lift_table(source, points)),
	n AS (SELECT pg_catalog.max(l.cumulative_rows)::double precision AS n FROM l)
	SELECT 0, 0::double precision, CASE WHEN pg_catalog.bool_or(l.gain IS NOT NULL) THEN 0::double precision END,
		   NULL::double precision, NULL::double precision
	  FROM l HAVING pg_catalog.count(*) OPERATOR(pg_catalog.>) 0
	UNION ALL
	SELECT l.grp, l.cumulative_rows OPERATOR(pg_catalog./) n.n, l.gain,
		   l.gain OPERATOR(pg_catalog./) (l.cumulative_rows OPERATOR(pg_catalog./) n.n), l.min_score
	  FROM l, n
	 ORDER BY 1;
END;
$$;
COMMENT ON FUNCTION @extschema@.gain_curve(text, integer) IS
	'Cumulative gain chart of a scoring, chart-ready (one row per point, from point 0 at the origin): source as crm.lift_table (a table or view with columns score and label, or a query of (score, label) rows); the rows are ranked by score descending into points groups of equal size (ties shared pro rata); population_share (0..1) of rows up to the point, gain (0..1) the share of all positives they hold, lift the cumulative lift gain / population_share, min_score the lowest score of the point''s group; gain and lift NULL without positives';

-- Stored models -----------------------------------------------------------

CREATE TABLE @extschema@.models (
	name			text PRIMARY KEY CHECK (pg_catalog.btrim(name) OPERATOR(pg_catalog.<>) ''),
	model			@extschema@.tree NOT NULL,
	source			text NOT NULL,
	target			text NOT NULL,
	options			jsonb NOT NULL DEFAULT '{}',
	trained_at		timestamptz NOT NULL DEFAULT pg_catalog.now(),
	rows_used		bigint NOT NULL CHECK (rows_used OPERATOR(pg_catalog.>=) 0),
	rows_skipped	bigint NOT NULL CHECK (rows_skipped OPERATOR(pg_catalog.>=) 0),
	metrics			jsonb NOT NULL DEFAULT '{}',
	trained_by		text NOT NULL DEFAULT CURRENT_USER,
	shared			boolean NOT NULL DEFAULT false,
	CONSTRAINT models_trained_at_finite CHECK (pg_catalog.isfinite(trained_at))
);
COMMENT ON TABLE @extschema@.models IS 'Trained decision trees by name (crm.tree_train_model); a reference table under Citus';
COMMENT ON COLUMN @extschema@.models.name IS 'Model name, not blank';
COMMENT ON COLUMN @extschema@.models.model IS 'The fitted tree';
COMMENT ON COLUMN @extschema@.models.source IS 'Table, view or query it was trained on';
COMMENT ON COLUMN @extschema@.models.target IS 'Target column';
COMMENT ON COLUMN @extschema@.models.options IS 'Training options as passed to crm.tree_train';
COMMENT ON COLUMN @extschema@.models.trained_at IS 'When it was trained';
COMMENT ON COLUMN @extschema@.models.rows_used IS 'Training rows used';
COMMENT ON COLUMN @extschema@.models.rows_skipped IS 'Training rows skipped (NULL target, or NULL or zero weight)';
COMMENT ON COLUMN @extschema@.models.metrics IS 'Training metrics: accuracy and (two classes) auc on the training rows, depth, leaves, nodes';
COMMENT ON COLUMN @extschema@.models.trained_by IS 'Role that trained it: under row-level security the model shows what that role could read, so only it and managers see the model until it is shared';
COMMENT ON COLUMN @extschema@.models.shared IS 'Set by its trainer (or a manager) to let every role see and score with the model, knowing its rules show values of the training rows; training it again unshares it';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.models', '');

CREATE FUNCTION @extschema@.tree_train_model(name text, source text, target text, options jsonb DEFAULT '{}')
RETURNS @extschema@.models
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
AS $$
DECLARE
	m @extschema@.tree;
	info jsonb;
	rel text;
	acc float8;
	a float8;
	result @extschema@.models;
	trained timestamptz := pg_catalog.now();	-- a value: Citus ships no now() in ON CONFLICT DO UPDATE
BEGIN
	IF name IS NULL OR pg_catalog.btrim(name) OPERATOR(pg_catalog.=) '' THEN
		RAISE EXCEPTION 'model name must not be empty'
			USING ERRCODE = 'invalid_parameter_value', HINT = 'Name the model, e.g. ''offer''.';
	END IF;
	m := @extschema@.tree_train(source, target, coalesce(options, '{}'));
	info := @extschema@.tree_info(m);
	-- the training rows again, scored: source as the query or the relation.
	-- The source is the caller's, resolved with the caller's search_path;
	-- everything of this function's own is schema-qualified.
	IF source OPERATOR(pg_catalog.~*) '^[\s(]*(select|with|values|table)\M' THEN
		rel := pg_catalog.concat('(', source, ')');
	ELSE
		rel := source::pg_catalog.regclass::pg_catalog.text;
	END IF;
	EXECUTE pg_catalog.format('SELECT pg_catalog.avg((@extschema@.tree_predict($1, s) OPERATOR(pg_catalog.=) s.%1$I::pg_catalog.text)::integer)::double precision,
						   @extschema@.auc(@extschema@.tree_score($1, s), s.%1$I::pg_catalog.text OPERATOR(pg_catalog.=) $2)
					  FROM %2$s AS s WHERE s.%1$I IS NOT NULL', target, rel)
		INTO acc, a USING m, info OPERATOR(pg_catalog.->>) 'positive';
	INSERT INTO @extschema@.models AS o (name, model, source, target, options, rows_used, rows_skipped, metrics)
	VALUES (name, m, source, target, coalesce(options, '{}'), (info OPERATOR(pg_catalog.->>) 'rows')::bigint,
			(info OPERATOR(pg_catalog.->>) 'skipped')::bigint,
			pg_catalog.jsonb_build_object('accuracy', acc,
				'auc', CASE WHEN pg_catalog.jsonb_array_length(info OPERATOR(pg_catalog.->) 'classes') OPERATOR(pg_catalog.=) 2 THEN a END,
				'depth', info OPERATOR(pg_catalog.->) 'depth', 'leaves', info OPERATOR(pg_catalog.->) 'leaves',
				'nodes', info OPERATOR(pg_catalog.->) 'nodes'))
	ON CONFLICT ON CONSTRAINT models_pkey DO UPDATE
	   SET model = excluded.model, source = excluded.source, target = excluded.target,
		   options = excluded.options, trained_at = trained, rows_used = excluded.rows_used,
		   rows_skipped = excluded.rows_skipped, metrics = excluded.metrics,
		   trained_by = excluded.trained_by, shared = false
	RETURNING * INTO result;
	RETURN result;
END;
$$;
COMMENT ON FUNCTION @extschema@.tree_train_model(text, text, text, jsonb) IS
	'Train a tree (crm.tree_train) and store it in crm.models under name (replacing a model of that name) with row counts and training metrics (accuracy, AUC for two classes, depth, leaves, nodes); returns the stored row';
