-- bench.sql: timing helpers for the benchmarks (schema bench of the
-- benchmark database; not part of the extension).
--
-- bench.time_ms(query, workers, repetitions) runs SELECT count(q) over the
-- query q (the whole row is counted, so every column of every row is
-- computed, and none is sent to the client) once to
-- warm up and then `repetitions` times, with max_parallel_workers_per_gather
-- = workers, and returns the median time in milliseconds measured in the
-- server.  bench.compare times a crm query and its baseline in the same way
-- and gives their ratio.

CREATE SCHEMA IF NOT EXISTS bench;

CREATE OR REPLACE FUNCTION bench.time_ms(query text, workers integer, repetitions integer DEFAULT 5)
RETURNS float8
LANGUAGE plpgsql AS $$
DECLARE
	started timestamptz;
	times float8[] := '{}';
	i integer;
BEGIN
	PERFORM set_config('max_parallel_workers_per_gather', workers::text, true);
	EXECUTE format('SELECT count(q) FROM (%s) q', query);	-- warm-up
	FOR i IN 1 .. repetitions LOOP
		started := clock_timestamp();
		EXECUTE format('SELECT count(q) FROM (%s) q', query);
		times := times || extract(epoch FROM clock_timestamp() - started) * 1000;
	END LOOP;
	RETURN (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY t) FROM unnest(times) t);
END;
$$;

-- bench.cpu_ms(query, workers, repetitions): as bench.time_ms, but the
-- backend's CPU time (the first field of /proc/self/schedstat, in ns),
-- which a machine shared with other work disturbs far less than the wall
-- clock.  The kernel brings that field up to date at scheduler ticks
-- (every 4 ms here), so each repetition runs the query as often as fills
-- about 300 ms of the warm-up's time and gives the time of one run.
CREATE OR REPLACE FUNCTION bench.cpu_ms(query text, workers integer, repetitions integer DEFAULT 5)
RETURNS float8
LANGUAGE plpgsql AS $$
DECLARE
	started timestamptz;
	before bigint;
	times float8[] := '{}';
	runs integer;
	i integer;
	j integer;
BEGIN
	PERFORM set_config('max_parallel_workers_per_gather', workers::text, true);
	started := clock_timestamp();
	EXECUTE format('SELECT count(q) FROM (%s) q', query);	-- warm-up
	runs := greatest(1, ceil(300 / greatest(extract(epoch FROM clock_timestamp() - started) * 1000, 0.01)))::integer;
	FOR i IN 1 .. repetitions LOOP
		before := split_part(pg_read_file('/proc/self/schedstat'), ' ', 1)::bigint;
		FOR j IN 1 .. runs LOOP
			EXECUTE format('SELECT count(q) FROM (%s) q', query);
		END LOOP;
		times := times || (split_part(pg_read_file('/proc/self/schedstat'), ' ', 1)::bigint - before) / 1e6::float8 / runs;
	END LOOP;
	RETURN (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY t) FROM unnest(times) t);
END;
$$;

CREATE OR REPLACE FUNCTION bench.compare(name text, crm_query text, baseline_query text,
										 workers integer, repetitions integer DEFAULT 5)
RETURNS TABLE (benchmark text, parallel_workers integer, crm_ms numeric, baseline_ms numeric, ratio numeric)
LANGUAGE plpgsql AS $$
DECLARE
	c float8 := bench.time_ms(crm_query, workers, repetitions);
	b float8 := bench.time_ms(baseline_query, workers, repetitions);
BEGIN
	RETURN QUERY SELECT name, compare.workers, round(c::numeric, 1), round(b::numeric, 1),
						round((c / b)::numeric, 3);
END;
$$;

-- bench.scan_floor(table, column): the cost of just reading the data, to
-- read every figure as a multiple of it: count(*) and sum(column) of the
-- table, median ms of 5 runs, serial and with 2 workers.
CREATE OR REPLACE FUNCTION bench.scan_floor(rel regclass, col text)
RETURNS TABLE (workers integer, count_ms numeric, sum_ms numeric)
LANGUAGE plpgsql AS $$
BEGIN
	FOREACH workers IN ARRAY ARRAY[0, 2] LOOP
		count_ms := round(bench.time_ms(format('SELECT count(*) FROM %s', rel), workers)::numeric, 1);
		sum_ms := round(bench.time_ms(format('SELECT sum(%I) FROM %s', col, rel), workers)::numeric, 1);
		RETURN NEXT;
	END LOOP;
END;
$$;
