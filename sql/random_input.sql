-- Random input: every C function and every aggregate of crm that SQL can
-- call is called 150 times with random arguments of its argument types (NaN, infinities,
-- extremes, random numbers, random Unicode text, random arrays with NULLs
-- and two dimensions, random composites), each call in a subtransaction.
-- The server must survive every call; the expected output is the number of
-- calls that returned and that raised an error per function, stable for the
-- seed (each function's seed is derived from its signature).

CREATE FUNCTION pg_temp.rnd_scalar(t regtype) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	r float8 := random();
	len int;
BEGIN
	IF random() < 0.03 THEN
		RETURN 'NULL';
	END IF;
	CASE t
	WHEN 'double precision'::regtype THEN
		RETURN quote_literal((ARRAY['NaN', 'Infinity', '-Infinity', '0', '-0', '-1', '1', '1e308', '-1e308', '5e-324',
									(random() * 100)::text, (random() * 1e6 - 5e5)::text, (random())::text, (random() * 3)::text]
							 )[1 + floor(random() * 14)::int]) || '::float8';
	WHEN 'integer'::regtype THEN
		RETURN (ARRAY['0', '-1', '1', '2', '3', '12', '2147483647', '(-2147483647-1)',
					  floor(random() * 100)::text, floor(random() * 20 - 10)::text])[1 + floor(random() * 10)::int] || '::int';
	WHEN 'bigint'::regtype THEN
		RETURN (ARRAY['0', '-1', '1', '9223372036854775807', '(-9223372036854775807-1)',
					  floor(random() * 1e6)::text])[1 + floor(random() * 6)::int] || '::bigint';
	WHEN 'numeric'::regtype THEN
		RETURN quote_literal((ARRAY['NaN', '0', '-1', '1', '1e20', '-1e20', '0.00001', '1e-100',
									round((random() * 1e4)::numeric, 2)::text, round((random() * 100 - 50)::numeric, 4)::text]
							 )[1 + floor(random() * 10)::int]) || '::numeric';
	WHEN 'date'::regtype THEN
		RETURN quote_literal((ARRAY['infinity', '-infinity', '2025-12-31', '4713-01-01 BC', '5874897-12-31',
									(date '2000-01-01' + floor(random() * 20000)::int)::text])[1 + floor(random() * 6)::int]) || '::date';
	WHEN 'timestamp with time zone'::regtype THEN
		RETURN quote_literal((ARRAY['infinity', '-infinity', '2025-12-31 12:00+00', '4713-01-01 00:00+00 BC',
									(timestamptz '2020-01-01' + random() * interval '3000 days')::text])[1 + floor(random() * 5)::int]) || '::timestamptz';
	WHEN 'boolean'::regtype THEN
		RETURN CASE WHEN r < 0.5 THEN 'true' ELSE 'false' END;
	WHEN 'text'::regtype THEN
		IF random() < 0.3 THEN		-- a word some function expects
			RETURN quote_literal((ARRAY['naive', 'seasonal_naive', 'moving_average', 'holt_winters', 'A', 'total',
										'day', 'week', 'month', ''])[1 + floor(random() * 10)::int]);
		END IF;
		len := floor(random() ^ 2 * 40)::int;
		RETURN quote_literal((SELECT coalesce(string_agg(
					CASE floor(random() * 8)::int
						WHEN 0 THEN chr(32 + floor(random() * 95)::int)
						WHEN 1 THEN chr(65281 + floor(random() * 94)::int)		-- full width
						WHEN 2 THEN chr(19968 + floor(random() * 20000)::int)	-- CJK
						WHEN 3 THEN (ARRAY['有限公司', ' Co., Ltd.', ' GmbH', '股份', ' Inc', '集团', '　', '-', '.'])[1 + floor(random() * 9)::int]
						WHEN 4 THEN chr(192 + floor(random() * 64)::int)		-- Latin-1
						WHEN 5 THEN chr(1 + floor(random() * 31)::int)			-- controls
						WHEN 6 THEN chr(768 + floor(random() * 112)::int)		-- combining marks
						ELSE chr(65536 + floor(random() * 60000)::int)			-- astral planes
					END, ''), '') FROM generate_series(1, len)));
	ELSE
		RAISE EXCEPTION 'no generator for %', t;
	END CASE;
END;
$$;

CREATE FUNCTION pg_temp.rnd_value(t regtype) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	elem regtype;
	n int;
	cols text;
BEGIN
	SELECT typelem INTO elem FROM pg_type WHERE oid = t AND typcategory = 'A';
	IF elem IS NOT NULL THEN
		IF random() < 0.05 THEN
			RETURN 'NULL';
		END IF;
		n := floor(random() ^ 2 * 14)::int;
		IF random() < 0.08 AND n > 0 THEN		-- two dimensions
			RETURN format('ARRAY[ARRAY[%s], ARRAY[%s]]::%s',
						  (SELECT string_agg(pg_temp.rnd_scalar(elem), ', ') FROM generate_series(1, n)),
						  (SELECT string_agg(pg_temp.rnd_scalar(elem), ', ') FROM generate_series(1, n)), t);
		END IF;
		RETURN format('ARRAY[%s]::%s', (SELECT string_agg(pg_temp.rnd_scalar(elem), ', ') FROM generate_series(1, n)), t);
	END IF;
	IF (SELECT typtype FROM pg_type WHERE oid = t) = 'c' THEN
		IF random() < 0.05 THEN
			RETURN 'NULL::' || t;
		END IF;
		SELECT string_agg(pg_temp.rnd_value(a.atttypid), ', ' ORDER BY a.attnum) INTO cols
		  FROM pg_attribute a JOIN pg_type ty ON ty.typrelid = a.attrelid
		 WHERE ty.oid = t AND a.attnum > 0 AND NOT a.attisdropped;
		RETURN format('ROW(%s)::%s', cols, t);
	END IF;
	IF (SELECT typtype FROM pg_type WHERE oid = t) = 'e' THEN
		RETURN quote_literal((SELECT e.enumlabel FROM pg_enum e WHERE e.enumtypid = t ORDER BY random() LIMIT 1)) || '::' || t;
	END IF;
	RETURN pg_temp.rnd_scalar(t);
END;
$$;

CREATE FUNCTION pg_temp.fuzz(calls int) RETURNS TABLE (function_name text, returned int, raised int)
LANGUAGE plpgsql AS $$
DECLARE
	f record;
	q text;
	i int;
BEGIN
	FOR f IN SELECT p.oid, p.oid::regprocedure::text AS sig, p.proname, p.prokind,
					p.proargtypes::regtype[] AS args
			   FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
			  WHERE p.pronamespace = 'crm'::regnamespace
				AND (l.lanname = 'c' OR p.prokind = 'a')
				AND NOT 'internal'::regtype = ANY (p.proargtypes::regtype[])
				AND p.proname NOT IN ('audit_actor', 'audit_skip')
			  ORDER BY 2 LOOP
		function_name := f.sig;
		-- each function has its own random stream: adding a function
		-- changes no other function's counts
		PERFORM setseed(('x' || substr(md5(f.sig), 1, 8))::bit(32)::int / 2147483648.0);
		returned := 0;
		raised := 0;
		FOR i IN 1 .. calls LOOP
			-- an aggregate runs over 1 to 4 rows of the same random arguments
			SELECT format(CASE WHEN f.prokind = 'a'
							   THEN 'SELECT length(x::text) FROM (SELECT %s(%s) AS x FROM generate_series(1, %s)) s'
							   ELSE 'SELECT length(string_agg(x::text, '','')) FROM (SELECT %s(%s) AS x) s' END,
						  f.oid::regproc, coalesce(string_agg(pg_temp.rnd_value(a), ', ' ORDER BY o), ''),
						  1 + floor(random() * 4)::int)
			  INTO q
			  FROM unnest(f.args) WITH ORDINALITY AS u(a, o);
			BEGIN
				EXECUTE q;
				returned := returned + 1;
			EXCEPTION WHEN OTHERS THEN
				raised := raised + 1;
			END;
		END LOOP;
		RETURN NEXT;
	END LOOP;
END;
$$;

SET statement_timeout = '15min';	-- minutes under valgrind, seconds otherwise
SELECT * FROM pg_temp.fuzz(150);
RESET statement_timeout;
-- the server is still up and the extension works
SELECT crm.normalize_name('Still Alive Co., Ltd.') AS alive;
