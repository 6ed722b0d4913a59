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

-- Pipeline management: the state of every opportunity as of a moment,
-- what changed in the pipeline and the waterfall (src/pipeline.sql)

CREATE FUNCTION @extschema@.opportunities_as_of(at timestamptz)
RETURNS TABLE (opportunity_id bigint, customer_id bigint, pipeline text, stage text,
			   status @extschema@.opportunity_status, amount numeric, owner text,
			   created_at timestamptz, stage_entered_at timestamptz, last_change_at timestamptz)
LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
BEGIN
	IF NOT isfinite(at) THEN
		RAISE EXCEPTION 'opportunities_as_of: at must be a finite point in time, got %', at
			USING ERRCODE = 'datetime_field_overflow',
				  HINT = 'Pass the moment whose pipeline you want, e.g. ''2025-12-31 24:00+00''.';
	END IF;
	-- One sort of the history by opportunity: the row that gives the state
	-- first (applied rows latest first, then pending rows earliest first),
	-- the window over the whole partition for the times.  Joined on
	-- customer_id and the opportunity, as the keys are.
	RETURN QUERY
	SELECT o.id, o.customer_id, o.pipeline,
		   coalesce(h.stage, o.stage), coalesce(h.status, o.status),
		   coalesce(h.amount, o.amount), coalesce(h.owner, o.owner),
		   o.created_at,
		   coalesce(h.stage_entered_at, o.created_at),
		   h.last_change_at
	  FROM @extschema@.opportunities o
	  LEFT JOIN (
			SELECT DISTINCT ON (x.customer_id, x.opportunity_id)
				   x.customer_id, x.opportunity_id,
				   CASE WHEN x.changed_at <= opportunities_as_of.at THEN x.new_stage ELSE x.old_stage END AS stage,
				   CASE WHEN x.changed_at <= opportunities_as_of.at THEN x.new_status ELSE x.old_status END AS status,
				   CASE WHEN x.changed_at <= opportunities_as_of.at THEN x.new_amount ELSE x.old_amount END AS amount,
				   CASE WHEN x.changed_at <= opportunities_as_of.at THEN x.new_owner ELSE x.old_owner END AS owner,
				   max(x.changed_at) FILTER (WHERE x.changed_at <= opportunities_as_of.at
											   AND x.old_stage IS DISTINCT FROM x.new_stage) OVER w AS stage_entered_at,
				   max(x.changed_at) FILTER (WHERE x.changed_at <= opportunities_as_of.at) OVER w AS last_change_at
			  FROM @extschema@.opportunity_history x
			WINDOW w AS (PARTITION BY x.customer_id, x.opportunity_id
						 ORDER BY x.changed_at <= opportunities_as_of.at DESC,
								  CASE WHEN x.changed_at <= opportunities_as_of.at THEN x.changed_at END DESC,
								  CASE WHEN x.changed_at <= opportunities_as_of.at THEN x.id END DESC,
								  x.changed_at, x.id
						 ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)
			 ORDER BY x.customer_id, x.opportunity_id,
					  x.changed_at <= opportunities_as_of.at DESC,
					  CASE WHEN x.changed_at <= opportunities_as_of.at THEN x.changed_at END DESC,
					  CASE WHEN x.changed_at <= opportunities_as_of.at THEN x.id END DESC,
					  x.changed_at, x.id) h
		ON h.customer_id = o.customer_id AND h.opportunity_id = o.id
	 WHERE o.created_at <= opportunities_as_of.at;
END;
$$;
COMMENT ON FUNCTION @extschema@.opportunities_as_of(timestamptz) IS
	'Every opportunity that existed at the moment at (created_at <= at) with its stage, status, amount and owner as of then, reconstructed from crm.opportunity_history: the new values of its last history row at or before at (by changed_at, then id), else the old values of its first row, else its current values (a NULL in a history column stands for the current value); the pipeline is the current one; stage_entered_at = its last stage change at or before at, else created_at; last_change_at = its last history row at or before at (NULL: none). expected_close and win_probability have no history and are not given. Deleted opportunities are gone from the past too. Errors: infinite at (22008)';

--------------------------------------------------------------------------
-- What changed in the pipeline
--------------------------------------------------------------------------

-- The arguments of pipeline_changes and pipeline_waterfall, checked once:
-- each mistake its own error.
CREATE FUNCTION @extschema@.check_period(fn text, from_at timestamptz, to_at timestamptz, pipeline_name text)
RETURNS void
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF from_at IS NULL OR to_at IS NULL THEN
		RAISE EXCEPTION '%: from_at and to_at must not be NULL', fn
			USING ERRCODE = 'null_value_not_allowed',
				  HINT = 'Give the start and the end of the period, e.g. ''2025-10-01'' and ''2025-12-31 24:00''.';
	END IF;
	IF NOT isfinite(from_at) OR NOT isfinite(to_at) THEN
		RAISE EXCEPTION '%: the period must have finite ends, got % to %', fn, from_at, to_at
			USING ERRCODE = 'datetime_field_overflow',
				  HINT = 'The pipeline before the first deal is empty: give the start of the period you want.';
	END IF;
	IF from_at > to_at THEN
		RAISE EXCEPTION '%: from_at % is after to_at %', fn, from_at, to_at
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'Swap the two: the changes run from from_at (excluded) to to_at (included).';
	END IF;
	IF pipeline_name IS NOT NULL THEN
		PERFORM @extschema@.known_pipeline(pipeline_name);
	END IF;
END;
$$;
COMMENT ON FUNCTION @extschema@.check_period(text, timestamptz, timestamptz, text) IS
	'Argument check of crm.pipeline_changes and crm.pipeline_waterfall (fn names the caller in the messages): NULL ends (22004), an infinite end (22008), from_at after to_at (22023), an unknown pipeline (22023, crm.known_pipeline)';

CREATE FUNCTION @extschema@.pipeline_changes(from_at timestamptz, to_at timestamptz, pipeline_name text DEFAULT NULL)
RETURNS TABLE (opportunity_id bigint, customer_id bigint, pipeline text, changed_at timestamptz,
			   changed_by text, change text, old_stage text, new_stage text,
			   old_status @extschema@.opportunity_status, new_status @extschema@.opportunity_status,
			   old_amount numeric, new_amount numeric, owner text, amount_delta numeric)
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
BEGIN
	PERFORM @extschema@.check_period('pipeline_changes', from_at, to_at, pipeline_changes.pipeline_name);
	-- One pass over the history of the deals with an event in the period
	-- (created in it, or with a history row in it), sorted by deal and
	-- time, joined on customer_id and the opportunity as the keys are (so
	-- that under Citus it runs on the shards): each row's before-state is
	-- the previous row's after-state (or its own old values), and the first
	-- row after created_at carries the state at creation in its
	-- before-state (the last row's after-state when every row is at or
	-- before created_at).  Each row gives up to two events: the deal's
	-- creation, when it falls in the period, and its own change, when that
	-- does.  Deals without history add their creation.
	RETURN QUERY
	SELECT e.opportunity_id, e.customer_id, e.pipeline, e.changed_at, e.changed_by,
		   CASE n.ord
			   WHEN 1 THEN 'new'
			   WHEN 2 THEN CASE WHEN e.a_amount > e.b_amount THEN 'amount up' ELSE 'amount down' END
			   WHEN 3 THEN CASE e.a_status WHEN 'open' THEN 'reopened' ELSE e.a_status::text END
			   WHEN 4 THEN CASE WHEN sa.position > sb.position THEN 'stage forward'
								WHEN sa.position < sb.position THEN 'stage back'
								ELSE 'stage changed' END
			   ELSE 'transferred' END,
		   e.b_stage, e.a_stage, e.b_status, e.a_status, e.b_amount, e.a_amount, e.a_owner,
		   CASE n.ord
			   WHEN 1 THEN CASE WHEN e.a_status = 'open' THEN e.a_amount ELSE 0 END
			   WHEN 2 THEN CASE WHEN e.b_status = 'open' THEN e.a_amount - e.b_amount ELSE 0 END
			   WHEN 3 THEN CASE WHEN e.a_status = 'open' THEN e.a_amount ELSE 0 END
						   - CASE WHEN e.b_status = 'open' THEN e.a_amount ELSE 0 END
			   ELSE 0 END
	  FROM (
		SELECT h.opportunity_id, h.customer_id, h.pipeline,
			   CASE WHEN ev.is_new THEN h.created_at ELSE h.changed_at END AS changed_at,
			   CASE WHEN ev.is_new THEN 0 ELSE h.id END AS hid,
			   CASE WHEN NOT ev.is_new THEN h.changed_by END AS changed_by,
			   ev.is_new,
			   CASE WHEN NOT ev.is_new THEN h.b_stage END AS b_stage,
			   CASE WHEN NOT ev.is_new THEN h.b_status END AS b_status,
			   CASE WHEN NOT ev.is_new THEN h.b_amount END AS b_amount,
			   CASE WHEN NOT ev.is_new THEN h.b_owner END AS b_owner,
			   -- the creation's state at created_at: the first row after
			   -- created_at holds it as its before-state
			   CASE WHEN NOT ev.is_new OR h.changed_at <= h.created_at THEN h.a_stage ELSE h.b_stage END AS a_stage,
			   CASE WHEN NOT ev.is_new OR h.changed_at <= h.created_at THEN h.a_status ELSE h.b_status END AS a_status,
			   CASE WHEN NOT ev.is_new OR h.changed_at <= h.created_at THEN h.a_amount ELSE h.b_amount END AS a_amount,
			   CASE WHEN NOT ev.is_new OR h.changed_at <= h.created_at THEN h.a_owner ELSE h.b_owner END AS a_owner
		  FROM (SELECT x.customer_id, x.opportunity_id, x.id, x.changed_at, x.changed_by, o.pipeline, o.created_at,
					   coalesce(lag(x.new_stage, 1, x.old_stage) OVER w, o.stage) AS b_stage,
					   coalesce(lag(x.new_status, 1, x.old_status) OVER w, o.status) AS b_status,
					   coalesce(lag(x.new_amount, 1, x.old_amount) OVER w, o.amount) AS b_amount,
					   coalesce(lag(x.new_owner, 1, x.old_owner) OVER w, o.owner) AS b_owner,
					   coalesce(x.new_stage, o.stage) AS a_stage,
					   coalesce(x.new_status, o.status) AS a_status,
					   coalesce(x.new_amount, o.amount) AS a_amount,
					   coalesce(x.new_owner, o.owner) AS a_owner,
					   lag(x.changed_at) OVER w AS prev_at,
					   lead(x.id) OVER w IS NULL AS is_last
				  FROM @extschema@.opportunity_history x
				  JOIN @extschema@.opportunities o ON o.customer_id = x.customer_id AND o.id = x.opportunity_id
				  -- only the deals with an event: created in the period, or
				  -- with a history row in it
				  JOIN (SELECT y.customer_id, y.opportunity_id FROM @extschema@.opportunity_history y
						 WHERE y.changed_at > pipeline_changes.from_at AND y.changed_at <= pipeline_changes.to_at
						UNION
						SELECT z.customer_id, z.id FROM @extschema@.opportunities z
						 WHERE z.created_at > pipeline_changes.from_at AND z.created_at <= pipeline_changes.to_at) t
					ON t.customer_id = x.customer_id AND t.opportunity_id = x.opportunity_id
				 WHERE o.created_at <= pipeline_changes.to_at
				   AND (pipeline_changes.pipeline_name IS NULL OR o.pipeline = pipeline_changes.pipeline_name)
				WINDOW w AS (PARTITION BY x.customer_id, x.opportunity_id ORDER BY x.changed_at, x.id)) h
		 -- each row gives up to two events: the deal's creation (on the row
		 -- that holds the state at created_at, when created_at falls in the
		 -- period) and its own change (rows at or before created_at are part
		 -- of the state at creation)
		 CROSS JOIN (VALUES (true), (false)) AS ev(is_new)
		 WHERE CASE WHEN ev.is_new
					THEN h.created_at > pipeline_changes.from_at
						 AND ((h.changed_at > h.created_at AND (h.prev_at IS NULL OR h.prev_at <= h.created_at))
							  OR (h.is_last AND h.changed_at <= h.created_at))
					ELSE h.changed_at > pipeline_changes.from_at AND h.changed_at <= pipeline_changes.to_at
						 AND h.changed_at > h.created_at END
		UNION ALL
		SELECT o.id, o.customer_id, o.pipeline, o.created_at, 0, NULL, true, NULL, NULL, NULL, NULL,
			   o.stage, o.status, o.amount, o.owner
		  FROM @extschema@.opportunities o
		 WHERE o.created_at > pipeline_changes.from_at AND o.created_at <= pipeline_changes.to_at
		   AND (pipeline_changes.pipeline_name IS NULL OR o.pipeline = pipeline_changes.pipeline_name)
		   AND NOT EXISTS (SELECT FROM @extschema@.opportunity_history x
							WHERE x.customer_id = o.customer_id AND x.opportunity_id = o.id)) e
	  LEFT JOIN @extschema@.pipeline_stages sb ON sb.pipeline = e.pipeline AND sb.stage = e.b_stage
	  LEFT JOIN @extschema@.pipeline_stages sa ON sa.pipeline = e.pipeline AND sa.stage = e.a_stage
	 -- one row per aspect that changed: new; the amount; the status; the
	 -- stage; the owner
	 CROSS JOIN (VALUES (1), (2), (3), (4), (5)) AS n(ord)
	 WHERE CASE n.ord
			   WHEN 1 THEN e.is_new
			   WHEN 2 THEN NOT e.is_new AND e.a_amount IS DISTINCT FROM e.b_amount
			   WHEN 3 THEN NOT e.is_new AND e.a_status IS DISTINCT FROM e.b_status
			   WHEN 4 THEN NOT e.is_new AND e.a_stage IS DISTINCT FROM e.b_stage
			   ELSE NOT e.is_new AND e.a_owner IS DISTINCT FROM e.b_owner END
	 ORDER BY e.changed_at, e.opportunity_id, e.hid, n.ord;
END;
$$;
COMMENT ON FUNCTION @extschema@.pipeline_changes(timestamptz, timestamptz, text) IS
	'What changed in the open pipeline (status open) from from_at (excluded) to to_at (included), reconstructed from crm.opportunity_history, one row per deal, event and aspect: change is new, amount up, amount down, won, lost, terminated, suspended, reopened, archived, stage forward, stage back, stage changed (a stage not in the pipeline any more) or transferred; amount_delta its effect on the open pipeline, so that the open amount of crm.opportunities_as_of(from_at) plus the sum of amount_delta equals that of crm.opportunities_as_of(to_at) exactly; old_/new_ stage, status and amount around the event (NULL old values for new), owner after it; NULL pipeline_name = all pipelines. Close-date moves (pulled in, pushed out) are not in the history. Errors: NULL ends (22004), infinite ends (22008), from_at after to_at (22023), unknown pipeline (22023)';

CREATE FUNCTION @extschema@.pipeline_waterfall(from_at timestamptz, to_at timestamptz, pipeline_name text DEFAULT NULL)
RETURNS TABLE (step integer, change text, deals bigint, amount numeric)
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
BEGIN
	PERFORM @extschema@.check_period('pipeline_waterfall', from_at, to_at, pipeline_waterfall.pipeline_name);
	RETURN QUERY
	WITH kinds (step, change) AS (VALUES
			(2, 'new'), (3, 'amount up'), (4, 'amount down'), (5, 'won'), (6, 'lost'),
			(7, 'terminated'), (8, 'suspended'), (9, 'reopened'), (10, 'archived'),
			(11, 'stage forward'), (12, 'stage back'), (13, 'stage changed'), (14, 'transferred')),
	c AS (
		SELECT p.change, count(DISTINCT (p.customer_id, p.opportunity_id)) AS deals, sum(p.amount_delta) AS amount
		  FROM @extschema@.pipeline_changes(pipeline_waterfall.from_at, pipeline_waterfall.to_at, pipeline_waterfall.pipeline_name) p
		 GROUP BY p.change),
	ends AS (
		SELECT 1 AS step, 'open at start' AS change, count(*) AS deals, coalesce(sum(a.amount), 0) AS amount
		  FROM @extschema@.opportunities_as_of(pipeline_waterfall.from_at) a
		 WHERE a.status = 'open' AND (pipeline_waterfall.pipeline_name IS NULL OR a.pipeline = pipeline_waterfall.pipeline_name)
		UNION ALL
		SELECT 15, 'open at end', count(*), coalesce(sum(a.amount), 0)
		  FROM @extschema@.opportunities_as_of(pipeline_waterfall.to_at) a
		 WHERE a.status = 'open' AND (pipeline_waterfall.pipeline_name IS NULL OR a.pipeline = pipeline_waterfall.pipeline_name))
	SELECT k.step, k.change, coalesce(c.deals, 0), coalesce(c.amount, 0)
	  FROM kinds k LEFT JOIN c ON c.change = k.change
	UNION ALL
	SELECT e.step, e.change, e.deals, e.amount FROM ends e
	 ORDER BY 1;
END;
$$;
COMMENT ON FUNCTION @extschema@.pipeline_waterfall(timestamptz, timestamptz, text) IS
	'The pipeline waterfall from from_at to to_at: step 1 the open pipeline at from_at (deals, amount), steps 2..14 the sum of amount_delta and the number of deals of each change of crm.pipeline_changes (new, amount up, amount down, won, lost, terminated, suspended, reopened, archived, stage forward, stage back, stage changed, transferred; 0 when none), step 15 the open pipeline at to_at, which equals step 1 plus steps 2..14; NULL pipeline_name = all pipelines. Errors as crm.pipeline_changes';

--------------------------------------------------------------------------
-- The forecast as of a past moment, and its accuracy
--------------------------------------------------------------------------

CREATE FUNCTION @extschema@.forecast_as_of(pipeline text, as_of timestamptz, horizon integer DEFAULT 3)
RETURNS TABLE (owner text, month integer, expected_revenue numeric)
LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
	p		record;
	final	text;		-- the pipeline's final (won) stage
	n		integer;	-- its open stages
BEGIN
	IF NOT isfinite(as_of) THEN
		RAISE EXCEPTION 'forecast_as_of: as_of must be a finite point in time, got %', as_of
			USING ERRCODE = 'datetime_field_overflow',
				  HINT = 'Pass the past moment whose forecast you want, e.g. ''2025-10-01 00:00+00''.';
	END IF;
	IF horizon < 1 OR horizon > 1200 THEN
		RAISE EXCEPTION 'forecast_as_of: horizon % is outside 1..1200 months', horizon
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'Give the number of months after as_of to forecast, e.g. 3.';
	END IF;
	PERFORM @extschema@.known_pipeline(forecast_as_of.pipeline);
	SELECT * INTO p FROM @extschema@.pipeline_funnel(forecast_as_of.pipeline);
	IF NOT FOUND THEN
		RETURN;
	END IF;
	n := cardinality(p.stages);
	SELECT s.stage INTO final FROM @extschema@.pipeline_stages s
	 WHERE s.pipeline = forecast_as_of.pipeline AND s.is_final;
	-- crm.pipeline_forecast's rules on the deals as they were at as_of (the
	-- time in stage from their stage changes up to then); the deals' own
	-- win probabilities have no history and are not used
	RETURN QUERY
	SELECT a.owner, f.month::integer, f.expected_revenue
	  FROM (SELECT a.owner,
				   @extschema@.funnel_forecast(
					   coalesce(array_position(p.stages, a.stage), n), a.amount, p.conversion, p.stage_months, forecast_as_of.horizon,
					   CASE WHEN a.stage = final THEN p.stage_months[n]
							ELSE greatest(date_part('epoch', forecast_as_of.as_of - a.stage_entered_at) / (86400 * 30.4375), 0)
					   END,
					   CASE WHEN a.stage = final THEN 1::float8 END) AS months
			  FROM @extschema@.opportunities_as_of(forecast_as_of.as_of) a
			 WHERE a.pipeline = forecast_as_of.pipeline AND a.status = 'open'
			   AND (a.stage = ANY (p.stages) OR a.stage = final)
			 GROUP BY a.owner) a,
		   LATERAL unnest(a.months) WITH ORDINALITY AS f(expected_revenue, month)
	 ORDER BY a.owner, f.month;
END;
$$;
COMMENT ON FUNCTION @extschema@.forecast_as_of(text, timestamptz, integer) IS
	'What crm.pipeline_forecast would have said at the past moment as_of, per rep: the expected revenue of the pipeline''s deals open at as_of (crm.opportunities_as_of) per owner as of then and month 1..horizon after as_of (months of 30.4375 days), with the time each had spent in its stage by then; the pipeline''s current stage rates and durations (they have no history); the deals'' own win probabilities are not used (no history either); a deal open at the final stage closes in month 1 with probability 1. No rows without open deals or without open stages. Errors: unknown pipeline (22023), horizon outside 1..1200 (22023), infinite as_of (22008); those of crm.funnel_forecast when a stage lacks its rate or duration';

CREATE FUNCTION @extschema@.forecast_accuracy(pipeline text, from_date date, to_date date, period text DEFAULT 'month')
RETURNS TABLE (period_start date, owner text, forecast numeric, won numeric, error numeric, abs_pct_error numeric)
LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
	months	integer;
BEGIN
	months := CASE period WHEN 'month' THEN 1 WHEN 'quarter' THEN 3 END;
	IF months IS NULL THEN
		RAISE EXCEPTION 'forecast_accuracy: unknown period %', quote_literal(period)
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'The period is ''month'' (the forecast''s month 1) or ''quarter'' (its months 1 to 3).';
	END IF;
	IF NOT isfinite(from_date) OR NOT isfinite(to_date) OR from_date > to_date THEN
		RAISE EXCEPTION 'forecast_accuracy: from_date % and to_date % are not a period', from_date, to_date
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'Give two finite dates, the first not after the second: every period that starts from from_date up to to_date is measured.';
	END IF;
	PERFORM @extschema@.known_pipeline(forecast_accuracy.pipeline);
	-- periods start on the first day of a month or quarter in the session's
	-- time zone; each is measured on (start, end]
	RETURN QUERY
	WITH periods AS (
		SELECT ps::date AS period_start, ps AS starts, ps + months * interval '1 month' AS ends
		  FROM generate_series(date_trunc(forecast_accuracy.period, forecast_accuracy.from_date::timestamptz),
							   forecast_accuracy.to_date::timestamptz, months * interval '1 month') ps),
	f AS (
		SELECT pr.period_start, x.owner, sum(x.expected_revenue) AS forecast
		  FROM periods pr
		 CROSS JOIN LATERAL @extschema@.forecast_as_of(forecast_accuracy.pipeline, pr.starts, months) x
		 GROUP BY pr.period_start, x.owner),
	w AS (
		SELECT pr.period_start, c.owner, sum(c.new_amount) AS won
		  FROM periods pr
		 CROSS JOIN LATERAL @extschema@.pipeline_changes(pr.starts, pr.ends, forecast_accuracy.pipeline) c
		 WHERE c.change = 'won'
		 GROUP BY pr.period_start, c.owner),
	r AS (
		SELECT coalesce(f.period_start, w.period_start) AS period_start, coalesce(f.owner, w.owner) AS owner,
			   coalesce(f.forecast, 0.00) AS forecast, coalesce(w.won, 0.00) AS won
		  FROM f FULL JOIN w ON w.period_start = f.period_start AND w.owner = f.owner)
	SELECT g.period_start, g.owner, g.forecast, g.won, g.forecast - g.won,
		   round(abs(g.forecast - g.won) / NULLIF(g.won, 0), 4)
	  FROM (SELECT pr.period_start, r.owner, coalesce(sum(r.forecast), 0.00) AS forecast, coalesce(sum(r.won), 0.00) AS won,
				   grouping(r.owner) AS total
			  FROM periods pr LEFT JOIN r ON r.period_start = pr.period_start
			 GROUP BY GROUPING SETS ((pr.period_start, r.owner), (pr.period_start))) g
	 WHERE (g.owner IS NOT NULL AND (g.forecast <> 0 OR g.won <> 0)) OR g.total = 1
	 ORDER BY g.period_start, g.owner NULLS LAST;
END;
$$;
COMMENT ON FUNCTION @extschema@.forecast_accuracy(text, date, date, text) IS
	'Forecast accuracy of a pipeline per period and rep: for every month (period ''month'') or quarter (''quarter'') starting from from_date up to to_date (first days in the session time zone), forecast = what crm.forecast_as_of said at the period''s start for its months 1..1 or 1..3, per owner as of then; won = the amounts won in the period (start excluded, end included; crm.pipeline_changes), per owner at the win; error = forecast - won (positive: over-forecast; its sum over periods over the sum won is the bias); abs_pct_error = |error| / won (NULL when nothing was won), to 4 places. A row per period and owner with a forecast or a win other than 0, and a total row per period with owner NULL (every period has one). Errors: unknown period (22023), from_date after to_date or infinite (22023), unknown pipeline (22023)';

--------------------------------------------------------------------------
-- Pipeline hygiene
--------------------------------------------------------------------------

CREATE FUNCTION @extschema@.pipeline_issues(as_of timestamptz DEFAULT pg_catalog.now(), idle_days integer DEFAULT 30,
											amount_factor float8 DEFAULT 3, probability_gap float8 DEFAULT 0.3)
RETURNS TABLE (opportunity_id bigint, customer_id bigint, name text, owner text, pipeline text, stage text,
			   amount numeric, issue text, detail text)
LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
BEGIN
	IF NOT isfinite(as_of) THEN
		RAISE EXCEPTION 'pipeline_issues: as_of must be a finite point in time, got %', as_of
			USING ERRCODE = 'datetime_field_overflow',
				  HINT = 'Pass the moment the ages are measured from, e.g. now() (the default).';
	END IF;
	IF idle_days < 1 THEN
		RAISE EXCEPTION 'pipeline_issues: idle_days must be at least 1, got %', idle_days
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'A deal without a change for idle_days days (30 by default) is reported as without activity.';
	END IF;
	IF NOT amount_factor > 1 OR amount_factor IN ('Infinity', 'NaN') THEN
		RAISE EXCEPTION 'pipeline_issues: amount_factor must be a finite number above 1, got %', amount_factor
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'An amount above amount_factor times or below 1/amount_factor of its stage''s median is reported; 3 by default.';
	END IF;
	IF NOT (probability_gap > 0 AND probability_gap < 1) THEN
		RAISE EXCEPTION 'pipeline_issues: probability_gap must be between 0 and 1 (both excluded), got %', probability_gap
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'An own win probability further than probability_gap from its stage''s is reported; 0.3 by default.';
	END IF;
	RETURN QUERY
	WITH o AS (
		SELECT o.id, o.customer_id, o.name, o.owner, o.pipeline, o.stage, o.amount, o.expected_close,
			   o.win_probability, o.created_at, s.position
		  FROM @extschema@.opportunities o
		  JOIN @extschema@.pipeline_stages s ON s.pipeline = o.pipeline AND s.stage = o.stage
		 WHERE o.status = 'open'),
	-- per deal: its last change and the forward moves that skipped a stage
	h AS (
		SELECT x.customer_id, x.opportunity_id, max(x.changed_at) AS last_change,
			   string_agg(format('%s -> %s on %s', x.old_stage, x.new_stage, to_char(x.changed_at, 'YYYY-MM-DD')), '; '
						  ORDER BY x.changed_at, x.id) FILTER (WHERE sn.position > so.position + 1) AS skips
		  FROM @extschema@.opportunity_history x
		  JOIN o ON o.customer_id = x.customer_id AND o.id = x.opportunity_id
		  LEFT JOIN @extschema@.pipeline_stages so ON so.pipeline = o.pipeline AND so.stage = x.old_stage
		  LEFT JOIN @extschema@.pipeline_stages sn ON sn.pipeline = o.pipeline AND sn.stage = x.new_stage
		 GROUP BY x.customer_id, x.opportunity_id),
	-- per open stage: the median amount of its open deals (3 at least)
	m AS (
		SELECT o.pipeline, o.stage, count(*) AS deals,
			   percentile_cont(0.5) WITHIN GROUP (ORDER BY o.amount::float8) AS median
		  FROM o GROUP BY o.pipeline, o.stage HAVING count(*) >= 3),
	-- per pipeline: the stages' win probabilities (crm.win_probability; the
	-- final stage 1), when every open stage has its rate
	f AS (
		SELECT s.pipeline, pf.stages, pf.conversion
		  FROM (SELECT DISTINCT x.pipeline FROM @extschema@.pipeline_stages x) s
		 CROSS JOIN LATERAL @extschema@.pipeline_funnel(s.pipeline) pf
		 WHERE array_position(pf.conversion, NULL) IS NULL)
	SELECT o.id, o.customer_id, o.name, o.owner, o.pipeline, o.stage, o.amount, i.issue, i.detail
	  FROM o
	  LEFT JOIN h ON h.customer_id = o.customer_id AND h.opportunity_id = o.id
	  LEFT JOIN m ON m.pipeline = o.pipeline AND m.stage = o.stage
	  LEFT JOIN f ON f.pipeline = o.pipeline
	 CROSS JOIN LATERAL (SELECT greatest(o.created_at, h.last_change) AS last_activity,
								CASE WHEN array_position(f.stages, o.stage) IS NOT NULL
									 THEN @extschema@.win_probability(array_position(f.stages, o.stage), f.conversion)
									 WHEN f.pipeline IS NOT NULL THEN 1::float8 END AS stage_probability) a
	 CROSS JOIN LATERAL (VALUES
			('past close date',
			 format('expected close %s, %s days before as_of', to_char(o.expected_close, 'YYYY-MM-DD'), as_of::date - o.expected_close),
			 o.expected_close < as_of::date),
			('no activity',
			 format('last change %s, %s days before as_of', to_char(a.last_activity, 'YYYY-MM-DD'),
					floor(date_part('epoch', as_of - a.last_activity) / 86400)),
			 a.last_activity < as_of - idle_days * interval '1 day'),
			('skipped stages', h.skips, h.skips IS NOT NULL),
			('amount far from stage',
			 format('amount %s is %s x the median %s of the %s open deals in %s', o.amount,
					round((o.amount::float8 / nullif(m.median, 0))::numeric, 2), round(m.median::numeric, 2), m.deals, o.stage),
			 o.amount::float8 > amount_factor * m.median OR o.amount::float8 < m.median / amount_factor),
			('probability far from stage',
			 format('own win probability %s, the stage''s %s', o.win_probability, round(a.stage_probability::numeric, 2)),
			 abs(o.win_probability - a.stage_probability) > probability_gap))
			AS i(issue, detail, found)
	 WHERE i.found
	 ORDER BY o.owner, o.id, i.issue;
END;
$$;
COMMENT ON FUNCTION @extschema@.pipeline_issues(timestamptz, integer, float8, float8) IS
	'Pipeline hygiene: one row per open deal (status open) and issue, with a readable detail: past close date (expected_close before as_of''s date), no activity (no history row and no creation for more than idle_days days before as_of; default 30), skipped stages (a recorded forward move past at least one stage of the pipeline), amount far from stage (above amount_factor times or below 1/amount_factor of the median amount of the open deals in its stage, when it has 3 at least; default 3), probability far from stage (own win_probability further than probability_gap from the stage''s funnel win probability, crm.win_probability; default 0.3). Current state of the deals; as_of (default now()) is the moment ages are measured from. Ordered by owner and deal. Errors: infinite as_of (22008), idle_days < 1, amount_factor not above 1 or infinite, probability_gap outside (0, 1) (22023)';

CREATE VIEW @extschema@.pipeline_hygiene AS
SELECT i.opportunity_id, i.customer_id, i.name, i.owner, i.pipeline, i.stage, i.amount, i.issue, i.detail
  FROM @extschema@.pipeline_issues() i;
-- with the querying role's rights, like every view of crm (security.sql)
ALTER VIEW @extschema@.pipeline_hygiene SET (security_invoker = true);
COMMENT ON VIEW @extschema@.pipeline_hygiene IS
	'crm.pipeline_issues() with its default thresholds as of now: open deals past their expected close date, without a change for 30 days, that skipped stages, with an amount more than 3 times off their stage''s median or an own win probability more than 0.3 off their stage''s';

-- Deal scoring by naive Bayes (src/deal_score.sql, src/deal_score.c)

CREATE TYPE @extschema@.nb_model AS (
	won			float8,
	lost		float8,
	alpha		float8,
	features	text[],
	won_counts	float8[],
	lost_counts	float8[]
);
COMMENT ON TYPE @extschema@.nb_model IS
	'A naive Bayes deal-scoring model made by crm.nb_train: the numbers of won and lost training deals, the smoothing alpha (1, Laplace), and every feature "field=value" seen (sorted) with how often it came with a won and with a lost deal';

CREATE FUNCTION @extschema@.nb_train_trans(internal, text[], boolean) RETURNS internal
	AS 'MODULE_PATHNAME', 'crm_nb_train_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.nb_train_combine(internal, internal) RETURNS internal
	AS 'MODULE_PATHNAME', 'crm_nb_train_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.nb_train_serialize(internal) RETURNS bytea
	AS 'MODULE_PATHNAME', 'crm_nb_train_serialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.nb_train_deserialize(bytea, internal) RETURNS internal
	AS 'MODULE_PATHNAME', 'crm_nb_train_deserialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.nb_train_final(internal) RETURNS @extschema@.nb_model
	AS 'MODULE_PATHNAME', 'crm_nb_train_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.nb_train_trans(internal, text[], boolean) IS
	'Transition function of crm.nb_train: counts the deal and each of its features under its outcome';
COMMENT ON FUNCTION @extschema@.nb_train_combine(internal, internal) IS
	'Combine function of crm.nb_train: adds two states'' counts (parallel query)';
COMMENT ON FUNCTION @extschema@.nb_train_serialize(internal) IS
	'Serialize function of crm.nb_train: version 1, won and lost deals, then each feature with its two counts';
COMMENT ON FUNCTION @extschema@.nb_train_deserialize(bytea, internal) IS
	'Deserialize function of crm.nb_train; checks every length and count (22P03 otherwise)';
COMMENT ON FUNCTION @extschema@.nb_train_final(internal) IS
	'Final function of crm.nb_train: the crm.nb_model, features sorted; NULL without a deal with an outcome';

-- SSPACE: a few hundred distinct features of about 300 bytes each
CREATE AGGREGATE @extschema@.nb_train(features text[], won boolean) (
	SFUNC = @extschema@.nb_train_trans,
	STYPE = internal,
	SSPACE = 65536,
	COMBINEFUNC = @extschema@.nb_train_combine,
	SERIALFUNC = @extschema@.nb_train_serialize,
	DESERIALFUNC = @extschema@.nb_train_deserialize,
	FINALFUNC = @extschema@.nb_train_final,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.nb_train(text[], boolean) IS
	'Trains a naive Bayes deal-scoring model (crm.nb_model) on closed deals: features are "field=value" texts (NULL elements skipped), won the outcome; rows with NULL features or outcome are skipped; no such row: NULL. Merging states adds counts, so training runs in parallel and in any split. Errors: a feature without "field=" (22023), a feature of 256 bytes or more (54000), a multi-dimensional array (22023)';

CREATE FUNCTION @extschema@.nb_score(model @extschema@.nb_model, features text[])
RETURNS float8
AS 'MODULE_PATHNAME', 'crm_nb_score'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.nb_score(@extschema@.nb_model, text[]) IS
	'Probability 0..1 that a deal with these features is won, by the naive Bayes model: 1 / (1 + exp(-log odds)), log odds = log((won + alpha) / (lost + alpha)) + the sum over its features of log(P(f | won) / P(f | lost)), P(f | class) = (n(f, class) + alpha) / (n(field, class) + alpha (values of the field + 1)); features of fields the model never saw add nothing, NULL elements are skipped. Errors: an invalid model (22023), a feature without "field=" (22023), one of 256 bytes or more (54000)';

CREATE FUNCTION @extschema@.nb_factors(model @extschema@.nb_model, features text[], direction text DEFAULT 'up', top integer DEFAULT 3)
RETURNS text
AS 'MODULE_PATHNAME', 'crm_nb_factors'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.nb_factors(@extschema@.nb_model, text[], text, integer) IS
	'The reasons of crm.nb_score: the top features of the deal that raise its odds most (direction ''up'') or lower them most (''down''), strongest first, as text "field=value (odds xF)" joined by ", ", F = P(f | won) / P(f | lost); factors within 0.5 % of 1 are no reason; NULL when none. Errors: direction other than up or down, top outside 1..100, and those of crm.nb_score (22023)';

CREATE FUNCTION @extschema@.nb_bin(field text, value float8, cuts float8[])
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE WHEN value IS NOT NULL AND field IS NOT NULL AND cuts IS NOT NULL THEN
	field OPERATOR(pg_catalog.||) '=' OPERATOR(pg_catalog.||)
	CASE pg_catalog.width_bucket(value, cuts)
		WHEN 0 THEN '<' OPERATOR(pg_catalog.||) cuts[1]::text
		WHEN pg_catalog.cardinality(cuts) THEN '>=' OPERATOR(pg_catalog.||) cuts[pg_catalog.cardinality(cuts)]::text
		ELSE cuts[pg_catalog.width_bucket(value, cuts)]::text OPERATOR(pg_catalog.||) '-'
			 OPERATOR(pg_catalog.||) cuts[pg_catalog.width_bucket(value, cuts) OPERATOR(pg_catalog.+) 1]::text
	END END;
COMMENT ON FUNCTION @extschema@.nb_bin(text, float8, float8[]) IS
	'A number as a feature for crm.nb_train: field=<c1 below the first cut, field=ci-cj between two cuts (ci included), field=>=cn from the last; NULL for a NULL value (skipped by crm.nb_train). cuts must be sorted ascending (width_bucket: 2201G otherwise)';

CREATE FUNCTION @extschema@.nb_merge(a @extschema@.nb_model, b @extschema@.nb_model)
RETURNS @extschema@.nb_model
LANGUAGE sql IMMUTABLE PARALLEL SAFE
BEGIN ATOMIC
	SELECT CASE WHEN a IS NULL THEN b WHEN b IS NULL THEN a ELSE
		(SELECT ROW((a).won OPERATOR(pg_catalog.+) (b).won, (a).lost OPERATOR(pg_catalog.+) (b).lost, (a).alpha,
					COALESCE(pg_catalog.array_agg(m.f ORDER BY m.f COLLATE "C"), '{}'),
					COALESCE(pg_catalog.array_agg(m.w ORDER BY m.f COLLATE "C"), '{}'),
					COALESCE(pg_catalog.array_agg(m.l ORDER BY m.f COLLATE "C"), '{}'))::@extschema@.nb_model
		   FROM (SELECT COALESCE(x.f, y.f) AS f,
						COALESCE(x.w, 0) OPERATOR(pg_catalog.+) COALESCE(y.w, 0) AS w,
						COALESCE(x.l, 0) OPERATOR(pg_catalog.+) COALESCE(y.l, 0) AS l
				   FROM ROWS FROM (pg_catalog.unnest((a).features), pg_catalog.unnest((a).won_counts), pg_catalog.unnest((a).lost_counts)) AS x(f, w, l)
				   FULL JOIN ROWS FROM (pg_catalog.unnest((b).features), pg_catalog.unnest((b).won_counts), pg_catalog.unnest((b).lost_counts)) AS y(f, w, l)
					 ON x.f OPERATOR(pg_catalog.=) y.f) m)
	END;
END;
COMMENT ON FUNCTION @extschema@.nb_merge(@extschema@.nb_model, @extschema@.nb_model) IS
	'Two naive Bayes models trained on separate deals merged into the model of all of them (their counts added; a''s alpha): crm.nb_merge(crm.nb_train on A, crm.nb_train on B) = crm.nb_train on A and B. NULL is the model of no deal';

-- The training rows for scoring deals by stage: each closed deal once per
-- open stage it was in before it closed, with the outcome.
CREATE FUNCTION @extschema@.deal_snapshots(pipeline text)
RETURNS TABLE (opportunity_id bigint, customer_id bigint, stage text, entered_at timestamptz,
			   closed_at timestamptz, won boolean)
LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
BEGIN
	PERFORM @extschema@.known_pipeline(deal_snapshots.pipeline);
	RETURN QUERY
	WITH o AS (
		SELECT o.id, o.customer_id, o.stage, o.status, o.created_at, o.closed_at
		  FROM @extschema@.opportunities o WHERE o.pipeline = deal_snapshots.pipeline),
	-- how each deal closed: its first change to won, lost or terminated,
	-- else its status and closed_at (closed without history)
	closing AS (
		SELECT DISTINCT ON (h.customer_id, h.opportunity_id) h.customer_id, h.opportunity_id,
			   h.changed_at AS closed_at, h.new_status = 'won' AS won
		  FROM @extschema@.opportunity_history h
		  JOIN o ON o.customer_id = h.customer_id AND o.id = h.opportunity_id
		 WHERE h.new_status IN ('won', 'lost', 'terminated') AND h.old_status IS DISTINCT FROM h.new_status
		 ORDER BY h.customer_id, h.opportunity_id, h.changed_at, h.id),
	outcome AS (
		SELECT o.customer_id, o.id, coalesce(c.closed_at, o.closed_at) AS closed_at,
			   coalesce(c.won, o.status = 'won') AS won
		  FROM o LEFT JOIN closing c ON c.customer_id = o.customer_id AND c.opportunity_id = o.id
		 WHERE c.opportunity_id IS NOT NULL OR o.status IN ('won', 'lost', 'terminated')),
	-- every stay in a stage: the first from created_at, then one per stage change
	moves AS (
		SELECT h.customer_id, h.opportunity_id, h.id, h.changed_at, h.old_stage, h.new_stage,
			   row_number() OVER (PARTITION BY h.customer_id, h.opportunity_id ORDER BY h.changed_at, h.id) AS n
		  FROM @extschema@.opportunity_history h
		  JOIN outcome x ON x.customer_id = h.customer_id AND x.id = h.opportunity_id
		 WHERE h.old_stage IS DISTINCT FROM h.new_stage),
	visits AS (
		SELECT o.customer_id, o.id, coalesce(m.old_stage, o.stage) AS stage, o.created_at AS entered_at
		  FROM o JOIN outcome x ON x.customer_id = o.customer_id AND x.id = o.id
		  LEFT JOIN moves m ON m.customer_id = o.customer_id AND m.opportunity_id = o.id AND m.n = 1
		UNION ALL
		SELECT m.customer_id, m.opportunity_id, m.new_stage, m.changed_at FROM moves m)
	SELECT v.id, v.customer_id, v.stage, v.entered_at, x.closed_at, x.won
	  FROM visits v
	  JOIN outcome x ON x.customer_id = v.customer_id AND x.id = v.id
	  JOIN @extschema@.pipeline_stages s ON s.pipeline = deal_snapshots.pipeline AND s.stage = v.stage AND NOT s.is_final
	 WHERE v.entered_at < x.closed_at
	 ORDER BY v.id, v.entered_at;
END;
$$;
COMMENT ON FUNCTION @extschema@.deal_snapshots(text) IS
	'Training rows for crm.nb_train: every closed deal of the pipeline once per open stage it was in before it closed (the first stage from created_at, then each stage change of crm.opportunity_history), with when it entered the stage, when it closed (its first change to won, lost or terminated; for a deal closed without such history, its status and closed_at) and whether it was won. Stages are matched by name in the pipeline; the final stage is left out (reached on winning). Errors: unknown pipeline (22023)';

-- Forecast categories on opportunities, kept in their history
-- (src/schema.sql, src/states.sql), the demo's forecast adjustment
-- (src/demo.sql) and the table's place on Citus (src/distribute.sql)
CREATE TYPE @extschema@.forecast_category AS ENUM ('omitted', 'pipeline', 'best_case', 'commit', 'closed');
COMMENT ON TYPE @extschema@.forecast_category IS
	'Forecast category of a deal, from least to most certain: omitted (left out of the forecast), pipeline, best_case, commit, closed (won)';

ALTER TABLE @extschema@.opportunities ADD COLUMN forecast_category @extschema@.forecast_category;
COMMENT ON COLUMN @extschema@.opportunities.forecast_category IS 'The rep''s forecast category of the deal; NULL = the default from its status and win probability (crm.default_forecast_category); a won deal is closed and a lost, terminated, suspended or archived one omitted whatever is set';
ALTER TABLE @extschema@.opportunity_history
	ADD COLUMN old_forecast_category @extschema@.forecast_category,
	ADD COLUMN new_forecast_category @extschema@.forecast_category;
COMMENT ON COLUMN @extschema@.opportunity_history.old_forecast_category IS 'Forecast category set on the deal before the change (NULL: the default)';
COMMENT ON COLUMN @extschema@.opportunity_history.new_forecast_category IS 'Forecast category set on the deal after the change (NULL: the default)';
COMMENT ON TABLE @extschema@.opportunity_history IS
	'Every stage, status, amount, owner and forecast category change of an opportunity, written by trigger. The opportunity''s first stage starts at its created_at';

CREATE OR REPLACE FUNCTION @extschema@.opportunities_history()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF (NEW.status, NEW.amount, NEW.owner, NEW.cost, NEW.forecast_category)
	   IS NOT DISTINCT FROM (OLD.status, OLD.amount, OLD.owner, OLD.cost, OLD.forecast_category)
	   AND @extschema@.stage_renamed(OLD.pipeline, OLD.stage) THEN
		RETURN NULL;
	END IF;
	INSERT INTO @extschema@.opportunity_history
		(customer_id, opportunity_id, changed_at, old_stage, new_stage, old_status, new_status,
		 old_amount, new_amount, old_owner, new_owner, cost, old_forecast_category, new_forecast_category)
	VALUES
		(NEW.customer_id, NEW.id, NEW.updated_at, OLD.stage, NEW.stage, OLD.status, NEW.status,
		 OLD.amount, NEW.amount, OLD.owner, NEW.owner, greatest(NEW.cost - OLD.cost, 0),
		 OLD.forecast_category, NEW.forecast_category);
	RETURN NULL;
END;
$$;
COMMENT ON FUNCTION @extschema@.opportunities_history() IS
	'Trigger (SECURITY DEFINER: no role but the extension owner writes history): writes a crm.opportunity_history row for a change of stage, status, amount, owner, cost or forecast category';

DROP TRIGGER opportunities_history ON @extschema@.opportunities;
CREATE TRIGGER opportunities_history
	AFTER UPDATE ON @extschema@.opportunities
	FOR EACH ROW
	WHEN (OLD.stage IS DISTINCT FROM NEW.stage
		  OR OLD.status IS DISTINCT FROM NEW.status
		  OR OLD.amount IS DISTINCT FROM NEW.amount
		  OR OLD.owner IS DISTINCT FROM NEW.owner
		  OR OLD.cost IS DISTINCT FROM NEW.cost
		  OR OLD.forecast_category IS DISTINCT FROM NEW.forecast_category)
	EXECUTE FUNCTION @extschema@.opportunities_history();

CREATE OR REPLACE FUNCTION @extschema@.distribution()
RETURNS TABLE (table_name text, kind text, distribution_column text)
LANGUAGE sql IMMUTABLE PARALLEL SAFE
BEGIN ATOMIC
	SELECT t.table_name, t.kind, t.distribution_column
	  FROM (VALUES
		(1, 'status_transitions', 'reference', NULL),
		(2, 'pipeline_stages', 'reference', NULL),
		(3, 'campaigns', 'reference', NULL),
		(4, 'quotas', 'reference', NULL),
		(5, 'models', 'reference', NULL),
		(6, 'row_security_state', 'reference', NULL),
		(7, 'forecast_adjustments', 'reference', NULL),
		(8, 'customers', 'distributed', 'id'),
		(9, 'contacts', 'distributed', 'customer_id'),
		(10, 'orders', 'distributed', 'customer_id'),
		(11, 'service_costs', 'distributed', 'customer_id'),
		(12, 'campaign_members', 'distributed', 'customer_id'),
		(13, 'opportunities', 'distributed', 'customer_id'),
		(14, 'opportunity_owners', 'distributed', 'customer_id'),
		(15, 'opportunity_history', 'distributed', 'customer_id'),
		(16, 'quotes', 'distributed', 'customer_id'),
		(17, 'contracts', 'distributed', 'customer_id'),
		(18, 'contract_versions', 'distributed', 'customer_id'),
		(19, 'contract_history', 'distributed', 'customer_id'),
		(20, 'customer_grades', 'distributed', 'customer_id'),
		(21, 'grade_history', 'distributed', 'customer_id'),
		(22, 'audit_log', 'distributed', 'customer_id'))
		AS t(n, table_name, kind, distribution_column)
	 ORDER BY t.n;
END;
COMMENT ON FUNCTION @extschema@.distribution() IS
	'How crm.distribute() lays out the tables on Citus, in its order: reference tables (a copy on every node), then customers distributed by id and every table of per-customer rows distributed by customer_id, co-located with customers';

CREATE OR REPLACE FUNCTION @extschema@.generate_demo_data(customers integer, seed integer DEFAULT 42)
RETURNS TABLE (table_name text, row_count bigint)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
-- demo rows are not audited when a superuser generates them (audit.sql):
-- the audit triggers would double the generation time
SET crm.audit = 'off'
AS $$
DECLARE
	s			bigint := seed;
	since		constant timestamptz := '2022-01-01 00:00:00+00';
	until		constant timestamptz := '2026-01-01 00:00:00+00';
	as_of		constant date := '2025-12-31';
	chunk		constant integer := 50000;
	ncamp		integer;
	lo			bigint;
	hi			bigint;
	n_orders	bigint := 0;
	rows_done	bigint;
	started		timestamptz := clock_timestamp();
	last_report timestamptz := clock_timestamp();
	regions		constant text[] := '{North,East,South,West,Central}';
	n			bigint;
BEGIN
	IF customers IS NULL OR customers < 1 OR customers > 10000000 THEN
		RAISE EXCEPTION 'customers must be between 1 and 10000000, got %', coalesce(customers::text, 'NULL')
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'Ask for e.g. 1000 customers for a quick look or 1000000 for benchmarks (about 10 orders each).';
	END IF;
	IF seed IS NULL THEN
		RAISE EXCEPTION 'seed must not be NULL'
			USING ERRCODE = 'null_value_not_allowed',
				  HINT = 'Pass any integer; the same seed always gives the same data.';
	END IF;
	-- On a distributed crm (crm.distribute() on an empty database): the
	-- reference tables are written in the same transaction as (and after reading) the shards of
	-- the tables that refer to them, which Citus allows over one connection
	-- per node only.  The audit triggers fire on the workers, which the SET
	-- clause above does not reach: a SET LOCAL does (crm.set_local()).
	IF @extschema@.is_distributed() THEN
		PERFORM set_config('citus.multi_shard_modify_mode', 'sequential', true);
		PERFORM @extschema@.set_local('crm.audit', 'off');
	END IF;

	SELECT count(*) INTO n FROM (SELECT 1 FROM @extschema@.customers LIMIT 1) c;
	IF n > 0 THEN
		RAISE EXCEPTION 'crm.customers is not empty: demo data is generated only into empty CRM tables'
			USING ERRCODE = 'object_not_in_prerequisite_state',
				  HINT = 'Use a fresh database, or remove the existing data first with TRUNCATE crm.customers, crm.campaigns, crm.quotas, crm.forecast_adjustments CASCADE.';
	END IF;

	-- Campaigns: one per 5,000 customers, at least 10, spread over the
	-- years and half a year ahead.
	ncamp := greatest(10, customers / 5000);
	INSERT INTO @extschema@.campaigns
		(id, name, method, region, budget, actual_cost, planned_start, planned_end,
		 started_on, ended_on, status, approved_by, description, created_at)
	SELECT k, format('%s %s %s', coalesce(region, 'National'), method, to_char(start_day, 'YYYY-MM')),
		   method, region, budget,
		   CASE WHEN status = 'completed' THEN round(budget * (0.7 + 0.5 * @extschema@.demo_uniform(s, 107, k))::numeric, 2) END,
		   start_day, start_day + days,
		   CASE WHEN status IN ('active', 'completed') THEN start_day END,
		   CASE WHEN status = 'completed' THEN start_day + days END,
		   status,
		   CASE WHEN status IN ('approved', 'active', 'completed') THEN 'marketing_director' END,
		   format('%s campaign for %s customers', method, coalesce(region, 'all')),
		   (start_day - 30)::timestamp AT TIME ZONE 'UTC'
	  FROM (SELECT k, method, region, budget, start_day, days,
				   (CASE WHEN start_day + days < as_of
						 THEN CASE WHEN @extschema@.demo_uniform(s, 108, k) < 0.92 THEN 'completed' ELSE 'cancelled' END
						 WHEN start_day <= as_of THEN 'active'
						 ELSE @extschema@.demo_pick(s, 108, k, '{planned,submitted,approved}')
					END)::@extschema@.campaign_status AS status
			  FROM (SELECT k,
						   @extschema@.demo_pick(s, 101, k, '{email,phone,event,seminar,direct mail,online ad,trade show}') AS method,
						   CASE WHEN @extschema@.demo_uniform(s, 102, k) >= 0.2 THEN @extschema@.demo_pick(s, 103, k, regions) END AS region,
						   round((5000 + 195000 * @extschema@.demo_uniform(s, 104, k) ^ 2)::numeric, -2) AS budget,
						   date '2022-01-01' + floor(1640 * @extschema@.demo_uniform(s, 105, k))::integer AS start_day,
						   7 + floor(60 * @extschema@.demo_uniform(s, 106, k))::integer AS days
					  FROM generate_series(1, ncamp) k) c) c;

	-- Each chunk's opportunities and their simulated walk through the pipeline.
	CREATE TEMP TABLE demo_opportunity_walk (
		id bigint, customer_id bigint, owner text, campaign_id bigint, product text, amount numeric,
		created timestamptz, t1 timestamptz, t2 timestamptz, t3 timestamptz,
		p1 boolean, p2 boolean, p3 boolean,
		stage text,				-- stage at as_of
		entered timestamptz,	-- when it entered that stage
		closed timestamptz,		-- when it was won, lost or terminated
		outcome text,			-- won, lost, terminated or NULL while open
		archived timestamptz,	-- when it was archived
		status @extschema@.opportunity_status) ON COMMIT DROP;

	lo := 1;
	WHILE lo <= customers LOOP
		hi := least(lo + chunk - 1, customers);

		-- Customers: 35 % companies (small, medium, large), 65 % persons.
		INSERT INTO @extschema@.customers
			(id, name, kind, industry, region, channel, phone, email, address, owner,
			 confidentiality, satisfaction, credit_status, tags, attributes, created_at, updated_at)
		SELECT i,
			   CASE WHEN company AND chinese THEN
						@extschema@.demo_pick(s, 10, i, '{上海,北京,广州,深圳,杭州,南京,成都,武汉,天津,苏州}')
						|| @extschema@.demo_pick(s, 11, i, '{华信,东方,长城,金桥,宏达,新世纪,恒通,天成,瑞丰,中联,永安,正大}')
						|| @extschema@.demo_pick(s, 12, i, '{贸易,物流,食品,电子,纺织,机械,软件,医药,零售,能源}')
						|| @extschema@.demo_pick(s, 13, i, '{有限公司,股份有限公司,集团有限公司,有限责任公司}')
					WHEN company THEN
						@extschema@.demo_pick(s, 11, i, '{Acme,Apex,Blue River,Golden Gate,Harbor,Northwind,Summit,Silverline,Redwood,Brightstar,Pioneer,Evergreen,Lakeside,Crescent,Ironbridge,Sunrise}')
						|| ' ' || @extschema@.demo_pick(s, 12, i, '{Trading,Logistics,Foods,Electronics,Textiles,Machinery,Software,Pharma,Retail,Energy}')
						|| ' ' || @extschema@.demo_pick(s, 13, i, '{"Co., Ltd.",Inc.,Ltd.,GmbH,Group,LLC}')
					WHEN chinese THEN
						@extschema@.demo_pick(s, 11, i, '{王,李,张,刘,陈,杨,黄,赵,吴,周,徐,孙}')
						|| @extschema@.demo_pick(s, 12, i, '{伟,芳,娜,敏,静,丽,强,磊,军,洋,勇,艳,杰,涛,明,华}')
					ELSE first_name || ' ' || last_name
			   END,
			   CASE WHEN company THEN 'company' ELSE 'person' END::@extschema@.customer_kind,
			   industry, region,
			   CASE WHEN company THEN @extschema@.demo_pick(s, 14, i, '{direct,partner}')
					ELSE @extschema@.demo_pick(s, 14, i, '{online,online,retail}') END,
			   format('+86-%s-%s', 10 + floor(90 * @extschema@.demo_uniform(s, 15, i)), lpad(i::text, 8, '0')),
			   CASE WHEN company THEN format('info%s@example.com', i)
					WHEN chinese THEN format('user%s@example.cn', i)
					ELSE format('%s.%s%s@example.com', lower(first_name), lower(last_name), i) END,
			   format('%s %s Road, %s', 1 + floor(999 * @extschema@.demo_uniform(s, 16, i)),
					  @extschema@.demo_pick(s, 17, i, '{Park,Station,River,Hill,Market,Garden,Lake,Bridge}'), region),
			   CASE WHEN company THEN format('rep_%s', lpad((8 * (array_position(regions, region) - 1)
								+ 1 + floor(8 * @extschema@.demo_uniform(s, 18, i)))::text, 2, '0')) END,
			   CASE size WHEN 'large' THEN 3 WHEN 'medium' THEN 2 WHEN 'small' THEN 1 ELSE 0 END,
			   satisfaction,
			   CASE WHEN late AND @extschema@.demo_uniform(s, 19, i) < 0.1 THEN 'blocked'
					WHEN late AND @extschema@.demo_uniform(s, 19, i) < 0.5 THEN 'hold'
					WHEN late THEN 'watch'
					ELSE 'good' END::@extschema@.credit_status,
			   CASE WHEN company THEN ARRAY['industry:' || industry, 'size:' || size]
					ELSE ARRAY['gender:' || gender, 'age:' || (age / 10 * 10) || '-' || (age / 10 * 10 + 9)] END,
			   CASE WHEN company THEN jsonb_build_object(
						'basic', jsonb_build_object(
							'legal_representative', last_name || ' ' || first_name,
							'founded', 1980 + floor(40 * @extschema@.demo_uniform(s, 20, i)),
							'legal_form', @extschema@.demo_pick(s, 21, i, '{limited company,joint-stock company,partnership,sole proprietorship}'),
							'assets', round((CASE size WHEN 'large' THEN 5e8 WHEN 'medium' THEN 5e7 ELSE 5e6 END
											 * (0.2 + @extschema@.demo_uniform(s, 22, i)))::numeric, -5)),
						'characteristics', jsonb_build_object(
							'size', size,
							'service_area', region,
							'employees', CASE size WHEN 'large' THEN 1000 WHEN 'medium' THEN 100 ELSE 10 END
										 * (1 + floor(9 * @extschema@.demo_uniform(s, 23, i))),
							'growth_potential', @extschema@.demo_pick(s, 24, i, '{low,medium,high}')),
						'business', jsonb_build_object(
							'cooperation', @extschema@.demo_pick(s, 25, i, '{new,occasional,regular,strategic}'),
							'main_competitor', @extschema@.demo_pick(s, 26, i, '{Globex,Initech,Umbrella,Hooli,none}')),
						'trading', jsonb_build_object(
							'trade_terms', 'net 30',
							'credit_incidents', CASE WHEN late THEN 1 + floor(3 * @extschema@.demo_uniform(s, 27, i)) ELSE 0 END))
					ELSE jsonb_build_object(
						'age', age, 'gender', gender, 'occupation', occupation, 'income', income,
						'marital_status', @extschema@.demo_pick(s, 28, i, '{single,married,married,divorced,widowed}'),
						'monthly_bill', monthly_bill,
						-- the decision-tree use case of the seed: who already uses the offer
						'uses_offer', @extschema@.demo_uniform(s, 29, i) <
							least(0.95, 0.03 + CASE WHEN age BETWEEN 20 AND 30 THEN 0.35 ELSE 0 END
										  + CASE WHEN occupation IN ('sales', 'self-employed') THEN 0.3 ELSE 0 END
										  + CASE WHEN monthly_bill BETWEEN 150 AND 200 THEN 0.2 ELSE 0 END
										  + CASE WHEN income BETWEEN 3000 AND 5000 THEN 0.1 ELSE 0 END))
			   END,
			   created, created
		  FROM (SELECT i, company, chinese, industry, region, size, late, first_name, last_name, gender, age, occupation,
					   round((CASE occupation WHEN 'manager' THEN 9000 WHEN 'doctor' THEN 12000 WHEN 'engineer' THEN 8000
											 WHEN 'student' THEN 1500 WHEN 'retired' THEN 3000 ELSE 4500 END
							 * exp(0.4 * @extschema@.demo_normal(s, 30, i)))::numeric, -2) AS income,
					   round((30 + 370 * @extschema@.demo_uniform(s, 31, i) ^ 1.5)::numeric, 0) AS monthly_bill,
					   round(greatest(0, least(10, 7.2 + 1.8 * @extschema@.demo_normal(s, 32, i)))::numeric, 1) AS satisfaction,
					   since + (1461 * @extschema@.demo_uniform(s, 2, i)) * interval '1 day' AS created
				  FROM (SELECT i,
							   @extschema@.demo_uniform(s, 1, i) < 0.35 AS company,
							   @extschema@.demo_uniform(s, 3, i) < 0.4 AS chinese,
							   @extschema@.demo_pick(s, 4, i, '{manufacturing,retail,finance,telecom,healthcare,education,logistics,energy,software,hospitality}') AS industry,
							   @extschema@.demo_pick(s, 5, i, regions) AS region,
							   CASE WHEN @extschema@.demo_uniform(s, 1, i) >= 0.35 THEN NULL
									WHEN @extschema@.demo_uniform(s, 6, i) < 0.05 THEN 'large'
									WHEN @extschema@.demo_uniform(s, 6, i) < 0.25 THEN 'medium'
									ELSE 'small' END AS size,
							   @extschema@.demo_uniform(s, 7, i) < CASE WHEN @extschema@.demo_uniform(s, 1, i) < 0.35 THEN 0.08 ELSE 0.02 END AS late,
							   @extschema@.demo_pick(s, 8, i, '{James,Mary,John,Patricia,Robert,Jennifer,Michael,Linda,David,Elizabeth,William,Barbara,Richard,Susan,Joseph,Jessica,Thomas,Sarah,Carlos,Maria,Ahmed,Fatima,Hans,Anna,Kenji,Yuki,Pierre,Sophie,Ivan,Olga}') AS first_name,
							   @extschema@.demo_pick(s, 9, i, '{Smith,Johnson,Williams,Brown,Jones,Garcia,Miller,Davis,Rodriguez,Martinez,Hernandez,Lopez,Wilson,Anderson,Taylor,Moore,Jackson,Martin,Lee,Thompson,White,Harris,Clark,Lewis,Walker,Young,Allen,King,Wright,Scott}') AS last_name,
							   @extschema@.demo_pick(s, 33, i, '{f,m}') AS gender,
							   18 + floor(57 * @extschema@.demo_uniform(s, 34, i))::integer AS age,
							   @extschema@.demo_pick(s, 35, i, '{sales,engineer,teacher,worker,manager,student,retired,doctor,civil servant,self-employed}') AS occupation
						  FROM generate_series(lo, hi) i) g) g;

		-- Contacts at companies: a decision maker and up to three people below.
		INSERT INTO @extschema@.contacts (id, customer_id, name, title, decision_role, phone, email, reports_to)
		SELECT 4 * (c.id - 1) + j, c.id,
			   @extschema@.demo_pick(s, 40 + j, c.id, '{James,Mary,John,Patricia,Robert,Jennifer,Michael,Linda,Wei,Fang,Min,Jing,Lei,Yang}')
			   || ' ' || @extschema@.demo_pick(s, 44 + j, c.id, '{Smith,Johnson,Brown,Garcia,Miller,Wang,Li,Zhang,Liu,Chen}'),
			   (ARRAY['CEO', 'Purchasing Director', 'IT Manager', 'Buyer'])[j],
			   (ARRAY['decision maker', 'influencer', 'evaluator', 'user'])[j],
			   format('+86-%s-%s', 20 + j, lpad(c.id::text, 8, '0')),
			   format('contact%s.%s@example.com', j, c.id),
			   CASE WHEN j > 1 THEN 4 * (c.id - 1) + j - 1 END
		  FROM @extschema@.customers c,
			   generate_series(1, 4) j
		 WHERE c.id BETWEEN lo AND hi
		   AND c.kind = 'company'
		   AND j <= 1 + floor(4 * @extschema@.demo_uniform(s, 40, c.id))
		 ORDER BY c.id, j;

		-- Orders: 8 % of customers are prospects who never bought.  Business
		-- customers buy on 30-day terms; invoices not yet due are open, and
		-- customers with a bad credit status owe their recent invoices.
		INSERT INTO @extschema@.orders (customer_id, ordered_at, amount, quantity, product, amount_paid, due_date)
		SELECT c.id, o.ordered_at, o.amount::numeric(14,2), o.quantity, o.product,
			   CASE WHEN d.due IS NULL THEN o.amount::numeric(14,2)
					WHEN d.due >= as_of THEN 0
					WHEN c.credit_status <> 'good' AND d.due >= as_of - 120
						THEN round((o.amount * floor(2 * @extschema@.demo_uniform(s, 50, c.id * 1000 + o.n)) / 2)::numeric, 2)
					ELSE o.amount::numeric(14,2) END,
			   d.due
		  FROM @extschema@.customers c
		 CROSS JOIN LATERAL @extschema@.demo_orders(
				s, c.id,
				c.created_at + (7 * @extschema@.demo_uniform(s, 51, c.id)) * interval '1 day',
				until,
				CASE c.attributes #>> '{characteristics,size}'
					WHEN 'large' THEN 25 WHEN 'medium' THEN 10 WHEN 'small' THEN 4 ELSE 1 END,
				CASE WHEN c.satisfaction >= 8 THEN 0.6 WHEN c.satisfaction >= 5 THEN 1 ELSE 2.5 END) o
		 CROSS JOIN LATERAL (SELECT CASE WHEN c.kind = 'company'
										 THEN (o.ordered_at AT TIME ZONE 'UTC')::date + 30 END AS due) d
		 WHERE c.id BETWEEN lo AND hi
		   AND @extschema@.demo_uniform(s, 52, c.id) >= 0.08
		 ORDER BY c.id, o.n;
		GET DIAGNOSTICS rows_done = ROW_COUNT;
		n_orders := n_orders + rows_done;

		-- Costs to serve buyers while they buy (until 30 days after their
		-- last order): visits for business customers (more for larger ones),
		-- support and discounts for everyone.
		-- (Gathered first and inserted in a fixed order: on Citus the ids are
		-- then drawn on the coordinator, in the same order as on one node.)
		INSERT INTO @extschema@.service_costs (customer_id, incurred_on, kind, amount, note)
		WITH costs AS MATERIALIZED (
		SELECT c.id AS customer_id, j AS cost_no,
			   (c.created_at AT TIME ZONE 'UTC')::date
				 + floor((least(as_of, (b.last_order AT TIME ZONE 'UTC')::date + 30) - (c.created_at AT TIME ZONE 'UTC')::date)
						 * @extschema@.demo_uniform(s, 61, 64 * c.id + j))::integer AS incurred_on,
			   k.kind::@extschema@.service_cost_kind AS kind,
			   round((CASE WHEN k.kind = 'visit' AND c.attributes #>> '{characteristics,size}' = 'small'
							   THEN 30 + 120 * @extschema@.demo_uniform(s, 62, 64 * c.id + j)
						   WHEN k.kind = 'visit' THEN 100 + 500 * @extschema@.demo_uniform(s, 62, 64 * c.id + j)
						   WHEN c.kind = 'person' THEN 5 + 45 * @extschema@.demo_uniform(s, 62, 64 * c.id + j)
						   WHEN k.kind = 'support' THEN 20 + 180 * @extschema@.demo_uniform(s, 62, 64 * c.id + j)
						   ELSE 10 + 490 * @extschema@.demo_uniform(s, 62, 64 * c.id + j) END)::numeric, 2) AS amount,
			   CASE k.kind WHEN 'visit' THEN 'on-site visit' WHEN 'support' THEN 'support ticket' ELSE 'price discount' END AS note
		  FROM @extschema@.customers c
		 CROSS JOIN LATERAL (SELECT max(o.ordered_at) AS last_order FROM @extschema@.orders o
							  WHERE o.customer_id = c.id) b
		 CROSS JOIN LATERAL generate_series(1, CASE c.attributes #>> '{characteristics,size}'
												WHEN 'large' THEN 20 WHEN 'medium' THEN 8 WHEN 'small' THEN 3 ELSE 2 END) j
		 CROSS JOIN LATERAL (SELECT (CASE WHEN c.kind = 'company'
										  THEN @extschema@.demo_pick(s, 63, 64 * c.id + j, '{visit,visit,visit,support,discount}')
										  ELSE @extschema@.demo_pick(s, 63, 64 * c.id + j, '{support,support,discount}')
									 END) AS kind) k	-- text: a cast to the enum here is not immutable, which Citus refuses in a subquery without FROM
		 WHERE c.id BETWEEN lo AND hi
		   AND b.last_order IS NOT NULL
		   AND @extschema@.demo_uniform(s, 60, 64 * c.id + j) < 0.5)
		SELECT customer_id, incurred_on, kind, amount, note FROM costs ORDER BY customer_id, cost_no;

		-- Campaign members: up to two invitations per customer, to campaigns
		-- that ran after the customer was known.
		INSERT INTO @extschema@.campaign_members (campaign_id, customer_id, invited_at, attended, responded_at)
		SELECT m.id, c.id, m.invited, m.attended,
			   CASE WHEN @extschema@.demo_uniform(s, 73, 4 * c.id + j) < m.respond_rate
					THEN m.invited + (14 * @extschema@.demo_uniform(s, 74, 4 * c.id + j)) * interval '1 day' END
		  FROM @extschema@.customers c
		 CROSS JOIN generate_series(1, 2) j
		 CROSS JOIN LATERAL (
				SELECT k.id,
					   (k.started_on::timestamp AT TIME ZONE 'UTC')
						 + (greatest(k.ended_on - k.started_on, 1) * @extschema@.demo_uniform(s, 72, 4 * c.id + j)) * interval '1 day' AS invited,
					   @extschema@.demo_uniform(s, 75, 4 * c.id + j) < CASE WHEN k.method IN ('event', 'seminar', 'trade show') THEN 0.4 ELSE 0.25 END AS attended,
					   CASE WHEN k.method IN ('event', 'seminar', 'trade show') THEN 0.2
							WHEN k.method = 'phone' THEN 0.12 ELSE 0.05 END AS respond_rate
				  FROM @extschema@.campaigns k
				 WHERE k.id = 1 + floor(ncamp * @extschema@.demo_uniform(s, 71, 4 * c.id + j))::integer
				   AND k.started_on IS NOT NULL
				   AND k.started_on > (c.created_at AT TIME ZONE 'UTC')::date) m
		 WHERE c.id BETWEEN lo AND hi
		   AND j <= floor(3 * @extschema@.demo_uniform(s, 70, c.id))
		ON CONFLICT DO NOTHING;

		-- Opportunities of business customers, walked through the seed's
		-- pipeline: potential (mean 2 months, 50 % go on) -> bid (1 month,
		-- 80 %) -> negotiation (1 month, 90 % won) -> contract.
		TRUNCATE pg_temp.demo_opportunity_walk;
		INSERT INTO pg_temp.demo_opportunity_walk
		SELECT w.*, x.stage, x.entered, x.closed, y.outcome, y.archived,
			   CASE WHEN y.archived IS NOT NULL THEN 'archived'
					WHEN y.outcome IS NOT NULL THEN y.outcome
					WHEN @extschema@.demo_uniform(s, 96, w.id) < 0.06 THEN 'suspended'
					ELSE 'open' END::@extschema@.opportunity_status
		  FROM (SELECT o.id, o.customer_id, o.owner, o.campaign_id, o.product, o.amount, o.created,
					   o.created + o.d1 * interval '1 day' AS t1,
					   o.created + (o.d1 + o.d2) * interval '1 day' AS t2,
					   o.created + (o.d1 + o.d2 + o.d3) * interval '1 day' AS t3,
					   @extschema@.demo_uniform(s, 84, o.id) < 0.5 AS p1,
					   @extschema@.demo_uniform(s, 85, o.id) < 0.8 AS p2,
					   @extschema@.demo_uniform(s, 86, o.id) < 0.9 AS p3
				  FROM (SELECT 3 * (c.id - 1) + j AS id, c.id AS customer_id, c.owner,
							   @extschema@.demo_pick(s, 80, 3 * (c.id - 1) + j, '{software,hardware,services,support,training}') AS product,
							   round((CASE c.attributes #>> '{characteristics,size}' WHEN 'large' THEN 200000 WHEN 'medium' THEN 40000 ELSE 8000 END
									  * exp(0.8 * @extschema@.demo_normal(s, 82, 3 * (c.id - 1) + j)))::numeric, -2) AS amount,
							   CASE WHEN r.campaign_id IS NOT NULL AND j = 1 THEN r.campaign_id END AS campaign_id,
							   CASE WHEN r.campaign_id IS NOT NULL AND j = 1
									THEN r.responded_at + (30 * @extschema@.demo_uniform(s, 83, 3 * (c.id - 1) + j)) * interval '1 day'
									ELSE c.created_at + ((until - c.created_at) * @extschema@.demo_uniform(s, 83, 3 * (c.id - 1) + j))
							   END AS created,
							   -60.875 * ln(1 - @extschema@.demo_uniform(s, 87, 3 * (c.id - 1) + j)) AS d1,
							   -30.4375 * ln(1 - @extschema@.demo_uniform(s, 88, 3 * (c.id - 1) + j)) AS d2,
							   -30.4375 * ln(1 - @extschema@.demo_uniform(s, 89, 3 * (c.id - 1) + j)) AS d3
						  FROM @extschema@.customers c
						 -- a response to a campaign leads to the first opportunity
						 -- in 60 % of cases, within 30 days
						 LEFT JOIN LATERAL (
								SELECT m.campaign_id, m.responded_at
								  FROM @extschema@.campaign_members m
								 WHERE m.customer_id = c.id AND m.responded_at < until - interval '30 days'
								   AND @extschema@.demo_uniform(s, 90, c.id) < 0.6
								 ORDER BY m.responded_at LIMIT 1) r ON true
						 CROSS JOIN generate_series(1, 3) j
						 WHERE c.id BETWEEN lo AND hi
						   AND c.kind = 'company'
						   AND j <= greatest(floor(4 * @extschema@.demo_uniform(s, 81, c.id) ^ 2),
											 CASE WHEN r.campaign_id IS NOT NULL THEN 1 ELSE 0 END)) o) w
		 CROSS JOIN LATERAL (
				SELECT CASE WHEN w.t1 > until OR NOT w.p1 THEN 'potential'
							WHEN w.t2 > until OR NOT w.p2 THEN 'bid'
							WHEN w.t3 > until OR NOT w.p3 THEN 'negotiation'
							ELSE 'contract' END AS stage,
					   CASE WHEN w.t1 > until OR NOT w.p1 THEN w.created
							WHEN w.t2 > until OR NOT w.p2 THEN w.t1
							WHEN w.t3 > until OR NOT w.p3 THEN w.t2
							ELSE w.t3 END AS entered,
					   CASE WHEN w.t1 > until THEN NULL WHEN NOT w.p1 THEN w.t1
							WHEN w.t2 > until THEN NULL WHEN NOT w.p2 THEN w.t2
							WHEN w.t3 > until THEN NULL ELSE w.t3 END AS closed) x
		 CROSS JOIN LATERAL (
				SELECT z.outcome,
					   CASE WHEN x.closed < until - interval '545 days' AND @extschema@.demo_uniform(s, 97, w.id) < 0.7
							THEN x.closed + interval '180 days' END AS archived
				  FROM (SELECT CASE WHEN x.closed IS NULL THEN NULL
									WHEN x.stage = 'contract' THEN 'won'
									WHEN @extschema@.demo_uniform(s, 98, w.id) < 0.75 THEN 'lost'
									ELSE 'terminated' END AS outcome) z) y;

		INSERT INTO @extschema@.opportunities
			(id, customer_id, campaign_id, name, pipeline, stage, status, amount, expected_close,
			 win_probability, owner, cost, competitor, closing_summary, created_at, updated_at, closed_at)
		SELECT w.id, w.customer_id, w.campaign_id, format('%s project %s', initcap(w.product), w.id),
			   'project', w.stage, w.status, w.amount,
			   coalesce(w.closed, w.created + interval '121.75 days')::date,
			   CASE WHEN w.status = 'open' AND @extschema@.demo_uniform(s, 92, w.id) < 0.15
					THEN round(@extschema@.demo_uniform(s, 93, w.id)::numeric, 2) END,
			   w.owner,
			   round((extract(epoch FROM coalesce(w.closed, until) - w.created) / 86400 / 7 * 2 * 60)::numeric, 2),
			   CASE WHEN w.outcome = 'lost' AND @extschema@.demo_uniform(s, 94, w.id) < 0.6
					THEN @extschema@.demo_pick(s, 95, w.id, '{Globex,Initech,Umbrella,Hooli}') END,
			   CASE w.outcome WHEN 'won' THEN 'Won: signed after negotiation'
							  WHEN 'lost' THEN format('Lost at the %s stage', w.stage) END,
			   w.created, coalesce(w.archived, w.closed, w.entered),
			   CASE WHEN w.outcome IS NOT NULL THEN w.closed END
		  FROM pg_temp.demo_opportunity_walk w
		 ORDER BY w.id;

		-- Their history: each stage move (with the cost of the stage left:
		-- two visits a week at 60 each), the closing, suspension, archiving.
		INSERT INTO @extschema@.opportunity_history
			(customer_id, opportunity_id, changed_at, changed_by, old_stage, new_stage, old_status, new_status,
			 old_amount, new_amount, old_owner, new_owner, cost)
		SELECT w.customer_id, w.id, h.at, w.owner, h.old_stage, h.new_stage, h.old_status::@extschema@.opportunity_status,
			   h.new_status::@extschema@.opportunity_status, w.amount, w.amount, w.owner, w.owner,
			   round((extract(epoch FROM h.at - h.since) / 86400 / 7 * 2 * 60)::numeric, 2)
		  FROM pg_temp.demo_opportunity_walk w
		 CROSS JOIN LATERAL (VALUES
				(1, w.t1, w.created, 'potential', 'bid', 'open', 'open', w.p1 AND w.t1 <= until),
				(2, w.t2, w.t1, 'bid', 'negotiation', 'open', 'open', w.p1 AND w.p2 AND w.t2 <= until),
				(3, w.t3, w.t2, 'negotiation', 'contract', 'open', 'won', w.outcome = 'won'),
				(4, w.closed, w.entered, w.stage, w.stage, 'open', w.outcome, w.outcome IN ('lost', 'terminated')),
				(5, w.entered + (until - w.entered) * @extschema@.demo_uniform(s, 99, w.id), w.entered,
				 w.stage, w.stage, 'open', 'suspended', w.status = 'suspended'),
				(6, w.archived, w.archived, w.stage, w.stage, w.outcome, 'archived', w.status = 'archived'))
				AS h(step, at, since, old_stage, new_stage, old_status, new_status, happened)
		 WHERE h.happened
		 ORDER BY w.id, h.step;

		-- Quotes: one on entering bid, a revised one on entering negotiation.
		INSERT INTO @extschema@.quotes (customer_id, opportunity_id, version, amount, discount_pct, valid_until, status, approved_by, approved_at, created_at)
		SELECT w.customer_id, w.id, q.version, round(w.amount * q.factor, 2), q.discount, (q.at AT TIME ZONE 'UTC')::date + 30,
			   q.status::@extschema@.quote_status,
			   CASE WHEN q.status = 'approved' THEN 'sales_manager' END,
			   CASE WHEN q.status = 'approved' THEN q.at + interval '2 days' END,
			   q.at
		  FROM pg_temp.demo_opportunity_walk w
		 CROSS JOIN LATERAL (VALUES
				(1, w.t1, 1.05, 0, CASE WHEN w.p2 AND w.t2 <= until THEN 'rejected' ELSE 'approved' END, w.p1 AND w.t1 <= until),
				(2, w.t2, 1.00, 5, 'approved', w.p1 AND w.p2 AND w.t2 <= until))
				AS q(version, at, factor, discount, status, happened)
		 WHERE q.happened
		 ORDER BY w.id, q.version;

		-- Split credit on a tenth of the won deals: 60 % owner, 40 % a colleague.
		INSERT INTO @extschema@.opportunity_owners (customer_id, opportunity_id, owner, share)
		SELECT w.customer_id, w.id, x.owner, x.share
		  FROM pg_temp.demo_opportunity_walk w
		 CROSS JOIN LATERAL (VALUES
				(w.owner, 60.00),
				(format('rep_%s', lpad((substr(w.owner, 5)::integer % 40 + 1)::text, 2, '0')), 40.00)) AS x(owner, share)
		 WHERE w.stage = 'contract' AND @extschema@.demo_uniform(s, 100, w.id) < 0.1;

		-- Contracts for won deals, in every state of their lifecycle by age.
		INSERT INTO @extschema@.contracts
			(id, customer_id, opportunity_id, campaign_id, title, amount, signed_on, starts_on, ends_on, terms,
			 percent_complete, status, version, created_at, updated_at)
		SELECT w.id, w.customer_id, w.id, w.campaign_id, format('%s contract %s', initcap(w.product), w.id),
			   round(w.amount * (0.9 + 0.1 * @extschema@.demo_uniform(s, 110, w.id))::numeric, 2),
			   CASE WHEN x.status NOT IN ('draft', 'submitted') THEN x.won END,
			   x.starts, x.ends,
			   CASE WHEN x.amended THEN 'Standard terms, amended' ELSE 'Standard terms' END,
			   CASE WHEN x.status IN ('completed', 'closed') THEN 100
					WHEN x.status IN ('executing', 'interrupted')
						THEN least(99, greatest(0, round(100.0 * (as_of - x.starts) / (x.ends - x.starts))))
					ELSE 0 END,
			   x.status, CASE WHEN x.amended THEN 2 ELSE 1 END, w.t3, w.t3
		  FROM pg_temp.demo_opportunity_walk w
		 CROSS JOIN LATERAL (
				SELECT y.*,
					   (CASE WHEN as_of - y.won < 10 THEN 'draft'
							 WHEN as_of - y.won < 20 THEN 'submitted'
							 WHEN as_of < y.starts THEN 'approved'
							 WHEN as_of <= y.ends AND @extschema@.demo_uniform(s, 111, w.id) < 0.08 THEN 'interrupted'
							 WHEN as_of <= y.ends THEN 'executing'
							 WHEN as_of <= y.ends + 90 THEN 'completed'
							 ELSE 'closed' END)::@extschema@.contract_status AS status,
					   as_of > y.starts + 30 AND @extschema@.demo_uniform(s, 112, w.id) < 0.1 AS amended
				  FROM (SELECT (w.t3 AT TIME ZONE 'UTC')::date AS won,
							   (w.t3 AT TIME ZONE 'UTC')::date + 30 AS starts,
							   (w.t3 AT TIME ZONE 'UTC')::date + 30
								 + (ARRAY[180, 365, 730])[1 + floor(3 * @extschema@.demo_uniform(s, 113, w.id))::integer] AS ends) y) x
		 WHERE w.stage = 'contract'
		 ORDER BY w.id;

		INSERT INTO @extschema@.contract_versions
			(customer_id, contract_id, version, amount, starts_on, ends_on, terms, valid_from, replaced_at, replaced_by)
		SELECT k.customer_id, k.id, 1, round(k.amount / 1.05, 2), k.starts_on, k.ends_on, 'Standard terms',
			   k.created_at, (k.starts_on + 30)::timestamp AT TIME ZONE 'UTC', 'sales_manager'
		  FROM @extschema@.contracts k
		 WHERE k.id BETWEEN 3 * (lo - 1) + 1 AND 3 * hi
		   AND k.version = 2;

		INSERT INTO @extschema@.contract_history
			(customer_id, contract_id, changed_at, changed_by, old_status, new_status, old_percent, new_percent)
		SELECT k.customer_id, k.id, (h.at::timestamp AT TIME ZONE 'UTC'), 'sales_manager',
			   h.old_status::@extschema@.contract_status, h.new_status::@extschema@.contract_status,
			   h.old_percent, h.new_percent
		  FROM @extschema@.contracts k
		 CROSS JOIN LATERAL (VALUES
				(1, (k.created_at AT TIME ZONE 'UTC')::date + 10, 'draft', 'submitted', 0, 0, k.status >= 'submitted'),
				(2, (k.created_at AT TIME ZONE 'UTC')::date + 20, 'submitted', 'approved', 0, 0, k.status >= 'approved'),
				(3, k.starts_on, 'approved', 'executing', 0, 0, k.status >= 'executing'),
				(4, as_of - 3, 'executing', 'interrupted', k.percent_complete, k.percent_complete, k.status = 'interrupted'),
				(5, k.ends_on, 'executing', 'completed', 0, 100, k.status >= 'completed'),
				(6, k.ends_on + 90, 'completed', 'closed', 100, 100, k.status = 'closed'))
				AS h(step, at, old_status, new_status, old_percent, new_percent, happened)
		 WHERE k.id BETWEEN 3 * (lo - 1) + 1 AND 3 * hi
		   AND h.happened
		 ORDER BY k.id, h.step;

		IF clock_timestamp() - last_report >= interval '5 seconds' THEN
			RAISE NOTICE 'generate_demo_data: % of % customers done, % orders, % s',
				hi, customers, n_orders, round(extract(epoch FROM clock_timestamp() - started)::numeric, 1);
			last_report := clock_timestamp();
		END IF;
		lo := hi + 1;
	END LOOP;

	-- Quotas: each year's target by region and by rep is the previous
	-- year's sales plus 10 %.
	-- (Sums per year, region and owner first: Citus runs no GROUPING SETS
	-- over distributed tables; numeric sums are exact either way.)
	INSERT INTO @extschema@.quotas (period_start, period_end, region, owner, target, note)
	WITH t AS MATERIALIZED (
		SELECT extract(year FROM o.ordered_at AT TIME ZONE 'UTC')::integer AS y, c.region, c.owner, sum(o.amount) AS amount
		  FROM @extschema@.orders o JOIN @extschema@.customers c ON c.id = o.customer_id
		 GROUP BY 1, 2, 3)
	SELECT make_date(y + 1, 1, 1), make_date(y + 1, 12, 31), region, owner,
		   round(sum(amount) * 1.10, -2), 'previous year''s sales + 10 %'
	  FROM t
	 GROUP BY GROUPING SETS ((y, region), (y, owner))
	HAVING (GROUPING(owner) = 0) = (owner IS NOT NULL)
	 ORDER BY 1, 3 NULLS FIRST, 4 NULLS FIRST;	-- ids in the same order wherever the orders are

	-- A manager's adjustment of the forecast roll-up of the first quarter
	-- of 2026 (crm.forecast_rollup): the commit of all reps, 10 % held
	-- back; from_amount as the roll-up computes it (the open deals expected
	-- to close in the quarter whose default category is commit).
	INSERT INTO @extschema@.forecast_adjustments
		(pipeline, period, period_start, level, name, category, from_amount, amount, note, adjusted_by, adjusted_at)
	SELECT 'project', 'quarter', '2026-01-01', 'all', NULL, 'commit', x.total, round(x.total * 0.9, -2),
		   '10 % held back: deals slip in January', 'demo_manager', '2026-01-02 09:00+00'
	  FROM (SELECT coalesce(sum(o.amount), 0) AS total
			  FROM @extschema@.opportunities o, @extschema@.pipeline_funnel('project') f
			 WHERE o.pipeline = 'project' AND o.status = 'open' AND o.forecast_category IS NULL
			   AND o.expected_close >= '2026-01-01' AND o.expected_close < '2026-04-01'
			   AND @extschema@.default_forecast_category(o.status, coalesce(o.win_probability,
					   CASE WHEN array_position(f.stages, o.stage) IS NULL THEN 1
							ELSE @extschema@.win_probability(array_position(f.stages, o.stage), f.conversion) END)) = 'commit') x;

	-- Identity sequences continue after the generated keys.
	PERFORM setval(pg_get_serial_sequence(t, 'id'), m, m IS NOT NULL)
	  FROM (VALUES ('@extschema@.customers', (SELECT max(id) FROM @extschema@.customers)),
				   ('@extschema@.contacts', (SELECT max(id) FROM @extschema@.contacts)),
				   ('@extschema@.campaigns', (SELECT max(id) FROM @extschema@.campaigns)),
				   ('@extschema@.opportunities', (SELECT max(id) FROM @extschema@.opportunities)),
				   ('@extschema@.contracts', (SELECT max(id) FROM @extschema@.contracts))) AS v(t, m);

	-- (On Citus, the workers' autovacuum analyzes the shards: an ANALYZE of
	-- the distributed tables here would need connections that the local
	-- writes above already hold.)
	IF NOT @extschema@.is_distributed() THEN
		ANALYZE @extschema@.customers, @extschema@.contacts, @extschema@.orders, @extschema@.service_costs,
				@extschema@.campaigns, @extschema@.campaign_members, @extschema@.opportunities,
				@extschema@.opportunity_owners, @extschema@.opportunity_history, @extschema@.quotes,
				@extschema@.contracts, @extschema@.contract_versions, @extschema@.contract_history,
				@extschema@.quotas, @extschema@.forecast_adjustments;
	END IF;

	IF clock_timestamp() - started >= interval '5 seconds' THEN
		RAISE NOTICE 'generate_demo_data: done, % customers, % orders, % s',
			customers, n_orders, round(extract(epoch FROM clock_timestamp() - started)::numeric, 1);
	END IF;

	RETURN QUERY
	SELECT v.t, v.n FROM (VALUES
		('customers', (SELECT count(*) FROM @extschema@.customers)),
		('contacts', (SELECT count(*) FROM @extschema@.contacts)),
		('orders', n_orders),
		('service_costs', (SELECT count(*) FROM @extschema@.service_costs)),
		('campaigns', (SELECT count(*) FROM @extschema@.campaigns)),
		('campaign_members', (SELECT count(*) FROM @extschema@.campaign_members)),
		('opportunities', (SELECT count(*) FROM @extschema@.opportunities)),
		('opportunity_owners', (SELECT count(*) FROM @extschema@.opportunity_owners)),
		('opportunity_history', (SELECT count(*) FROM @extschema@.opportunity_history)),
		('quotes', (SELECT count(*) FROM @extschema@.quotes)),
		('contracts', (SELECT count(*) FROM @extschema@.contracts)),
		('contract_versions', (SELECT count(*) FROM @extschema@.contract_versions)),
		('contract_history', (SELECT count(*) FROM @extschema@.contract_history)),
		('quotas', (SELECT count(*) FROM @extschema@.quotas)),
		('forecast_adjustments', (SELECT count(*) FROM @extschema@.forecast_adjustments))) AS v(t, n);
END;
$$;
COMMENT ON FUNCTION @extschema@.generate_demo_data(integer, integer) IS
	'Fills the empty CRM tables with deterministic demo data for the given number of customers (about 10 orders each, 2022-01-01 to 2025-12-31; analyse as of 2025-12-31); returns the rows per table. Reports progress every 5 s';

-- The forecast roll-up with manager adjustments (src/forecast.sql)

CREATE TABLE @extschema@.forecast_adjustments (
	id				bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
	pipeline		text NOT NULL,
	period			text NOT NULL CHECK (period IN ('month', 'quarter')),
	period_start	date NOT NULL,
	level			text NOT NULL CHECK (level IN ('rep', 'team', 'all')),
	name			text,
	category		@extschema@.forecast_category NOT NULL CHECK (category IN ('pipeline', 'best_case', 'commit')),
	from_amount		numeric(14,2) NOT NULL,
	amount			numeric(14,2) NOT NULL CHECK (amount OPERATOR(pg_catalog.>=) 0),
	note			text,
	adjusted_by		text NOT NULL DEFAULT CURRENT_USER,
	adjusted_at		timestamptz NOT NULL DEFAULT pg_catalog.now(),
	CONSTRAINT forecast_adjustments_name_check CHECK ((level OPERATOR(pg_catalog.=) 'all') OPERATOR(pg_catalog.=) (name IS NULL)),
	-- finite values only: NaN and infinity are not amounts, rates or times
	CONSTRAINT forecast_adjustments_from_amount_finite CHECK (from_amount OPERATOR(pg_catalog.>) '-Infinity' AND from_amount OPERATOR(pg_catalog.<) 'Infinity'),
	CONSTRAINT forecast_adjustments_amount_finite CHECK (amount OPERATOR(pg_catalog.>) '-Infinity' AND amount OPERATOR(pg_catalog.<) 'Infinity'),
	CONSTRAINT forecast_adjustments_period_start_finite CHECK (pg_catalog.isfinite(period_start)),
	CONSTRAINT forecast_adjustments_adjusted_at_finite CHECK (pg_catalog.isfinite(adjusted_at))
);
SELECT pg_catalog.pg_extension_config_dump('@extschema@.forecast_adjustments', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.forecast_adjustments_id_seq', '');
CREATE INDEX forecast_adjustments_period_idx ON @extschema@.forecast_adjustments (pipeline, period, period_start);

COMMENT ON TABLE @extschema@.forecast_adjustments IS
	'Manager adjustments of the forecast roll-up (crm.adjust_forecast): who set which figure of which pipeline, period, level and category, when, from what to what; append-only, the latest adjustment of a figure counts (crm.forecast_rollup)';
COMMENT ON COLUMN @extschema@.forecast_adjustments.id IS 'Adjustment identifier, increasing with time';
COMMENT ON COLUMN @extschema@.forecast_adjustments.pipeline IS 'Pipeline of the forecast';
COMMENT ON COLUMN @extschema@.forecast_adjustments.period IS 'month or quarter';
COMMENT ON COLUMN @extschema@.forecast_adjustments.period_start IS 'First day of the month or quarter';
COMMENT ON COLUMN @extschema@.forecast_adjustments.level IS 'rep, team or all';
COMMENT ON COLUMN @extschema@.forecast_adjustments.name IS 'The rep or the team (a role name); NULL for all';
COMMENT ON COLUMN @extschema@.forecast_adjustments.category IS 'The category adjusted: pipeline, best_case or commit (closed is what was won)';
COMMENT ON COLUMN @extschema@.forecast_adjustments.from_amount IS 'The roll-up''s figure when it was adjusted (the latest adjustment''s amount, if any, else the computed sum)';
COMMENT ON COLUMN @extschema@.forecast_adjustments.amount IS 'The figure the manager set, >= 0';
COMMENT ON COLUMN @extschema@.forecast_adjustments.note IS 'Why, in the manager''s words';
COMMENT ON COLUMN @extschema@.forecast_adjustments.adjusted_by IS 'Role that made the adjustment';
COMMENT ON COLUMN @extschema@.forecast_adjustments.adjusted_at IS 'When the adjustment was made (transaction time)';

CREATE FUNCTION @extschema@.default_forecast_category(status @extschema@.opportunity_status, win_probability float8)
RETURNS @extschema@.forecast_category
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE
	WHEN status OPERATOR(pg_catalog.=) 'won' THEN 'closed'
	WHEN status OPERATOR(pg_catalog.<>) 'open' THEN 'omitted'
	WHEN win_probability OPERATOR(pg_catalog.>=) 0.9 THEN 'commit'
	WHEN win_probability OPERATOR(pg_catalog.>=) 0.5 THEN 'best_case'
	ELSE 'pipeline' END::@extschema@.forecast_category;
COMMENT ON FUNCTION @extschema@.default_forecast_category(@extschema@.opportunity_status, float8) IS
	'The forecast category of a deal not set by its rep: closed when won; omitted when lost, terminated, suspended or archived; when open, commit from a win probability of 0.9, best_case from 0.5, pipeline below or without one';

-- The deals of a pipeline's period with their category: open deals
-- expected to close in the period, deals won or lost in it.
CREATE FUNCTION @extschema@.forecast_rollup(pipeline text, period_start date, period text DEFAULT 'month')
RETURNS TABLE (level text, name text, category @extschema@.forecast_category, deals bigint, amount numeric,
			   adjusted_amount numeric, adjusted_by text, adjusted_at timestamptz)
LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
	period_end	date;
BEGIN
	PERFORM @extschema@.check_forecast_period('forecast_rollup', pipeline, period_start, period);
	period_end := period_start + CASE period WHEN 'month' THEN interval '1 month' ELSE interval '3 months' END;
	RETURN QUERY
	WITH f AS (
		SELECT pf.stages, pf.conversion FROM @extschema@.pipeline_funnel(forecast_rollup.pipeline) pf
		 WHERE array_position(pf.conversion, NULL) IS NULL),
	d AS (
		SELECT o.owner, o.amount,
			   CASE WHEN o.status = 'won' THEN 'closed'::@extschema@.forecast_category
					WHEN o.status <> 'open' THEN 'omitted'
					ELSE coalesce(o.forecast_category, @extschema@.default_forecast_category(o.status,
						 coalesce(o.win_probability,
								  CASE WHEN array_position(f.stages, o.stage) IS NOT NULL
									   THEN @extschema@.win_probability(array_position(f.stages, o.stage), f.conversion)
									   WHEN s.is_final THEN 1 END)))
			   END AS category
		  FROM @extschema@.opportunities o
		  JOIN @extschema@.pipeline_stages s ON s.pipeline = o.pipeline AND s.stage = o.stage
		  LEFT JOIN f ON true
		 WHERE o.pipeline = forecast_rollup.pipeline
		   AND CASE WHEN o.status IN ('open', 'suspended')
					THEN o.expected_close >= forecast_rollup.period_start AND o.expected_close < period_end
					ELSE o.closed_at >= forecast_rollup.period_start AND o.closed_at < period_end END),
	-- the rep's teams: the roles its role is a direct member of
	teams AS (
		SELECT u.rolname::text AS owner, g.rolname::text AS team
		  FROM pg_auth_members m
		  JOIN pg_roles u ON u.oid = m.member
		  JOIN pg_roles g ON g.oid = m.roleid
		 WHERE g.rolname !~ '^(crm_|pg_)'),
	sums AS (
		SELECT 'rep' AS level, d.owner AS name, d.category, count(*) AS deals, sum(d.amount) AS amount
		  FROM d GROUP BY d.owner, d.category
		UNION ALL
		SELECT 'team', t.team, d.category, count(*), sum(d.amount)
		  FROM d JOIN teams t ON t.owner = d.owner GROUP BY t.team, d.category
		UNION ALL
		SELECT 'all', NULL, d.category, count(*), sum(d.amount)
		  FROM d GROUP BY d.category),
	adj AS (
		SELECT DISTINCT ON (a.level, a.name, a.category) a.level, a.name, a.category, a.amount, a.adjusted_by, a.adjusted_at
		  FROM @extschema@.forecast_adjustments a
		 WHERE a.pipeline = forecast_rollup.pipeline AND a.period = forecast_rollup.period
		   AND a.period_start = forecast_rollup.period_start
		 ORDER BY a.level, a.name, a.category, a.adjusted_at DESC, a.id DESC)
	SELECT coalesce(s.level, a.level), coalesce(s.name, a.name), coalesce(s.category, a.category),
		   coalesce(s.deals, 0), coalesce(s.amount, 0.00), coalesce(a.amount, s.amount, 0.00), a.adjusted_by, a.adjusted_at
	  FROM sums s
	  FULL JOIN adj a ON a.level = s.level AND coalesce(a.name, '') = coalesce(s.name, '') AND a.category = s.category
	 ORDER BY CASE coalesce(s.level, a.level) WHEN 'rep' THEN 1 WHEN 'team' THEN 2 ELSE 3 END,
			  coalesce(s.name, a.name), coalesce(s.category, a.category) DESC;
END;
$$;
COMMENT ON FUNCTION @extschema@.forecast_rollup(text, date, text) IS
	'The forecast of a pipeline for the month or quarter starting period_start, by level (rep: the deal''s owner; team: each role the owner''s role is a direct member of, other than crm_* and pg_*; all: name NULL) and forecast category: deals and amount of the open and suspended deals expected to close in the period and of the deals closed in it (closed_at), each in its category (set by the rep, else crm.default_forecast_category with its own win probability or its stage''s; won = closed, lost, terminated, suspended, archived = omitted); adjusted_amount = the latest manager adjustment (crm.forecast_adjustments) of that figure, else amount, with who and when. Rows with deals or an adjustment; rep, team, all, then by name and category from closed down. Errors as crm.adjust_forecast for the pipeline and period';

-- The checks of a pipeline and period, shared by the roll-up and the
-- adjustments.
CREATE FUNCTION @extschema@.check_forecast_period(fn text, pipeline text, period_start date, period text)
RETURNS void
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	PERFORM @extschema@.known_pipeline(pipeline);
	IF period IS NULL OR period NOT IN ('month', 'quarter') THEN
		RAISE EXCEPTION '%: unknown period %', fn, coalesce(quote_literal(period), 'NULL')
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'The period is ''month'' or ''quarter''.';
	END IF;
	IF period_start IS NULL OR NOT isfinite(period_start)
	   OR period_start <> date_trunc(period, period_start::timestamp)::date THEN
		RAISE EXCEPTION '%: % is not the first day of a %', fn, coalesce(to_char(period_start, 'YYYY-MM-DD'), 'NULL'), period
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = format('Give the first day of the %s, e.g. %s.', period,
								coalesce(to_char(date_trunc(period, period_start::timestamp), 'YYYY-MM-DD'), '2026-01-01'));
	END IF;
END;
$$;
COMMENT ON FUNCTION @extschema@.check_forecast_period(text, text, date, text) IS
	'Argument check of crm.forecast_rollup and crm.adjust_forecast (fn names the caller): unknown pipeline (22023, crm.known_pipeline), period other than month or quarter (22023), period_start not the first day of one (22023)';

CREATE FUNCTION @extschema@.adjust_forecast(pipeline text, period_start date, period text, level text, name text,
											category @extschema@.forecast_category, amount numeric, note text DEFAULT NULL)
RETURNS @extschema@.forecast_adjustments
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	r		@extschema@.forecast_adjustments;
	figure	numeric;
BEGIN
	PERFORM @extschema@.check_forecast_period('adjust_forecast', pipeline, period_start, period);
	IF level IS NULL OR level NOT IN ('rep', 'team', 'all') THEN
		RAISE EXCEPTION 'adjust_forecast: unknown level %', coalesce(quote_literal(level), 'NULL')
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'The level is ''rep'' (name a rep), ''team'' (name a team role) or ''all'' (name NULL).';
	END IF;
	IF (level = 'all') <> (name IS NULL) THEN
		RAISE EXCEPTION 'adjust_forecast: level % %', level,
						CASE WHEN name IS NULL THEN 'needs a name' ELSE 'takes no name' END
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'Name the rep or the team for levels rep and team; pass NULL for all.';
	END IF;
	IF category IS NULL OR category NOT IN ('pipeline', 'best_case', 'commit') THEN
		RAISE EXCEPTION 'adjust_forecast: category % cannot be adjusted', coalesce(category::text, 'NULL')
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'Adjust pipeline, best_case or commit; closed is what was won and omitted is left out.';
	END IF;
	IF amount IS NULL OR amount < 0 OR amount = 'NaN' OR amount >= 1e12 THEN
		RAISE EXCEPTION 'adjust_forecast: amount must be a number from 0 to below 10^12, got %', coalesce(amount::text, 'NULL')
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'Give the figure the forecast should show, e.g. 250000.';
	END IF;
	SELECT x.adjusted_amount INTO figure
	  FROM @extschema@.forecast_rollup(adjust_forecast.pipeline, adjust_forecast.period_start, adjust_forecast.period) x
	 WHERE x.level = adjust_forecast.level AND x.name IS NOT DISTINCT FROM adjust_forecast.name
	   AND x.category = adjust_forecast.category;
	INSERT INTO @extschema@.forecast_adjustments (pipeline, period, period_start, level, name, category, from_amount, amount, note)
	VALUES (adjust_forecast.pipeline, adjust_forecast.period, adjust_forecast.period_start, adjust_forecast.level,
			adjust_forecast.name, adjust_forecast.category, coalesce(figure, 0), round(adjust_forecast.amount, 2), note)
	RETURNING * INTO r;
	RETURN r;
END;
$$;
COMMENT ON FUNCTION @extschema@.adjust_forecast(text, date, text, text, text, @extschema@.forecast_category, numeric, text) IS
	'A manager''s adjustment of one figure of crm.forecast_rollup: records in crm.forecast_adjustments who (current role), when, from what (the roll-up''s figure now, adjusted or computed) to what (amount, rounded to cents) and why (note); returns the row. crm_manager and up. Errors (22023): unknown pipeline, period other than month or quarter, period_start not its first day, level other than rep, team or all, a name for all or none for rep or team, category other than pipeline, best_case or commit, amount NULL, negative or from 10^12; 42501 without the privilege';

-- what src/roles.sql grants on the new tables, views and functions
GRANT SELECT ON @extschema@.pipeline_hygiene, @extschema@.forecast_adjustments TO crm_reader;
GRANT USAGE ON SEQUENCE @extschema@.forecast_adjustments_id_seq TO crm_rep;
GRANT INSERT ON @extschema@.forecast_adjustments TO crm_manager;
REVOKE EXECUTE ON FUNCTION
	@extschema@.adjust_forecast(text, date, text, text, text, @extschema@.forecast_category, numeric, text)
	FROM PUBLIC;
GRANT EXECUTE ON FUNCTION
	@extschema@.adjust_forecast(text, date, text, text, text, @extschema@.forecast_category, numeric, text)
	TO crm_manager;
