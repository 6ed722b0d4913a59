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

SET client_min_messages = warning;
TRUNCATE crm.customers, crm.campaigns, crm.quotas, crm.forecast_adjustments CASCADE;
