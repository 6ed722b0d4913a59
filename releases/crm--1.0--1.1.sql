-- crm 1.0 -> 1.1: what changed in the extension's SQL since the 1.0 release
-- (releases/crm--1.0.sql), for ALTER EXTENSION crm UPDATE.  test/upgrade.sh
-- checks that it gives a fresh 1.1 install's catalog, object by object.
\echo Use "ALTER EXTENSION crm UPDATE TO '1.1'" to load this file. \quit

-- Decision trees as Graphviz diagrams (src/tree.sql, src/tree_explain.c)
CREATE FUNCTION @extschema@.tree_to_dot(model @extschema@.tree, options jsonb DEFAULT '{}') RETURNS text
	AS 'MODULE_PATHNAME', 'crm_tree_to_dot' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.tree_to_dot(@extschema@.tree, jsonb) IS
	'Graphviz DOT text of the tree (render with dot -Tsvg): per node the split (the left child is the "true" edge) and where NULL goes, training rows, weighted count and share (%) of every class, predicted class; leaves filled from white to options.color by the share of the positive class; options: color ("#rrggbb"), rankdir ("TB", "LR", "BT", "RL"), edge_labels ("true/false" or "yes/no")';

-- The cumulative gain chart of a scoring (src/tree.sql)
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
