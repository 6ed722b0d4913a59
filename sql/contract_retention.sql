-- Contract renewals as sBG rows (crm.contract_retention, src/contracts.sql):
-- crafted contracts whose spells, periods and churn are worked out by hand
-- in the comments, as of 2025-12-31 with yearly periods (365 days) and a
-- 30-day grace unless said otherwise.

BEGIN;
DELETE FROM crm.contracts;
INSERT INTO crm.customers (id, name) OVERRIDING SYSTEM VALUE
SELECT i, 'Retention ' || i FROM generate_series(760001, 760007) i;
INSERT INTO crm.contracts (id, customer_id, title, amount, signed_on, starts_on, ends_on, status, percent_complete)
OVERRIDING SYSTEM VALUE VALUES
	-- A: three yearly contracts, the third starting 14 days after the cover
	-- ended (within the grace: a renewal), none after: one spell from
	-- 2022-01-01 to 2025-01-14, 1110 days; churned (2025-01-14 + 30 <
	-- as_of) in period ceil((1110 - 30) / 365) = ceil(2.96) = 3
	(760101, 760001, 'A 2022', 1000, '2021-12-15', '2022-01-01', '2022-12-31', 'closed', 100),
	(760102, 760001, 'A 2023', 1000, '2022-12-10', '2023-01-01', '2023-12-31', 'closed', 100),
	(760103, 760001, 'A 2024', 1000, '2024-01-05', '2024-01-15', '2025-01-14', 'closed', 100),
	-- B: a year (2023-03-01 .. 2024-02-29, 366 days), then a gap of 61 days:
	-- spell 1 churned in period max(1, ceil((366 - 30) / 365)) = 1; spell 2
	-- from 2024-05-01, covered beyond as_of: running, 610 days to as_of,
	-- floor(610 / 365) = 1 period completed
	(760201, 760002, 'B 1', 1000, '2023-02-15', '2023-03-01', '2024-02-29', 'closed', 100),
	(760202, 760002, 'B 2', 2000, '2024-04-20', '2024-05-01', '2026-04-30', 'executing', 80),
	-- C: a contract inside another and a renewal 20 days after the outer
	-- one ended (the cover so far is the latest end, not the previous
	-- contract's): one spell of 3 contracts from 2024-06-01, running, 579
	-- days to as_of: 1 period
	(760301, 760003, 'C outer', 1000, '2024-05-20', '2024-06-01', '2025-05-31', 'completed', 100),
	(760302, 760003, 'C inner', 500, '2024-08-20', '2024-09-01', '2024-12-31', 'closed', 100),
	(760303, 760003, 'C renewal', 1000, '2025-06-01', '2025-06-20', '2026-06-19', 'interrupted', 50),
	-- D: cover ended 16 days before as_of, still within the grace: running,
	-- 349 days covered, 0 periods completed
	(760401, 760004, 'D', 1000, '2024-12-20', '2025-01-01', '2025-12-15', 'completed', 100),
	-- E: nothing counts: a draft, a contract signed after as_of, one without
	-- dates and one signed but starting after as_of (a spell not started)
	(760501, 760005, 'E draft', 1000, NULL, '2025-03-01', '2026-02-28', 'draft', 0),
	(760502, 760005, 'E later', 1000, '2026-01-05', '2025-12-01', '2026-11-30', 'executing', 10),
	(760503, 760005, 'E undated', 1000, '2025-05-01', NULL, NULL, 'approved', 0),
	(760504, 760005, 'E future', 1000, '2025-12-20', '2026-02-01', '2027-01-31', 'approved', 0),
	-- F: a year to as_of and its renewal signed, starting the day after:
	-- running, 365 days: 1 period completed
	(760601, 760006, 'F 2025', 1000, '2024-12-01', '2025-01-01', '2025-12-31', 'executing', 99),
	(760602, 760006, 'F 2026', 1000, '2025-11-15', '2026-01-01', '2026-12-31', 'approved', 0),
	-- G: half a year in 2022 (181 days): churned in period 1
	(760701, 760007, 'G', 1000, '2022-01-20', '2022-02-01', '2022-07-31', 'closed', 100);

SELECT * FROM crm.contract_retention('2025-12-31') ORDER BY customer_id, spell;

-- the same fit from the rows as from the hand-computed (periods, churned)
SELECT (SELECT crm.sbg_fit(periods, churned) FROM crm.contract_retention('2025-12-31'))::text
	 = (SELECT crm.sbg_fit(p, c) FROM (VALUES (3, true), (1, true), (1, false), (1, false), (0, false), (1, false), (1, true)) v(p, c))::text
	   AS same_fit;

-- earlier: as of 2023-06-30 A has signed two contracts (cover to
-- 2023-12-31: running, 546 days, 1 period), B's first contract is running
-- (121 days, 0 periods), G has churned; nothing else was signed
SELECT customer_id, spell, contracts, covered_until, periods, churned
  FROM crm.contract_retention('2023-06-30') ORDER BY customer_id, spell;

-- half-year periods without grace (a renewal must start the day after):
-- A is two spells (2022-01-01 .. 2023-12-31, 730 days, churned in period
-- ceil(730 / 180) = 5; 2024-01-15 .. 2025-01-14, 366 days, 3); B: 366
-- days, 3, then running 610 days, floor(610 / 180) = 3; C: 2024-06-01 ..
-- 2025-05-31 churned (365 days, 3), the renewal 20 days late a second
-- spell, running 195 days (1); D churned after 349 days (2); F: the
-- renewal starts the day after, one spell, running, 365 days (2); G: 181
-- days, 2
SELECT customer_id, spell, first_contract_id, contracts, periods, churned
  FROM crm.contract_retention('2025-12-31', 180, 0) ORDER BY customer_id, spell;

-- NULL arguments: no rows (STRICT)
SELECT count(*) AS null_as_of FROM crm.contract_retention(NULL);
SELECT count(*) AS null_period FROM crm.contract_retention('2025-12-31', NULL);
ROLLBACK;

-- errors
SELECT * FROM crm.contract_retention('2025-12-31', 0);
SELECT * FROM crm.contract_retention('2025-12-31', 365, -1);
