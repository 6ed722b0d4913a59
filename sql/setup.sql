-- Helpers for the regression tests that follow (they run in this database,
-- in the order of the Makefile's REGRESS list).

-- Run one statement; say 'ok' or the error as SQLSTATE, message, detail and
-- hint, so that expected output shows the exact text a user reads (but not
-- the failing row of a constraint violation, which holds timestamps).  The
-- statement runs in a subtransaction: a failure leaves nothing behind.
CREATE FUNCTION public.try(statement text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
	msg text;
	detail text;
	hint text;
	state text;
BEGIN
	EXECUTE statement;
	RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
	GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, msg = MESSAGE_TEXT,
		detail = PG_EXCEPTION_DETAIL, hint = PG_EXCEPTION_HINT;
	RETURN state || ': ' || msg
		|| CASE WHEN detail <> '' AND detail NOT LIKE 'Failing row contains %' THEN ' DETAIL: ' || detail ELSE '' END
		|| CASE WHEN hint <> '' THEN ' HINT: ' || hint ELSE '' END;
END;
$$;

-- The extension is installed with the default pipeline.
SELECT extname, extversion, extrelocatable, extnamespace::regnamespace
  FROM pg_extension WHERE extname = 'crm';
SELECT pipeline, stage, position, is_final, builtin, conversion_rate, mean_days, visits_per_week
  FROM crm.pipeline_stages ORDER BY pipeline, position;
