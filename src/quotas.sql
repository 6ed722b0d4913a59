/*
 * quotas.sql: exact allocation of targets, allocation of an annual target
 * to periods and to products, regions, channels or reps by last year's
 * share, short-term forecasts of monthly sales, and attainment (C in
 * quotas.c).
 *
 *   SELECT crm.allocate(100, '{1,1,1}');            -- {33.34,33.33,33.33}
 *   SELECT * FROM crm.allocate_quotas(2026, 1200000, 'quarter', 'region', 'ytd', adjust_pct => 5);
 *   SELECT crm.seasonal_forecast(month, sales::float8, 3, 'holt_winters')
 *     FROM crm.monthly_sales_total;
 *   SELECT * FROM crm.quota_attainment WHERE period_start >= '2026-01-01';
 *
 * Sales are crm.orders.amount, dated by ordered_at in the session's time
 * zone (::date); region, channel and owner are those of the customer,
 * product that of the order.
 */

CREATE FUNCTION @extschema@.allocate(total numeric, weights numeric[], scale integer DEFAULT 2)
RETURNS numeric[]
AS 'MODULE_PATHNAME', 'crm_allocate'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.allocate(numeric, numeric[], integer) IS
	'Splits total into shares proportional to weights, each a multiple of 10^-scale, that sum exactly to total (largest remainder: every share gets the truncated quotient, the units left over go one each to the largest remainders, ties to the earlier weight); exact numeric arithmetic; a negative total is split as its absolute value and negated. Errors: scale outside 0..100, total not finite or with more than scale decimals, weights empty, multi-dimensional, negative or not finite, or all zero (22023); a NULL weight (22004)';

--------------------------------------------------------------------------
-- Monthly sales
--------------------------------------------------------------------------

CREATE VIEW @extschema@.monthly_sales AS
SELECT pg_catalog.date_trunc('month', o.ordered_at::date)::date AS month,
	   o.product, c.region, c.channel, c.owner,
	   pg_catalog.sum(o.amount) AS sales, pg_catalog.count(*) AS orders
  FROM @extschema@.orders o
  JOIN @extschema@.customers c ON c.id OPERATOR(pg_catalog.=) o.customer_id
 GROUP BY 1, 2, 3, 4, 5;
COMMENT ON VIEW @extschema@.monthly_sales IS
	'Sales (sum of crm.orders.amount) and order count per calendar month (first day; ordered_at in the session time zone) and product, customer region, channel and owner';

CREATE VIEW @extschema@.monthly_sales_total AS
SELECT pg_catalog.date_trunc('month', o.ordered_at::date)::date AS month,
	   pg_catalog.sum(o.amount) AS sales, pg_catalog.count(*) AS orders
  FROM @extschema@.orders o
 GROUP BY 1;
COMMENT ON VIEW @extschema@.monthly_sales_total IS
	'Total sales and order count per calendar month (first day; ordered_at in the session time zone): the series for crm.seasonal_forecast';

--------------------------------------------------------------------------
-- Allocation of an annual target
--------------------------------------------------------------------------

CREATE FUNCTION @extschema@.sales_share(dimension text, basis text, as_of date)
RETURNS TABLE (key text, sales numeric, share numeric)
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	window_start date;
BEGIN
	IF dimension IS NULL OR dimension NOT IN ('product', 'region', 'channel', 'owner') THEN
		RAISE EXCEPTION 'sales_share: dimension must be product, region, channel or owner, got %', coalesce(quote_literal(dimension), 'NULL')
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'Product is the order''s; region, channel and owner are the customer''s.';
	END IF;
	IF basis IS NULL OR basis NOT IN ('mtd', 'qtd', 'ytd') THEN
		RAISE EXCEPTION 'sales_share: basis must be mtd, qtd or ytd, got %', coalesce(quote_literal(basis), 'NULL')
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'mtd, qtd and ytd: the sales from the start of the month, quarter or year of as_of up to as_of.';
	END IF;
	IF as_of IS NULL OR NOT isfinite(as_of) THEN
		RAISE EXCEPTION 'sales_share: as_of must be a finite date, got %', coalesce(as_of::text, 'NULL')
			USING ERRCODE = 'invalid_parameter_value', HINT = 'Give the last day of the to-date window.';
	END IF;
	window_start := date_trunc(CASE basis WHEN 'mtd' THEN 'month' WHEN 'qtd' THEN 'quarter' ELSE 'year' END, as_of)::date;
	RETURN QUERY
	SELECT k.key, k.sales, k.sales / sum(k.sales) OVER ()
	  FROM (SELECT CASE dimension WHEN 'product' THEN o.product WHEN 'region' THEN c.region
								  WHEN 'channel' THEN c.channel ELSE c.owner END AS key,
				   sum(o.amount) AS sales
			  FROM @extschema@.orders o
			  JOIN @extschema@.customers c ON c.id = o.customer_id
			 WHERE o.ordered_at >= window_start::timestamptz
			   AND o.ordered_at < (as_of + 1)::timestamptz
			 GROUP BY 1) k
	 WHERE k.key IS NOT NULL AND k.sales > 0
	 ORDER BY k.key;
END;
$$;
COMMENT ON FUNCTION @extschema@.sales_share(text, text, date) IS
	'Each product, region, channel or owner (dimension) with its sales from the start of the month (basis mtd), quarter (qtd) or year (ytd) of as_of up to as_of included, and its share of their total (0..1). Keys that are NULL or without positive sales are left out. Errors (22023): bad dimension or basis, as_of NULL or infinite';

-- Write the targets of consecutive periods (starts, each step long) into
-- crm.quotas: each period's target as it is, or, with a dimension, split
-- exactly by the keys' shares of sales in the basis window ending as_of.
-- Shared by crm.allocate_quotas and crm.forecast_quotas (fn: the caller's
-- name, for the error).
CREATE FUNCTION @extschema@.write_quotas(fn text, starts date[], step interval, period_targets numeric[],
										 dimension text, basis text, as_of date, note text)
RETURNS SETOF @extschema@.quotas
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	keys text[];
	key_weights numeric[];
	key_targets numeric[];
	i integer;
	j integer;
BEGIN
	IF dimension IS NOT NULL THEN
		SELECT array_agg(s.key ORDER BY s.key), array_agg(s.sales ORDER BY s.key)
		  INTO keys, key_weights
		  FROM @extschema@.sales_share(dimension, basis, as_of) s;
		IF keys IS NULL THEN
			RAISE EXCEPTION '%: no % has sales in the % window ending %', fn, dimension, basis, as_of
				USING ERRCODE = 'no_data_found',
					  HINT = 'Choose another basis or as_of, or allocate without a dimension.';
		END IF;
	ELSE
		keys := ARRAY[NULL::text];
		key_weights := ARRAY[1::numeric];
	END IF;
	FOR i IN 1 .. cardinality(starts) LOOP
		key_targets := @extschema@.allocate(period_targets[i], key_weights, 2);
		FOR j IN 1 .. cardinality(keys) LOOP
			RETURN QUERY
			INSERT INTO @extschema@.quotas AS q (period_start, period_end, owner, region, product, channel, target, note)
			VALUES (starts[i], (starts[i] + step)::date - 1,
					CASE WHEN dimension = 'owner' THEN keys[j] END,
					CASE WHEN dimension = 'region' THEN keys[j] END,
					CASE WHEN dimension = 'product' THEN keys[j] END,
					CASE WHEN dimension = 'channel' THEN keys[j] END,
					key_targets[j], note)
			ON CONFLICT ON CONSTRAINT quotas_one_target
			DO UPDATE SET target = EXCLUDED.target, note = EXCLUDED.note
			RETURNING q.*;
		END LOOP;
	END LOOP;
END;
$$;
COMMENT ON FUNCTION @extschema@.write_quotas(text, date[], interval, numeric[], text, text, date, text) IS
	'Internal (crm.allocate_quotas, crm.forecast_quotas): writes each period''s target into crm.quotas, split exactly by the dimension''s sales shares (crm.sales_share) when dimension is given, replacing a target of the same period and combination; returns the rows written';

CREATE FUNCTION @extschema@.allocate_quotas(year integer, annual_target numeric, period text DEFAULT 'month',
											dimension text DEFAULT NULL, basis text DEFAULT 'ytd',
											as_of date DEFAULT NULL, adjust_pct numeric DEFAULT 0)
RETURNS SETOF @extschema@.quotas
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	step interval;
	target numeric;
	starts date[];
	bounds timestamptz[];
	period_targets numeric[];
	period_weights numeric[];
	note text;
BEGIN
	IF year IS NULL OR year NOT BETWEEN 1901 AND 9998 THEN
		RAISE EXCEPTION 'allocate_quotas: year must be between 1901 and 9998, got %', coalesce(year::text, 'NULL')
			USING ERRCODE = 'invalid_parameter_value', HINT = 'Give the calendar year the targets are for.';
	END IF;
	IF annual_target IS NULL OR annual_target < 0 OR annual_target IN ('Infinity', 'NaN') THEN
		RAISE EXCEPTION 'allocate_quotas: annual_target must be a finite number >= 0, got %', coalesce(annual_target::text, 'NULL')
			USING ERRCODE = 'invalid_parameter_value', HINT = 'Give the target revenue of the whole year.';
	END IF;
	IF adjust_pct IS NULL OR adjust_pct <= -100 OR adjust_pct IN ('Infinity', 'NaN') THEN
		RAISE EXCEPTION 'allocate_quotas: adjust_pct must be a finite number above -100, got %', coalesce(adjust_pct::text, 'NULL')
			USING ERRCODE = 'invalid_parameter_value', HINT = 'Give the adjustment in percent: 5 for +5 %, -10 for -10 %, 0 for none.';
	END IF;
	step := CASE period WHEN 'year' THEN interval '12 months' WHEN 'half' THEN interval '6 months'
						WHEN 'quarter' THEN interval '3 months' WHEN 'month' THEN interval '1 month' END;
	IF step IS NULL THEN
		RAISE EXCEPTION 'allocate_quotas: period must be year, half, quarter or month, got %', coalesce(quote_literal(period), 'NULL')
			USING ERRCODE = 'invalid_parameter_value', HINT = 'The annual target is split into periods of this length.';
	END IF;
	as_of := coalesce(as_of, make_date(year - 1, 12, 31));
	target := round(annual_target * (1 + adjust_pct / 100), 2);

	-- periods of the year, weighted by last year's sales in the same period:
	-- the periods one year back are contiguous, bounds[i] to bounds[i + 1]
	-- (midnight in the session's time zone, computed here), and the orders
	-- of last year are summed per period by one aggregate that the shards
	-- compute in part
	SELECT array_agg(p.start::date ORDER BY p.start),
		   array_agg((p.start - interval '1 year')::date::timestamptz ORDER BY p.start)
			 || make_date(year, 1, 1)::timestamptz
	  INTO starts, bounds
	  FROM generate_series(make_date(year, 1, 1), make_date(year, 12, 1), step) AS p(start);
	SELECT array_agg(coalesce(w.sales, 0) ORDER BY g.n)
	  INTO period_weights
	  FROM generate_subscripts(starts, 1) AS g(n)
	  LEFT JOIN (SELECT width_bucket(o.ordered_at, bounds) AS n, sum(o.amount) AS sales
				   FROM @extschema@.orders o
				  WHERE o.ordered_at >= bounds[1] AND o.ordered_at < bounds[cardinality(bounds)]
				  GROUP BY 1) w ON w.n = g.n;
	IF (SELECT sum(w) FROM unnest(period_weights) w) = 0 THEN
		period_weights := array_fill(1::numeric, ARRAY[cardinality(starts)]);
	END IF;
	period_targets := @extschema@.allocate(target, period_weights, 2);

	note := format('allocate_quotas: %s of %s adjusted %s %%, %s by last year''s sales%s',
				   period, annual_target, adjust_pct,
				   CASE WHEN dimension IS NULL THEN 'all' ELSE 'by ' || dimension END,
				   CASE WHEN dimension IS NULL THEN '' ELSE format(', %s shares as of %s', basis, as_of) END);
	RETURN QUERY
	SELECT * FROM @extschema@.write_quotas('allocate_quotas', starts, step, period_targets, dimension, basis, as_of, note);
END;
$$;
COMMENT ON FUNCTION @extschema@.allocate_quotas(integer, numeric, text, text, text, date, numeric) IS
	'Writes targets for year into crm.quotas and returns the rows written: annual_target * (1 + adjust_pct / 100), rounded to cents, is split exactly (crm.allocate) into periods (year, half, quarter or month) by last year''s sales in the same periods (evenly when last year had none), and each period''s target, when dimension is given, exactly into products, regions, channels or owners by their share of sales in the basis window (mtd, qtd, ytd: crm.sales_share) ending at as_of (default: the last day of the year before). An existing target for the same period and combination is replaced. Errors: bad year, target, adjust_pct, period, dimension or basis (22023), no sales to share by (P0002)';

--------------------------------------------------------------------------
-- Forecasts of monthly sales
--------------------------------------------------------------------------

CREATE FUNCTION @extschema@.seasonal_forecast_trans(state float8[], month date, value float8, horizon integer, method text)
RETURNS float8[]
AS 'MODULE_PATHNAME', 'crm_seasonal_forecast_trans'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.seasonal_forecast_trans(float8[], date, float8, integer, text) IS
	'Transition function of crm.seasonal_forecast: adds value to its month in the state (header, then one sum per month from the first month on)';
CREATE FUNCTION @extschema@.seasonal_forecast_trans(state float8[], month date, value float8, horizon integer, method text,
													season integer)
RETURNS float8[]
AS 'MODULE_PATHNAME', 'crm_seasonal_forecast_trans'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.seasonal_forecast_trans(float8[], date, float8, integer, text, integer) IS
	'Transition function of crm.seasonal_forecast with a season length (window of moving_average)';
CREATE FUNCTION @extschema@.seasonal_forecast_trans(state float8[], month date, value float8, horizon integer, method text,
													season integer, alpha float8, beta float8, gamma float8)
RETURNS float8[]
AS 'MODULE_PATHNAME', 'crm_seasonal_forecast_trans'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.seasonal_forecast_trans(float8[], date, float8, integer, text, integer, float8, float8, float8) IS
	'Transition function of crm.seasonal_forecast with a season length and the Holt-Winters smoothing parameters';
CREATE FUNCTION @extschema@.seasonal_forecast_combine(float8[], float8[])
RETURNS float8[]
AS 'MODULE_PATHNAME', 'crm_seasonal_forecast_combine'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.seasonal_forecast_combine(float8[], float8[]) IS
	'Combine function of crm.seasonal_forecast: adds two monthly series month by month (same parameters, else 22023)';
CREATE FUNCTION @extschema@.seasonal_forecast_final(float8[])
RETURNS float8[]
AS 'MODULE_PATHNAME', 'crm_seasonal_forecast_final'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.seasonal_forecast_final(float8[]) IS
	'Final function of crm.seasonal_forecast: the forecast of months 1..horizon after the last month of the series';

CREATE AGGREGATE @extschema@.seasonal_forecast(month date, value float8, horizon integer, method text) (
	SFUNC = @extschema@.seasonal_forecast_trans, STYPE = float8[], SSPACE = 1024,
	FINALFUNC = @extschema@.seasonal_forecast_final,
	COMBINEFUNC = @extschema@.seasonal_forecast_combine, PARALLEL = SAFE);
CREATE AGGREGATE @extschema@.seasonal_forecast(month date, value float8, horizon integer, method text, season integer) (
	SFUNC = @extschema@.seasonal_forecast_trans, STYPE = float8[], SSPACE = 1024,
	FINALFUNC = @extschema@.seasonal_forecast_final,
	COMBINEFUNC = @extschema@.seasonal_forecast_combine, PARALLEL = SAFE);
CREATE AGGREGATE @extschema@.seasonal_forecast(month date, value float8, horizon integer, method text, season integer,
											   alpha float8, beta float8, gamma float8) (
	SFUNC = @extschema@.seasonal_forecast_trans, STYPE = float8[], SSPACE = 1024,
	FINALFUNC = @extschema@.seasonal_forecast_final,
	COMBINEFUNC = @extschema@.seasonal_forecast_combine, PARALLEL = SAFE);

COMMENT ON AGGREGATE @extschema@.seasonal_forecast(date, float8, integer, text) IS
	'Forecast (float8[], months 1..horizon after the last month) of the monthly series of value summed per calendar month of month (any day of it; months without rows between the first and last are 0; rows in any order, raw orders work). method: naive = the last month; seasonal_naive = the same month one season (12) back; moving_average = mean of the last 3 months; holt_winters = additive Holt-Winters, season 12, alpha 0.3, beta 0.1, gamma 0.1, level = mean of the first season, trend = mean of (y[m+i] - y[i]) / m over the first two seasons, seasonal = y[i] - level, needs 2 seasons. Rows with NULL month or value are skipped; no rows: NULL. Errors (22023): unknown method, horizon outside 1..1200, too short a series, non-finite value; NULL parameters (22004)';
COMMENT ON AGGREGATE @extschema@.seasonal_forecast(date, float8, integer, text, integer) IS
	'crm.seasonal_forecast with season, the season length in months (1..1200) of seasonal_naive and holt_winters, or the window of moving_average';
COMMENT ON AGGREGATE @extschema@.seasonal_forecast(date, float8, integer, text, integer, float8, float8, float8) IS
	'crm.seasonal_forecast with season and the Holt-Winters smoothing parameters alpha (level), beta (trend), gamma (season), each in [0, 1]';

--------------------------------------------------------------------------
-- Short-term targets from the forecast, and adjustments per key
--------------------------------------------------------------------------

-- Monthly targets for the months from from_month on: the forecast of total
-- monthly sales (crm.seasonal_forecast over the months before from_month),
-- adjusted, split like crm.allocate_quotas does.
CREATE FUNCTION @extschema@.forecast_quotas(from_month date, months integer DEFAULT 3,
											method text DEFAULT 'seasonal_naive', dimension text DEFAULT NULL,
											basis text DEFAULT 'ytd', adjust_pct numeric DEFAULT 0)
RETURNS SETOF @extschema@.quotas
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	first_month date;
	forecast float8[];
	period_targets numeric[];
	starts date[];
	note text;
BEGIN
	IF from_month IS NULL OR NOT isfinite(from_month) OR from_month <> date_trunc('month', from_month)::date THEN
		RAISE EXCEPTION 'forecast_quotas: from_month must be the first day of a month, got %', coalesce(from_month::text, 'NULL')
			USING ERRCODE = 'invalid_parameter_value', HINT = 'For example date ''2026-01-01'': the targets start that month.';
	END IF;
	IF months IS NULL OR months NOT BETWEEN 1 AND 24 THEN
		RAISE EXCEPTION 'forecast_quotas: months must be between 1 and 24, got %', coalesce(months::text, 'NULL')
			USING ERRCODE = 'invalid_parameter_value', HINT = 'Short-term targets: the next 1 to 24 months; crm.allocate_quotas splits a year.';
	END IF;
	IF adjust_pct IS NULL OR adjust_pct <= -100 OR adjust_pct IN ('Infinity', 'NaN') THEN
		RAISE EXCEPTION 'forecast_quotas: adjust_pct must be a finite number above -100, got %', coalesce(adjust_pct::text, 'NULL')
			USING ERRCODE = 'invalid_parameter_value', HINT = 'Give the adjustment in percent: 5 for +5 %, -10 for -10 %, 0 for none.';
	END IF;
	-- the series ends with the month before from_month (a 0 row makes it
	-- end there even without sales in that month)
	SELECT min(o.ordered_at::date) INTO first_month
	  FROM @extschema@.orders o WHERE o.ordered_at < from_month::timestamptz;
	IF first_month IS NULL THEN
		RAISE EXCEPTION 'forecast_quotas: no sales before %', from_month
			USING ERRCODE = 'no_data_found', HINT = 'The forecast needs the monthly sales before from_month.';
	END IF;
	-- (monthly sums in numeric first: exact, whatever order the rows come in)
	SELECT @extschema@.seasonal_forecast(m.month, m.sales::float8, months, method) INTO forecast
	  FROM (SELECT date_trunc('month', o.ordered_at::date)::date AS month, sum(o.amount) AS sales
			  FROM @extschema@.orders o WHERE o.ordered_at < from_month::timestamptz
			 GROUP BY 1
			UNION ALL
			SELECT (from_month - interval '1 month')::date, 0) m;
	SELECT array_agg(round(greatest(f, 0)::numeric * (1 + adjust_pct / 100), 2) ORDER BY n),
		   array_agg((from_month + (n - 1) * interval '1 month')::date ORDER BY n)
	  INTO period_targets, starts
	  FROM unnest(forecast) WITH ORDINALITY AS x(f, n);
	note := format('forecast_quotas: %s forecast of the sales before %s, adjusted %s %%, %s%s',
				   method, from_month, adjust_pct,
				   CASE WHEN dimension IS NULL THEN 'all' ELSE 'by ' || dimension END,
				   CASE WHEN dimension IS NULL THEN '' ELSE format(', %s shares as of %s', basis, from_month - 1) END);
	RETURN QUERY
	SELECT * FROM @extschema@.write_quotas('forecast_quotas', starts, interval '1 month', period_targets,
										   dimension, basis, from_month - 1, note);
END;
$$;
COMMENT ON FUNCTION @extschema@.forecast_quotas(date, integer, text, text, text, numeric) IS
	'Writes monthly targets for the months months from from_month on into crm.quotas and returns the rows written: the crm.seasonal_forecast (method naive, seasonal_naive, moving_average or holt_winters) of total monthly sales before from_month, negative forecasts as 0, times (1 + adjust_pct / 100), rounded to cents, split exactly by the dimension''s sales shares in the basis window ending the day before from_month (as crm.allocate_quotas). An existing target for the same month and combination is replaced. Errors: bad from_month, months, adjust_pct, method, dimension or basis, too short a series (22023), no sales before from_month (P0002)';

-- The targets of one dimension in crm.quotas: the rows with that column
-- set and the other three "all" (NULL), of the periods starting in a range.
CREATE FUNCTION @extschema@.dimension_quotas(from_day date, to_day date, dimension text)
RETURNS TABLE (id bigint, period_start date, period_end date, key text, target numeric)
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT q.id, q.period_start, q.period_end,
		   CASE dimension WHEN 'product' THEN q.product WHEN 'region' THEN q.region
						  WHEN 'channel' THEN q.channel ELSE q.owner END, q.target
	  FROM @extschema@.quotas q
	 WHERE q.period_start BETWEEN from_day AND to_day
	   AND num_nonnulls(q.product, q.region, q.channel, q.owner) = 1
	   AND CASE dimension WHEN 'product' THEN q.product WHEN 'region' THEN q.region
						  WHEN 'channel' THEN q.channel ELSE q.owner END IS NOT NULL
$$;
COMMENT ON FUNCTION @extschema@.dimension_quotas(date, date, text) IS
	'Internal (crm.adjust_quotas): the targets of one dimension (product, region, channel or owner) in crm.quotas, the rows with that column set and the others NULL, of the periods starting from from_day to to_day, with the key';

-- Move the targets of some keys of one dimension up or down (seed: "adjusted
-- up or down, 5 %, 10 %"), per period: either those keys' targets alone
-- change, or (keep_total) each period's total stays and is split again by
-- the targets weighted with the adjustments.
CREATE FUNCTION @extschema@.adjust_quotas(from_day date, to_day date, dimension text, adjust_pct jsonb,
										  keep_total boolean DEFAULT false)
RETURNS SETOF @extschema@.quotas
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	unknown text;
	bad text;
	noted text := format('adjust_quotas by %s on %s: %s%s', current_user, current_date,
						 adjust_pct::text, CASE WHEN keep_total THEN ', total kept' ELSE '' END);
	ids bigint[];
	targets numeric[];
BEGIN
	IF from_day IS NULL OR to_day IS NULL OR NOT isfinite(from_day) OR NOT isfinite(to_day) OR to_day < from_day THEN
		RAISE EXCEPTION 'adjust_quotas: the periods from % to % are not a range of days', coalesce(from_day::text, 'NULL'), coalesce(to_day::text, 'NULL')
			USING ERRCODE = 'invalid_parameter_value', HINT = 'Give finite dates, from_day not after to_day: the targets of the periods starting between them are adjusted.';
	END IF;
	IF dimension IS NULL OR dimension NOT IN ('product', 'region', 'channel', 'owner') THEN
		RAISE EXCEPTION 'adjust_quotas: dimension must be product, region, channel or owner, got %', coalesce(quote_literal(dimension), 'NULL')
			USING ERRCODE = 'invalid_parameter_value', HINT = 'The targets of one dimension (as crm.allocate_quotas writes them) are adjusted.';
	END IF;
	IF adjust_pct IS NULL OR jsonb_typeof(adjust_pct) <> 'object' OR adjust_pct = '{}' THEN
		RAISE EXCEPTION 'adjust_quotas: adjust_pct must be a JSON object of keys and percents, got %', coalesce(adjust_pct::text, 'NULL')
			USING ERRCODE = 'invalid_parameter_value', HINT = 'For example ''{"North": 10, "South": -5}'': North +10 %, South -5 %.';
	END IF;
	SELECT string_agg(format('%s: %s', e.key, e.value), ', ' ORDER BY e.key) INTO bad
	  FROM jsonb_each(adjust_pct) e
	 WHERE jsonb_typeof(e.value) <> 'number' OR (e.value::text)::numeric <= -100;
	IF bad IS NOT NULL THEN
		RAISE EXCEPTION 'adjust_quotas: each adjustment must be a number above -100 (percent), got %', bad
			USING ERRCODE = 'invalid_parameter_value', HINT = '5 for +5 %, -10 for -10 %.';
	END IF;
	SELECT string_agg(quote_literal(e.key), ', ' ORDER BY e.key) INTO unknown
	  FROM jsonb_object_keys(adjust_pct) e(key)
	 WHERE NOT EXISTS (SELECT FROM @extschema@.dimension_quotas(from_day, to_day, dimension) d WHERE d.key = e.key);
	IF unknown IS NOT NULL THEN
		RAISE EXCEPTION 'adjust_quotas: no target of % % starts between % and %', dimension, unknown, from_day, to_day
			USING ERRCODE = 'no_data_found',
				  HINT = 'Write the targets first (crm.allocate_quotas or crm.forecast_quotas with this dimension), or name keys that have targets.';
	END IF;
	-- the new targets first, then one UPDATE per quota: under Citus crm.quotas
	-- is a reference table, and an UPDATE of it cannot read it again
	SELECT array_agg(t.id), array_agg(t.target) INTO ids, targets
	  FROM (SELECT array_agg(d.id ORDER BY d.key) AS ids,
				   CASE WHEN keep_total
						THEN @extschema@.allocate(sum(d.target), array_agg(d.target * (1 + coalesce((adjust_pct ->> d.key)::numeric, 0) / 100) ORDER BY d.key), 2)
						ELSE array_agg(round(d.target * (1 + coalesce((adjust_pct ->> d.key)::numeric, 0) / 100), 2) ORDER BY d.key) END AS targets
			  FROM @extschema@.dimension_quotas(from_day, to_day, dimension) d
			 GROUP BY d.period_start, d.period_end) p,
		   unnest(p.ids, p.targets) AS t(id, target);
	FOR i IN 1 .. coalesce(cardinality(ids), 0) LOOP
		RETURN QUERY
		UPDATE @extschema@.quotas q
		   SET target = targets[i],
			   note = CASE WHEN q.note IS NULL THEN noted ELSE q.note || '; ' || noted END
		 WHERE q.id = ids[i] AND q.target IS DISTINCT FROM targets[i]
		RETURNING q.*;
	END LOOP;
END;
$$;
COMMENT ON FUNCTION @extschema@.adjust_quotas(date, date, text, jsonb, boolean) IS
	'Adjusts the targets in crm.quotas of one dimension (product, region, channel or owner; the rows with that column set and the other three NULL) of the periods starting from from_day to to_day: each key named in adjust_pct (a JSON object, e.g. {"North": 10, "South": -5}) moves by its percent; with keep_total each period''s total stays and is split again exactly (crm.allocate) by the targets weighted with (1 + percent / 100), so the other keys move the other way. Appends who, when and what to the note; returns the rows changed. Errors: bad dates, dimension or adjustments (22023), a key without targets in the range (P0002)';

--------------------------------------------------------------------------
-- Attainment
--------------------------------------------------------------------------

-- Won deals credited to their reps: the split of crm.opportunity_owners,
-- or 100 % to the deal's owner without one (seed: split credit between
-- several owners of one opportunity).
CREATE VIEW @extschema@.won_credit AS
SELECT o.customer_id, o.id AS opportunity_id, o.closed_at, COALESCE(s.owner, o.owner) AS owner,
	   COALESCE(s.share, 100::numeric) AS share, o.amount,
	   (o.amount OPERATOR(pg_catalog.*) COALESCE(s.share, 100::numeric) OPERATOR(pg_catalog.*) 0.01)::numeric(20,6) AS credited_amount
  FROM @extschema@.opportunities o
  LEFT JOIN @extschema@.opportunity_owners s
	ON s.customer_id OPERATOR(pg_catalog.=) o.customer_id AND s.opportunity_id OPERATOR(pg_catalog.=) o.id
 WHERE o.status OPERATOR(pg_catalog.=) 'won';
COMMENT ON VIEW @extschema@.won_credit IS
	'Every won opportunity per credited rep: the owners and shares (percent) of crm.opportunity_owners, or the opportunity''s owner with 100 % when it has no split; credited_amount = amount * share / 100, exact (six decimals), so a deal''s credits sum to its amount; closed_at is when it was won';

CREATE VIEW @extschema@.quota_attainment AS
SELECT q.id AS quota_id, q.period_start, q.period_end,
	   CASE WHEN (q.period_end OPERATOR(pg_catalog.+) 1) OPERATOR(pg_catalog.=) (q.period_start OPERATOR(pg_catalog.+) interval '12 months')::date THEN 'year'
			WHEN (q.period_end OPERATOR(pg_catalog.+) 1) OPERATOR(pg_catalog.=) (q.period_start OPERATOR(pg_catalog.+) interval '6 months')::date THEN 'half'
			WHEN (q.period_end OPERATOR(pg_catalog.+) 1) OPERATOR(pg_catalog.=) (q.period_start OPERATOR(pg_catalog.+) interval '3 months')::date THEN 'quarter'
			WHEN (q.period_end OPERATOR(pg_catalog.+) 1) OPERATOR(pg_catalog.=) (q.period_start OPERATOR(pg_catalog.+) interval '1 month')::date THEN 'month'
			ELSE 'other' END AS period,
	   q.owner, q.region, q.product, q.channel, q.target,
	   COALESCE(s.actual, 0) AS actual, COALESCE(s.last_year, 0) AS last_year,
	   COALESCE(s.actual, 0) OPERATOR(pg_catalog.-) q.target AS gap,
	   pg_catalog.round(100 OPERATOR(pg_catalog.*) COALESCE(s.actual, 0) OPERATOR(pg_catalog./) NULLIF(q.target, 0), 1) AS attainment_pct,
	   pg_catalog.round(100 OPERATOR(pg_catalog.*) (COALESCE(s.actual, 0) OPERATOR(pg_catalog.-) s.last_year) OPERATOR(pg_catalog./) NULLIF(s.last_year, 0), 1) AS growth_pct,
	   CASE WHEN q.product IS NULL THEN COALESCE(w.won_credit, 0) END AS won_credit
  FROM @extschema@.quotas q
  -- the sales of every target summed on the shards (orders and customers
  -- co-located, the targets a reference table) and combined per target,
  -- then joined to the targets
  LEFT JOIN (
	SELECT t.id,
		   pg_catalog.sum(o.amount) FILTER (WHERE o.ordered_at OPERATOR(pg_catalog.>=) t.period_start::timestamptz) AS actual,
		   pg_catalog.sum(o.amount) FILTER (WHERE o.ordered_at OPERATOR(pg_catalog.<) (t.period_end OPERATOR(pg_catalog.-) interval '1 year' OPERATOR(pg_catalog.+) interval '1 day')::date::timestamptz) AS last_year
	  FROM @extschema@.quotas t
	  JOIN @extschema@.orders o
		ON ((o.ordered_at OPERATOR(pg_catalog.>=) t.period_start::timestamptz
			 AND o.ordered_at OPERATOR(pg_catalog.<) (t.period_end OPERATOR(pg_catalog.+) 1)::timestamptz)
			OR (o.ordered_at OPERATOR(pg_catalog.>=) (t.period_start OPERATOR(pg_catalog.-) interval '1 year')::date::timestamptz
			 AND o.ordered_at OPERATOR(pg_catalog.<) (t.period_end OPERATOR(pg_catalog.-) interval '1 year' OPERATOR(pg_catalog.+) interval '1 day')::date::timestamptz))
		   AND (t.product IS NULL OR o.product OPERATOR(pg_catalog.=) t.product)
	  JOIN @extschema@.customers c ON c.id OPERATOR(pg_catalog.=) o.customer_id
	 WHERE (t.owner IS NULL OR c.owner OPERATOR(pg_catalog.=) t.owner)
	   AND (t.region IS NULL OR c.region OPERATOR(pg_catalog.=) t.region)
	   AND (t.channel IS NULL OR c.channel OPERATOR(pg_catalog.=) t.channel)
	 GROUP BY t.id) s ON s.id OPERATOR(pg_catalog.=) q.id
  -- the credit of the deals won in the period (crm.won_credit), for the
  -- target's owner (every owner when NULL), region and channel
  LEFT JOIN (
	SELECT t.id, pg_catalog.sum(wc.credited_amount) AS won_credit
	  FROM @extschema@.quotas t
	  JOIN @extschema@.won_credit wc
		ON wc.closed_at OPERATOR(pg_catalog.>=) t.period_start::timestamptz
	   AND wc.closed_at OPERATOR(pg_catalog.<) (t.period_end OPERATOR(pg_catalog.+) 1)::timestamptz
	   AND (t.owner IS NULL OR wc.owner OPERATOR(pg_catalog.=) t.owner)
	  JOIN @extschema@.customers c ON c.id OPERATOR(pg_catalog.=) wc.customer_id
	 WHERE t.product IS NULL
	   AND (t.region IS NULL OR c.region OPERATOR(pg_catalog.=) t.region)
	   AND (t.channel IS NULL OR c.channel OPERATOR(pg_catalog.=) t.channel)
	 GROUP BY t.id) w ON w.id OPERATOR(pg_catalog.=) q.id;
COMMENT ON VIEW @extschema@.quota_attainment IS
	'Every target of crm.quotas against actual sales: period kind (year, half, quarter, month, other), the target''s owner / region / product / channel (NULL = all), actual = sales in the period, last_year = sales in the same period one year earlier, gap = actual - target, attainment_pct = 100 * actual / target, growth_pct = 100 * (actual - last_year) / last_year (NULL when the divisor is 0); sales dated in the session time zone; won_credit = the credit (crm.won_credit: split shares, 100 % to an unsplit deal''s owner) of the deals won in the period for the target''s owner (all owners when NULL), region and channel, NULL for a product target (deals carry no product)';
