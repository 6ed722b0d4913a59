-- The analytics the demo prints, on the demo data (as of 2025-12-31).
\set QUIET on
-- the demo data is stamped in UTC: count its days in UTC too
SET TimeZone = 'UTC';
\pset footer off
\pset null '-'
\set QUIET off

\echo
\echo '== Customers by kind and region'
SELECT kind, region, count(*) AS customers,
	   count(*) FILTER (WHERE confidentiality = 3) AS key_accounts,
	   round(avg(satisfaction), 1) AS avg_satisfaction
  FROM crm.customers
 GROUP BY ROLLUP (kind, region)
 ORDER BY kind NULLS LAST, region NULLS LAST;

\echo '== Revenue, cost to serve and net value per year'
SELECT y AS year, sum(revenue) AS revenue, sum(cost) AS cost_to_serve, sum(revenue) - sum(cost) AS net_value,
	   round(100 * (sum(revenue) / lag(sum(revenue)) OVER (ORDER BY y) - 1), 1) AS growth_pct
  FROM (SELECT extract(year FROM ordered_at AT TIME ZONE 'UTC')::integer AS y, amount AS revenue, 0 AS cost FROM crm.orders
		UNION ALL
		SELECT extract(year FROM incurred_on)::integer, 0, amount FROM crm.service_costs) t
 GROUP BY y ORDER BY y;

\echo '== 80/20: share of 2025 revenue from the top 20 % of customers'
WITH r AS (SELECT customer_id, sum(amount) AS revenue FROM crm.orders
			WHERE ordered_at >= '2025-01-01 00:00+00' GROUP BY customer_id),
	 ranked AS (SELECT revenue, ntile(5) OVER (ORDER BY revenue DESC) AS quintile FROM r)
SELECT quintile, count(*) AS customers, sum(revenue) AS revenue,
	   round(100 * sum(revenue) / sum(sum(revenue)) OVER (), 1) AS pct_of_revenue
  FROM ranked GROUP BY quintile ORDER BY quintile;

\echo '== Customers in arrears (unpaid past due on 2025-12-31), largest first'
SELECT c.id, c.name, c.credit_status, c.owner, sum(o.amount - o.amount_paid) AS arrears,
	   min(o.due_date) AS oldest_due
  FROM crm.orders o JOIN crm.customers c ON c.id = o.customer_id
 WHERE o.due_date < date '2025-12-31' AND o.amount_paid < o.amount
 GROUP BY c.id ORDER BY arrears DESC LIMIT 8;

\echo '== Open pipeline by stage (default pipeline, conversion to the end)'
WITH RECURSIVE s AS (SELECT stage, position, conversion_rate, visits_per_week,
							exp(sum(ln(conversion_rate)) OVER (ORDER BY position DESC)) AS to_win
					   FROM crm.pipeline_stages WHERE pipeline = 'project' AND NOT is_final)
SELECT s.stage, count(o.id) AS open, sum(o.amount) AS amount, round(s.to_win::numeric, 3) AS win_probability,
	   round(sum(o.amount * coalesce(o.win_probability, s.to_win))::numeric, 0) AS weighted,
	   s.visits_per_week * count(o.id) AS visits_per_week
  FROM s LEFT JOIN crm.opportunities o ON o.pipeline = 'project' AND o.stage = s.stage AND o.status = 'open'
 GROUP BY s.stage, s.position, s.to_win, s.visits_per_week ORDER BY s.position;

\echo '== Opportunities by status'
SELECT status, count(*), sum(amount) AS amount, round(avg(cost), 0) AS avg_cost
  FROM crm.opportunities GROUP BY status ORDER BY status;

\echo '== Campaigns: best and worst return on cost (completed campaigns)'
WITH k AS (
	SELECT k.id, k.name, k.actual_cost,
		   (SELECT count(*) FROM crm.campaign_members m WHERE m.campaign_id = k.id) AS members,
		   (SELECT count(*) FROM crm.campaign_members m WHERE m.campaign_id = k.id AND m.responded_at IS NOT NULL) AS responded,
		   (SELECT count(*) FROM crm.opportunities o WHERE o.campaign_id = k.id) AS opportunities,
		   (SELECT coalesce(sum(c.amount), 0) FROM crm.contracts c WHERE c.campaign_id = k.id) AS contracts_amount
	  FROM crm.campaigns k WHERE k.status = 'completed')
SELECT *, round((contracts_amount - actual_cost) / nullif(actual_cost, 0), 2) AS roi
  FROM k ORDER BY roi DESC NULLS LAST;

\echo '== Contracts by status'
SELECT status, count(*), sum(amount) AS amount, round(avg(percent_complete), 1) AS avg_pct_complete,
	   count(*) FILTER (WHERE version > 1) AS amended
  FROM crm.contracts GROUP BY status ORDER BY status;

\echo '== 2025 target vs actual by region'
SELECT q.region, q.target, a.actual, round(100 * a.actual / q.target, 1) AS attainment_pct
  FROM crm.quotas q
  JOIN (SELECT c.region, sum(o.amount) AS actual FROM crm.orders o JOIN crm.customers c ON c.id = o.customer_id
		 WHERE o.ordered_at >= '2025-01-01 00:00+00' AND o.ordered_at < '2026-01-01 00:00+00'
		 GROUP BY c.region) a ON a.region = q.region
 WHERE q.period_start = '2025-01-01' AND q.owner IS NULL
 ORDER BY q.region;

\echo '== Decision path above a user at a key account'
SELECT p.* FROM (SELECT ct.id FROM crm.contacts ct JOIN crm.customers c ON c.id = ct.customer_id
				  WHERE c.confidentiality = 3 AND ct.decision_role = 'user' ORDER BY c.id LIMIT 1) x,
		   crm.decision_path(x.id) p;

\echo
\echo '== Grading every customer as of 2025-12-31 (crm.refresh_grades)'
SELECT * FROM crm.refresh_grades('2025-12-31');

\echo '== Segment matrix: satisfaction x purchase volume of the last 365 days (customers)'
SELECT * FROM crm.segment_matrix;

\echo '== Lifecycle distribution'
SELECT coalesce(lifecycle_stage::text, '(never bought)') AS lifecycle_stage, customers,
	   round(100 * share_of_customers, 1) AS pct_customers, revenue, net_value
  FROM crm.lifecycle_summary;

\echo '== Pareto split by net value: A = the fewest customers that bring 80 %, B up to 95 %'
SELECT pareto_class, count(*) AS customers,
	   round(100.0 * count(*) / sum(count(*)) OVER (), 1) AS pct_customers,
	   coalesce(sum(net_value) FILTER (WHERE net_value > 0), 0) AS positive_net_value,
	   round(100 * coalesce(sum(net_value) FILTER (WHERE net_value > 0), 0)
			 / sum(sum(net_value) FILTER (WHERE net_value > 0)) OVER (), 1) AS pct_of_value
  FROM crm.customer_grades
 GROUP BY pareto_class ORDER BY pareto_class;

\echo '== Top 10 key accounts with their segment and strategy'
SELECT c.id, c.name, c.region, g.net_value, round(g.value_score::numeric, 1) AS score, g.lifecycle_stage,
	   g.segment, s.sales_strategy, s.service_strategy
  FROM crm.customer_grades g
  JOIN crm.customers c ON c.id = g.customer_id
  LEFT JOIN crm.segment_strategies s ON s.segment = g.segment
 WHERE g.pareto_class = 'A'
 ORDER BY g.net_value DESC, c.id
 LIMIT 10;

\echo '== Key accounts by region'
SELECT * FROM crm.region_summary;

\echo
\echo '== Decision tree: who uses the offer, and who should be offered it (MISSION.md section 4)'
-- The persons' attributes as a table of features; a view, so the tree can be trained again as data change
CREATE OR REPLACE VIEW public.offer_customers AS
SELECT id AS customer_id, (attributes->>'age')::integer AS age, attributes->>'occupation' AS occupation,
	   (attributes->>'income')::numeric AS income, attributes->>'marital_status' AS marital_status,
	   (attributes->>'monthly_bill')::numeric AS monthly_bill, industry,
	   (attributes->>'uses_offer')::boolean AS uses_offer
  FROM crm.customers
 WHERE kind = 'person';
-- cp 0.004 instead of the default 0.01: the generator's effects are additive
-- and modest (age 20-30: +35 points, sales or self-employed: +30, bill
-- 150-200: +20, income 3000-5000: +10), so the default prunes to 4 groups
SELECT name, rows_used, rows_skipped, metrics
  FROM crm.tree_train_model('offer', 'SELECT age, occupation, income, marital_status, monthly_bill, industry, uses_offer FROM offer_customers',
							'uses_offer', '{"cp": 0.004}');

\echo '== The groups, highest share of offer users first (rules of the tree)'
SELECT round(100 * probability) AS pct_using_offer, samples AS customers, rule
  FROM crm.tree_rules((SELECT model FROM crm.models WHERE name = 'offer'));

\echo '== What the tree looks at (importances)'
SELECT feature, round(importance::numeric, 3) AS importance
  FROM crm.tree_importance((SELECT model FROM crm.models WHERE name = 'offer'));

\echo '== Customers to target: not using the offer yet, in a group where most do (probability >= 0.5)'
SELECT count(*) AS customers_to_target,
	   round(avg(crm.tree_score(m.model, c))::numeric, 3) AS mean_probability
  FROM offer_customers c, crm.models m
 WHERE m.name = 'offer' AND NOT c.uses_offer AND crm.tree_score(m.model, c) >= 0.5;
SELECT c.customer_id, c.age, c.occupation, c.income, c.marital_status, c.monthly_bill, c.industry,
	   round(crm.tree_score(m.model, c)::numeric, 3) AS probability
  FROM offer_customers c, crm.models m
 WHERE m.name = 'offer' AND NOT c.uses_offer
 ORDER BY crm.tree_score(m.model, c) DESC, c.customer_id
 LIMIT 15;
