-- crm.pipeline_changes over the demo data's opportunities and their
-- history (the bench database's scale: about 0.33 opportunity and 0.55
-- history rows per customer), last quarter and a whole year, against a
-- plain SQL scan of the history for the same period (issue 16: target at
-- most 1.5 x).  The baseline reads only the period's history rows; crm
-- also reconstructs every deal's state at the start of the period, which
-- needs each deal's history before it, and adds the creations.
\echo '== pipeline: opportunities and history rows'
SELECT (SELECT count(*) FROM crm.opportunities) AS opportunities,
	   (SELECT count(*) FROM crm.opportunity_history) AS history_rows,
	   (SELECT count(*) FROM crm.opportunity_history
		 WHERE changed_at > '2025-10-01 00:00+00' AND changed_at <= '2026-01-01 00:00+00') AS last_quarter_rows;

\echo '== pipeline: the waterfall adds up'
SELECT sum(amount) FILTER (WHERE step < 17) = sum(amount) FILTER (WHERE step = 17) AS adds_up
  FROM crm.pipeline_waterfall('2025-10-01 00:00+00', '2026-01-01 00:00+00');

\echo '== pipeline: median ms of 5 runs, crm vs plain SQL scan of the period''s history'
SELECT * FROM bench.compare('pipeline_changes, last quarter',
	$$SELECT * FROM crm.pipeline_changes('2025-10-01 00:00+00', '2026-01-01 00:00+00')$$,
	$$SELECT h.customer_id, h.opportunity_id, h.changed_at, h.changed_by, h.old_stage, h.new_stage, h.old_status,
			 h.new_status, h.old_amount, h.new_amount, h.new_owner, h.new_amount - h.old_amount
		FROM crm.opportunity_history h
	   WHERE h.changed_at > '2025-10-01 00:00+00' AND h.changed_at <= '2026-01-01 00:00+00'$$,
	0);
SELECT * FROM bench.compare('pipeline_changes, 2025',
	$$SELECT * FROM crm.pipeline_changes('2025-01-01 00:00+00', '2026-01-01 00:00+00')$$,
	$$SELECT h.customer_id, h.opportunity_id, h.changed_at, h.changed_by, h.old_stage, h.new_stage, h.old_status,
			 h.new_status, h.old_amount, h.new_amount, h.new_owner, h.new_amount - h.old_amount
		FROM crm.opportunity_history h
	   WHERE h.changed_at > '2025-01-01 00:00+00' AND h.changed_at <= '2026-01-01 00:00+00'$$,
	0);
\echo '== pipeline: opportunities_as_of vs a scan of opportunities and history'
SELECT * FROM bench.compare('opportunities_as_of',
	$$SELECT * FROM crm.opportunities_as_of('2025-10-01 00:00+00')$$,
	$$SELECT o.id, o.customer_id, o.stage, o.status, o.amount, h.n
		FROM crm.opportunities o
		LEFT JOIN (SELECT customer_id, opportunity_id, count(*) AS n FROM crm.opportunity_history GROUP BY 1, 2) h
		  ON h.customer_id = o.customer_id AND h.opportunity_id = o.id$$,
	0);
\echo '== pipeline: scan floor of crm.opportunity_history (median ms of 5 runs)'
SELECT * FROM bench.scan_floor('crm.opportunity_history', 'new_amount');
