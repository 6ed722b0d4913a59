/*
 * clv_checks.sql: how well a lifetime-value model fits, as rows a chart is
 * drawn from (lifetimes' plotting module, BTYD's tracking functions):
 *
 * - crm.clv_calibration(model, calibration_end, holdout_end, unit,
 *   max_frequency): per repeat-purchase count of the calibration period,
 *   the mean purchases of the holdout period, actual and as the model
 *   expects them given each customer's history (Fader, Hardie & Lee 2005,
 *   figure 5; lifetimes' plot_calibration_purchases_vs_holdout_purchases);
 * - crm.clv_tracking(model, calibration_end, holdout_end, unit): per period
 *   (week) from the first purchase of the cohort, its repeat purchases,
 *   actual and expected, each period's and cumulative (FHL 2005 figures 2
 *   and 3; BTYD's bgnbd.PlotTrackingInc / PlotTrackingCum);
 * - crm.p_alive_grid(model, T, max_frequency, recency_points): P(alive) over
 *   a frequency x recency grid at age T (lifetimes'
 *   plot_probability_alive_matrix).
 *
 * Each has an overload per model (crm.bgnbd, crm.paretonbd) so that a user
 * switches model by name; the rows they share are built once, by
 * crm.calibration_holdout and crm.clv_tracking_cohorts.  The model must be
 * fitted in the same unit on the summary of the same calibration_end.
 */

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
