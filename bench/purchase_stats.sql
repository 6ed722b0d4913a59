-- purchase_stats grouped by customer over crm.orders, against the plain SQL
-- it replaces (min, max, count, sum, count of distinct purchase days).
-- Target (issue 3): crm at most the plain SQL's time, serial and parallel.
\echo '== purchase_stats: per customer, crm vs plain SQL (median ms of 5 runs)'
SELECT * FROM bench.compare('purchase_stats by customer',
	$$SELECT customer_id, crm.purchase_stats(ordered_at, amount) FROM crm.orders GROUP BY customer_id$$,
	$$SELECT customer_id, min(ordered_at), max(ordered_at), count(*), sum(amount),
			 count(DISTINCT ordered_at::date) FROM crm.orders GROUP BY customer_id$$,
	0)
UNION ALL
SELECT * FROM bench.compare('purchase_stats by customer',
	$$SELECT customer_id, crm.purchase_stats(ordered_at, amount) FROM crm.orders GROUP BY customer_id$$,
	$$SELECT customer_id, min(ordered_at), max(ordered_at), count(*), sum(amount),
			 count(DISTINCT ordered_at::date) FROM crm.orders GROUP BY customer_id$$,
	2)
UNION ALL
SELECT * FROM bench.compare('purchase_stats over all orders',
	$$SELECT crm.purchase_stats(ordered_at, amount) FROM crm.orders$$,
	$$SELECT min(ordered_at), max(ordered_at), count(*), sum(amount), count(DISTINCT ordered_at::date) FROM crm.orders$$,
	0)
UNION ALL
SELECT * FROM bench.compare('purchase_stats over all orders',
	$$SELECT crm.purchase_stats(ordered_at, amount) FROM crm.orders$$,
	$$SELECT min(ordered_at), max(ordered_at), count(*), sum(amount), count(DISTINCT ordered_at::date) FROM crm.orders$$,
	2);
\echo '== scan floor of crm.orders (median ms of 5 runs)'
SELECT * FROM bench.scan_floor('crm.orders', 'amount');
