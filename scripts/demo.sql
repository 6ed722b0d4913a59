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

\echo '== Funnel (crm.funnel) and its forecast for the next 3 months as of 2025-12-31 (crm.pipeline_forecast)'
SELECT stage, open_count, amount, round(win_probability::numeric, 3) AS win_probability, weighted_amount,
	   planned_visits_per_week, round(months_to_close::numeric, 2) AS months_to_close
  FROM crm.funnel WHERE pipeline = 'project' ORDER BY position;
SELECT month, expected_revenue FROM crm.pipeline_forecast('project', 3, '2025-12-31 24:00+00');

\echo '== What changed in the pipeline in the last quarter of 2025 (crm.pipeline_waterfall: start + changes = end)'
SELECT step, change, deals, amount
  FROM crm.pipeline_waterfall('2025-10-01 00:00+00', '2026-01-01 00:00+00', 'project')
 WHERE deals > 0 OR step IN (1, 17);

\echo '== Forecast accuracy by quarter of 2025: the forecast at the start against what was won (crm.forecast_accuracy)'
SELECT period_start, forecast, won, error, abs_pct_error
  FROM crm.forecast_accuracy('project', '2025-01-01', '2025-12-31', 'quarter') WHERE owner IS NULL;

\echo '== Forecast roll-up of the first quarter of 2026 with the manager''s adjustment (crm.forecast_rollup)'
SELECT level, name, category, deals, amount, adjusted_amount, adjusted_by
  FROM crm.forecast_rollup('project', '2026-01-01', 'quarter') WHERE level = 'all';
SELECT name AS rep, sum(amount) FILTER (WHERE category = 'commit') AS commit,
	   sum(amount) FILTER (WHERE category = 'best_case') AS best_case, sum(amount) FILTER (WHERE category = 'pipeline') AS pipeline
  FROM crm.forecast_rollup('project', '2026-01-01', 'quarter') WHERE level = 'rep'
 GROUP BY name ORDER BY coalesce(sum(amount) FILTER (WHERE category = 'commit'), 0) DESC, name LIMIT 5;

\echo '== Pipeline hygiene on 2026-01-01 (crm.pipeline_issues, 60 days without a change)'
SELECT issue, count(*) AS deals, sum(amount) AS amount FROM crm.pipeline_issues('2026-01-01 00:00+00', 60) GROUP BY issue ORDER BY issue;

\echo '== The ten best open deals with their reasons (naive Bayes trained on the closed deals: crm.nb_train, crm.nb_score, crm.nb_factors)'
\set QUIET on
CREATE TEMP VIEW deal_features AS
SELECT o.customer_id, o.id, ARRAY['product=' || split_part(o.name, ' ', 1),
	   crm.nb_bin('amount', o.amount::float8, '{10000,50000,200000}'), 'size=' || (c.attributes #>> '{characteristics,size}'),
	   'industry=' || c.industry, 'region=' || c.region] AS features
  FROM crm.opportunities o JOIN crm.customers c ON c.id = o.customer_id;
CREATE TEMP TABLE deal_model AS
SELECT crm.nb_train(f.features || ('stage=' || s.stage), s.won) AS model
  FROM crm.deal_snapshots('project') s JOIN deal_features f ON f.customer_id = s.customer_id AND f.id = s.opportunity_id;
\set QUIET off
SELECT o.id, o.stage, o.amount, round(crm.nb_score(m.model, x.f)::numeric, 3) AS score,
	   crm.nb_factors(m.model, x.f, 'up', 2) AS raised_by, crm.nb_factors(m.model, x.f, 'down', 2) AS lowered_by
  FROM crm.opportunities o JOIN deal_features f ON f.customer_id = o.customer_id AND f.id = o.id
 CROSS JOIN LATERAL (SELECT f.features || ('stage=' || o.stage)) x(f), deal_model m
 WHERE o.status = 'open' AND o.pipeline = 'project'
 ORDER BY score DESC, o.amount DESC, o.id LIMIT 10;

\echo '== How well the scorer ranks: holdout AUC on the deals closed in 2025, trained on those closed before (docs/deal_scoring.md)'
WITH rows AS (SELECT s.stage, s.won, s.closed_at >= '2025-01-01' AS holdout, f.features || ('stage=' || s.stage) AS f
				FROM crm.deal_snapshots('project') s JOIN deal_features f ON f.customer_id = s.customer_id AND f.id = s.opportunity_id),
nb AS (SELECT crm.nb_train(f, won) AS model FROM rows WHERE NOT holdout),
rates AS (SELECT stage, avg(won::integer)::float8 AS p FROM rows WHERE NOT holdout GROUP BY stage)
SELECT count(*) AS holdout_rows, round(crm.auc(crm.nb_score(nb.model, r.f), r.won)::numeric, 4) AS naive_bayes_auc,
	   round(crm.auc(rates.p, r.won)::numeric, 4) AS constant_per_stage_auc
  FROM rows r JOIN rates USING (stage), nb WHERE r.holdout;

\echo '== Opportunities by status'
SELECT status, count(*), sum(amount) AS amount, round(avg(cost), 0) AS avg_cost
  FROM crm.opportunities GROUP BY status ORDER BY status;

\echo '== Campaigns: best and worst return on cost (crm.campaign_effectiveness, completed campaigns)'
(SELECT 'best' AS rank, campaign_id, name, method, region, actual_cost, participants, opportunities,
		opportunities_won, revenue_won, contracts_amount, roi, opportunity_ratio
   FROM crm.campaign_effectiveness WHERE status = 'completed' AND roi IS NOT NULL
  ORDER BY roi DESC, campaign_id LIMIT 3)
UNION ALL
(SELECT 'worst', campaign_id, name, method, region, actual_cost, participants, opportunities,
		opportunities_won, revenue_won, contracts_amount, roi, opportunity_ratio
   FROM crm.campaign_effectiveness WHERE status = 'completed' AND roi IS NOT NULL
  ORDER BY roi, campaign_id LIMIT 3);

\echo '== Campaign return by method (crm.campaign_roi_by_method)'
SELECT key AS method, campaigns, actual_cost, revenue_won, roi, opportunity_ratio, contract_ratio
  FROM crm.campaign_roi_by_method;

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

\echo '== Marketing capability self-assessments (crm.assessment_history; above 80 good, 60-80 improve, below 60 red alert)'
SELECT assessed_at::date AS day, total, band, strategy, marketing, sales_management, repeat_marketing, weakest_area, change
  FROM crm.assessment_history ORDER BY assessed_at;

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

\echo '== Relationship vs transaction customers, useful vs useless, and the three groups of relationship customers'
SELECT customer_type, coalesce(relationship_group, '-') AS relationship_group,
	   CASE WHEN profitable THEN 'useful and profitable' ELSE 'useless and unprofitable' END AS profitability,
	   customers, round(100 * share_of_customers, 1) AS pct_of_buyers, revenue, net_value
  FROM crm.customer_type_summary;

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

\echo '== What the key accounts have in common (a decision tree of Pareto class A against the other companies: crm.key_account_profile)'
SELECT rule, companies, key_accounts, round(share_key_accounts::numeric, 2) AS share
  FROM crm.key_account_profile('2025-12-31');

\echo '== Likely future key accounts (crm.future_key_accounts), and key-account files to review (crm.key_account_review: fields not confirmed for a year)'
SELECT customer_id, name, owner, pareto_class, round(probability::numeric, 2) AS probability
  FROM crm.future_key_accounts('2025-12-31') LIMIT 5;
SELECT count(*) AS files, count(*) FILTER (WHERE cardinality(stale_fields) > 0) AS with_stale_fields,
       count(*) FILTER (WHERE cardinality(missing_fields) > 0) AS with_missing_fields
  FROM crm.key_account_review('2025-12-31');

\echo '== Market segments of the persons (crm.market_segments: existing customers, winnable prospects, not pursued now)'
SELECT segment, rule, count(*) AS persons
  FROM crm.market_segments('2025-12-31')
 GROUP BY segment, rule ORDER BY segment, persons DESC, rule;

\echo '== New customers most at risk of not buying again in the next 90 days (crm.new_customer_churn)'
SELECT customer_id, first_purchase, repeat_purchases, round(churn_risk::numeric, 2) AS churn_risk
  FROM crm.new_customer_churn('2025-12-31') LIMIT 5;

\echo
\echo '== Lifetime value (BG/NBD + Gamma-Gamma): calibrated to 2025-06-30, predicted and actual purchases in the second half of 2025'
WITH s AS (SELECT * FROM crm.calibration_holdout('2025-06-30', '2025-12-31')),
	 m AS (SELECT crm.bgnbd_fit(x, t_x, "T") AS bg FROM s)
SELECT least(x, 10) AS repeat_purchases_to_june, count(*) AS customers,
	   round(avg(holdout_purchases), 2) AS actual_h2,
	   round(avg(crm.bgnbd_expected_purchases(m.bg, holdout_days / 7, x, t_x, "T"))::numeric, 2) AS predicted_h2
  FROM s, m GROUP BY ROLLUP (1) ORDER BY 1 NULLS LAST;

\echo '== Which purchase model to use: BG/NBD, MBG/NBD and Pareto/NBD calibrated to 2025-06-30, their fit and their error on the second half of 2025'
SELECT model, round(log_likelihood::numeric, 1) AS log_likelihood, round(bic::numeric, 1) AS bic,
	   holdout_actual AS actual_h2, round(holdout_expected::numeric, 1) AS predicted_h2,
	   round(holdout_rmse::numeric, 4) AS rmse_per_customer, chosen
  FROM crm.compare_models('2025-06-30', '2025-12-31');

\echo '== Lifetime value models fitted on all purchases to 2025-12-31 (time unit: week)'
\set QUIET on
CREATE TEMP TABLE clv_summary AS
SELECT customer_id, x, t_x, "T", monetary FROM crm.calibration_holdout('2025-12-31', '2025-12-31');
CREATE TEMP TABLE clv_model AS
SELECT crm.bgnbd_fit(x, t_x, "T") AS bg, crm.gammagamma_fit(x, monetary::float8) AS gg FROM clv_summary;
\set QUIET off
SELECT round((bg).r::numeric, 3) AS r, round((bg).alpha::numeric, 3) AS alpha, round((bg).a::numeric, 3) AS a,
	   round((bg).b::numeric, 3) AS b, (bg).converged AS bgnbd_converged,
	   round((gg).p::numeric, 3) AS p, round((gg).q::numeric, 3) AS q, round((gg).gamma::numeric, 3) AS gamma,
	   (gg).converged AS gammagamma_converged
  FROM clv_model;

\echo '== Highest predicted value over the next 12 months (1 % monthly discount)'
SELECT c.id, c.name, s.x AS repeat_purchases, round((s."T" - s.t_x)::numeric, 1) AS weeks_since_last,
	   round(crm.bgnbd_p_alive(m.bg, s.x, s.t_x, s."T")::numeric, 3) AS p_alive,
	   round(crm.bgnbd_expected_purchases(m.bg, 52.18, s.x, s.t_x, s."T")::numeric, 1) AS purchases_12m,
	   round(crm.gammagamma_expected_spend(m.gg, s.x, s.monetary::float8)::numeric, 0) AS spend_per_purchase,
	   round(crm.clv(m.bg, m.gg, s.x, s.t_x, s."T", s.monetary::float8, 12, 0.01)::numeric, 0) AS value_12m
  FROM clv_summary s JOIN crm.customers c ON c.id = s.customer_id, clv_model m
 ORDER BY value_12m DESC, c.id LIMIT 10;

\echo '== Most likely gone: the largest repeat buyers with under 5 % probability of still being a customer (win-back list)'
SELECT c.id, c.name, c.owner, s.x AS repeat_purchases, round(s.x * s.monetary, 0) AS repeat_revenue,
	   round((s."T" - s.t_x)::numeric, 1) AS weeks_since_last,
	   round(crm.bgnbd_p_alive(m.bg, s.x, s.t_x, s."T")::numeric, 4) AS p_alive
  FROM clv_summary s JOIN crm.customers c ON c.id = s.customer_id, clv_model m
 WHERE crm.bgnbd_p_alive(m.bg, s.x, s.t_x, s."T") < 0.05
 ORDER BY s.x * s.monetary DESC, c.id LIMIT 10;

\echo '== Contract retention (sBG on crm.contract_retention: a next contract within 90 days of the end of cover is a renewal; years of 365 days)'
SELECT periods AS years, count(*) FILTER (WHERE churned) AS churned, count(*) FILTER (WHERE NOT churned) AS running
  FROM crm.contract_retention('2025-12-31', 365, 90) GROUP BY periods ORDER BY periods;
WITH fit AS (SELECT crm.sbg_fit(periods, churned) AS sb FROM crm.contract_retention('2025-12-31', 365, 90))
SELECT year, round((sb).alpha::numeric, 3) AS alpha, round((sb).beta::numeric, 3) AS beta, (sb).converged,
	   round(crm.sbg_survival(sb, year)::numeric, 4) AS survival,
	   round(crm.sbg_retention_rate(sb, year)::numeric, 4) AS retention_rate,
	   round(crm.sbg_derl(sb, 0.1, year - 1)::numeric, 3) AS expected_years_left_10pct
  FROM fit, generate_series(1, 5) AS year ORDER BY year;

\echo '== Decision tree: who uses the offer, and who should be offered it'
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
