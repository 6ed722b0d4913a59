/*
 * contracts.sql: contract progress, execution status and version history,
 * queryable by customer and by contract.
 *
 *   SELECT * FROM crm.contract_overview WHERE customer_id = 42;
 *   SELECT * FROM crm.contract_version_history WHERE contract_id = 7 ORDER BY version;
 *   SELECT * FROM crm.contracts_by_status;
 */

CREATE FUNCTION @extschema@.contract_execution_status(status @extschema@.contract_status, percent_complete numeric,
													  starts_on date, ends_on date, as_of date)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE
	WHEN status IN ('draft', 'submitted') THEN 'not signed'
	WHEN status OPERATOR(pg_catalog.=) 'approved' THEN 'not started'
	WHEN status OPERATOR(pg_catalog.=) 'interrupted' THEN 'interrupted'
	WHEN status IN ('completed', 'closed') THEN status::text
	WHEN starts_on IS NULL OR ends_on IS NULL OR as_of IS NULL THEN 'in execution'
	WHEN as_of OPERATOR(pg_catalog.>) ends_on THEN 'overdue'
	WHEN percent_complete OPERATOR(pg_catalog.<)
		 ((100.0 OPERATOR(pg_catalog.*) GREATEST(as_of OPERATOR(pg_catalog.-) starts_on OPERATOR(pg_catalog.+) 1, 0)
			   OPERATOR(pg_catalog./) (ends_on OPERATOR(pg_catalog.-) starts_on OPERATOR(pg_catalog.+) 1))
		  OPERATOR(pg_catalog.-) 10)
		THEN 'behind schedule'
	ELSE 'on schedule' END;
COMMENT ON FUNCTION @extschema@.contract_execution_status(@extschema@.contract_status, numeric, date, date, date) IS
	'Execution status of a contract at as_of: not signed (draft, submitted), not started (approved), interrupted, completed, closed; while executing: overdue after ends_on, behind schedule when percent_complete is more than 10 points below the share of days elapsed from starts_on to ends_on, else on schedule (in execution without both dates)';

-- Contracts, their versions and their history are co-located by customer
-- on Citus: every join below is on customer_id as well as on the contract,
-- so that it is pushed down whole to the shards.
CREATE VIEW @extschema@.contract_overview AS
SELECT ct.id AS contract_id, ct.customer_id, cu.name AS customer, ct.title, ct.status,
	   @extschema@.contract_execution_status(ct.status, ct.percent_complete, ct.starts_on, ct.ends_on, CURRENT_DATE) AS execution_status,
	   ct.amount, ct.percent_complete,
	   pg_catalog.round(ct.amount OPERATOR(pg_catalog.*) ct.percent_complete OPERATOR(pg_catalog./) 100, 2) AS amount_delivered,
	   ct.version, ct.signed_on, ct.starts_on, ct.ends_on, ct.opportunity_id, ct.campaign_id,
	   h.status_changed_at,
	   COALESCE(h.history_entries, 0) AS history_entries
  FROM @extschema@.contracts ct
  JOIN @extschema@.customers cu ON cu.id OPERATOR(pg_catalog.=) ct.customer_id
  LEFT JOIN (
	SELECT h.customer_id, h.contract_id,
		   pg_catalog.max(h.changed_at) FILTER (WHERE h.old_status IS DISTINCT FROM h.new_status) AS status_changed_at,
		   pg_catalog.count(*) AS history_entries
	  FROM @extschema@.contract_history h
	 GROUP BY h.customer_id, h.contract_id) h
	ON h.customer_id OPERATOR(pg_catalog.=) ct.customer_id AND h.contract_id OPERATOR(pg_catalog.=) ct.id;
COMMENT ON VIEW @extschema@.contract_overview IS
	'Every contract with its customer, status, execution status today (crm.contract_execution_status), amount, percent complete and the amount delivered (amount * percent / 100), current version, dates, the opportunity and campaign it came from, its last status change and the number of recorded steps; filter by customer_id or contract_id';

CREATE VIEW @extschema@.contract_version_history AS
SELECT v.contract_id, ct.customer_id, v.version, v.amount, v.starts_on, v.ends_on, v.terms,
	   v.valid_from, v.replaced_at AS valid_until, v.replaced_by, false AS is_current
  FROM @extschema@.contract_versions v
  JOIN @extschema@.contracts ct ON ct.customer_id OPERATOR(pg_catalog.=) v.customer_id
							   AND ct.id OPERATOR(pg_catalog.=) v.contract_id
UNION ALL
SELECT ct.id, ct.customer_id, ct.version, ct.amount, ct.starts_on, ct.ends_on, ct.terms,
	   COALESCE(r.replaced_at, ct.created_at),
	   NULL, NULL, true
  FROM @extschema@.contracts ct
  LEFT JOIN (
	SELECT v.customer_id, v.contract_id, pg_catalog.max(v.replaced_at) AS replaced_at
	  FROM @extschema@.contract_versions v
	 GROUP BY v.customer_id, v.contract_id) r
	ON r.customer_id OPERATOR(pg_catalog.=) ct.customer_id AND r.contract_id OPERATOR(pg_catalog.=) ct.id;
COMMENT ON VIEW @extschema@.contract_version_history IS
	'Every version of every contract''s terms, earlier ones from crm.contract_versions and the current one from crm.contracts (is_current, valid_until NULL), with the customer; filter by customer_id or contract_id and order by version';

CREATE VIEW @extschema@.contract_status_history AS
SELECT h.contract_id, ct.customer_id, h.changed_at, h.changed_by, h.old_status, h.new_status,
	   h.old_percent, h.new_percent
  FROM @extschema@.contract_history h
  JOIN @extschema@.contracts ct ON ct.customer_id OPERATOR(pg_catalog.=) h.customer_id
							   AND ct.id OPERATOR(pg_catalog.=) h.contract_id;
COMMENT ON VIEW @extschema@.contract_status_history IS
	'Every recorded step of every contract (status and percent complete before and after, when, by whom), with the customer; filter by customer_id or contract_id and order by changed_at';

CREATE VIEW @extschema@.contracts_by_status AS
SELECT ct.status, pg_catalog.count(*) AS contracts, pg_catalog.sum(ct.amount) AS amount,
	   pg_catalog.round(pg_catalog.sum(ct.amount OPERATOR(pg_catalog.*) ct.percent_complete OPERATOR(pg_catalog./) 100), 2) AS amount_delivered,
	   pg_catalog.round(pg_catalog.avg(ct.percent_complete), 1) AS avg_percent_complete,
	   pg_catalog.count(*) FILTER (WHERE ct.version OPERATOR(pg_catalog.>) 1) AS amended
  FROM @extschema@.contracts ct
 GROUP BY ct.status;
COMMENT ON VIEW @extschema@.contracts_by_status IS
	'Contracts by state: count, amount, amount delivered (by percent complete), mean percent complete and how many were amended (version > 1)';

-- Contract retention for the shifted-beta-geometric model (crm.sbg_fit):
-- a customer's signed contracts chained into spells of continuous cover
-- (a contract starting at most grace_days days after the cover so far
-- ended renews it), each spell as (periods, churned) at as_of.  The windows and
-- the grouping are per customer, so that Citus pushes the query down to
-- the shards whole.
CREATE FUNCTION @extschema@.contract_retention(as_of date, period_days integer DEFAULT 365, grace_days integer DEFAULT 30)
RETURNS TABLE (customer_id bigint, spell integer, first_contract_id bigint, started_on date, covered_until date,
			   contracts bigint, periods integer, churned boolean)
LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF period_days < 1 OR period_days > 36525 THEN
		RAISE EXCEPTION 'contract_retention: period_days % is outside 1..36525', period_days
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = pg_catalog.format('period_days = %s', period_days),
				  HINT = 'Give the length of a renewal period in days, e.g. 365 for yearly contracts.';
	END IF;
	IF grace_days < 0 OR grace_days > 36525 THEN
		RAISE EXCEPTION 'contract_retention: grace_days % is outside 0..36525', grace_days
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = pg_catalog.format('grace_days = %s', grace_days),
				  HINT = 'Give the days a renewal may start after the cover ended, e.g. 30 (0: no gap allowed).';
	END IF;
	RETURN QUERY
	WITH signed AS (
		SELECT ct.customer_id, ct.id, ct.starts_on, ct.ends_on,
			   max(ct.ends_on) OVER (PARTITION BY ct.customer_id ORDER BY ct.starts_on, ct.id
									 ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS covered_before
		  FROM @extschema@.contracts ct
		 WHERE ct.status NOT IN ('draft', 'submitted')
		   AND ct.signed_on <= as_of AND ct.starts_on IS NOT NULL AND ct.ends_on IS NOT NULL
	), spells AS (
		SELECT s.customer_id, s.id, s.starts_on, s.ends_on,
			   (count(*) FILTER (WHERE s.covered_before IS NULL OR s.starts_on > s.covered_before + 1 + grace_days)
					OVER (PARTITION BY s.customer_id ORDER BY s.starts_on, s.id))::integer AS spell
		  FROM signed s
	), grouped AS (
		SELECT s.customer_id, s.spell, (array_agg(s.id ORDER BY s.starts_on, s.id))[1] AS first_contract_id,
			   min(s.starts_on) AS started_on, max(s.ends_on) AS covered_until, count(*) AS contracts
		  FROM spells s
		 GROUP BY s.customer_id, s.spell
	)
	SELECT g.customer_id, g.spell, g.first_contract_id, g.started_on, g.covered_until, g.contracts,
		   CASE WHEN g.covered_until + grace_days < as_of
				THEN greatest(1, ceil((g.covered_until - g.started_on + 1 - grace_days)::numeric / period_days))::integer
				ELSE ((least(g.covered_until, as_of) - g.started_on + 1) / period_days)::integer END,
		   g.covered_until + grace_days < as_of
	  FROM grouped g
	 WHERE g.started_on <= as_of;
END;
$$;
COMMENT ON FUNCTION @extschema@.contract_retention(date, integer, integer) IS
	'Contract renewals at as_of as crm.sbg_fit rows: a customer''s signed contracts (status approved and later, signed_on <= as_of, both dates set) in order of starts_on chained into spells of continuous cover, a contract starting at most grace_days days after the day the cover so far (the latest ends_on) ended renewing the spell (grace_days 0: the next day), else starting a new one; per spell started by as_of: the customer, spell number, first contract, first day, last day covered, contracts, churned (the cover ended more than grace_days before as_of) and periods of period_days: for a churned spell the period it ended in, max(1, ceil((days covered - grace_days) / period_days)), else the whole periods covered by as_of, floor((min(last day covered, as_of) - first day + 1) / period_days). Fit: crm.sbg_fit(periods, churned). Errors (22023): period_days or grace_days outside 1..36525 and 0..36525';
