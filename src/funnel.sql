/*
 * funnel.sql: funnel weighting and forecast (C in funnel.c), the empirical
 * funnel from opportunity history, the funnel view and the hand-over list.
 *
 * A pipeline's open stages are numbered 1..n by position (the final, won
 * stage is not counted); crm.pipeline_funnel(pipeline) gives its arrays:
 * conversion[i] = the rate from stage i to the next (the last: to won) and
 * stage_months[i] = mean months in stage i (mean_days / 30.4375).  A worked
 * example, 180,000 in each of the next three months:
 *
 *   SELECT crm.funnel_forecast(stage, amount, '{0.5,0.8,0.9}', '{2,1,1}', 3)
 *     FROM (VALUES (1, 500000), (2, 250000), (3, 200000)) AS o(stage, amount);
 *   -- {180000.00,180000.00,180000.00}
 *
 * One row per month: SELECT * FROM unnest(crm.funnel_forecast(...)) WITH
 * ORDINALITY AS f(expected_revenue, month), or crm.pipeline_forecast.
 */

--------------------------------------------------------------------------
-- Weighting
--------------------------------------------------------------------------

CREATE FUNCTION @extschema@.win_probability(stage integer, conversion float8[])
RETURNS float8
AS 'MODULE_PATHNAME', 'crm_win_probability'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.win_probability(integer, float8[]) IS
	'Probability 0..1 that an opportunity now in open stage stage (1 = first) is eventually won: conversion[stage] * conversion[stage + 1] * ... * conversion[n], where conversion[i] is the rate from open stage i to the next (the last: to won), taken by position. Errors: empty or multi-dimensional conversion (22023), a NULL element (22004), a rate outside [0, 1] or NaN (22023), stage outside 1..n (2202E)';

CREATE FUNCTION @extschema@.win_probability(stage integer, conversion float8[], own_probability float8)
RETURNS float8
AS 'MODULE_PATHNAME', 'crm_win_probability'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.win_probability(integer, float8[], float8) IS
	'The opportunity''s own win probability when it is not NULL (it overrides the funnel; must be in [0, 1], else 22023), otherwise crm.win_probability(stage, conversion); NULL stage or conversion without an own probability: NULL';

CREATE FUNCTION @extschema@.months_to_close(stage integer, stage_months float8[], months_in_stage float8 DEFAULT NULL)
RETURNS float8
AS 'MODULE_PATHNAME', 'crm_months_to_close'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.months_to_close(integer, float8[], float8) IS
	'Expected months until an opportunity in open stage stage closes: the rest of its stage, max(stage_months[stage] - months_in_stage, 0), or stage_months[stage] / 2 when months_in_stage is NULL (unknown), plus stage_months of every later open stage. It lands in forecast month max(1, ceil(result)). NULL stage or stage_months: NULL. Errors: bad array (22023, NULL element 22004), a duration negative or not finite (22023), stage outside 1..n (2202E), months_in_stage negative or not finite (22023)';

--------------------------------------------------------------------------
-- The forecast aggregate
--------------------------------------------------------------------------

CREATE FUNCTION @extschema@.funnel_forecast_trans(state float8[], stage integer, amount numeric,
												  conversion float8[], stage_months float8[], horizon integer)
RETURNS float8[]
AS 'MODULE_PATHNAME', 'crm_funnel_forecast_trans'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.funnel_forecast_trans(float8[], integer, numeric, float8[], float8[], integer) IS
	'Transition function of crm.funnel_forecast: adds amount * win probability to the state''s month of expected close (state: format tag, horizon, rows, reserved, then per month a sum and its compensation)';

CREATE FUNCTION @extschema@.funnel_forecast_trans(state float8[], stage integer, amount numeric,
												  conversion float8[], stage_months float8[], horizon integer,
												  months_in_stage float8)
RETURNS float8[]
AS 'MODULE_PATHNAME', 'crm_funnel_forecast_trans'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.funnel_forecast_trans(float8[], integer, numeric, float8[], float8[], integer, float8) IS
	'Transition function of crm.funnel_forecast with the months already spent in the current stage (NULL = unknown)';

CREATE FUNCTION @extschema@.funnel_forecast_trans(state float8[], stage integer, amount numeric,
												  conversion float8[], stage_months float8[], horizon integer,
												  months_in_stage float8, win_probability float8)
RETURNS float8[]
AS 'MODULE_PATHNAME', 'crm_funnel_forecast_trans'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.funnel_forecast_trans(float8[], integer, numeric, float8[], float8[], integer, float8, float8) IS
	'Transition function of crm.funnel_forecast with the months spent in stage and the opportunity''s own win probability (NULL = the funnel''s)';

CREATE FUNCTION @extschema@.funnel_forecast_combine(float8[], float8[])
RETURNS float8[]
AS 'MODULE_PATHNAME', 'crm_funnel_forecast_combine'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.funnel_forecast_combine(float8[], float8[]) IS
	'Combine function of crm.funnel_forecast: adds two partial states month by month (same horizon, else 22023)';

CREATE FUNCTION @extschema@.funnel_forecast_final(float8[])
RETURNS numeric[]
AS 'MODULE_PATHNAME', 'crm_funnel_forecast_final'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.funnel_forecast_final(float8[]) IS
	'Final function of crm.funnel_forecast: the expected revenue of months 1..horizon, each rounded to cents (half a cent away from zero)';

-- SSPACE: header and 2 x 12 months, the usual horizon
CREATE AGGREGATE @extschema@.funnel_forecast(stage integer, amount numeric, conversion float8[],
											 stage_months float8[], horizon integer) (
	SFUNC = @extschema@.funnel_forecast_trans, STYPE = float8[], SSPACE = 256,
	FINALFUNC = @extschema@.funnel_forecast_final,
	COMBINEFUNC = @extschema@.funnel_forecast_combine, PARALLEL = SAFE);
CREATE AGGREGATE @extschema@.funnel_forecast(stage integer, amount numeric, conversion float8[],
											 stage_months float8[], horizon integer, months_in_stage float8) (
	SFUNC = @extschema@.funnel_forecast_trans, STYPE = float8[], SSPACE = 256,
	FINALFUNC = @extschema@.funnel_forecast_final,
	COMBINEFUNC = @extschema@.funnel_forecast_combine, PARALLEL = SAFE);
CREATE AGGREGATE @extschema@.funnel_forecast(stage integer, amount numeric, conversion float8[],
											 stage_months float8[], horizon integer, months_in_stage float8,
											 win_probability float8) (
	SFUNC = @extschema@.funnel_forecast_trans, STYPE = float8[], SSPACE = 256,
	FINALFUNC = @extschema@.funnel_forecast_final,
	COMBINEFUNC = @extschema@.funnel_forecast_combine, PARALLEL = SAFE);

COMMENT ON AGGREGATE @extschema@.funnel_forecast(integer, numeric, float8[], float8[], integer) IS
	'Expected revenue per future month 1..horizon as numeric[] (cents): each open opportunity adds amount * crm.win_probability(stage, conversion) to month max(1, ceil(remaining)), remaining = stage_months[stage] / 2 (time in stage unknown) + stage_months of the later stages (crm.months_to_close); months beyond the horizon are left out. Rows with NULL stage or amount are skipped; no rows: NULL. conversion, stage_months and horizon must be the same on every row (cached, validated once). Errors: NULL funnel or horizon (22004), horizon outside 1..1200 (22023), array errors as crm.win_probability, stage outside 1..n (2202E), amount not finite or >= 10^14 (22003)';
COMMENT ON AGGREGATE @extschema@.funnel_forecast(integer, numeric, float8[], float8[], integer, float8) IS
	'crm.funnel_forecast with months_in_stage, the months the opportunity has already spent in its stage: the rest of the stage is max(stage_months[stage] - months_in_stage, 0); NULL = unknown (half the stage)';
COMMENT ON AGGREGATE @extschema@.funnel_forecast(integer, numeric, float8[], float8[], integer, float8, float8) IS
	'crm.funnel_forecast with months_in_stage and the opportunity''s own win probability, which overrides the funnel''s when not NULL (0..1, else 22023)';

--------------------------------------------------------------------------
-- Pipelines as arrays, the forecast of a pipeline
--------------------------------------------------------------------------

-- The name of an existing pipeline, or error 22023 naming the known ones:
-- an unknown pipeline must not look like an empty one.
CREATE FUNCTION @extschema@.known_pipeline(pipeline text)
RETURNS text
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF NOT EXISTS (SELECT FROM @extschema@.pipeline_stages s WHERE s.pipeline = known_pipeline.pipeline) THEN
		RAISE EXCEPTION 'unknown pipeline %', coalesce(quote_literal(pipeline), 'NULL')
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = coalesce('Known pipelines: ' ||
								  (SELECT string_agg(DISTINCT quote_literal(s.pipeline), ', ')
									 FROM @extschema@.pipeline_stages s) || '. Names are case-sensitive.',
								  'crm.pipeline_stages has no pipeline.');
	END IF;
	RETURN pipeline;
END;
$$;
COMMENT ON FUNCTION @extschema@.known_pipeline(text) IS
	'Returns pipeline when crm.pipeline_stages has it; otherwise error 22023 listing the known pipelines (names are case-sensitive)';

CREATE FUNCTION @extschema@.pipeline_funnel(pipeline text)
RETURNS TABLE (stages text[], conversion float8[], stage_months float8[], visits_per_week float8[])
LANGUAGE sql STABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT pg_catalog.array_agg(s.stage ORDER BY s.position),
		   pg_catalog.array_agg(s.conversion_rate ORDER BY s.position),
		   pg_catalog.array_agg(s.mean_days OPERATOR(pg_catalog./) 30.4375 ORDER BY s.position),
		   pg_catalog.array_agg(s.visits_per_week ORDER BY s.position)
	  FROM @extschema@.pipeline_stages s
	 WHERE s.pipeline OPERATOR(pg_catalog.=) @extschema@.known_pipeline($1) AND NOT s.is_final
	HAVING pg_catalog.count(*) OPERATOR(pg_catalog.>) 0
$$;
COMMENT ON FUNCTION @extschema@.pipeline_funnel(text) IS
	'The open stages of a pipeline in order of position, as arrays for crm.win_probability and crm.funnel_forecast: stage names, conversion rates to the next stage, mean months in stage (mean_days / 30.4375) and planned visits per week; a stage without a rate or duration gives a NULL element. No row for a pipeline without open stages; error 22023 for an unknown pipeline (crm.known_pipeline)';

CREATE FUNCTION @extschema@.stage_entered_at(opportunity_id bigint)
RETURNS timestamptz
LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	RETURN COALESCE(
		(SELECT max(h.changed_at) FROM @extschema@.opportunity_history h
		  WHERE h.opportunity_id = stage_entered_at.opportunity_id
			AND h.old_stage IS DISTINCT FROM h.new_stage),
		(SELECT o.created_at FROM @extschema@.opportunities o WHERE o.id = stage_entered_at.opportunity_id));
END;
$$;
COMMENT ON FUNCTION @extschema@.stage_entered_at(bigint) IS
	'When the opportunity entered its current stage: its last stage change in crm.opportunity_history, or its created_at when it never changed stage; NULL for an unknown opportunity';

CREATE FUNCTION @extschema@.pipeline_forecast(pipeline text, horizon integer DEFAULT 3,
											  as_of timestamptz DEFAULT pg_catalog.now())
RETURNS TABLE (month integer, expected_revenue numeric)
LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	p		record;
	final	text;		-- the pipeline's final (won) stage
	n		integer;	-- its open stages
BEGIN
	-- arguments first, each with its own error (not one from deep inside
	-- the query below)
	IF NOT isfinite(as_of) THEN
		RAISE EXCEPTION 'pipeline_forecast: as_of must be a finite point in time, got %', as_of
			USING ERRCODE = 'datetime_field_overflow',
				  HINT = 'Pass the moment to forecast from, e.g. now() (the default).';
	END IF;
	IF horizon < 1 OR horizon > 1200 THEN
		RAISE EXCEPTION 'pipeline_forecast: horizon % is outside 1..1200 months', horizon
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'Give the number of future months to forecast, e.g. 3.';
	END IF;
	PERFORM @extschema@.known_pipeline(pipeline_forecast.pipeline);
	SELECT * INTO p FROM @extschema@.pipeline_funnel(pipeline_forecast.pipeline);
	IF NOT FOUND THEN
		RETURN;		-- a pipeline without open stages has nothing to forecast
	END IF;
	n := cardinality(p.stages);
	SELECT s.stage INTO final FROM @extschema@.pipeline_stages s
	 WHERE s.pipeline = pipeline_forecast.pipeline AND s.is_final;
	-- The time in stage from a join to the history (crm.stage_entered_at's
	-- rule, set-based): per customer and opportunity, so that under Citus
	-- the whole query runs on the shards and only the forecast states of
	-- the aggregate travel.
	-- An opportunity still open at the final stage has reached it but is
	-- not marked won yet: it is counted, closing in month 1 with its own
	-- win probability or 1 (passed to the aggregate as the last open stage
	-- with all of that stage's time spent, so nothing remains of it).
	RETURN QUERY
	SELECT f.month::integer, f.expected_revenue
	  FROM (SELECT @extschema@.funnel_forecast(
					   coalesce(array_position(p.stages, o.stage), n), o.amount, p.conversion, p.stage_months, pipeline_forecast.horizon,
					   CASE WHEN o.stage = final THEN p.stage_months[n]
							ELSE greatest(date_part('epoch', pipeline_forecast.as_of - coalesce(e.entered_at, o.created_at)) / (86400 * 30.4375), 0)
					   END,
					   CASE WHEN o.stage = final THEN coalesce(o.win_probability, 1) ELSE o.win_probability END) AS months
			  FROM @extschema@.opportunities o
			  LEFT JOIN (SELECT h.customer_id, h.opportunity_id, max(h.changed_at) AS entered_at
						   FROM @extschema@.opportunity_history h
						  WHERE h.old_stage IS DISTINCT FROM h.new_stage
						  GROUP BY h.customer_id, h.opportunity_id) e
				ON e.customer_id = o.customer_id AND e.opportunity_id = o.id
			 WHERE o.pipeline = pipeline_forecast.pipeline AND o.status = 'open'
			   AND (o.stage = ANY (p.stages) OR o.stage = final)) a,
		   LATERAL unnest(coalesce(a.months, array_fill(0::numeric, ARRAY[pipeline_forecast.horizon])))
			   WITH ORDINALITY AS f(expected_revenue, month);
END;
$$;
COMMENT ON FUNCTION @extschema@.pipeline_forecast(text, integer, timestamptz) IS
	'Expected revenue of a pipeline''s open opportunities per month 1..horizon after as_of (months of 30.4375 days): crm.funnel_forecast with the pipeline''s funnel, the time each opportunity has spent in its stage (as_of - crm.stage_entered_at) and its own win probability when set. An open opportunity at the final stage (reached, not yet marked won) closes in month 1 with its own win probability or 1. Suspended opportunities are left out. No rows for a pipeline without open stages. Errors: unknown pipeline (22023, crm.known_pipeline), horizon outside 1..1200 (22023), infinite as_of (22008), those of crm.funnel_forecast when a stage lacks its rate or duration';

--------------------------------------------------------------------------
-- The empirical funnel
--------------------------------------------------------------------------

CREATE FUNCTION @extschema@.empirical_funnel(pipeline text)
RETURNS TABLE (stage text, "position" integer, reached bigint, converted bigint, failed bigint,
			   still_open bigint, conversion_rate float8, mean_days float8)
LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
BEGIN
	IF @extschema@.is_distributed() THEN
		-- its per-stage visits join the history to itself across CTEs, which
		-- Citus 13.2 cannot plan (lateral outer join over complex subqueries)
		RAISE EXCEPTION 'crm.empirical_funnel is not available on a distributed crm yet'
			USING ERRCODE = 'feature_not_supported',
				  HINT = 'Run it on a single-node copy, or set the stage rates by hand in crm.pipeline_stages; crm.funnel and crm.pipeline_forecast work distributed.';
	END IF;
	RETURN QUERY
WITH st AS (
	SELECT s.stage, s.position, s.is_final
	  FROM @extschema@.pipeline_stages s WHERE s.pipeline OPERATOR(pg_catalog.=) $1),
opp AS (
	SELECT o.id, o.created_at, o.stage, o.status, o.closed_at
	  FROM @extschema@.opportunities o WHERE o.pipeline OPERATOR(pg_catalog.=) $1),
moves AS (
	SELECT h.id, h.opportunity_id, h.changed_at, h.old_stage, h.new_stage
	  FROM @extschema@.opportunity_history h JOIN opp ON opp.id OPERATOR(pg_catalog.=) h.opportunity_id
	 WHERE h.old_stage IS DISTINCT FROM h.new_stage),
-- every stay in a stage: the first from created_at, then one per stage change
visits AS (
	SELECT opp.id AS opportunity_id, COALESCE(f.old_stage, opp.stage) AS stage,
		   opp.created_at AS entered_at, 0::bigint AS seq
	  FROM opp LEFT JOIN LATERAL (
			SELECT m.old_stage FROM moves m WHERE m.opportunity_id OPERATOR(pg_catalog.=) opp.id
			 ORDER BY m.changed_at, m.id LIMIT 1) f ON true
	UNION ALL
	SELECT m.opportunity_id, m.new_stage, m.changed_at, m.id FROM moves m),
-- how the opportunity closed: its first change to won, lost or terminated
closing AS (
	SELECT opp.id AS opportunity_id,
		   COALESCE(c.new_status, CASE WHEN opp.status IN ('won', 'lost', 'terminated') THEN opp.status END) AS outcome,
		   COALESCE(c.changed_at, opp.closed_at) AS closed_at
	  FROM opp LEFT JOIN LATERAL (
			SELECT h.new_status, h.changed_at FROM @extschema@.opportunity_history h
			 WHERE h.opportunity_id OPERATOR(pg_catalog.=) opp.id
			   AND h.new_status IN ('won', 'lost', 'terminated')
			   AND h.old_status IS DISTINCT FROM h.new_status
			 ORDER BY h.changed_at, h.id LIMIT 1) c ON true),
stays AS (
	SELECT v.opportunity_id, v.stage, st.position, v.entered_at,
		   COALESCE(pg_catalog.lead(v.entered_at) OVER w, cl.closed_at) AS left_at,
		   cl.outcome
	  FROM visits v
	  JOIN st ON st.stage OPERATOR(pg_catalog.=) v.stage
	  JOIN closing cl ON cl.opportunity_id OPERATOR(pg_catalog.=) v.opportunity_id
	WINDOW w AS (PARTITION BY v.opportunity_id ORDER BY v.entered_at, v.seq)),
-- per opportunity and open stage: converted when a later stage was reached
-- after it, or the deal was won; failed when lost or terminated without
-- that; otherwise still open (not counted in the rate)
per_stage AS (
	SELECT s.opportunity_id, s.stage, s.position,
		   (COALESCE(pg_catalog.bool_or(s.outcome OPERATOR(pg_catalog.=) 'won'), false)
			OR EXISTS (SELECT FROM stays l
						WHERE l.opportunity_id OPERATOR(pg_catalog.=) s.opportunity_id
						  AND l.position OPERATOR(pg_catalog.>) s.position
						  AND l.entered_at OPERATOR(pg_catalog.>) pg_catalog.min(s.entered_at))) AS converted,
		   COALESCE(pg_catalog.bool_or(s.outcome IN ('lost', 'terminated')), false) AS closed_lost,
		   pg_catalog.sum(s.left_at OPERATOR(pg_catalog.-) s.entered_at) AS time_in_stage
	  FROM stays s
	 WHERE NOT (SELECT st.is_final FROM st WHERE st.stage OPERATOR(pg_catalog.=) s.stage)
	 GROUP BY s.opportunity_id, s.stage, s.position)
SELECT st.stage, st.position::integer,
	   pg_catalog.count(p.opportunity_id),
	   pg_catalog.count(*) FILTER (WHERE p.converted),
	   pg_catalog.count(*) FILTER (WHERE NOT p.converted AND p.closed_lost),
	   pg_catalog.count(*) FILTER (WHERE NOT p.converted AND NOT p.closed_lost),
	   (pg_catalog.count(*) FILTER (WHERE p.converted))::float8
		   OPERATOR(pg_catalog./) NULLIF(pg_catalog.count(*) FILTER (WHERE p.converted OR p.closed_lost), 0),
	   pg_catalog.avg(pg_catalog.date_part('epoch', p.time_in_stage) OPERATOR(pg_catalog./) 86400)
		   FILTER (WHERE p.converted AND p.time_in_stage IS NOT NULL)
  FROM st LEFT JOIN per_stage p ON p.stage OPERATOR(pg_catalog.=) st.stage
 WHERE NOT st.is_final
 GROUP BY st.stage, st.position
 ORDER BY st.position;
END;
$$;
COMMENT ON FUNCTION @extschema@.empirical_funnel(text) IS
	'Observed funnel of a pipeline from crm.opportunity_history, one row per open stage in order: reached = opportunities that were ever in the stage (the first stage starts at created_at, each stage change starts the next); converted = of those, reached a later stage afterwards or were won; failed = lost or terminated without that; still_open = neither (open, suspended, or archived without a recorded outcome): not counted as failures; conversion_rate = converted / (converted + failed), NULL without closed cases; mean_days = mean days spent in the stage (all stays summed per opportunity) by the converted ones. History of a stage under an earlier name is not matched';

CREATE PROCEDURE @extschema@.apply_empirical_funnel(pipeline text, min_closed integer DEFAULT 1)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF pipeline IS NULL OR min_closed IS NULL OR min_closed < 1 THEN
		RAISE EXCEPTION 'apply_empirical_funnel: pipeline must not be NULL and min_closed must be at least 1, got %', min_closed
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'min_closed is the number of converted or failed opportunities a stage needs before its rate is replaced.';
	END IF;
	IF NOT EXISTS (SELECT FROM @extschema@.pipeline_stages s WHERE s.pipeline = apply_empirical_funnel.pipeline) THEN
		RAISE EXCEPTION 'apply_empirical_funnel: pipeline "%" does not exist', pipeline
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'See SELECT DISTINCT pipeline FROM crm.pipeline_stages.';
	END IF;
	UPDATE @extschema@.pipeline_stages s
	   SET conversion_rate = e.conversion_rate,
		   mean_days = COALESCE(NULLIF(e.mean_days, 0), s.mean_days)
	  FROM @extschema@.empirical_funnel(apply_empirical_funnel.pipeline) e
	 WHERE s.pipeline = apply_empirical_funnel.pipeline AND s.stage = e.stage
	   AND e.converted + e.failed >= min_closed;
END;
$$;
COMMENT ON PROCEDURE @extschema@.apply_empirical_funnel(text, integer) IS
	'Writes crm.empirical_funnel(pipeline) into crm.pipeline_stages: conversion_rate and mean_days of every open stage with at least min_closed converted or failed opportunities (others keep their values; a mean of 0 days keeps the old mean_days). Errors (22023): NULL pipeline, min_closed < 1, unknown pipeline';

--------------------------------------------------------------------------
-- The funnel view and the hand-over list
--------------------------------------------------------------------------

CREATE VIEW @extschema@.funnel AS
SELECT s.pipeline, s.stage, s.position,
	   pg_catalog.count(o.id) AS open_count,
	   COALESCE(pg_catalog.sum(o.amount), 0) AS amount,
	   CASE WHEN s.is_final THEN 1::float8
			WHEN pg_catalog.array_position(f.conversion, NULL) IS NULL
			THEN @extschema@.win_probability(pg_catalog.array_position(f.stages, s.stage), f.conversion)
	   END AS win_probability,
	   pg_catalog.round(COALESCE(pg_catalog.sum(o.amount::float8 OPERATOR(pg_catalog.*)
			CASE WHEN o.win_probability IS NOT NULL THEN o.win_probability
				 WHEN s.is_final THEN 1::float8
				 WHEN pg_catalog.array_position(f.conversion, NULL) IS NULL
				 THEN @extschema@.win_probability(pg_catalog.array_position(f.stages, s.stage), f.conversion)
			END), 0)::numeric, 2) AS weighted_amount,
	   s.visits_per_week,
	   s.visits_per_week OPERATOR(pg_catalog.*) pg_catalog.count(o.id) AS planned_visits_per_week,
	   CASE WHEN s.is_final THEN 0::float8
			WHEN pg_catalog.array_position(f.stage_months, NULL) IS NULL
			THEN @extschema@.months_to_close(pg_catalog.array_position(f.stages, s.stage), f.stage_months)
	   END AS months_to_close
  FROM @extschema@.pipeline_stages s
 CROSS JOIN LATERAL @extschema@.pipeline_funnel(s.pipeline) f
  LEFT JOIN @extschema@.opportunities o
	ON o.pipeline OPERATOR(pg_catalog.=) s.pipeline AND o.stage OPERATOR(pg_catalog.=) s.stage
   AND o.status OPERATOR(pg_catalog.=) 'open'
 GROUP BY s.pipeline, s.stage, s.position, s.is_final, s.visits_per_week, f.stages, f.conversion, f.stage_months
HAVING NOT s.is_final OR pg_catalog.count(o.id) OPERATOR(pg_catalog.>) 0;
COMMENT ON VIEW @extschema@.funnel IS
	'The open funnel per pipeline and stage: open opportunities (status open), their amount, the stage''s win probability (crm.win_probability; NULL when a stage of the pipeline has no rate), the weighted amount (each opportunity''s own win_probability overrides the stage''s; cents), planned visits per week per opportunity and in total, and the months to close of an opportunity whose time in stage is unknown (crm.months_to_close). Every open stage has a row; the final stage has one when opportunities are open in it (reached, not yet marked won: win probability 1 unless their own, 0 months to close), so no open opportunity is left out';

CREATE FUNCTION @extschema@.handover(owner text)
RETURNS TABLE (opportunity_id bigint, customer_id bigint, customer text, name text, pipeline text,
			   stage text, status @extschema@.opportunity_status, amount numeric, credit_share numeric,
			   win_probability float8, weighted_amount numeric, expected_close date, co_owners text[])
LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
BEGIN
	-- joins on customer_id and the opportunity: under Citus each shard
	-- answers for its customers; the funnels come from the reference table
	RETURN QUERY
	SELECT o.id, o.customer_id, c.name, o.name, o.pipeline, o.stage, o.status, o.amount,
		   COALESCE(w.share, 100),
		   p.prob,
		   round((o.amount::float8 * p.prob)::numeric, 2),
		   o.expected_close,
		   w.co_owners
	  FROM @extschema@.opportunities o
	  JOIN @extschema@.customers c ON c.id = o.customer_id
	  LEFT JOIN (SELECT x.customer_id, x.opportunity_id,
						max(x.share) FILTER (WHERE x.owner = handover.owner) AS share,
						array_agg(x.owner ORDER BY x.owner) FILTER (WHERE x.owner <> handover.owner) AS co_owners
				   FROM @extschema@.opportunity_owners x
				  GROUP BY x.customer_id, x.opportunity_id) w
		ON w.customer_id = o.customer_id AND w.opportunity_id = o.id
	  LEFT JOIN (SELECT s.pipeline, pf.stages, pf.conversion
				   FROM (SELECT DISTINCT x.pipeline FROM @extschema@.pipeline_stages x) s
				  CROSS JOIN LATERAL @extschema@.pipeline_funnel(s.pipeline) pf) f ON f.pipeline = o.pipeline
	 CROSS JOIN LATERAL (SELECT CASE WHEN o.win_probability IS NOT NULL THEN o.win_probability
									 WHEN array_position(f.conversion, NULL) IS NULL
									  AND array_position(f.stages, o.stage) IS NOT NULL
									 THEN @extschema@.win_probability(array_position(f.stages, o.stage), f.conversion)
								END AS prob) p
	 WHERE o.status IN ('open', 'suspended')
	   AND (o.owner = handover.owner OR w.share IS NOT NULL)
	 ORDER BY o.amount DESC, o.id;
END;
$$;
COMMENT ON FUNCTION @extschema@.handover(text) IS
	'Every open or suspended opportunity a rep (owner) must hand over on leaving: those the rep owns and those where the rep holds a credit share in crm.opportunity_owners; with the rep''s share in percent (100 without split), win probability (own or the funnel''s), weighted amount (cents), expected close and the other co-owners; largest amount first';
