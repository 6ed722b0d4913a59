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
	IF @extschema@.is_distributed() THEN
		RAISE EXCEPTION 'crm.opportunities_as_of is not available on a distributed crm yet'
			USING ERRCODE = 'feature_not_supported',
				  HINT = 'Run it on a single-node copy; crm.funnel and crm.pipeline_forecast work distributed.';
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
	'Every opportunity that existed at the moment at (created_at <= at) with its stage, status, amount and owner as of then, reconstructed from crm.opportunity_history: the new values of its last history row at or before at (by changed_at, then id), else the old values of its first row, else its current values (a NULL in a history column stands for the current value); the pipeline is the current one; stage_entered_at = its last stage change at or before at, else created_at; last_change_at = its last history row at or before at (NULL: none). expected_close and win_probability have no history and are not given. Deleted opportunities are gone from the past too. Errors: infinite at (22008); a distributed crm (0A000)';

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
	IF @extschema@.is_distributed() THEN
		RAISE EXCEPTION 'crm.% is not available on a distributed crm yet', fn
			USING ERRCODE = 'feature_not_supported',
				  HINT = 'Run it on a single-node copy; crm.funnel and crm.pipeline_forecast work distributed.';
	END IF;
END;
$$;
COMMENT ON FUNCTION @extschema@.check_period(text, timestamptz, timestamptz, text) IS
	'Argument check of crm.pipeline_changes and crm.pipeline_waterfall (fn names the caller in the messages): NULL ends (22004), an infinite end (22008), from_at after to_at (22023), an unknown pipeline (22023, crm.known_pipeline), a distributed crm (0A000)';

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
	-- One pass over the history of the deals that existed by to_at, sorted
	-- by deal and time (joined on customer_id and the opportunity, as the
	-- keys are): each row's before-state is the previous row's after-state
	-- (or its own old values), and the first row after created_at carries
	-- the state at creation in its before-state (the last row's after-state
	-- when every row is at or before created_at).  Each row gives up to two
	-- events: the deal's creation, when it falls in the period, and its own
	-- change, when that does.  Deals without history add their creation.
	RETURN QUERY
	SELECT e.opportunity_id, e.customer_id, e.pipeline, e.changed_at, e.changed_by, k.change,
		   e.b_stage, e.a_stage, e.b_status, e.a_status, e.b_amount, e.a_amount, e.a_owner, k.delta
	  FROM (
		SELECT h.opportunity_id, h.customer_id, h.pipeline, ev.*
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
				 WHERE o.created_at <= pipeline_changes.to_at
				   AND (pipeline_changes.pipeline_name IS NULL OR o.pipeline = pipeline_changes.pipeline_name)
				WINDOW w AS (PARTITION BY x.customer_id, x.opportunity_id ORDER BY x.changed_at, x.id)) h
		 CROSS JOIN LATERAL (
				-- the creation, in the state at created_at
				SELECT h.created_at, 0::bigint, NULL::text, true,
					   NULL::text, NULL::@extschema@.opportunity_status, NULL::numeric, NULL::text,
					   CASE WHEN h.changed_at > h.created_at THEN h.b_stage ELSE h.a_stage END,
					   CASE WHEN h.changed_at > h.created_at THEN h.b_status ELSE h.a_status END,
					   CASE WHEN h.changed_at > h.created_at THEN h.b_amount ELSE h.a_amount END,
					   CASE WHEN h.changed_at > h.created_at THEN h.b_owner ELSE h.a_owner END
				 WHERE h.created_at > pipeline_changes.from_at
				   AND ((h.changed_at > h.created_at AND (h.prev_at IS NULL OR h.prev_at <= h.created_at))
						OR (h.is_last AND h.changed_at <= h.created_at))
				UNION ALL
				-- the row's own change (rows at or before created_at are part
				-- of the state at creation)
				SELECT h.changed_at, h.id, h.changed_by, false,
					   h.b_stage, h.b_status, h.b_amount, h.b_owner, h.a_stage, h.a_status, h.a_amount, h.a_owner
				 WHERE h.changed_at > pipeline_changes.from_at AND h.changed_at <= pipeline_changes.to_at
				   AND h.changed_at > h.created_at)
			AS ev(changed_at, hid, changed_by, is_new, b_stage, b_status, b_amount, b_owner,
				  a_stage, a_status, a_amount, a_owner)
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
	 CROSS JOIN LATERAL (VALUES
			(1, 'new', CASE WHEN e.a_status = 'open' THEN e.a_amount ELSE 0 END, e.is_new),
			(2, CASE WHEN e.a_amount > e.b_amount THEN 'amount up' ELSE 'amount down' END,
			 CASE WHEN e.b_status = 'open' THEN e.a_amount - e.b_amount ELSE 0 END,
			 NOT e.is_new AND e.a_amount IS DISTINCT FROM e.b_amount),
			(3, CASE e.a_status WHEN 'open' THEN 'reopened' ELSE e.a_status::text END,
			 CASE WHEN e.a_status = 'open' THEN e.a_amount ELSE 0 END
			 - CASE WHEN e.b_status = 'open' THEN e.a_amount ELSE 0 END,
			 NOT e.is_new AND e.a_status IS DISTINCT FROM e.b_status),
			(4, CASE WHEN sa.position > sb.position THEN 'stage forward'
					 WHEN sa.position < sb.position THEN 'stage back'
					 ELSE 'stage changed' END,
			 0::numeric, NOT e.is_new AND e.a_stage IS DISTINCT FROM e.b_stage),
			(5, 'transferred', 0::numeric, NOT e.is_new AND e.a_owner IS DISTINCT FROM e.b_owner))
			AS k(ord, change, delta, happened)
	 WHERE k.happened
	 ORDER BY e.changed_at, e.opportunity_id, e.hid, k.ord;
END;
$$;
COMMENT ON FUNCTION @extschema@.pipeline_changes(timestamptz, timestamptz, text) IS
	'What changed in the open pipeline (status open) from from_at (excluded) to to_at (included), reconstructed from crm.opportunity_history, one row per deal, event and aspect: change is new, amount up, amount down, won, lost, terminated, suspended, reopened, archived, stage forward, stage back, stage changed (a stage not in the pipeline any more) or transferred; amount_delta its effect on the open pipeline, so that the open amount of crm.opportunities_as_of(from_at) plus the sum of amount_delta equals that of crm.opportunities_as_of(to_at) exactly; old_/new_ stage, status and amount around the event (NULL old values for new), owner after it; NULL pipeline_name = all pipelines. Close-date moves (pulled in, pushed out) are not in the history. Errors: NULL ends (22004), infinite ends (22008), from_at after to_at (22023), unknown pipeline (22023), a distributed crm (0A000)';

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
	IF @extschema@.is_distributed() THEN
		RAISE EXCEPTION 'crm.forecast_as_of is not available on a distributed crm yet'
			USING ERRCODE = 'feature_not_supported',
				  HINT = 'Run it on a single-node copy; crm.funnel and crm.pipeline_forecast work distributed.';
	END IF;
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
	'What crm.pipeline_forecast would have said at the past moment as_of, per rep: the expected revenue of the pipeline''s deals open at as_of (crm.opportunities_as_of) per owner as of then and month 1..horizon after as_of (months of 30.4375 days), with the time each had spent in its stage by then; the pipeline''s current stage rates and durations (they have no history); the deals'' own win probabilities are not used (no history either); a deal open at the final stage closes in month 1 with probability 1. No rows without open deals or without open stages. Errors: unknown pipeline (22023), horizon outside 1..1200 (22023), infinite as_of (22008), a distributed crm (0A000), those of crm.funnel_forecast when a stage lacks its rate or duration';

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
	IF @extschema@.is_distributed() THEN
		RAISE EXCEPTION 'crm.forecast_accuracy is not available on a distributed crm yet'
			USING ERRCODE = 'feature_not_supported',
				  HINT = 'Run it on a single-node copy; crm.funnel and crm.pipeline_forecast work distributed.';
	END IF;
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
	'Forecast accuracy of a pipeline per period and rep: for every month (period ''month'') or quarter (''quarter'') starting from from_date up to to_date (first days in the session time zone), forecast = what crm.forecast_as_of said at the period''s start for its months 1..1 or 1..3, per owner as of then; won = the amounts won in the period (start excluded, end included; crm.pipeline_changes), per owner at the win; error = forecast - won (positive: over-forecast; its sum over periods over the sum won is the bias); abs_pct_error = |error| / won (NULL when nothing was won), to 4 places. A row per period and owner with a forecast or a win other than 0, and a total row per period with owner NULL (every period has one). Errors: unknown period (22023), from_date after to_date or infinite (22023), unknown pipeline (22023), a distributed crm (0A000)';

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
	IF @extschema@.is_distributed() THEN
		RAISE EXCEPTION 'crm.pipeline_issues is not available on a distributed crm yet'
			USING ERRCODE = 'feature_not_supported',
				  HINT = 'Run it on a single-node copy; crm.funnel and crm.handover work distributed.';
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
	'Pipeline hygiene: one row per open deal (status open) and issue, with a readable detail: past close date (expected_close before as_of''s date), no activity (no history row and no creation for more than idle_days days before as_of; default 30), skipped stages (a recorded forward move past at least one stage of the pipeline), amount far from stage (above amount_factor times or below 1/amount_factor of the median amount of the open deals in its stage, when it has 3 at least; default 3), probability far from stage (own win_probability further than probability_gap from the stage''s funnel win probability, crm.win_probability; default 0.3). Current state of the deals; as_of (default now()) is the moment ages are measured from. Ordered by owner and deal. Errors: infinite as_of (22008), idle_days < 1, amount_factor not above 1 or infinite, probability_gap outside (0, 1) (22023), a distributed crm (0A000)';

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
	IF @extschema@.is_distributed() THEN
		RAISE EXCEPTION 'crm.deal_snapshots is not available on a distributed crm yet'
			USING ERRCODE = 'feature_not_supported',
				  HINT = 'Run it on a single-node copy; crm.nb_train and crm.nb_score work on any rows.';
	END IF;
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
	'Training rows for crm.nb_train: every closed deal of the pipeline once per open stage it was in before it closed (the first stage from created_at, then each stage change of crm.opportunity_history), with when it entered the stage, when it closed (its first change to won, lost or terminated; for a deal closed without such history, its status and closed_at) and whether it was won. Stages are matched by name in the pipeline; the final stage is left out (reached on winning). Errors: unknown pipeline (22023), a distributed crm (0A000)';

-- what src/roles.sql grants on every table and view
GRANT SELECT ON @extschema@.pipeline_hygiene TO crm_reader;
