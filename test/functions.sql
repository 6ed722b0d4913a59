/*
 * test/functions.sql: pgTAP checks of what the functions of crm do.
 *
 * Run with: pg_prove -d DBNAME test/functions.sql, in a database where
 * CREATE EXTENSION pgtap and CREATE EXTENSION crm have been run.
 *
 * Covers the deterministic random numbers of the demo data generator
 * (demo_uniform, demo_normal, demo_pick), the simulated purchase histories
 * (demo_orders), the decision path over contacts (decision_path), and the
 * catalog properties the planner relies on.  The statistical checks use
 * fixed seeds, so they are deterministic: their bounds are wide enough for
 * any correct generator and fail for a broken one.  Everything runs in one
 * transaction that is rolled back.
 */
BEGIN;

SELECT plan(78);

--------------------------------------------------------------------------
-- Catalog properties of the C functions
--------------------------------------------------------------------------

-- The demo helpers written in C are exactly these four.
SELECT is(
	(SELECT pg_catalog.array_agg(p.proname::text ORDER BY p.proname)
	   FROM pg_catalog.pg_proc p
	  WHERE p.pronamespace = 'crm'::regnamespace
		AND p.proname LIKE 'demo\_%'
		AND p.prolang = (SELECT l.oid FROM pg_catalog.pg_language l WHERE l.lanname = 'c')),
	ARRAY['demo_normal', 'demo_orders', 'demo_pick', 'demo_uniform'],
	'the demo helpers written in C are demo_normal, demo_orders, demo_pick and demo_uniform'
);

-- IMMUTABLE: the same arguments always give the same result, so the
-- planner may fold calls and use them in indexes; STRICT: NULL in, NULL
-- (or no rows) out without calling the C code, which does not check for
-- NULL arguments; PARALLEL SAFE: generate_demo_data may run in parallel.
SELECT is((SELECT p.provolatile::text FROM pg_catalog.pg_proc p
			WHERE p.oid = 'crm.demo_uniform(bigint, integer, bigint)'::regprocedure),
		  'i', 'demo_uniform is IMMUTABLE');
SELECT is((SELECT p.proisstrict FROM pg_catalog.pg_proc p
			WHERE p.oid = 'crm.demo_uniform(bigint, integer, bigint)'::regprocedure),
		  true, 'demo_uniform is STRICT');
SELECT is((SELECT p.proparallel::text FROM pg_catalog.pg_proc p
			WHERE p.oid = 'crm.demo_uniform(bigint, integer, bigint)'::regprocedure),
		  's', 'demo_uniform is PARALLEL SAFE');

SELECT is((SELECT p.provolatile::text FROM pg_catalog.pg_proc p
			WHERE p.oid = 'crm.demo_normal(bigint, integer, bigint)'::regprocedure),
		  'i', 'demo_normal is IMMUTABLE');
SELECT is((SELECT p.proisstrict FROM pg_catalog.pg_proc p
			WHERE p.oid = 'crm.demo_normal(bigint, integer, bigint)'::regprocedure),
		  true, 'demo_normal is STRICT');
SELECT is((SELECT p.proparallel::text FROM pg_catalog.pg_proc p
			WHERE p.oid = 'crm.demo_normal(bigint, integer, bigint)'::regprocedure),
		  's', 'demo_normal is PARALLEL SAFE');

SELECT is((SELECT p.provolatile::text FROM pg_catalog.pg_proc p
			WHERE p.oid = 'crm.demo_orders(bigint, bigint, timestamptz, timestamptz, float8, float8)'::regprocedure),
		  'i', 'demo_orders is IMMUTABLE');
SELECT is((SELECT p.proisstrict FROM pg_catalog.pg_proc p
			WHERE p.oid = 'crm.demo_orders(bigint, bigint, timestamptz, timestamptz, float8, float8)'::regprocedure),
		  true, 'demo_orders is STRICT');
SELECT is((SELECT p.proparallel::text FROM pg_catalog.pg_proc p
			WHERE p.oid = 'crm.demo_orders(bigint, bigint, timestamptz, timestamptz, float8, float8)'::regprocedure),
		  's', 'demo_orders is PARALLEL SAFE');

-- demo_orders returns a set, estimated at 10 rows (about the mean history).
SELECT is((SELECT p.proretset FROM pg_catalog.pg_proc p
			WHERE p.oid = 'crm.demo_orders(bigint, bigint, timestamptz, timestamptz, float8, float8)'::regprocedure),
		  true, 'demo_orders returns a set');
SELECT is((SELECT p.prorows FROM pg_catalog.pg_proc p
			WHERE p.oid = 'crm.demo_orders(bigint, bigint, timestamptz, timestamptz, float8, float8)'::regprocedure),
		  10::real, 'demo_orders is estimated at 10 rows');

-- demo_pick is as pure as demo_uniform;
-- decision_path reads a table, so it is only STABLE.
SELECT is((SELECT ARRAY[p.provolatile::text, p.proisstrict::text, p.proparallel::text]
			 FROM pg_catalog.pg_proc p
			WHERE p.oid = 'crm.demo_pick(bigint, integer, bigint, text[])'::regprocedure),
		  ARRAY['i', 'true', 's'], 'demo_pick is IMMUTABLE STRICT PARALLEL SAFE');
SELECT is((SELECT ARRAY[p.provolatile::text, p.proisstrict::text, p.proparallel::text]
			 FROM pg_catalog.pg_proc p
			WHERE p.oid = 'crm.decision_path(bigint)'::regprocedure),
		  ARRAY['s', 'true', 's'], 'decision_path is STABLE STRICT PARALLEL SAFE');

-- STRICT in practice: a NULL argument gives NULL, or no rows.
SELECT is(crm.demo_uniform(NULL, 1, 1), NULL::float8, 'demo_uniform(NULL, ...) is NULL');
SELECT is(crm.demo_normal(42, NULL, 1), NULL::float8, 'demo_normal(..., NULL, ...) is NULL');
SELECT is_empty(
	$$SELECT * FROM crm.demo_orders(42, NULL, '2022-01-01 00:00+00', '2023-01-01 00:00+00')$$,
	'demo_orders with a NULL customer_id returns no rows'
);

--------------------------------------------------------------------------
-- demo_uniform: deterministic uniform numbers in [0, 1)
--------------------------------------------------------------------------

-- Reference values computed outside PostgreSQL with the SplitMix64 recipe
-- of demo.c: the numbers must be the same on every machine, so that a
-- seed reproduces the demo data everywhere.  Negative arguments included.
SELECT is(crm.demo_uniform(42, 1, 7), 0.969602248347683::float8,
	'demo_uniform(42, 1, 7) has its reference value');
SELECT is(crm.demo_uniform(0, 0, 0), 0.4445001753702108::float8,
	'demo_uniform(0, 0, 0) has its reference value');
SELECT is(crm.demo_uniform(-1, -5, -123456789), 0.2561547519288373::float8,
	'demo_uniform(-1, -5, -123456789) has its reference value');

-- Same arguments, same number, also across separate evaluations.
SELECT is(crm.demo_uniform(42, 1, 7), crm.demo_uniform(42, 1, 7),
	'demo_uniform: same arguments give the same value');
CREATE TEMP TABLE uniform_draws AS
SELECT k, crm.demo_uniform(42, 1, k) AS u1, crm.demo_uniform(42, 2, k) AS u2
  FROM pg_catalog.generate_series(1, 100000) k;
SELECT is_empty(
	$$SELECT k FROM uniform_draws WHERE u1 <> crm.demo_uniform(42, 1, k)$$,
	'demo_uniform: recomputing 100000 values gives the stored ones'
);

-- Any change of seed, stream or key gives another number.
SELECT isnt(crm.demo_uniform(42, 1, 7), crm.demo_uniform(42, 2, 7),
	'demo_uniform: another stream gives another value');
SELECT isnt(crm.demo_uniform(42, 1, 7), crm.demo_uniform(43, 1, 7),
	'demo_uniform: another seed gives another value');
SELECT isnt(crm.demo_uniform(42, 1, 7), crm.demo_uniform(42, 1, 8),
	'demo_uniform: another key gives another value');
SELECT is(
	(SELECT pg_catalog.count(*) FROM uniform_draws WHERE u1 = u2),
	0::bigint,
	'demo_uniform: streams 1 and 2 never agree over 100000 keys'
);

-- The range is [0, 1), and it is covered: a generator stuck in a corner
-- or returning 1.0 fails here.
SELECT is(
	(SELECT pg_catalog.count(*) FROM uniform_draws
	  WHERE u1 < 0 OR u1 >= 1 OR u2 < 0 OR u2 >= 1),
	0::bigint,
	'demo_uniform: all 200000 values are in [0, 1)'
);
SELECT cmp_ok((SELECT pg_catalog.min(u1) FROM uniform_draws), '<', 0.001::float8,
	'demo_uniform: the smallest of 100000 values is below 0.001');
SELECT cmp_ok((SELECT pg_catalog.max(u1) FROM uniform_draws), '>', 0.999::float8,
	'demo_uniform: the largest of 100000 values is above 0.999');
SELECT cmp_ok((SELECT pg_catalog.abs(pg_catalog.avg(u1) - 0.5) FROM uniform_draws), '<', 0.01::float8,
	'demo_uniform: mean of 100000 values within 0.01 of 0.5');

-- Each tenth of [0, 1) gets about a tenth of the values (expected 10000,
-- standard deviation 95).
SELECT is(
	(SELECT pg_catalog.count(*) FROM
		(SELECT pg_catalog.floor(u1 * 10) AS bin, pg_catalog.count(*) AS n
		   FROM uniform_draws GROUP BY 1) b
	  WHERE b.n BETWEEN 9500 AND 10500),
	10::bigint,
	'demo_uniform: each of the 10 deciles holds 9500 to 10500 of 100000 values'
);

-- Streams are independent: no correlation between two streams of a key.
SELECT cmp_ok((SELECT pg_catalog.abs(pg_catalog.corr(u1, u2)) FROM uniform_draws), '<', 0.02::float8,
	'demo_uniform: streams 1 and 2 are uncorrelated (|r| < 0.02)');

--------------------------------------------------------------------------
-- demo_normal: deterministic standard normal numbers
--------------------------------------------------------------------------

-- Reference value computed outside PostgreSQL (Box-Muller on the
-- SplitMix64 sequence); log() and cos() may differ in the last bit
-- between C libraries, hence the tolerance.
SELECT cmp_ok(pg_catalog.abs(crm.demo_normal(42, 1, 7) - (-1.3983404250964209)::float8), '<', 1e-12::float8,
	'demo_normal(42, 1, 7) has its reference value');
SELECT is(crm.demo_normal(42, 1, 7), crm.demo_normal(42, 1, 7),
	'demo_normal: same arguments give the same value');
SELECT isnt(crm.demo_normal(42, 1, 7), crm.demo_normal(42, 2, 7),
	'demo_normal: another stream gives another value');

CREATE TEMP TABLE normal_draws AS
SELECT k, crm.demo_normal(42, 1, k) AS x
  FROM pg_catalog.generate_series(1, 20000) k;

-- Mean 0 and standard deviation 1 (standard errors 0.007 and 0.005).
SELECT cmp_ok((SELECT pg_catalog.abs(pg_catalog.avg(x)) FROM normal_draws), '<', 0.05::float8,
	'demo_normal: mean of 20000 values within 0.05 of 0');
SELECT cmp_ok((SELECT pg_catalog.abs(pg_catalog.stddev_samp(x) - 1) FROM normal_draws), '<', 0.05::float8,
	'demo_normal: standard deviation of 20000 values within 0.05 of 1');

-- The shape is normal, not just the first two moments: 68.3 % within one
-- standard deviation, 95.4 % within two, and symmetric.
SELECT cmp_ok((SELECT pg_catalog.abs(pg_catalog.avg((pg_catalog.abs(x) < 1)::integer) - 0.6827) FROM normal_draws),
	'<', 0.02::numeric,
	'demo_normal: share within one standard deviation is 0.683 +/- 0.02');
SELECT cmp_ok((SELECT pg_catalog.abs(pg_catalog.avg((pg_catalog.abs(x) < 2)::integer) - 0.9545) FROM normal_draws),
	'<', 0.01::numeric,
	'demo_normal: share within two standard deviations is 0.954 +/- 0.01');
SELECT cmp_ok((SELECT pg_catalog.abs(pg_catalog.avg((x < 0)::integer) - 0.5) FROM normal_draws),
	'<', 0.02::numeric,
	'demo_normal: share of negative values is 0.5 +/- 0.02');

--------------------------------------------------------------------------
-- demo_pick: a deterministic, uniform choice from an array
--------------------------------------------------------------------------

CREATE TEMP TABLE picks AS
SELECT k, crm.demo_pick(42, 1, k, '{north,east,south,west}') AS p
  FROM pg_catalog.generate_series(1, 10000) k;

SELECT is_empty(
	$$SELECT k, p FROM picks WHERE p IS NULL OR p <> ALL ('{north,east,south,west}')$$,
	'demo_pick returns only elements of the array'
);

-- Each of 4 elements about 2500 times out of 10000 (standard deviation 43).
SELECT results_eq(
	$$SELECT p, pg_catalog.count(*) BETWEEN 2300 AND 2700 FROM picks GROUP BY p ORDER BY p$$,
	$$VALUES ('east'::text, true), ('north', true), ('south', true), ('west', true)$$,
	'demo_pick: each of 4 elements is picked 2300 to 2700 times out of 10000'
);

-- The pick is the draw of demo_uniform for the same (seed, stream, key),
-- so it is as reproducible as demo_uniform.
SELECT is_empty(
	$$SELECT k FROM picks
	   WHERE p <> ('{north,east,south,west}'::text[])[1 + pg_catalog.floor(crm.demo_uniform(42, 1, k) * 4)::integer]$$,
	'demo_pick picks element 1 + floor(4 * demo_uniform(seed, stream, key))'
);

-- Edge cases: one element is always picked; nothing to pick gives NULL.
SELECT is(
	(SELECT pg_catalog.count(*) FROM pg_catalog.generate_series(1, 100) k
	  WHERE crm.demo_pick(42, 1, k, '{only}') = 'only'),
	100::bigint,
	'demo_pick on a one-element array always returns that element'
);
SELECT is(crm.demo_pick(42, 1, 1, '{}'::text[]), NULL::text,
	'demo_pick on an empty array returns NULL');

--------------------------------------------------------------------------
-- demo_orders: simulated purchase histories
--------------------------------------------------------------------------

-- Histories of 200 customers, each with its own first purchase, until the
-- end of 2025.
CREATE TEMP TABLE histories AS
SELECT c AS customer_id,
	   '2022-01-01 00:00:00+00'::timestamptz + c * interval '3 days 7 hours' AS first_purchase,
	   '2025-12-31 00:00:00+00'::timestamptz AS until,
	   o.*
  FROM pg_catalog.generate_series(1, 200) c
 CROSS JOIN LATERAL crm.demo_orders(42, c,
		'2022-01-01 00:00:00+00'::timestamptz + c * interval '3 days 7 hours',
		'2025-12-31 00:00:00+00'::timestamptz) o;

-- The sample is not trivial: every customer has the first purchase, and
-- some have long histories.
SELECT is((SELECT pg_catalog.count(DISTINCT customer_id) FROM histories), 200::bigint,
	'demo_orders: each of 200 customers has at least one order');
SELECT cmp_ok((SELECT pg_catalog.max(n) FROM histories), '>=', 20,
	'demo_orders: some of 200 customers have 20 or more orders');
SELECT cmp_ok((SELECT pg_catalog.count(*) FROM histories), '>', 1000::bigint,
	'demo_orders: 200 customers place more than 1000 orders in four years');

-- Orders are numbered 1..k without gaps or repeats.
SELECT is_empty(
	$$SELECT customer_id FROM histories
	   GROUP BY customer_id
	  HAVING pg_catalog.min(n) <> 1
		  OR pg_catalog.max(n) <> pg_catalog.count(*)
		  OR pg_catalog.count(DISTINCT n) <> pg_catalog.count(*)$$,
	'demo_orders: n runs 1..k consecutively for every customer'
);

-- The first order is the first purchase, to the microsecond.
SELECT is_empty(
	$$SELECT customer_id FROM histories WHERE n = 1 AND ordered_at <> first_purchase$$,
	'demo_orders: order 1 is at first_purchase'
);

-- Time only moves forward, and stops at until.
SELECT is_empty(
	$$SELECT customer_id, n FROM
		(SELECT customer_id, n, ordered_at,
				pg_catalog.lag(ordered_at) OVER (PARTITION BY customer_id ORDER BY n) AS previous
		   FROM histories) h
	   WHERE ordered_at < previous$$,
	'demo_orders: ordered_at never decreases with n'
);
SELECT is_empty(
	$$SELECT customer_id, n FROM histories WHERE ordered_at > until$$,
	'demo_orders: no order after until'
);

-- Amounts are positive and in cents; quantities 1 to 10; products from
-- the list in demo.c.
SELECT is_empty(
	$$SELECT customer_id, n, amount FROM histories
	   WHERE NOT amount > 0 OR amount::numeric <> pg_catalog.round(amount::numeric, 2)$$,
	'demo_orders: amounts are > 0 with at most 2 decimals'
);
SELECT is_empty(
	$$SELECT customer_id, n, quantity FROM histories WHERE quantity NOT BETWEEN 1 AND 10$$,
	'demo_orders: quantity is between 1 and 10'
);
SELECT is_empty(
	$$SELECT customer_id, n, product FROM histories
	   WHERE product IS NULL
		  OR product <> ALL ('{software,hardware,services,support,training,consumables}')$$,
	'demo_orders: every product is one of the six known products'
);
SELECT set_eq(
	$$SELECT DISTINCT product FROM histories$$,
	ARRAY['software', 'hardware', 'services', 'support', 'training', 'consumables'],
	'demo_orders: all six products occur'
);

-- Before the first purchase there is nothing; at it, only the first order.
SELECT is_empty(
	$$SELECT * FROM crm.demo_orders(42, 1, '2023-06-01 00:00+00', '2023-05-31 23:59:59+00')$$,
	'demo_orders: no rows when until < first_purchase'
);
SELECT results_eq(
	$$SELECT n, ordered_at FROM crm.demo_orders(42, 1, '2023-06-01 00:00+00', '2023-06-01 00:00+00')$$,
	$$VALUES (1, '2023-06-01 00:00+00'::timestamptz)$$,
	'demo_orders: exactly the first order when until = first_purchase'
);

-- Reproducible: the same arguments give the same history, another seed
-- another one; the scales default to 1.
SELECT results_eq(
	$$SELECT * FROM crm.demo_orders(42, 7, '2022-01-01 00:00+00', '2025-12-31 00:00+00')$$,
	$$SELECT * FROM crm.demo_orders(42, 7, '2022-01-01 00:00+00', '2025-12-31 00:00+00')$$,
	'demo_orders: same arguments give the same history'
);
SELECT results_ne(
	$$SELECT * FROM crm.demo_orders(42, 7, '2022-01-01 00:00+00', '2025-12-31 00:00+00')$$,
	$$SELECT * FROM crm.demo_orders(43, 7, '2022-01-01 00:00+00', '2025-12-31 00:00+00')$$,
	'demo_orders: another seed gives another history'
);
SELECT results_eq(
	$$SELECT * FROM crm.demo_orders(42, 7, '2022-01-01 00:00+00', '2025-12-31 00:00+00')$$,
	$$SELECT * FROM crm.demo_orders(42, 7, '2022-01-01 00:00+00', '2025-12-31 00:00+00', 1, 1)$$,
	'demo_orders: spend_scale and dropout_scale default to 1'
);

-- dropout_scale only decides when the customer leaves: with 0 nobody
-- leaves, and each normal history is the start of the never-leaving one.
CREATE TEMP TABLE loyal_histories AS
SELECT h.customer_id, o.*
  FROM (SELECT DISTINCT customer_id, first_purchase, until FROM histories) h
 CROSS JOIN LATERAL crm.demo_orders(42, h.customer_id, h.first_purchase, h.until, 1, 0) o;
SELECT is_empty(
	$$SELECT customer_id, n FROM histories
	  EXCEPT
	  SELECT customer_id, n FROM loyal_histories l
	   WHERE EXISTS (SELECT FROM histories h
					  WHERE h.customer_id = l.customer_id AND h.n = l.n
						AND h.ordered_at = l.ordered_at AND h.amount = l.amount
						AND h.quantity = l.quantity AND h.product = l.product)$$,
	'demo_orders: each history is a prefix of the same customer''s history with dropout_scale 0'
);
SELECT cmp_ok((SELECT pg_catalog.count(*) FROM loyal_histories), '>',
			  (SELECT pg_catalog.count(*) FROM histories),
	'demo_orders: without dropout the 200 customers buy more often');

-- spend_scale multiplies the amounts (up to rounding to cents) and
-- changes nothing else.
SELECT is_empty(
	$$SELECT h.customer_id, h.n
		FROM histories h
		LEFT JOIN LATERAL crm.demo_orders(42, h.customer_id, h.first_purchase, h.until, 2.5, 1) d
		  ON d.n = h.n
	   WHERE d.n IS NULL
		  OR d.ordered_at <> h.ordered_at OR d.quantity <> h.quantity OR d.product <> h.product
		  OR pg_catalog.abs(d.amount - 2.5 * h.amount) > 0.0251$$,
	'demo_orders: spend_scale 2.5 gives 2.5 times the amounts, same orders otherwise'
);

-- Invalid arguments fail with SQLSTATE 22023 (invalid_parameter_value)
-- and the message of demo.c.
SELECT throws_ok(
	$$SELECT * FROM crm.demo_orders(42, 1, '2022-01-01 00:00+00', '2023-01-01 00:00+00', 0, 1)$$,
	'22023',
	'spend_scale must be positive and dropout_scale non-negative',
	'demo_orders: spend_scale 0 is rejected'
);
SELECT throws_ok(
	$$SELECT * FROM crm.demo_orders(42, 1, '2022-01-01 00:00+00', '2023-01-01 00:00+00', 1, -1)$$,
	'22023',
	'spend_scale must be positive and dropout_scale non-negative',
	'demo_orders: dropout_scale -1 is rejected'
);
SELECT throws_ok(
	$$SELECT * FROM crm.demo_orders(42, 1, '2022-01-01 00:00+00', '2023-01-01 00:00+00', 'NaN', 1)$$,
	'22023',
	'spend_scale must be positive and dropout_scale non-negative',
	'demo_orders: spend_scale NaN is rejected'
);
SELECT throws_ok(
	$$SELECT * FROM crm.demo_orders(42, 1, '2022-01-01 00:00+00', 'infinity')$$,
	'22023',
	'first_purchase and until must be finite timestamps',
	'demo_orders: an infinite until is rejected'
);

--------------------------------------------------------------------------
-- decision_path: the chain of people a contact reports to
--------------------------------------------------------------------------

-- Two customers; at the first, a chain buyer -> IT manager -> purchasing
-- director -> CEO and an assistant reporting to the CEO directly.
INSERT INTO crm.customers (id, name) VALUES
	(900001, 'Decision Path Test Ltd.'),
	(900002, 'Other Customer Inc.');
INSERT INTO crm.contacts (id, customer_id, name, title, decision_role, reports_to) VALUES
	(910001, 900001, 'Ann Chief', 'CEO', 'decision maker', NULL),
	(910002, 900001, 'Bob Purchase', 'Purchasing Director', 'influencer', 910001),
	(910003, 900001, 'Cid Tech', 'IT Manager', 'evaluator', 910002),
	(910004, 900001, 'Dee Buyer', 'Buyer', 'user', 910003),
	(910005, 900001, 'Eve Desk', NULL, 'gatekeeper', 910001),
	(920001, 900002, 'Olga Other', 'CEO', 'decision maker', NULL);

SELECT is(
	pg_catalog.pg_get_function_result('crm.decision_path(bigint)'::regprocedure),
	'TABLE(level integer, id bigint, name text, title text, decision_role text)',
	'decision_path returns level, id, name, title, decision_role'
);

-- From the bottom: the contact at level 0, then up one level per manager.
SELECT results_eq(
	$$SELECT * FROM crm.decision_path(910004)$$,
	$$VALUES (0, 910004::bigint, 'Dee Buyer'::text, 'Buyer'::text, 'user'::text),
			 (1, 910003, 'Cid Tech', 'IT Manager', 'evaluator'),
			 (2, 910002, 'Bob Purchase', 'Purchasing Director', 'influencer'),
			 (3, 910001, 'Ann Chief', 'CEO', 'decision maker')$$,
	'decision_path of the buyer: buyer, IT manager, purchasing director, CEO'
);

-- A side branch, NULL title included.
SELECT results_eq(
	$$SELECT * FROM crm.decision_path(910005)$$,
	$$VALUES (0, 910005::bigint, 'Eve Desk'::text, NULL::text, 'gatekeeper'::text),
			 (1, 910001, 'Ann Chief', 'CEO', 'decision maker')$$,
	'decision_path of the assistant: assistant, CEO'
);

-- The top of the hierarchy reports to nobody.
SELECT results_eq(
	$$SELECT level, id FROM crm.decision_path(910001)$$,
	$$VALUES (0, 910001::bigint)$$,
	'decision_path of the CEO is the CEO alone'
);

-- The other customer's CEO is a hierarchy of its own.
SELECT results_eq(
	$$SELECT level, id FROM crm.decision_path(920001)$$,
	$$VALUES (0, 920001::bigint)$$,
	'decision_path of the other customer''s CEO is that CEO alone'
);

-- No such contact, or NULL: no rows.
SELECT is_empty($$SELECT * FROM crm.decision_path(999999999)$$,
	'decision_path of an unknown contact is empty');
SELECT is_empty($$SELECT * FROM crm.decision_path(NULL)$$,
	'decision_path(NULL) is empty');

-- After a reorganisation the path follows the new reports_to.
UPDATE crm.contacts SET reports_to = 910001 WHERE id = 910003;
SELECT results_eq(
	$$SELECT level, id FROM crm.decision_path(910004)$$,
	$$VALUES (0, 910004::bigint), (1, 910003), (2, 910001)$$,
	'decision_path follows a changed reports_to'
);

-- The path is finite because a cycle cannot be made (contacts_no_cycle),
-- and it cannot leave the customer (the composite foreign key).
SELECT throws_ok(
	$$UPDATE crm.contacts SET reports_to = 910004 WHERE id = 910001$$,
	'23514',
	'contact 910001 cannot report to contact 910004: that would make a reporting cycle',
	'a reports_to that would close a cycle is rejected'
);
SELECT throws_ok(
	$$UPDATE crm.contacts SET reports_to = 920001 WHERE id = 910001$$,
	'23503',
	'insert or update on table "contacts" violates foreign key constraint "contacts_customer_id_reports_to_fkey"',
	'a reports_to pointing to another customer''s contact is rejected'
);

SELECT * FROM finish();
ROLLBACK;
