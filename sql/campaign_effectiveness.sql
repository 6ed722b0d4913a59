-- Campaign effectiveness (src/campaigns.sql): per campaign, rollups by
-- region, method and spend band, campaigns in a period.

-- helpers: ROI and spend bands, no division by zero
SELECT crm.roi(30000, 8000) AS roi, crm.roi(100, 0) AS zero_cost, crm.roi(100, NULL) AS no_cost,
	   crm.roi(0, 500) AS nothing_back;
SELECT c, crm.spend_band(c) AS band
  FROM unnest(ARRAY[NULL, 0, 9999.99, 10000, 49999, 50000, 100000, 250000]::numeric[]) c;
SELECT crm.spend_band(1500, '{1000,2000}') AS custom_bounds;

BEGIN;
-- only these campaigns (rolled back at the end)
DELETE FROM crm.campaigns;
INSERT INTO crm.customers (id, name) OVERRIDING SYSTEM VALUE
SELECT 740000 + i, 'Campaign test customer ' || i FROM generate_series(1, 10) i;
-- 740001: a seminar, budget 10,000, cost 8,000; 10 invited, 6 attended, 4
-- responded; 3 opportunities: won 20,000, won 10,000 then archived, open
-- 5,000; 1 contract of 25,000.  By hand: revenue won 30,000, ROI
-- (30,000 - 8,000) / 8,000 = 2.75, response rate 4 / 10 = 0.4,
-- opportunity ratio 3 / 6 = 0.5, contract ratio 1 / 6 = 0.1667, cost per
-- won opportunity 8,000 / 2 = 4,000.
-- 740002: an e-mail campaign that cost nothing: ROI NULL.
-- 740003: a planned event without members: ratios NULL.
-- 740004: direct mail in the same region as 740001, cost 2,000, 2
-- attended, nothing won: ROI -1.
INSERT INTO crm.campaigns (id, name, method, region, budget, actual_cost, status, started_on, ended_on, planned_start, planned_end, approved_by)
OVERRIDING SYSTEM VALUE VALUES
	(740001, 'Crafted seminar', 'seminar', 'Test', 10000, 8000, 'completed', '2025-03-01', '2025-03-31', NULL, NULL, 'marketing_director'),
	(740002, 'Free mailing', 'email', 'Other', 0, 0, 'completed', '2025-06-01', '2025-06-30', NULL, NULL, 'marketing_director'),
	(740003, 'Planned event', 'event', NULL, 5000, NULL, 'approved', NULL, NULL, '2026-02-01', '2026-02-02', 'marketing_director'),
	(740004, 'Crafted mailing', 'direct mail', 'Test', 3000, 2000, 'completed', '2024-11-20', '2025-01-10', NULL, NULL, 'marketing_director');
INSERT INTO crm.campaign_members (campaign_id, customer_id, invited_at, attended, responded_at)
SELECT 740001, 740000 + i, '2025-03-01 09:00+00', i <= 6, CASE WHEN i <= 4 THEN timestamptz '2025-03-10 09:00+00' END
  FROM generate_series(1, 10) i;
INSERT INTO crm.campaign_members (campaign_id, customer_id, invited_at, attended) VALUES
	(740002, 740001, '2025-06-01 09:00+00', true),
	(740004, 740001, '2024-11-20 09:00+00', true), (740004, 740002, '2024-11-20 09:00+00', true);
INSERT INTO crm.opportunities (id, customer_id, campaign_id, name, stage, status, amount, owner, closing_summary, closed_at)
OVERRIDING SYSTEM VALUE VALUES
	(740001, 740001, 740001, 'won', 'negotiation', 'won', 20000, 'rep_c', 'signed', '2025-04-01'),
	(740002, 740002, 740001, 'won then archived', 'negotiation', 'archived', 10000, 'rep_c', 'signed', '2025-04-02'),
	(740003, 740003, 740001, 'still open', 'bid', 'open', 5000, 'rep_c', NULL, NULL),
	(740004, 740001, 740004, 'lost', 'bid', 'lost', 7000, 'rep_c', 'price', '2025-02-01');
INSERT INTO crm.opportunity_history (opportunity_id, changed_at, old_stage, new_stage, old_status, new_status) VALUES
	(740002, '2025-04-02', 'negotiation', 'negotiation', 'open', 'won'),
	(740002, '2025-06-02', 'negotiation', 'negotiation', 'won', 'archived');
INSERT INTO crm.contracts (customer_id, campaign_id, opportunity_id, title, amount) VALUES
	(740001, 740001, 740001, 'Seminar deal', 25000);
SELECT campaign_id, name, budget, actual_cost, spend_band, members, participants, responses,
	   opportunities, opportunities_won, revenue_won, contracts, contracts_amount,
	   roi, response_rate, opportunity_ratio, contract_ratio, cost_per_won_opportunity
  FROM crm.campaign_effectiveness ORDER BY campaign_id;
-- best and worst by ROI
(SELECT 'best' AS rank, name, roi FROM crm.campaign_effectiveness WHERE roi IS NOT NULL ORDER BY roi DESC LIMIT 1)
UNION ALL
(SELECT 'worst', name, roi FROM crm.campaign_effectiveness WHERE roi IS NOT NULL ORDER BY roi LIMIT 1);
-- rollups: region Test = 740001 + 740004: (30,000 - 10,000) / 10,000 = 2
SELECT * FROM crm.campaign_roi_by_region;
SELECT key, campaigns, actual_cost, revenue_won, roi FROM crm.campaign_roi_by_method;
SELECT key, campaigns, actual_cost, revenue_won, roi, opportunity_ratio FROM crm.campaign_roi_by_spend_band;
SELECT key, campaigns, roi FROM crm.campaign_rollup('status');
-- campaigns in a period (actual dates, planned when not started)
SELECT campaign_id, name, starts_on, ends_on FROM crm.campaigns_in_period('2025-01-01', '2025-12-31');
SELECT count(*) AS campaigns_in_2025_q1 FROM crm.campaigns_in_period('2025-01-01', '2025-03-31');
SELECT campaign_id FROM crm.campaigns_in_period('2026-01-01', '2026-12-31');
SELECT key, campaigns, roi FROM crm.campaign_rollup('region', '2025-02-01', '2025-12-31');
-- sales and product coverage before and after (90 days): members of
-- 740001 (Mar 1 - Mar 31, 2025) bought 1,000 of product A in February and
-- 3,000 of A and B in April: growth 200 %, coverage 1 -> 2 products (+100 %),
-- net gain 3,000 - 1,000 - 8,000 = -6,000; orders outside the windows
-- (Nov 2024, Sep 2025) are not counted
INSERT INTO crm.orders (customer_id, ordered_at, amount, product) VALUES
	(740001, '2025-02-10 12:00+00', 1000, 'A'),
	(740002, '2025-04-05 12:00+00', 1000, 'A'), (740003, '2025-04-20 12:00+00', 2000, 'B'),
	(740001, '2024-11-01 12:00+00', 50000, 'C'), (740001, '2025-09-01 12:00+00', 50000, 'C'),
	(740010, '2025-12-15 12:00+00', 100, 'A');
SELECT * FROM crm.campaign_sales_lift(90);
SELECT campaign_id, sales_before, sales_after, sales_growth_pct FROM crm.campaign_sales_lift(365) WHERE campaign_id = 740001;
SELECT try($$SELECT * FROM crm.campaign_sales_lift(0)$$) AS zero_window;
SELECT try($$SELECT * FROM crm.campaigns_in_period('2025-12-31', '2025-01-01')$$) AS backwards_period;
SELECT try($$SELECT * FROM crm.campaigns_in_period(NULL, '2025-01-01')$$) AS null_bound;
SELECT try($$SELECT * FROM crm.campaign_rollup('colour')$$) AS bad_dimension;
SELECT try($$SELECT * FROM crm.campaign_rollup('region', '2025-12-31', '2025-01-01')$$) AS rollup_backwards;
ROLLBACK;
