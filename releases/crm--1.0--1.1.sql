-- crm 1.0 -> 1.1: what changed in the extension's SQL since the 1.0 release
-- (releases/crm--1.0.sql), for ALTER EXTENSION crm UPDATE: every change of
-- 1.1 adds objects, so this is those objects' declarations as src/ has them.
-- test/upgrade.sh checks that it gives a fresh 1.1 install's catalog,
-- object by object.
\echo Use "ALTER EXTENSION crm UPDATE TO '1.1'" to load this file. \quit

-- Lifetime value: Pareto/NBD, shifted-beta-geometric contract retention, BG/BB (src/clv.sql, src/clv.c)
-- Pareto/NBD (Schmittlein, Morrison & Colombo 1987): the same summaries,
-- state records and argument order as bgnbd_fit (state format 3)
CREATE TYPE @extschema@.paretonbd AS (
	r				float8,
	alpha			float8,
	s				float8,
	beta			float8,
	log_likelihood	float8,
	customers		float8,
	iterations		integer,
	converged		boolean
);
COMMENT ON TYPE @extschema@.paretonbd IS
	'A fitted Pareto/NBD model (Schmittlein, Morrison & Colombo 1987): purchase rate lambda ~ Gamma(r, alpha) and dropout rate mu ~ Gamma(s, beta) per time unit of the fit; maximized log-likelihood, total weight of the customers fitted, optimizer iterations, and whether the gradient test of the optimizer was met';

CREATE FUNCTION @extschema@.paretonbd_fit_trans(float8[], integer, float8, float8)
RETURNS float8[] AS 'MODULE_PATHNAME', 'crm_paretonbd_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.paretonbd_fit_trans(float8[], integer, float8, float8, float8)
RETURNS float8[] AS 'MODULE_PATHNAME', 'crm_paretonbd_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.paretonbd_fit_trans(float8[], integer, float8, float8, float8, float8)
RETURNS float8[] AS 'MODULE_PATHNAME', 'crm_paretonbd_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.paretonbd_fit_combine(float8[], float8[])
RETURNS float8[] AS 'MODULE_PATHNAME', 'crm_paretonbd_combine' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.paretonbd_fit_final(float8[])
RETURNS @extschema@.paretonbd AS 'MODULE_PATHNAME', 'crm_paretonbd_final' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.paretonbd_fit_trans(float8[], integer, float8, float8) IS
	'Transition function of crm.paretonbd_fit(x, t_x, T): appends the summary to the float8[] state (header: format 3, penalty, records, 0; records: x, t_x, T, weight)';
COMMENT ON FUNCTION @extschema@.paretonbd_fit_trans(float8[], integer, float8, float8, float8) IS
	'Transition function of crm.paretonbd_fit(x, t_x, T, weight)';
COMMENT ON FUNCTION @extschema@.paretonbd_fit_trans(float8[], integer, float8, float8, float8, float8) IS
	'Transition function of crm.paretonbd_fit(x, t_x, T, weight, penalty)';
COMMENT ON FUNCTION @extschema@.paretonbd_fit_combine(float8[], float8[]) IS
	'Support function of crm.paretonbd_fit: the union of two states, identical summaries merged';
COMMENT ON FUNCTION @extschema@.paretonbd_fit_final(float8[]) IS
	'Support function of crm.paretonbd_fit: the maximum-likelihood crm.paretonbd of a state';

CREATE AGGREGATE @extschema@.paretonbd_fit(x integer, t_x float8, "T" float8) (
	SFUNC = @extschema@.paretonbd_fit_trans, STYPE = float8[], SSPACE = 8224,
	FINALFUNC = @extschema@.paretonbd_fit_final,
	COMBINEFUNC = @extschema@.paretonbd_fit_combine, PARALLEL = SAFE);
CREATE AGGREGATE @extschema@.paretonbd_fit(x integer, t_x float8, "T" float8, weight float8) (
	SFUNC = @extschema@.paretonbd_fit_trans, STYPE = float8[], SSPACE = 8224,
	FINALFUNC = @extschema@.paretonbd_fit_final,
	COMBINEFUNC = @extschema@.paretonbd_fit_combine, PARALLEL = SAFE);
CREATE AGGREGATE @extschema@.paretonbd_fit(x integer, t_x float8, "T" float8, weight float8, penalty float8) (
	SFUNC = @extschema@.paretonbd_fit_trans, STYPE = float8[], SSPACE = 8224,
	FINALFUNC = @extschema@.paretonbd_fit_final,
	COMBINEFUNC = @extschema@.paretonbd_fit_combine, PARALLEL = SAFE);

COMMENT ON AGGREGATE @extschema@.paretonbd_fit(integer, float8, float8) IS
	'Maximum-likelihood Pareto/NBD model of customer summaries (x repeat purchases, t_x first to last purchase, T first purchase to end of calibration, one time unit) as crm.paretonbd; log-space likelihood (Fader & Hardie''s note, 2F1 series chosen by alpha vs beta), BFGS on log-parameters with a central-difference gradient; rows with NULLs are left out; no rows: NULL. Errors (22023): x < 0, t_x outside [0, T], t_x <> 0 with x = 0, non-finite values';
COMMENT ON AGGREGATE @extschema@.paretonbd_fit(integer, float8, float8, float8) IS
	'Pareto/NBD fit of weighted summaries (weight > 0: e.g. the count of customers sharing a summary)';
COMMENT ON AGGREGATE @extschema@.paretonbd_fit(integer, float8, float8, float8, float8) IS
	'Pareto/NBD fit with an L2 penalty (the same on every row, >= 0): maximizes log-likelihood / total weight - penalty * (r^2 + alpha^2 + s^2 + beta^2); log_likelihood reports the unpenalized value';

CREATE FUNCTION @extschema@.paretonbd_p_alive(model @extschema@.paretonbd, x integer, t_x float8, "T" float8)
RETURNS float8 AS 'MODULE_PATHNAME', 'crm_paretonbd_p_alive'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.paretonbd_p_alive(@extschema@.paretonbd, integer, float8, float8) IS
	'Probability that a customer with summary (x, t_x, T) is still alive at T under the Pareto/NBD model (Fader & Hardie''s note, eq. 18), computed in log space. Errors (22023): bad summary, model parameters not positive; (22003): the 2F1 series does not converge (|alpha - beta| / (max(alpha, beta) + t_x) within about 1e-6 of 1)';

CREATE FUNCTION @extschema@.paretonbd_expected_purchases(model @extschema@.paretonbd, t float8, x integer, t_x float8, "T" float8)
RETURNS float8 AS 'MODULE_PATHNAME', 'crm_paretonbd_expected_purchases'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.paretonbd_expected_purchases(@extschema@.paretonbd, float8, integer, float8, float8) IS
	'Expected purchases in the next t time units (of the model) of a customer with summary (x, t_x, T): P(alive) (r + x)(beta + T) / ((alpha + T)(s - 1)) [1 - ((beta + T) / (beta + T + t))^(s - 1)] (Fader & Hardie''s note, eq. 22; its limit at s = 1). Errors (22023): t < 0, bad summary, model parameters not positive';

CREATE FUNCTION @extschema@.paretonbd_expected_purchases_unconditional(model @extschema@.paretonbd, t float8)
RETURNS float8 AS 'MODULE_PATHNAME', 'crm_paretonbd_expected_purchases_unconditional'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.paretonbd_expected_purchases_unconditional(@extschema@.paretonbd, float8) IS
	'E[X(t)]: expected repeat purchases in the first t time units after a customer''s first purchase under the Pareto/NBD model, r beta / (alpha (s - 1)) [1 - (beta / (beta + t))^(s - 1)] (its limit at s = 1)';

-- Shifted-beta-geometric (sBG) contract retention (Fader & Hardie 2007):
-- a fit over contracts (periods, churned [, weight]), state format 4
CREATE TYPE @extschema@.sbg AS (
	alpha			float8,
	beta			float8,
	log_likelihood	float8,
	customers		float8,
	iterations		integer,
	converged		boolean
);
COMMENT ON TYPE @extschema@.sbg IS
	'A fitted shifted-beta-geometric contract retention model (Fader & Hardie 2007): each customer churns at the end of a period with probability theta ~ Beta(alpha, beta); maximized log-likelihood, total weight of the contracts fitted, optimizer iterations, and whether the gradient test of the optimizer was met';

CREATE FUNCTION @extschema@.sbg_fit_trans(float8[], integer, boolean)
RETURNS float8[] AS 'MODULE_PATHNAME', 'crm_sbg_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.sbg_fit_trans(float8[], integer, boolean, float8)
RETURNS float8[] AS 'MODULE_PATHNAME', 'crm_sbg_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.sbg_fit_combine(float8[], float8[])
RETURNS float8[] AS 'MODULE_PATHNAME', 'crm_sbg_combine' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.sbg_fit_final(float8[])
RETURNS @extschema@.sbg AS 'MODULE_PATHNAME', 'crm_sbg_final' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.sbg_fit_trans(float8[], integer, boolean) IS
	'Transition function of crm.sbg_fit(periods, churned): appends the contract to the float8[] state (header: format 4, 0, records, 0; records: periods, churned 0 or 1, weight)';
COMMENT ON FUNCTION @extschema@.sbg_fit_trans(float8[], integer, boolean, float8) IS
	'Transition function of crm.sbg_fit(periods, churned, weight)';
COMMENT ON FUNCTION @extschema@.sbg_fit_combine(float8[], float8[]) IS
	'Support function of crm.sbg_fit: the union of two states, identical records merged';
COMMENT ON FUNCTION @extschema@.sbg_fit_final(float8[]) IS
	'Support function of crm.sbg_fit: the maximum-likelihood crm.sbg of a state';

-- SSPACE: 24 bytes per distinct (periods, churned); 256 to start with.
CREATE AGGREGATE @extschema@.sbg_fit(periods integer, churned boolean) (
	SFUNC = @extschema@.sbg_fit_trans, STYPE = float8[], SSPACE = 6176,
	FINALFUNC = @extschema@.sbg_fit_final,
	COMBINEFUNC = @extschema@.sbg_fit_combine, PARALLEL = SAFE);
CREATE AGGREGATE @extschema@.sbg_fit(periods integer, churned boolean, weight float8) (
	SFUNC = @extschema@.sbg_fit_trans, STYPE = float8[], SSPACE = 6176,
	FINALFUNC = @extschema@.sbg_fit_final,
	COMBINEFUNC = @extschema@.sbg_fit_combine, PARALLEL = SAFE);

COMMENT ON AGGREGATE @extschema@.sbg_fit(integer, boolean) IS
	'Maximum-likelihood shifted-beta-geometric retention model of contracts as crm.sbg: periods = the period the contract ended in when churned (>= 1), else the periods it has completed (>= 0); likelihood B(alpha+1, beta+periods-1)/B(alpha, beta) for a churned contract, B(alpha, beta+periods)/B(alpha, beta) for a running one; BFGS on log-parameters with the analytic gradient; converged is false when no contract churned or none lasted a period (no maximum); rows with NULLs are left out; no rows: NULL. Errors (22023): periods below 1 (churned) or 0 (running)';
COMMENT ON AGGREGATE @extschema@.sbg_fit(integer, boolean, float8) IS
	'sBG fit of weighted contracts (weight > 0: e.g. the count of contracts sharing periods and churned)';

CREATE FUNCTION @extschema@.sbg_survival(model @extschema@.sbg, t integer)
RETURNS float8 AS 'MODULE_PATHNAME', 'crm_sbg_survival'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.sbg_survival(@extschema@.sbg, integer) IS
	'Share of a cohort still under contract after t periods: S(t) = B(alpha, beta + t) / B(alpha, beta) (Fader & Hardie 2007); S(0) = 1. Errors (22023): t < 0, model parameters not positive';

CREATE FUNCTION @extschema@.sbg_retention_rate(model @extschema@.sbg, t integer)
RETURNS float8 AS 'MODULE_PATHNAME', 'crm_sbg_retention_rate'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.sbg_retention_rate(@extschema@.sbg, integer) IS
	'Retention rate of period t, S(t) / S(t - 1) = (beta + t - 1) / (alpha + beta + t - 1) (Fader & Hardie 2007): rises with t as the cohort keeps its loyal customers. Errors (22023): t < 1, model parameters not positive';

CREATE FUNCTION @extschema@.sbg_derl(model @extschema@.sbg, discount float8, periods_survived integer)
RETURNS float8 AS 'MODULE_PATHNAME', 'crm_sbg_derl'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.sbg_derl(@extschema@.sbg, float8, integer) IS
	'Discounted expected residual lifetime, in payments, of a customer who has renewed periods_survived times, at her next renewal decision: sum over k >= 0 of S(n + k + 1) / S(n) / (1 + discount)^k = (beta + n) / (alpha + beta + n) 2F1(1, beta + n + 1; alpha + beta + n + 1; 1 / (1 + discount)) (Fader & Hardie 2010, eq. 6 with n renewals); multiply by the margin per period for a residual value. Errors (22023): discount not positive and finite, periods_survived < 0, model parameters not positive; (22003): discount below about 1e-6';

-- BG/BB for discrete opportunities (Fader, Hardie & Shang 2010), state format 5
CREATE TYPE @extschema@.bgbb AS (
	alpha			float8,
	beta			float8,
	gamma			float8,
	delta			float8,
	log_likelihood	float8,
	customers		float8,
	iterations		integer,
	converged		boolean
);
COMMENT ON TYPE @extschema@.bgbb IS
	'A fitted BG/BB model (Fader, Hardie & Shang 2010): at each opportunity a living customer transacts with probability p ~ Beta(alpha, beta) and then dies with probability theta ~ Beta(gamma, delta); maximized log-likelihood, total weight of the customers fitted, optimizer iterations, and whether the gradient test of the optimizer was met';

CREATE FUNCTION @extschema@.bgbb_fit_trans(float8[], integer, integer, integer)
RETURNS float8[] AS 'MODULE_PATHNAME', 'crm_bgbb_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.bgbb_fit_trans(float8[], integer, integer, integer, float8)
RETURNS float8[] AS 'MODULE_PATHNAME', 'crm_bgbb_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.bgbb_fit_combine(float8[], float8[])
RETURNS float8[] AS 'MODULE_PATHNAME', 'crm_bgbb_combine' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.bgbb_fit_final(float8[])
RETURNS @extschema@.bgbb AS 'MODULE_PATHNAME', 'crm_bgbb_final' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.bgbb_fit_trans(float8[], integer, integer, integer) IS
	'Transition function of crm.bgbb_fit(x, t_x, n): appends the summary to the float8[] state (header: format 5, 0, records, 0; records: x, t_x, n, weight)';
COMMENT ON FUNCTION @extschema@.bgbb_fit_trans(float8[], integer, integer, integer, float8) IS
	'Transition function of crm.bgbb_fit(x, t_x, n, weight)';
COMMENT ON FUNCTION @extschema@.bgbb_fit_combine(float8[], float8[]) IS
	'Support function of crm.bgbb_fit: the union of two states, identical summaries merged';
COMMENT ON FUNCTION @extschema@.bgbb_fit_final(float8[]) IS
	'Support function of crm.bgbb_fit: the maximum-likelihood crm.bgbb of a state';

CREATE AGGREGATE @extschema@.bgbb_fit(x integer, t_x integer, n integer) (
	SFUNC = @extschema@.bgbb_fit_trans, STYPE = float8[], SSPACE = 8224,
	FINALFUNC = @extschema@.bgbb_fit_final,
	COMBINEFUNC = @extschema@.bgbb_fit_combine, PARALLEL = SAFE);
CREATE AGGREGATE @extschema@.bgbb_fit(x integer, t_x integer, n integer, weight float8) (
	SFUNC = @extschema@.bgbb_fit_trans, STYPE = float8[], SSPACE = 8224,
	FINALFUNC = @extschema@.bgbb_fit_final,
	COMBINEFUNC = @extschema@.bgbb_fit_combine, PARALLEL = SAFE);

COMMENT ON AGGREGATE @extschema@.bgbb_fit(integer, integer, integer) IS
	'Maximum-likelihood BG/BB model of discrete-opportunity summaries (x opportunities with a transaction, the last at opportunity t_x, of n observed) as crm.bgbb; log-space likelihood (FHS 2010 eq. 5), BFGS on log-parameters with a central-difference gradient; rows with NULLs are left out; no rows: NULL. Errors (22023): not 0 <= x <= t_x <= n <= 100000, t_x <> 0 with x = 0';
COMMENT ON AGGREGATE @extschema@.bgbb_fit(integer, integer, integer, float8) IS
	'BG/BB fit of weighted summaries (weight > 0: e.g. the count of customers sharing a summary)';

CREATE FUNCTION @extschema@.bgbb_p_alive(model @extschema@.bgbb, x integer, t_x integer, n integer)
RETURNS float8 AS 'MODULE_PATHNAME', 'crm_bgbb_p_alive'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.bgbb_p_alive(@extschema@.bgbb, integer, integer, integer) IS
	'Probability that a customer with summary (x, t_x, n) is alive at opportunity n + 1 (FHS 2010 eq. 11). Errors (22023): bad summary, model parameters not positive';

CREATE FUNCTION @extschema@.bgbb_expected_purchases(model @extschema@.bgbb, periods integer, x integer, t_x integer, n integer)
RETURNS float8 AS 'MODULE_PATHNAME', 'crm_bgbb_expected_purchases'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.bgbb_expected_purchases(@extschema@.bgbb, integer, integer, integer, integer) IS
	'Expected transactions in the next periods opportunities (n + 1 .. n + periods) of a customer with summary (x, t_x, n): FHS 2010 eq. 13 as a sum over the opportunities (no division by gamma - 1). Errors (22023): periods outside 0 .. 100000, bad summary, model parameters not positive';

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

-- The Lorenz curve and concentration of the 80/20 split (src/grades.sql)
-- The concentration of value behind the 80/20 split, chart-ready: the
-- customers of crm.pareto_classes with a value, highest first, values below
-- 0 counted as 0 (a customer who costs more than he brings adds nothing to
-- the positive total the shares are of, as in the Pareto classes).  The
-- curve is the Lorenz curve read from the top (the concentration curve):
-- the share of value of the top p of customers, interpolated linearly
-- within a customer, so that it is exact at every customer and its area
-- gives the Gini coefficient.
CREATE FUNCTION @extschema@.lorenz_curve(as_of date, measure text DEFAULT 'net_value', points integer DEFAULT 100)
RETURNS TABLE (point integer, customer_share float8, value_share float8)
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF points IS NULL OR points < 1 OR points > 100000 THEN
		RAISE EXCEPTION 'lorenz_curve: points must be from 1 to 100000, got %', coalesce(points::text, 'NULL')
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'Give the number of steps of the customer axis, e.g. 100 for percentiles.';
	END IF;
	RETURN QUERY
	WITH v AS (
		SELECT greatest(p.value, 0) AS v, row_number() OVER (ORDER BY p.value DESC) AS i
		  FROM @extschema@.pareto_classes(as_of, measure) p
		 WHERE p.value IS NOT NULL
	), c AS (
		-- before: the value of the customers above this one
		SELECT v.i, v.v, sum(v.v) OVER (ORDER BY v.i) - v.v AS before FROM v
	), t AS (
		SELECT count(*) AS n, sum(v.v) AS total FROM v
	)
	SELECT g.k, g.k::float8 / points,
		   CASE WHEN t.total > 0
				THEN ((c.before + (t.n::numeric * g.k / points - (c.i - 1)) * c.v) / t.total)::float8 END
	  FROM t, generate_series(0, points) g(k),
		   c
	 WHERE t.n > 0 AND c.i = least(floor(t.n::numeric * g.k / points)::bigint + 1, t.n)
	 ORDER BY g.k;
END;
$$;
COMMENT ON FUNCTION @extschema@.lorenz_curve(date, text, integer) IS
	'Lorenz curve of the 80/20 split, chart-ready (one row per point, from point 0 at the origin to points): the customers of crm.pareto_classes(as_of, measure) with a value, highest first, negative values counted as 0; customer_share = point / points of them, value_share = the share of the total positive value the top customer_share bring, interpolated linearly within a customer (exact at every customer); value_share NULL when no value is positive; no rows without customers. Errors: those of crm.pareto_classes; points outside 1..100000 (22023)';

CREATE FUNCTION @extschema@.value_concentration(as_of date, measure text DEFAULT 'net_value')
RETURNS TABLE (customers bigint, positive_value numeric, gini float8,
			   top_20_pct_value_share float8, customer_share_for_80_pct float8)
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
	WITH v AS (
		SELECT greatest(p.value, 0) AS v, row_number() OVER (ORDER BY p.value DESC) AS i
		  FROM @extschema@.pareto_classes(as_of, measure) p
		 WHERE p.value IS NOT NULL
	), c AS (
		SELECT v.i, v.v, sum(v.v) OVER (ORDER BY v.i) - v.v AS before FROM v
	), t AS (
		SELECT count(*) AS n, sum(v.v) AS total FROM v
	)
	SELECT t.n, t.total,
		   -- G = sum over ranks i (highest first) of (n + 1 - 2i) v_i / (n * total)
		   (sum((t.n + 1 - 2 * c.i) * c.v) / (t.n * t.total))::float8,
		   (sum(c.before + (t.n * 0.2 - (c.i - 1)) * c.v)
				FILTER (WHERE c.i = least(floor(t.n * 0.2)::bigint + 1, t.n)) / t.total)::float8,
		   (sum((c.i - 1 + (0.8 * t.total - c.before) / c.v) / t.n)
				FILTER (WHERE c.before < 0.8 * t.total AND c.before + c.v >= 0.8 * t.total))::float8
	  FROM t LEFT JOIN c ON t.total > 0
	 GROUP BY t.n, t.total;
$$;
COMMENT ON FUNCTION @extschema@.value_concentration(date, text) IS
	'How concentrated value is, in one row (the numbers beside crm.lorenz_curve): customers with a value (crm.pareto_classes(as_of, measure), negative values counted as 0), their positive_value, the Gini coefficient (0: all equal, towards 1: one customer brings everything; sum over ranks i, highest first, of (n + 1 - 2i) v_i / (n * total)), the share of value the top 20 % of customers bring, and the share of customers (highest first) that bring 80 % of it, both read off the Lorenz curve (interpolated within a customer). gini and the shares NULL when no value is positive. Errors: those of crm.pareto_classes';

-- Fit checks of the lifetime-value models (src/clv_checks.sql)
-- Days of a time unit of crm.rfm_summary, written once for the checks.
CREATE FUNCTION @extschema@.time_unit_days(unit text)
RETURNS float8
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	CASE unit
		WHEN 'day' THEN RETURN 1;
		WHEN 'week' THEN RETURN 7;
		WHEN 'month' THEN RETURN 30.4375;
		WHEN 'year' THEN RETURN 365.25;
		ELSE
			RAISE EXCEPTION 'unknown time unit "%"', unit
				USING ERRCODE = 'invalid_parameter_value',
					  HINT = 'Use day, week, month (30.4375 days) or year (365.25 days).';
	END CASE;
END;
$$;
COMMENT ON FUNCTION @extschema@.time_unit_days(text) IS
	'Days of a time unit of crm.rfm_summary: day 1, week 7, month 30.4375, year 365.25. Error (22023): unknown unit';

-- The bound of a frequency axis, checked once for the checks.
CREATE FUNCTION @extschema@.max_frequency_checked(max_frequency integer)
RETURNS integer
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF max_frequency < 0 OR max_frequency > 1000 THEN
		RAISE EXCEPTION 'max_frequency % is outside 0..1000', max_frequency
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'Give the largest repeat-purchase count to show on its own, e.g. 7 (larger counts are shown with it).';
	END IF;
	RETURN max_frequency;
END;
$$;
COMMENT ON FUNCTION @extschema@.max_frequency_checked(integer) IS
	'max_frequency of crm.clv_calibration and crm.p_alive_grid, checked: error (22023) outside 0..1000';

--------------------------------------------------------------------------
-- Calibration vs holdout by frequency
--------------------------------------------------------------------------

CREATE FUNCTION @extschema@.clv_calibration(model @extschema@.bgnbd, calibration_end date, holdout_end date,
											unit text DEFAULT 'week', max_frequency integer DEFAULT 7)
RETURNS TABLE (frequency integer, customers bigint, actual_purchases float8, expected_purchases float8)
LANGUAGE sql STABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT least(h.x, a.max_frequency), count(*), avg(h.holdout_purchases)::float8,
		   avg(@extschema@.bgnbd_expected_purchases(model, h.holdout_days / a.days, h.x, h.t_x, h."T"))
	  FROM (SELECT @extschema@.max_frequency_checked(max_frequency), @extschema@.time_unit_days(unit)
			OFFSET 0) a(max_frequency, days),
		   @extschema@.calibration_holdout(calibration_end, holdout_end, unit) h
	 GROUP BY 1 ORDER BY 1;
$$;

CREATE FUNCTION @extschema@.clv_calibration(model @extschema@.paretonbd, calibration_end date, holdout_end date,
											unit text DEFAULT 'week', max_frequency integer DEFAULT 7)
RETURNS TABLE (frequency integer, customers bigint, actual_purchases float8, expected_purchases float8)
LANGUAGE sql STABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT least(h.x, a.max_frequency), count(*), avg(h.holdout_purchases)::float8,
		   avg(@extschema@.paretonbd_expected_purchases(model, h.holdout_days / a.days, h.x, h.t_x, h."T"))
	  FROM (SELECT @extschema@.max_frequency_checked(max_frequency), @extschema@.time_unit_days(unit)
			OFFSET 0) a(max_frequency, days),
		   @extschema@.calibration_holdout(calibration_end, holdout_end, unit) h
	 GROUP BY 1 ORDER BY 1;
$$;

COMMENT ON FUNCTION @extschema@.clv_calibration(@extschema@.bgnbd, date, date, text, integer) IS
	'Calibration vs holdout by frequency (FHL 2005 figure 5, lifetimes'' plot_calibration_purchases_vs_holdout_purchases), chart-ready: the customers of crm.calibration_holdout(calibration_end, holdout_end, unit) grouped by their repeat purchases x in the calibration period (x >= max_frequency in the row of max_frequency), with the mean purchases in the holdout period, actual and expected by the BG/NBD model given each customer''s (x, t_x, T) (crm.bgnbd_expected_purchases over the holdout length). The model must be fitted on the same summary (same calibration_end and unit). Errors: those of crm.calibration_holdout; max_frequency outside 0..1000 (22023)';
COMMENT ON FUNCTION @extschema@.clv_calibration(@extschema@.paretonbd, date, date, text, integer) IS
	'crm.clv_calibration with a Pareto/NBD model (crm.paretonbd_expected_purchases)';

--------------------------------------------------------------------------
-- Tracking: repeat purchases per period, actual and expected
--------------------------------------------------------------------------

-- The periods of a tracking chart and the cohort behind each: the
-- customers whose first purchase (a purchase: an order with an amount; a
-- day: a date in the session time zone) is on or before calibration_end;
-- periods of one unit from the first of those first purchases to
-- holdout_end (the last one cut at holdout_end); their repeat purchase
-- days per period; and at each period's last day, the customers by first
-- purchase day and their age then in units (the expected repeat purchases
-- of a customer by then are the model's E[X(age)]).
CREATE FUNCTION @extschema@.clv_tracking_cohorts(calibration_end date, holdout_end date, unit text)
RETURNS TABLE (period integer, period_start date, period_end date, in_holdout boolean, actual bigint,
			   cohort_customers bigint[], cohort_ages float8[])
LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	u	float8 := @extschema@.time_unit_days(unit);
BEGIN
	IF holdout_end < calibration_end THEN
		RAISE EXCEPTION 'clv_tracking: holdout_end % is before calibration_end %', holdout_end, calibration_end
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'The holdout period runs from the day after calibration_end to holdout_end.';
	END IF;
	RETURN QUERY
	WITH days AS (
		SELECT o.customer_id, (o.ordered_at::date) AS day
		  FROM @extschema@.orders o
		 WHERE o.ordered_at < (holdout_end + 1)::timestamptz AND o.amount IS NOT NULL
		 GROUP BY 1, 2
	), births AS (
		SELECT d.customer_id, min(d.day) AS birth
		  FROM days d GROUP BY 1 HAVING min(d.day) <= calibration_end
	), cohorts AS (
		SELECT b.birth, count(*) AS customers FROM births b GROUP BY 1
	), origin AS (
		SELECT min(c.birth) AS first_day FROM cohorts c
	), periods AS (
		SELECT k, o.first_day + ceil((k - 1) * u)::integer AS p_start,
			   least(o.first_day + ceil(k * u)::integer - 1, holdout_end) AS p_end
		  FROM origin o, generate_series(1, ceil((holdout_end + 1 - o.first_day) / u)::integer) k
	), repeats AS (
		SELECT floor((d.day - o.first_day) / u)::integer + 1 AS k, count(*) AS n
		  FROM days d JOIN births b ON b.customer_id = d.customer_id AND d.day > b.birth, origin o
		 GROUP BY 1
	)
	SELECT p.k, p.p_start, p.p_end, p.p_start > calibration_end, coalesce(r.n, 0),
		   array_agg(c.customers ORDER BY c.birth),
		   array_agg((p.p_end - c.birth) / u ORDER BY c.birth)
	  FROM periods p
	  JOIN cohorts c ON c.birth <= p.p_end
	  LEFT JOIN repeats r ON r.k = p.k
	 GROUP BY p.k, p.p_start, p.p_end, r.n
	 ORDER BY p.k;
END;
$$;
COMMENT ON FUNCTION @extschema@.clv_tracking_cohorts(date, date, text) IS
	'The rows crm.clv_tracking draws from: periods of one unit from the first purchase day of the cohort (customers whose first purchase is on or before calibration_end) to holdout_end (the last period cut there), whether a period starts after calibration_end, the cohort''s repeat purchase days in it, and per first purchase day up to its last day the customers (cohort_customers) and their age at the end of its last day in units (cohort_ages). Days are dates in the session time zone; orders without amount are not purchases. Errors (22023): holdout_end before calibration_end, unknown unit';

CREATE FUNCTION @extschema@.clv_tracking(model @extschema@.bgnbd, calibration_end date, holdout_end date,
										 unit text DEFAULT 'week')
RETURNS TABLE (period integer, period_start date, period_end date, in_holdout boolean,
			   actual bigint, expected float8, cumulative_actual bigint, cumulative_expected float8)
LANGUAGE sql STABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT t.period, t.period_start, t.period_end, t.in_holdout, t.actual,
		   e.cumulative - coalesce(lag(e.cumulative) OVER w, 0), (sum(t.actual) OVER w)::bigint, e.cumulative
	  FROM @extschema@.clv_tracking_cohorts(calibration_end, holdout_end, unit) t,
		   LATERAL (SELECT sum(c.customers * @extschema@.bgnbd_expected_purchases_unconditional(model, c.age)) AS cumulative
					  FROM unnest(t.cohort_customers, t.cohort_ages) c(customers, age)) e
	WINDOW w AS (ORDER BY t.period)
	 ORDER BY t.period;
$$;

CREATE FUNCTION @extschema@.clv_tracking(model @extschema@.paretonbd, calibration_end date, holdout_end date,
										 unit text DEFAULT 'week')
RETURNS TABLE (period integer, period_start date, period_end date, in_holdout boolean,
			   actual bigint, expected float8, cumulative_actual bigint, cumulative_expected float8)
LANGUAGE sql STABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT t.period, t.period_start, t.period_end, t.in_holdout, t.actual,
		   e.cumulative - coalesce(lag(e.cumulative) OVER w, 0), (sum(t.actual) OVER w)::bigint, e.cumulative
	  FROM @extschema@.clv_tracking_cohorts(calibration_end, holdout_end, unit) t,
		   LATERAL (SELECT sum(c.customers * @extschema@.paretonbd_expected_purchases_unconditional(model, c.age)) AS cumulative
					  FROM unnest(t.cohort_customers, t.cohort_ages) c(customers, age)) e
	WINDOW w AS (ORDER BY t.period)
	 ORDER BY t.period;
$$;
COMMENT ON FUNCTION @extschema@.clv_tracking(@extschema@.bgnbd, date, date, text) IS
	'Tracking of repeat purchases (FHL 2005 figures 2 and 3; BTYD''s tracking plots), chart-ready: per period of one unit (week) from the first purchase of the cohort (customers whose first purchase is on or before calibration_end) to holdout_end, the cohort''s repeat purchase days in it (actual) and the BG/NBD expectation (expected: the sum over customers of crm.bgnbd_expected_purchases_unconditional at their age at the period''s last day, minus the same at the previous period), and both cumulative; in_holdout marks the periods after calibration_end. The periods and cohorts come from crm.clv_tracking_cohorts. Errors (22023): holdout_end before calibration_end, unknown unit';
COMMENT ON FUNCTION @extschema@.clv_tracking(@extschema@.paretonbd, date, date, text) IS
	'crm.clv_tracking with a Pareto/NBD model (crm.paretonbd_expected_purchases_unconditional)';

--------------------------------------------------------------------------
-- P(alive) over recency x frequency
--------------------------------------------------------------------------

-- The grid of a P(alive) matrix: (x, t_x) for x = 0..max_frequency and
-- t_x = T * i / recency_points, i = 0..recency_points; x = 0 at t_x = 0
-- only (a customer without repeat purchases has recency 0).
CREATE FUNCTION @extschema@.p_alive_cells("T" float8, max_frequency integer, recency_points integer)
RETURNS TABLE (frequency integer, recency float8)
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF NOT ("T" > 0 AND "T" < 'Infinity') THEN
		RAISE EXCEPTION 'p_alive_grid: T must be a positive finite age, got %', "T"
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'Give the customers'' age in the model''s time unit, e.g. 39 (weeks).';
	END IF;
	IF recency_points < 1 OR recency_points > 1000 THEN
		RAISE EXCEPTION 'p_alive_grid: recency_points % is outside 1..1000', recency_points
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'Give the number of recency steps from 0 to T, e.g. 20.';
	END IF;
	RETURN QUERY
	SELECT x, "T" * i / recency_points
	  FROM generate_series(0, @extschema@.max_frequency_checked(max_frequency)) x,
		   generate_series(0, recency_points) i
	 WHERE x > 0 OR i = 0
	 ORDER BY x, i;
END;
$$;
COMMENT ON FUNCTION @extschema@.p_alive_cells(float8, integer, integer) IS
	'The cells of crm.p_alive_grid: frequency 0..max_frequency by recency T * i / recency_points (i = 0..recency_points), frequency 0 at recency 0 only. Errors (22023): T not positive and finite, max_frequency outside 0..1000, recency_points outside 1..1000';

CREATE FUNCTION @extschema@.p_alive_grid(model @extschema@.bgnbd, "T" float8, max_frequency integer DEFAULT 20,
										 recency_points integer DEFAULT 20)
RETURNS TABLE (frequency integer, recency float8, p_alive float8)
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT g.frequency, g.recency, @extschema@.bgnbd_p_alive(model, g.frequency, g.recency, "T")
	  FROM @extschema@.p_alive_cells("T", max_frequency, recency_points) g;
$$;

CREATE FUNCTION @extschema@.p_alive_grid(model @extschema@.paretonbd, "T" float8, max_frequency integer DEFAULT 20,
										 recency_points integer DEFAULT 20)
RETURNS TABLE (frequency integer, recency float8, p_alive float8)
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT g.frequency, g.recency, @extschema@.paretonbd_p_alive(model, g.frequency, g.recency, "T")
	  FROM @extschema@.p_alive_cells("T", max_frequency, recency_points) g;
$$;
COMMENT ON FUNCTION @extschema@.p_alive_grid(@extschema@.bgnbd, float8, integer, integer) IS
	'P(alive) over a recency x frequency grid at age T (lifetimes'' plot_probability_alive_matrix), chart-ready for a heat map: crm.bgnbd_p_alive for every cell of crm.p_alive_cells (frequency 0..max_frequency, recency T * i / recency_points; frequency 0 at recency 0 only). Errors (22023): T not positive and finite, max_frequency outside 0..1000, recency_points outside 1..1000';
COMMENT ON FUNCTION @extschema@.p_alive_grid(@extschema@.paretonbd, float8, integer, integer) IS
	'crm.p_alive_grid with a Pareto/NBD model (crm.paretonbd_p_alive)';
