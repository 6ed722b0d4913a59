/*
 * campaigns.sql: campaign effectiveness: per
 * campaign, its cost, reach, opportunities, contracts and return; rollups
 * by region, method and spend band; the campaigns of a period.
 *
 *   SELECT name, actual_cost, revenue_won, roi FROM crm.campaign_effectiveness
 *    ORDER BY roi DESC NULLS LAST;
 *   SELECT * FROM crm.campaign_rollup('region', '2025-01-01', '2025-12-31');
 *
 * Ratios divide by zero nowhere: a campaign without cost has a NULL ROI,
 * one without participants NULL opportunity and contract ratios.
 */

CREATE FUNCTION @extschema@.roi(revenue numeric, cost numeric)
RETURNS numeric
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN pg_catalog.round((revenue OPERATOR(pg_catalog.-) cost) OPERATOR(pg_catalog./) NULLIF(cost, 0), 4);
COMMENT ON FUNCTION @extschema@.roi(numeric, numeric) IS
	'Return on cost (revenue - cost) / cost, rounded to 4 decimals (0.25 = 25 %); NULL when cost is 0 or either argument is NULL';

CREATE FUNCTION @extschema@.spend_band(cost numeric, bounds numeric[] DEFAULT '{10000,50000,100000}')
RETURNS text
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	n	integer := cardinality(bounds);
	i	integer;
BEGIN
	-- the bounds first, so that bad bounds fail on every row
	IF bounds IS NULL OR n = 0 OR array_ndims(bounds) <> 1 OR array_position(bounds, NULL) IS NOT NULL THEN
		RAISE EXCEPTION 'spend_band: bounds must be a one-dimensional array of numbers without NULLs, got %',
			coalesce(bounds::text, 'NULL')
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'Pass the ascending lower bounds of the bands, e.g. ''{10000,50000,100000}''.';
	END IF;
	bounds := bounds[array_lower(bounds, 1):array_upper(bounds, 1)];	-- numbered from 1
	FOR i IN 1 .. n LOOP
		IF NOT (bounds[i] > '-Infinity' AND bounds[i] < 'Infinity')
		   OR (i > 1 AND bounds[i] <= bounds[i - 1]) THEN
			RAISE EXCEPTION 'spend_band: bounds must be finite and strictly ascending, got %', bounds
				USING ERRCODE = 'invalid_parameter_value',
					  HINT = 'Pass the ascending lower bounds of the bands, e.g. ''{10000,50000,100000}''.';
		END IF;
	END LOOP;
	IF cost IS NULL THEN
		RETURN 'no cost recorded';
	END IF;
	IF NOT (cost >= 0 AND cost < 'Infinity') THEN
		RAISE EXCEPTION 'spend_band: cost must be a finite amount of at least 0, got %', cost
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'A cost is what a campaign spent (crm.campaigns.actual_cost); pass NULL when it is not known.';
	END IF;
	IF cost < bounds[1] THEN
		RETURN 'under ' || bounds[1];
	END IF;
	FOR i IN REVERSE n .. 1 LOOP
		IF cost >= bounds[i] THEN
			RETURN CASE WHEN i = n THEN bounds[n] || ' and more'
						ELSE bounds[i] || ' to under ' || bounds[i + 1] END;
		END IF;
	END LOOP;
	RETURN NULL;				-- not reached: cost >= bounds[1]
END;
$$;
COMMENT ON FUNCTION @extschema@.spend_band(numeric, numeric[]) IS
	'Spend band of a cost between ascending bounds (default 10000, 50000, 100000): ''under 10000'', ''10000 to under 50000'', ..., ''100000 and more''; ''no cost recorded'' for NULL. Errors (22023): bounds empty, multi-dimensional, with NULLs, not finite or not strictly ascending; cost negative, NaN or infinite';

CREATE VIEW @extschema@.campaign_effectiveness AS
SELECT k.id AS campaign_id, k.name, k.method, k.region, k.status,
	   COALESCE(k.started_on, k.planned_start) AS starts_on,
	   COALESCE(k.ended_on, k.planned_end) AS ends_on,
	   k.budget, k.actual_cost,
	   @extschema@.spend_band(k.actual_cost) AS spend_band,
	   COALESCE(m.members, 0) AS members, COALESCE(m.participants, 0) AS participants,
	   COALESCE(m.responses, 0) AS responses,
	   COALESCE(o.opportunities, 0) AS opportunities, COALESCE(o.opportunities_won, 0) AS opportunities_won,
	   COALESCE(o.revenue_won, 0) AS revenue_won,
	   COALESCE(c.contracts, 0) AS contracts, COALESCE(c.contracts_amount, 0) AS contracts_amount,
	   @extschema@.roi(COALESCE(o.revenue_won, 0), k.actual_cost) AS roi,
	   pg_catalog.round(m.responses::numeric OPERATOR(pg_catalog./) NULLIF(m.members, 0), 4) AS response_rate,
	   pg_catalog.round(COALESCE(o.opportunities, 0)::numeric OPERATOR(pg_catalog./) NULLIF(m.participants, 0), 4) AS opportunity_ratio,
	   pg_catalog.round(COALESCE(c.contracts, 0)::numeric OPERATOR(pg_catalog./) NULLIF(m.participants, 0), 4) AS contract_ratio,
	   pg_catalog.round(k.actual_cost OPERATOR(pg_catalog./) NULLIF(o.opportunities_won, 0), 2) AS cost_per_won_opportunity
  FROM @extschema@.campaigns k
  -- each distributed table aggregated by campaign first (partial counts and
  -- sums per shard, combined), then joined to the campaigns: on Citus the
  -- campaigns are a reference table and these joins need no repartitioning
  LEFT JOIN (
	SELECT cm.campaign_id,
		   pg_catalog.count(*) AS members,
		   pg_catalog.count(*) FILTER (WHERE cm.attended) AS participants,
		   pg_catalog.count(*) FILTER (WHERE cm.responded_at IS NOT NULL) AS responses
	  FROM @extschema@.campaign_members cm
	 GROUP BY cm.campaign_id) m ON m.campaign_id OPERATOR(pg_catalog.=) k.id
  LEFT JOIN (
	SELECT w.campaign_id,
		   pg_catalog.count(*) AS opportunities,
		   pg_catalog.count(*) FILTER (WHERE w.won) AS opportunities_won,
		   pg_catalog.sum(w.amount) FILTER (WHERE w.won) AS revenue_won
	  FROM (SELECT op.campaign_id, op.amount,
				   op.status OPERATOR(pg_catalog.=) 'won'
				   OR (op.status OPERATOR(pg_catalog.=) 'archived' AND hw.opportunity_id IS NOT NULL) AS won
			  FROM @extschema@.opportunities op
			  -- won before being archived: a history row with new_status won
			  -- (a co-located join, on the distribution column)
			  LEFT JOIN (SELECT DISTINCT h.customer_id, h.opportunity_id
						   FROM @extschema@.opportunity_history h
						  WHERE h.new_status OPERATOR(pg_catalog.=) 'won') hw
				ON hw.customer_id OPERATOR(pg_catalog.=) op.customer_id
			   AND hw.opportunity_id OPERATOR(pg_catalog.=) op.id
			 WHERE op.campaign_id IS NOT NULL) w
	 GROUP BY w.campaign_id) o ON o.campaign_id OPERATOR(pg_catalog.=) k.id
  LEFT JOIN (
	SELECT ct.campaign_id, pg_catalog.count(*) AS contracts, pg_catalog.sum(ct.amount) AS contracts_amount
	  FROM @extschema@.contracts ct
	 WHERE ct.campaign_id IS NOT NULL
	 GROUP BY ct.campaign_id) c ON c.campaign_id OPERATOR(pg_catalog.=) k.id;
COMMENT ON VIEW @extschema@.campaign_effectiveness IS
	'Per campaign: period (actual, else planned), budget, actual cost and its spend band (crm.spend_band), members (targeted), participants (attended), responses, opportunities it produced, those won (status won, or archived after being won) and their amount (revenue_won), contracts credited to it and their amount, roi = (revenue_won - actual_cost) / actual_cost, response_rate = responses / members, opportunity_ratio = opportunities / participants, contract_ratio = contracts / participants, cost per won opportunity. Ratios are NULL instead of dividing by zero (no cost, no members, no participants, nothing won)';

CREATE FUNCTION @extschema@.campaigns_in_period(from_date date, to_date date)
RETURNS SETOF @extschema@.campaign_effectiveness
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF from_date IS NULL OR to_date IS NULL OR to_date < from_date THEN
		RAISE EXCEPTION 'campaigns_in_period: need from_date <= to_date, got % and %',
			coalesce(from_date::text, 'NULL'), coalesce(to_date::text, 'NULL')
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'Give the first and the last day of the period, e.g. ''2025-01-01'' and ''2025-12-31''.';
	END IF;
	RETURN QUERY
	SELECT e.* FROM @extschema@.campaign_effectiveness e
	 WHERE e.starts_on <= to_date AND COALESCE(e.ends_on, e.starts_on) >= from_date
	 ORDER BY e.starts_on, e.campaign_id;
END;
$$;
COMMENT ON FUNCTION @extschema@.campaigns_in_period(date, date) IS
	'The crm.campaign_effectiveness rows of the campaigns that ran (or are planned to run: planned dates when not started) on at least one day between from_date and to_date included; count(*) of it is the number of campaigns in the period. Campaigns without any date are left out. Error (22023): a bound NULL or to_date before from_date';

CREATE FUNCTION @extschema@.campaign_rollup(dimension text, from_date date DEFAULT '-infinity', to_date date DEFAULT 'infinity')
RETURNS TABLE (key text, campaigns bigint, budget numeric, actual_cost numeric, members numeric, participants numeric,
			   responses numeric, opportunities numeric, opportunities_won numeric, revenue_won numeric,
			   contracts numeric, contracts_amount numeric, roi numeric, opportunity_ratio numeric, contract_ratio numeric)
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF dimension IS NULL OR dimension NOT IN ('region', 'method', 'spend_band', 'status') THEN
		RAISE EXCEPTION 'campaign_rollup: dimension must be region, method, spend_band or status, got %',
			coalesce(quote_literal(dimension), 'NULL')
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'method is the campaign''s method or channel; spend_band groups by crm.spend_band(actual_cost).';
	END IF;
	IF from_date IS NULL OR to_date IS NULL OR to_date < from_date THEN
		RAISE EXCEPTION 'campaign_rollup: need from_date <= to_date, got % and %',
			coalesce(from_date::text, 'NULL'), coalesce(to_date::text, 'NULL')
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'Leave both out for all campaigns.';
	END IF;
	RETURN QUERY
	SELECT COALESCE(CASE dimension WHEN 'region' THEN e.region WHEN 'method' THEN e.method
								   WHEN 'spend_band' THEN e.spend_band ELSE e.status::text END, '(none)'),
		   count(*), sum(e.budget), COALESCE(sum(e.actual_cost), 0),
		   sum(e.members), sum(e.participants), sum(e.responses),
		   sum(e.opportunities), sum(e.opportunities_won), sum(e.revenue_won),
		   sum(e.contracts), sum(e.contracts_amount),
		   @extschema@.roi(sum(e.revenue_won) FILTER (WHERE e.actual_cost IS NOT NULL), sum(e.actual_cost)),
		   round(sum(e.opportunities) / NULLIF(sum(e.participants), 0), 4),
		   round(sum(e.contracts) / NULLIF(sum(e.participants), 0), 4)
	  FROM @extschema@.campaign_effectiveness e
	 WHERE (from_date = '-infinity' AND to_date = 'infinity')
		OR (e.starts_on <= to_date AND COALESCE(e.ends_on, e.starts_on) >= from_date)
	 GROUP BY 1
	 ORDER BY 13 DESC NULLS LAST, 1;
END;
$$;
COMMENT ON FUNCTION @extschema@.campaign_rollup(text, date, date) IS
	'Campaign effectiveness summed by region, method (channel), spend_band or status, over the campaigns of a period (crm.campaigns_in_period rules; default: all campaigns, with or without dates): counts and amounts summed, roi = (revenue won by campaigns with a recorded cost - their cost) / their cost, opportunity and contract ratios per participant; NULL instead of dividing by zero; best ROI first. A NULL key shows as ''(none)''. Errors (22023): bad dimension, bad period';

CREATE VIEW @extschema@.campaign_roi_by_region AS
SELECT * FROM @extschema@.campaign_rollup('region');
COMMENT ON VIEW @extschema@.campaign_roi_by_region IS 'crm.campaign_rollup(''region''): which regions give the best return, all campaigns';

CREATE VIEW @extschema@.campaign_roi_by_method AS
SELECT * FROM @extschema@.campaign_rollup('method');
COMMENT ON VIEW @extschema@.campaign_roi_by_method IS 'crm.campaign_rollup(''method''): which methods or channels give the best return, all campaigns';

CREATE VIEW @extschema@.campaign_roi_by_spend_band AS
SELECT * FROM @extschema@.campaign_rollup('spend_band');
COMMENT ON VIEW @extschema@.campaign_roi_by_spend_band IS 'crm.campaign_rollup(''spend_band''): which spend sizes give the best return, all campaigns';

CREATE FUNCTION @extschema@.campaign_sales_lift(window_days integer DEFAULT 90)
RETURNS TABLE (campaign_id bigint, name text, members bigint, sales_before numeric, sales_after numeric,
			   sales_growth_pct numeric, products_before bigint, products_after bigint,
			   product_coverage_growth_pct numeric, actual_cost numeric, net_sales_gain numeric)
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF window_days IS NULL OR window_days NOT BETWEEN 1 AND 3660 THEN
		RAISE EXCEPTION 'campaign_sales_lift: window_days must be between 1 and 3660, got %', coalesce(window_days::text, 'NULL')
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'Give the length in days of the windows before the start and after the end of each campaign, e.g. 90.';
	END IF;
	-- The purchases of the members are summed per campaign and product on
	-- the shards (members and their orders are co-located by customer, the
	-- campaigns a reference table), combined, and only then counted per
	-- campaign: distinct products without count(DISTINCT) across shards.
	RETURN QUERY
	SELECT k.id, k.name, COALESCE(m.members, 0),
		   COALESCE(s.before, 0), COALESCE(s.after, 0),
		   round(100 * (COALESCE(s.after, 0) - s.before) / NULLIF(s.before, 0), 1),
		   COALESCE(s.products_before, 0), COALESCE(s.products_after, 0),
		   round(100.0 * (COALESCE(s.products_after, 0) - s.products_before) / NULLIF(s.products_before, 0), 1),
		   k.actual_cost,
		   COALESCE(s.after, 0) - COALESCE(s.before, 0) - COALESCE(k.actual_cost, 0)
	  FROM @extschema@.campaigns k
	  LEFT JOIN (SELECT cm.campaign_id, count(*) AS members
				   FROM @extschema@.campaign_members cm
				  GROUP BY cm.campaign_id) m ON m.campaign_id = k.id
	  LEFT JOIN (
		SELECT p.campaign_id,
			   sum(p.before) AS before, sum(p.after) AS after,
			   count(*) FILTER (WHERE p.bought_before AND p.product IS NOT NULL) AS products_before,
			   count(*) FILTER (WHERE p.bought_after AND p.product IS NOT NULL) AS products_after
		  FROM (SELECT kk.id AS campaign_id, o.product,
					   sum(o.amount) FILTER (WHERE o.ordered_at < kk.started_on::timestamptz) AS before,
					   sum(o.amount) FILTER (WHERE o.ordered_at >= (kk.ended_on + 1)::timestamptz) AS after,
					   bool_or(o.ordered_at < kk.started_on::timestamptz) AS bought_before,
					   bool_or(o.ordered_at >= (kk.ended_on + 1)::timestamptz) AS bought_after
				  FROM @extschema@.campaigns kk
				  JOIN @extschema@.campaign_members cm ON cm.campaign_id = kk.id
				  JOIN @extschema@.orders o ON o.customer_id = cm.customer_id
				 WHERE kk.started_on IS NOT NULL AND kk.ended_on IS NOT NULL
				   AND ((o.ordered_at >= (kk.started_on - window_days)::timestamptz AND o.ordered_at < kk.started_on::timestamptz)
						OR (o.ordered_at >= (kk.ended_on + 1)::timestamptz AND o.ordered_at < (kk.ended_on + 1 + window_days)::timestamptz))
				 GROUP BY kk.id, o.product) p
		 GROUP BY p.campaign_id) s ON s.campaign_id = k.id
	 WHERE k.started_on IS NOT NULL AND k.ended_on IS NOT NULL
	 ORDER BY k.id;
END;
$$;
COMMENT ON FUNCTION @extschema@.campaign_sales_lift(integer) IS
	'Sales growth and product coverage growth of each campaign that has run (started_on and ended_on set): the purchases of its members (all targeted customers) in the window_days days before started_on against the window_days days after ended_on (session time zone): sales before and after, growth in percent, distinct products bought before and after and their growth in percent (NULL when nothing before), the actual cost and the net gain = sales after - sales before - actual cost. Error (22023): window_days outside 1..3660';
