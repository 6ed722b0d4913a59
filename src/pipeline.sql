/*
 * pipeline.sql: pipeline management over time, reconstructed from
 * crm.opportunity_history: the state of every opportunity as of a moment,
 * and what changed in the open pipeline between two moments (a waterfall
 * that adds up).
 *
 * What the history knows.  The trigger opportunities_history (states.sql)
 * writes one row per UPDATE that changes the stage, status, amount, owner,
 * cost, forecast category or expected close date, with the old and new
 * stage, status, amount, owner and expected_close.  It does not record
 * win_probability, the pipeline, or the row as inserted (the first row's
 * old_* values are the state before the first change).  So, as of a
 * moment t:
 *
 *   - an opportunity exists when created_at <= t (deleted ones are gone:
 *     their history is deleted with them);
 *   - its stage, status, amount, owner and expected_close are the new_*
 *     values of its last history row at or before t (ordered by
 *     changed_at, then id); without such a row the old_* values of its
 *     first row; without history its current values.  A NULL in a history column (rows written by hand)
 *     stands for the current value (rows written before version 1.1 have
 *     no expected_close: the current one stands for it, no move is seen);
 *   - win_probability has no history: as-of results leave it out;
 *   - stages are matched by name in the opportunity's current pipeline: a
 *     renamed stage's history keeps the old name.
 *
 * The open pipeline is the amount of the opportunities whose status is
 * open (suspended ones are left out, as in crm.funnel and
 * crm.pipeline_forecast).
 *
 * The waterfall.  crm.pipeline_changes(from_at, to_at) (C, src/pipeline.c:
 * one pass over the opportunities and one over their history) walks each
 * opportunity's events in (from_at, to_at]: its creation (when created_at
 * falls in the period) and each history row after both from_at and its
 * created_at.  Every event takes the deal from a before-state to an
 * after-state: the after-state of a history row is its new_* values, its
 * before-state the after-state of the previous row (or the first row's
 * old_*), a creation's after-state the state as of created_at.  These are
 * the same rules as the as-of state, so the events of a deal chain from
 * its state at from_at to its state at to_at, and the deltas telescope:
 *
 *   open pipeline at from_at + sum(amount_delta) = open pipeline at to_at
 *
 * exactly, whatever the history holds.  An event gives one row per aspect
 * that changed: the amount, the close date, the status, the stage, the
 * owner, in that order:
 *
 *   new            created in the period: + its amount if open
 *   amount up/down amount changed: new - old while open before the event,
 *                  else 0
 *   pulled in, pushed out
 *                  expected_close earlier / later, while open before and
 *                  after the event: 0 (the amount stays in the pipeline;
 *                  a move made with the win or loss is part of closing and
 *                  not reported).  A close-date move in the same change as
 *                  an amount change gives both rows, the amount row with
 *                  the delta and the date row with 0; the waterfall
 *                  counts the deal in both steps.
 *   won, lost, terminated, suspended
 *                  left the open pipeline: - amount (0 when it was not open)
 *   reopened       back to open (from suspended): + amount
 *   archived       a closed deal filed away: 0
 *   stage forward, stage back
 *                  by position in the pipeline; stage changed when either
 *                  stage is unknown (renamed): 0
 *   transferred    owner changed: 0
 */

--------------------------------------------------------------------------
-- The state of every opportunity as of a moment
--------------------------------------------------------------------------

CREATE FUNCTION @extschema@.opportunities_as_of(at timestamptz)
RETURNS TABLE (opportunity_id bigint, customer_id bigint, pipeline text, stage text,
			   status @extschema@.opportunity_status, amount numeric, owner text, expected_close date,
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
		   coalesce(h.amount, o.amount), coalesce(h.owner, o.owner), coalesce(h.expected_close, o.expected_close),
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
				   CASE WHEN x.changed_at <= opportunities_as_of.at THEN x.new_expected_close ELSE x.old_expected_close END AS expected_close,
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
	'Every opportunity that existed at the moment at (created_at <= at) with its stage, status, amount, owner and expected close date as of then, reconstructed from crm.opportunity_history: the new values of its last history row at or before at (by changed_at, then id), else the old values of its first row, else its current values (a NULL in a history column stands for the current value: history written before version 1.1 has no close dates); the pipeline is the current one; stage_entered_at = its last stage change at or before at, else created_at; last_change_at = its last history row at or before at (NULL: none). win_probability has no history and is not given. Deleted opportunities are gone from the past too. Errors: infinite at (22008)';

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
			   old_amount numeric, new_amount numeric, old_expected_close date, new_expected_close date,
			   owner text, amount_delta numeric)
AS 'MODULE_PATHNAME', 'crm_pipeline_changes'
LANGUAGE C STABLE PARALLEL SAFE
-- its queries are schema-qualified; operators resolve in pg_catalog
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.pipeline_changes(timestamptz, timestamptz, text) IS
	'What changed in the open pipeline (status open) from from_at (excluded) to to_at (included), reconstructed from crm.opportunity_history, one row per deal, event and aspect, in this order within an event: new; amount up, amount down; pulled in, pushed out (expected_close earlier or later, reported while the deal is open before and after the event, amount_delta 0; a close-date move made in the same change as an amount change gives both rows, the amount row carrying the delta); won, lost, terminated, suspended, reopened, archived; stage forward, stage back, stage changed (a stage not in the pipeline any more); transferred. amount_delta is its effect on the open pipeline, so that the open amount of crm.opportunities_as_of(from_at) plus the sum of amount_delta equals that of crm.opportunities_as_of(to_at) exactly; old_/new_ stage, status, amount and expected close around the event (NULL old values for new), owner after it; NULL pipeline_name = all pipelines. History written before version 1.1 has no close dates (no pulled in or pushed out from it). Errors: NULL ends (22004), infinite ends (22008), from_at after to_at (22023), unknown pipeline (22023)';

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
			(2, 'new'), (3, 'amount up'), (4, 'amount down'), (5, 'pulled in'), (6, 'pushed out'),
			(7, 'won'), (8, 'lost'), (9, 'terminated'), (10, 'suspended'), (11, 'reopened'), (12, 'archived'),
			(13, 'stage forward'), (14, 'stage back'), (15, 'stage changed'), (16, 'transferred')),
	c AS (
		SELECT p.change, count(DISTINCT (p.customer_id, p.opportunity_id)) AS deals, sum(p.amount_delta) AS amount
		  FROM @extschema@.pipeline_changes(pipeline_waterfall.from_at, pipeline_waterfall.to_at, pipeline_waterfall.pipeline_name) p
		 GROUP BY p.change),
	ends AS (
		SELECT 1 AS step, 'open at start' AS change, count(*) AS deals, coalesce(sum(a.amount), 0) AS amount
		  FROM @extschema@.opportunities_as_of(pipeline_waterfall.from_at) a
		 WHERE a.status = 'open' AND (pipeline_waterfall.pipeline_name IS NULL OR a.pipeline = pipeline_waterfall.pipeline_name)
		UNION ALL
		SELECT 17, 'open at end', count(*), coalesce(sum(a.amount), 0)
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
	'The pipeline waterfall from from_at to to_at: step 1 the open pipeline at from_at (deals, amount), steps 2..16 the sum of amount_delta and the number of deals of each change of crm.pipeline_changes (new, amount up, amount down, pulled in, pushed out, won, lost, terminated, suspended, reopened, archived, stage forward, stage back, stage changed, transferred; 0 when none; pulled in and pushed out always 0: they count the deals whose close date moved), step 17 the open pipeline at to_at, which equals step 1 plus steps 2..16; NULL pipeline_name = all pipelines. Errors as crm.pipeline_changes';

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
