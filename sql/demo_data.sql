-- The demo data generator: argument checks, determinism (same seed, same
-- rows), and that the generated history obeys the schema's own rules.

SELECT try($$SELECT crm.generate_demo_data(0)$$) AS zero_customers;
SELECT try($$SELECT crm.generate_demo_data(10000001)$$) AS too_many;
SELECT try($$SELECT crm.generate_demo_data(NULL)$$) AS null_customers;
SELECT try($$SELECT crm.generate_demo_data(10, NULL)$$) AS null_seed;
SELECT try($$SELECT * FROM crm.demo_orders(1, 1, '2025-01-01', '2025-12-31', 0, 1)$$) AS zero_spend_scale;
SELECT try($$SELECT * FROM crm.demo_orders(1, 1, '2025-01-01', 'infinity', 1, 1)$$) AS infinite_until;
SELECT try($$SELECT crm.demo_pick(1, 1, 1, '{{a,b},{c,d}}')$$) AS two_dimensional_choices;
SELECT crm.demo_pick(1, 1, 1, '{}') IS NULL AS empty_choices_null,
	   crm.demo_pick(1, 1, 1, '[0:2]={x,y,z}') = crm.demo_pick(1, 1, 1, '{x,y,z}') AS lower_bound_ignored;

SELECT * FROM crm.generate_demo_data(2000, 7);

-- generating into tables that hold data is refused
SELECT try($$SELECT crm.generate_demo_data(10)$$) AS not_empty;

-- Same seed, same data: fingerprint every table, generate again, compare.
CREATE TEMP VIEW fingerprints AS
SELECT t AS table_name, crm_md5 FROM (VALUES
	('customers', (SELECT md5(string_agg(c::text, '|' ORDER BY id)) FROM crm.customers c)),
	('contacts', (SELECT md5(string_agg(c::text, '|' ORDER BY id)) FROM crm.contacts c)),
	('orders', (SELECT md5(string_agg((o.customer_id, o.ordered_at, o.amount, o.quantity, o.product, o.amount_paid, o.due_date)::text, '|'
									   ORDER BY o.customer_id, o.ordered_at, o.id)) FROM crm.orders o)),
	('service_costs', (SELECT md5(string_agg((s.customer_id, s.incurred_on, s.kind, s.amount)::text, '|'
											 ORDER BY s.customer_id, s.incurred_on, s.kind, s.amount)) FROM crm.service_costs s)),
	('campaigns', (SELECT md5(string_agg(k::text, '|' ORDER BY id)) FROM crm.campaigns k)),
	('campaign_members', (SELECT md5(string_agg(m::text, '|' ORDER BY campaign_id, customer_id)) FROM crm.campaign_members m)),
	('opportunities', (SELECT md5(string_agg(o::text, '|' ORDER BY id)) FROM crm.opportunities o)),
	('opportunity_history', (SELECT md5(string_agg((h.opportunity_id, h.changed_at, h.old_stage, h.new_stage, h.old_status, h.new_status, h.cost)::text, '|'
												   ORDER BY h.opportunity_id, h.changed_at, h.id)) FROM crm.opportunity_history h)),
	('contracts', (SELECT md5(string_agg(k::text, '|' ORDER BY id)) FROM crm.contracts k)),
	('quotas', (SELECT md5(string_agg((q.period_start, q.owner, q.region, q.target)::text, '|'
									  ORDER BY q.period_start, q.owner, q.region)) FROM crm.quotas q))) AS v(t, crm_md5);
CREATE TEMP TABLE first_run AS SELECT * FROM fingerprints;
SET client_min_messages = warning;
TRUNCATE crm.customers, crm.campaigns, crm.quotas, crm.forecast_adjustments CASCADE;
SELECT sum(row_count) AS rows_again FROM crm.generate_demo_data(2000, 7);
SELECT f.table_name, f.crm_md5 = v.crm_md5 AS same_rows
  FROM first_run f JOIN fingerprints v USING (table_name)
 ORDER BY f.table_name;

-- What the demo shows exists: every state, arrears, unprofitable customers.
SELECT status, count(*) > 0 AS present FROM crm.opportunities GROUP BY status ORDER BY status;
SELECT status, count(*) > 0 AS present FROM crm.contracts GROUP BY status ORDER BY status;
SELECT count(*) FILTER (WHERE kind = 'company') BETWEEN 600 AND 800 AS about_a_third_companies FROM crm.customers;
SELECT count(*) / 2000.0 BETWEEN 8 AND 12 AS about_10_orders_per_customer FROM crm.orders;
SELECT sum(amount - amount_paid) > 0 AS has_arrears FROM crm.orders WHERE due_date < date '2025-12-31';
SELECT count(*) FILTER (WHERE net < 0) BETWEEN 100 AND 300 AS some_cost_more_than_they_bring
  FROM (SELECT c.id, coalesce((SELECT sum(amount) FROM crm.orders o WHERE o.customer_id = c.id), 0)
				   - coalesce((SELECT sum(amount) FROM crm.service_costs s WHERE s.customer_id = c.id), 0) AS net
		  FROM crm.customers c) t;

-- The history obeys the rules a live system would have followed.
SELECT count(*) AS orders_before_customer_existed
  FROM crm.orders o JOIN crm.customers c ON c.id = o.customer_id WHERE o.ordered_at < c.created_at;
SELECT count(*) AS orders_after_2025 FROM crm.orders WHERE ordered_at >= '2026-01-01 00:00+00';
SELECT count(*) AS history_not_ending_in_status
  FROM crm.opportunities o
  JOIN LATERAL (SELECT h.new_status FROM crm.opportunity_history h WHERE h.opportunity_id = o.id
				 ORDER BY h.changed_at DESC, h.id DESC LIMIT 1) h ON true
 WHERE h.new_status <> o.status;
SELECT count(*) AS history_not_ending_in_close_date
  FROM crm.opportunities o
  JOIN LATERAL (SELECT h.new_expected_close FROM crm.opportunity_history h WHERE h.opportunity_id = o.id
				 ORDER BY h.changed_at DESC, h.id DESC LIMIT 1) h ON true
 WHERE h.new_expected_close IS DISTINCT FROM o.expected_close;
SELECT count(*) AS close_date_chain_breaks
  FROM (SELECT h.old_expected_close, lag(h.new_expected_close) OVER (PARTITION BY h.opportunity_id ORDER BY h.changed_at, h.id) AS prev
		  FROM crm.opportunity_history h) x
 WHERE x.prev IS NOT NULL AND x.prev <> x.old_expected_close;
SELECT count(*) AS forbidden_moves_in_history
  FROM crm.opportunity_history h
  JOIN crm.status_transitions t ON t.object = 'opportunity' AND t.from_status = h.old_status::text
 WHERE h.old_status <> h.new_status AND NOT h.new_status::text = ANY (t.allowed);
SELECT count(*) AS forbidden_contract_moves
  FROM crm.contract_history h
  JOIN crm.status_transitions t ON t.object = 'contract' AND t.from_status = h.old_status::text
 WHERE NOT h.new_status::text = ANY (t.allowed);
SELECT count(*) AS won_without_contract
  FROM crm.opportunities o
 WHERE o.stage = 'contract' AND NOT EXISTS (SELECT FROM crm.contracts k WHERE k.opportunity_id = o.id);

-- New rows continue after the generated keys.
INSERT INTO crm.customers (name) VALUES ('after the demo') RETURNING id > 2000 AS new_id_after_demo;

-- The pipeline waterfall adds up on the demo's history: the open pipeline
-- at the start plus every change's amount_delta is the open pipeline at the
-- end (crm.pipeline_changes), for the last quarter, a year, the whole
-- history and a day, and step 1 + steps 2..16 = step 17 of the waterfall.
SELECT period,
	   (SELECT coalesce(sum(amount), 0) FROM crm.opportunities_as_of(f) WHERE status = 'open')
	   + (SELECT coalesce(sum(amount_delta), 0) FROM crm.pipeline_changes(f, t))
	   = (SELECT coalesce(sum(amount), 0) FROM crm.opportunities_as_of(t) WHERE status = 'open') AS adds_up,
	   (SELECT sum(amount) FILTER (WHERE step < 17) = sum(amount) FILTER (WHERE step = 17)
		  FROM crm.pipeline_waterfall(f, t, 'project')) AS waterfall_adds_up,
	   (SELECT count(*) FROM crm.pipeline_changes(f, t)) > 0 AS has_changes,
	   (SELECT count(*) FROM crm.pipeline_changes(f, t) WHERE change = 'pulled in') > 0 AS has_pulled_in,
	   (SELECT count(*) FROM crm.pipeline_changes(f, t) WHERE change = 'pushed out') > 0 AS has_pushed_out
  FROM (VALUES ('last quarter', timestamptz '2025-10-01 00:00+00', timestamptz '2026-01-01 00:00+00'),
			   ('2025', '2025-01-01 00:00+00', '2026-01-01 00:00+00'),
			   ('all', '2015-01-01 00:00+00', '2026-01-01 00:00+00'),
			   ('a day', '2024-06-30 00:00+00', '2024-07-01 00:00+00')) p(period, f, t);

-- What the key accounts have in common (a tree of Pareto class A against
-- the other companies) and the likely future ones; every demo company's file
-- follows the layout and is dated from its entry.
SELECT rule, companies, key_accounts, round(share_key_accounts::numeric, 3) AS share
  FROM crm.key_account_profile('2025-12-31');
SELECT count(*) AS future_key_accounts, min(round(probability::numeric, 3)) AS lowest_probability,
	   count(*) FILTER (WHERE pareto_class IS NULL) AS without_purchases
  FROM crm.future_key_accounts('2025-12-31', 0.5);
SELECT count(*) FILTER (WHERE cardinality(crm.key_account_file_errors(attributes)) > 0) AS invalid_files,
	   count(*) FILTER (WHERE attributes ? 'field_dates') AS dated_files
  FROM crm.customers WHERE kind = 'company';
SELECT count(*) AS reviewed, count(*) FILTER (WHERE cardinality(stale_fields) > 0) AS with_stale_fields,
	   count(*) FILTER (WHERE cardinality(missing_fields) > 0) AS with_missing_fields
  FROM crm.key_account_review('2025-12-31');

-- Market segmentation of the persons (seed 000): existing customers,
-- winnable prospects and those not pursued now, each with its rule (the
-- demo's prospects come more often from ads and trade shows and look for
-- price: here the tree sets those from a trade show apart).
SELECT segment, count(*) AS persons, round(avg(probability)::numeric, 2) AS mean_probability
  FROM crm.market_segments('2025-12-31') GROUP BY segment ORDER BY segment;
SELECT segment, rule, count(*) AS persons
  FROM crm.market_segments('2025-12-31') WHERE segment <> 'existing customer'
 GROUP BY segment, rule ORDER BY segment, persons DESC, rule;
SELECT try($$SELECT * FROM crm.market_segments('infinity')$$) AS infinite_as_of;
SELECT try($$SELECT * FROM crm.market_segments('2025-12-31', -0.1)$$) AS negative_probability;
SELECT try($$SELECT * FROM crm.market_segments('2025-12-31', 0.5, 0)$$) AS zero_depth;
SELECT try($$SELECT * FROM crm.market_segments('1990-01-01')$$) AS nobody_yet;

-- The churn risk of new customers (crm.new_customer_churn) against what
-- happened: the new customers of 2025-09-30 (first purchase in the 90 days
-- before), their mean risk of no purchase in the next 90 days, and the share
-- that indeed bought nothing by 2025-12-29.  Reference for each risk: FHL
-- 2005 eq. 8 with the posterior of a customer without a repeat purchase,
-- ((alpha + T) / (alpha + T + t))^r, from the model's own parameters.
SET client_min_messages = warning;
SELECT count(*) AS new_customers, round(avg(c.churn_risk)::numeric, 2) AS predicted_share_lost,
	   round(avg((h.holdout_purchases = 0)::integer), 2) AS actual_share_lost,
	   bool_and(c.churn_risk BETWEEN 0 AND 1) AS probabilities
  FROM crm.new_customer_churn('2025-09-30', 90) c
  JOIN crm.calibration_holdout('2025-09-30', '2025-12-29') h USING (customer_id);
WITH m AS (SELECT crm.bgnbd_fit(s.x, s.t_x, s."T") AS m FROM crm.calibration_holdout('2025-09-30', '2025-09-30') s)
SELECT count(*) AS without_repeat,
	   bool_and(abs(c.churn_risk - power(((m).alpha + s."T") / ((m).alpha + s."T" + 90 / 7.0), (m).r)) < 1e-12) AS closed_form,
	   bool_and(c.churn_risk >= 0) AS nonnegative
  FROM crm.new_customer_churn('2025-09-30', 90) c
  JOIN crm.calibration_holdout('2025-09-30', '2025-09-30') s USING (customer_id), m
 WHERE c.repeat_purchases = 0;
-- riskier the longer they have not come back
SELECT corr(days_since_first, churn_risk) > 0.9 AS risk_rises_with_silence
  FROM crm.new_customer_churn('2025-09-30', 90) WHERE repeat_purchases = 0;
RESET client_min_messages;
SELECT try($$SELECT * FROM crm.new_customer_churn('infinity')$$) AS infinite_as_of;
SELECT try($$SELECT * FROM crm.new_customer_churn('2025-09-30', 0)$$) AS no_horizon;
SELECT try($$SELECT * FROM crm.new_customer_churn('2025-09-30', 90, -1)$$) AS negative_new_days;
SELECT try($$SELECT * FROM crm.new_customer_churn('1990-01-01')$$) AS no_purchases_yet;

-- crm.pipeline_changes (C: one pass over each table) gives what its rules
-- written as one SQL query give (the formulation it replaced: every deal
-- joined to its history, sorted, with windows), row for row and in the
-- same order, over the demo's history.
CREATE FUNCTION pg_temp.pipeline_changes_sql(from_at timestamptz, to_at timestamptz, pipeline_name text DEFAULT NULL)
RETURNS TABLE (opportunity_id bigint, customer_id bigint, pipeline text, changed_at timestamptz,
			   changed_by text, change text, old_stage text, new_stage text,
			   old_status crm.opportunity_status, new_status crm.opportunity_status,
			   old_amount numeric, new_amount numeric, old_expected_close date, new_expected_close date,
			   owner text, amount_delta numeric)
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
BEGIN
	-- One pass: the opportunities created by to_at joined to their history
	-- (on customer_id and the opportunity, as the keys are, so that under
	-- Citus it runs on the shards), sorted by deal and time: each row's
	-- before-state is the previous row's after-state (or its own old
	-- values), and the first row after created_at carries the state at
	-- creation in its before-state (the last row's after-state when every
	-- row is at or before created_at; the current values without history).
	-- Each row gives up to two events: the deal's creation, when it falls
	-- in the period, and its own change, when that does.
	RETURN QUERY
	SELECT e.opportunity_id, e.customer_id, e.pipeline, e.changed_at, e.changed_by,
		   CASE n.ord
			   WHEN 1 THEN 'new'
			   WHEN 2 THEN CASE WHEN e.a_amount > e.b_amount THEN 'amount up' ELSE 'amount down' END
			   WHEN 3 THEN CASE WHEN e.a_close < e.b_close THEN 'pulled in' ELSE 'pushed out' END
			   WHEN 4 THEN CASE e.a_status WHEN 'open' THEN 'reopened' ELSE e.a_status::text END
			   WHEN 5 THEN CASE WHEN sa.position > sb.position THEN 'stage forward'
								WHEN sa.position < sb.position THEN 'stage back'
								ELSE 'stage changed' END
			   ELSE 'transferred' END,
		   e.b_stage, e.a_stage, e.b_status, e.a_status, e.b_amount, e.a_amount, e.b_close, e.a_close, e.a_owner,
		   CASE n.ord
			   WHEN 1 THEN CASE WHEN e.a_status = 'open' THEN e.a_amount ELSE 0 END
			   WHEN 2 THEN CASE WHEN e.b_status = 'open' THEN e.a_amount - e.b_amount ELSE 0 END
			   WHEN 4 THEN CASE WHEN e.a_status = 'open' THEN e.a_amount ELSE 0 END
						   - CASE WHEN e.b_status = 'open' THEN e.a_amount ELSE 0 END
			   ELSE 0 END
	  FROM (
		SELECT h.opportunity_id, h.customer_id, h.pipeline,
			   CASE WHEN ev.is_new THEN h.created_at ELSE h.changed_at END AS changed_at,
			   CASE WHEN ev.is_new THEN 0 ELSE h.hid END AS hid,
			   CASE WHEN NOT ev.is_new THEN h.changed_by END AS changed_by,
			   ev.is_new,
			   CASE WHEN NOT ev.is_new THEN h.b_stage END AS b_stage,
			   CASE WHEN NOT ev.is_new THEN h.b_status END AS b_status,
			   CASE WHEN NOT ev.is_new THEN h.b_amount END AS b_amount,
			   CASE WHEN NOT ev.is_new THEN h.b_owner END AS b_owner,
			   CASE WHEN NOT ev.is_new THEN h.b_close END AS b_close,
			   -- the creation's state at created_at: the first row after
			   -- created_at holds it as its before-state
			   CASE WHEN NOT ev.is_new OR h.changed_at <= h.created_at THEN h.a_stage ELSE h.b_stage END AS a_stage,
			   CASE WHEN NOT ev.is_new OR h.changed_at <= h.created_at THEN h.a_status ELSE h.b_status END AS a_status,
			   CASE WHEN NOT ev.is_new OR h.changed_at <= h.created_at THEN h.a_amount ELSE h.b_amount END AS a_amount,
			   CASE WHEN NOT ev.is_new OR h.changed_at <= h.created_at THEN h.a_owner ELSE h.b_owner END AS a_owner,
			   CASE WHEN NOT ev.is_new OR h.changed_at <= h.created_at THEN h.a_close ELSE h.b_close END AS a_close
		  FROM (SELECT o.id AS opportunity_id, o.customer_id, o.pipeline, o.created_at,
					   x.id AS hid, x.changed_at, x.changed_by,
					   coalesce(lag(x.new_stage, 1, x.old_stage) OVER w, o.stage) AS b_stage,
					   coalesce(lag(x.new_status, 1, x.old_status) OVER w, o.status) AS b_status,
					   coalesce(lag(x.new_amount, 1, x.old_amount) OVER w, o.amount) AS b_amount,
					   coalesce(lag(x.new_owner, 1, x.old_owner) OVER w, o.owner) AS b_owner,
					   coalesce(lag(x.new_expected_close, 1, x.old_expected_close) OVER w, o.expected_close) AS b_close,
					   coalesce(x.new_stage, o.stage) AS a_stage,
					   coalesce(x.new_status, o.status) AS a_status,
					   coalesce(x.new_amount, o.amount) AS a_amount,
					   coalesce(x.new_owner, o.owner) AS a_owner,
					   coalesce(x.new_expected_close, o.expected_close) AS a_close,
					   lag(x.changed_at) OVER w AS prev_at,
					   lead(x.id) OVER w IS NULL AS is_last
				  FROM crm.opportunities o
				  LEFT JOIN crm.opportunity_history x ON x.customer_id = o.customer_id AND x.opportunity_id = o.id
				 WHERE o.created_at <= pipeline_changes_sql.to_at
				   AND (pipeline_changes_sql.pipeline_name IS NULL OR o.pipeline = pipeline_changes_sql.pipeline_name)
				WINDOW w AS (PARTITION BY o.customer_id, o.id ORDER BY x.changed_at, x.id)) h
		 -- each row gives up to two events: the deal's creation (on the row
		 -- that holds the state at created_at, when created_at falls in the
		 -- period; the row of a deal without history) and its own change
		 -- (rows at or before created_at are part of the state at creation)
		 CROSS JOIN (VALUES (true), (false)) AS ev(is_new)
		 WHERE CASE WHEN ev.is_new
					THEN h.created_at > pipeline_changes_sql.from_at
						 AND (h.hid IS NULL
							  OR (h.changed_at > h.created_at AND (h.prev_at IS NULL OR h.prev_at <= h.created_at))
							  OR (h.is_last AND h.changed_at <= h.created_at))
					ELSE h.changed_at > pipeline_changes_sql.from_at AND h.changed_at <= pipeline_changes_sql.to_at
						 AND h.changed_at > h.created_at END) e
	  LEFT JOIN crm.pipeline_stages sb ON sb.pipeline = e.pipeline AND sb.stage = e.b_stage
	  LEFT JOIN crm.pipeline_stages sa ON sa.pipeline = e.pipeline AND sa.stage = e.a_stage
	 -- one row per aspect that changed: new; the amount; the close date
	 -- (while open before and after); the status; the stage; the owner
	 CROSS JOIN (VALUES (1), (2), (3), (4), (5), (6)) AS n(ord)
	 WHERE CASE n.ord
			   WHEN 1 THEN e.is_new
			   WHEN 2 THEN NOT e.is_new AND e.a_amount IS DISTINCT FROM e.b_amount
			   WHEN 3 THEN NOT e.is_new AND e.b_status = 'open' AND e.a_status = 'open' AND e.a_close <> e.b_close
			   WHEN 4 THEN NOT e.is_new AND e.a_status IS DISTINCT FROM e.b_status
			   WHEN 5 THEN NOT e.is_new AND e.a_stage IS DISTINCT FROM e.b_stage
			   ELSE NOT e.is_new AND e.a_owner IS DISTINCT FROM e.b_owner END
	 ORDER BY e.changed_at, e.opportunity_id, e.hid, n.ord;
END;
$$;
SELECT period,
	   (SELECT count(*) FROM crm.pipeline_changes(f, t, pl)) AS changes,
	   (SELECT count(*) FROM (SELECT * FROM crm.pipeline_changes(f, t, pl)
							  EXCEPT ALL SELECT * FROM pg_temp.pipeline_changes_sql(f, t, pl)) x)
	   + (SELECT count(*) FROM (SELECT * FROM pg_temp.pipeline_changes_sql(f, t, pl)
								EXCEPT ALL SELECT * FROM crm.pipeline_changes(f, t, pl)) x) AS differ,
	   (SELECT array_agg(x.opportunity_id || ' ' || x.change ORDER BY x.n) FROM (SELECT c.*, row_number() OVER () AS n FROM crm.pipeline_changes(f, t, pl) c) x)
	   = (SELECT array_agg(x.opportunity_id || ' ' || x.change ORDER BY x.n) FROM (SELECT c.*, row_number() OVER () AS n FROM pg_temp.pipeline_changes_sql(f, t, pl) c) x) AS same_order
  FROM (VALUES ('last quarter', timestamptz '2025-10-01 00:00+00', timestamptz '2026-01-01 00:00+00', NULL::text),
			   ('2025, project', '2025-01-01 00:00+00', '2026-01-01 00:00+00', 'project'),
			   ('all', '2015-01-01 00:00+00', '2026-01-01 00:00+00', NULL),
			   ('a day', '2024-06-30 00:00+00', '2024-07-01 00:00+00', NULL)) p(period, f, t, pl);

SET client_min_messages = warning;
TRUNCATE crm.customers, crm.campaigns, crm.quotas, crm.forecast_adjustments CASCADE;
