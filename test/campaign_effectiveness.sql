/*
 * test/campaign_effectiveness.sql: pgTAP checks of campaign effectiveness
 * (src/campaigns.sql) and the contract views (src/contracts.sql).
 *
 * Run with: pg_prove -d DBNAME test/campaign_effectiveness.sql, in a
 * database where CREATE EXTENSION pgtap and CREATE EXTENSION crm have been
 * run.  The full output is in the pg_regress tests
 * sql/campaign_effectiveness.sql and sql/contract_views.sql.  Everything
 * runs in one transaction that is rolled back.
 */
BEGIN;

SELECT plan(23);

SELECT has_view('crm', 'campaign_effectiveness', 'view crm.campaign_effectiveness');
SELECT has_view('crm', 'campaign_roi_by_region', 'view crm.campaign_roi_by_region');
SELECT has_view('crm', 'campaign_roi_by_method', 'view crm.campaign_roi_by_method');
SELECT has_view('crm', 'campaign_roi_by_spend_band', 'view crm.campaign_roi_by_spend_band');
SELECT has_function('crm', 'roi', ARRAY['numeric', 'numeric']);
SELECT has_function('crm', 'spend_band', ARRAY['numeric', 'numeric[]']);
SELECT has_function('crm', 'campaigns_in_period', ARRAY['date', 'date']);
SELECT has_function('crm', 'campaign_rollup', ARRAY['text', 'date', 'date']);
SELECT has_view('crm', 'contract_overview', 'view crm.contract_overview');
SELECT has_view('crm', 'contract_version_history', 'view crm.contract_version_history');
SELECT has_view('crm', 'contract_status_history', 'view crm.contract_status_history');
SELECT has_view('crm', 'contracts_by_status', 'view crm.contracts_by_status');

SELECT is(crm.roi(100, 0), NULL, 'ROI of a campaign without cost is NULL, not an error');

DELETE FROM crm.campaigns;
INSERT INTO crm.customers (id, name) OVERRIDING SYSTEM VALUE
SELECT 760000 + i, 'Tap campaign customer ' || i FROM generate_series(1, 4) i;
-- cost 4,000; 4 invited, 2 attended, 1 responded; 2 opportunities, one won
-- for 10,000; one contract of 9,000: ROI (10,000 - 4,000) / 4,000 = 1.5
INSERT INTO crm.campaigns (id, name, method, region, budget, actual_cost, status, started_on, ended_on, approved_by)
OVERRIDING SYSTEM VALUE VALUES
	(760001, 'Tap seminar', 'seminar', 'North', 5000, 4000, 'completed', '2025-05-01', '2025-05-02', 'marketing_director'),
	(760002, 'Tap nothing', 'email', 'North', 0, 0, 'completed', '2025-05-01', '2025-05-02', 'marketing_director');
INSERT INTO crm.campaign_members (campaign_id, customer_id, invited_at, attended, responded_at)
SELECT 760001, 760000 + i, '2025-05-01 09:00+00', i <= 2, CASE WHEN i = 1 THEN timestamptz '2025-05-03 09:00+00' END
  FROM generate_series(1, 4) i;
INSERT INTO crm.opportunities (customer_id, campaign_id, name, stage, status, amount, owner, closing_summary, closed_at) VALUES
	(760001, 760001, 'won', 'negotiation', 'won', 10000, 'rep_t', 'signed', '2025-06-01'),
	(760002, 760001, 'open', 'bid', 'open', 3000, 'rep_t', NULL, NULL);
INSERT INTO crm.contracts (customer_id, campaign_id, title, amount) VALUES (760001, 760001, 'Tap deal', 9000);
SELECT results_eq(
	$$SELECT members, participants, responses, opportunities, opportunities_won, revenue_won, contracts,
			 contracts_amount, roi, opportunity_ratio, contract_ratio
		FROM crm.campaign_effectiveness WHERE campaign_id = 760001$$,
	$$VALUES (4::bigint, 2::bigint, 1::bigint, 2::bigint, 1::bigint, 10000.00::numeric, 1::bigint, 9000.00::numeric,
			  1.5000::numeric, 1.0000::numeric, 0.5000::numeric)$$,
	'crafted campaign: counts, revenue won, ROI 1.5, ratios per participant');
SELECT is((SELECT roi FROM crm.campaign_effectiveness WHERE campaign_id = 760002), NULL,
	'zero cost: ROI NULL');
SELECT is((SELECT opportunity_ratio FROM crm.campaign_effectiveness WHERE campaign_id = 760002), NULL,
	'zero participants: ratio NULL');
SELECT results_eq($$SELECT key, campaigns, roi FROM crm.campaign_roi_by_region$$,
	$$VALUES ('North'::text, 2::bigint, 1.5000::numeric)$$, 'rollup by region');
SELECT is((SELECT count(*) FROM crm.campaigns_in_period('2025-05-02', '2025-12-31')), 2::bigint, 'campaigns in a period');
SELECT throws_ok($$SELECT * FROM crm.campaign_rollup('colour')$$, '22023',
	'campaign_rollup: dimension must be region, method, spend_band or status, got ''colour''', 'bad rollup dimension');

-- members bought 500 in the 90 days before, 2,000 after: growth 300 %
INSERT INTO crm.orders (customer_id, ordered_at, amount, product) VALUES
	(760001, '2025-04-01 12:00+00', 500, 'A'), (760003, '2025-06-01 12:00+00', 2000, 'B');
SELECT results_eq(
	$$SELECT sales_before, sales_after, sales_growth_pct, products_before, products_after, net_sales_gain
		FROM crm.campaign_sales_lift(90) WHERE campaign_id = 760001$$,
	$$VALUES (500.00::numeric, 2000.00::numeric, 300.0::numeric, 1::bigint, 1::bigint, -2500.00::numeric)$$,
	'sales lift: before and after the campaign, net of its cost');

-- contracts
SELECT is(crm.contract_execution_status('executing', 39, '2025-01-01', '2025-12-31', '2025-07-01'), 'behind schedule',
	'39 % done when 49.9 % of the time has passed: behind schedule');
SELECT is((SELECT execution_status FROM crm.contract_overview WHERE title = 'Tap deal'), 'not signed', 'a draft is not signed');
SELECT results_eq($$SELECT version, is_current FROM crm.contract_version_history
					 WHERE contract_id = (SELECT id FROM crm.contracts WHERE title = 'Tap deal')$$,
	$$VALUES (1, true)$$, 'a new contract has one current version');

SELECT * FROM finish();
ROLLBACK;
