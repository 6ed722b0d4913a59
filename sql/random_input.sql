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

-- A decision-tree model as JSON text: the valid one of sql/tree_errors.sql,
-- or (nine times in ten) that one with 1 to 3 random mutations: a byte
-- replaced by a JSON-significant one, a span deleted or doubled, a number
-- replaced by an extreme one.  Fed to crm.tree's input function and, when
-- it parses, to every function taking a model.
CREATE FUNCTION pg_temp.rnd_model_json() RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	j text := '{"format": "crm.tree", "version": 1, "classes": ["no", "yes"], '
		'"features": [{"name": "x", "kind": "continuous"}, {"name": "c", "kind": "categorical", "levels": ["a", "b"]}], '
		'"nodes": [{"feature": "x", "threshold": 2, "left": 1, "right": 2, "counts": [3, 2]}, {"counts": [3, 0]}, '
		'{"feature": "c", "left_levels": ["a"], "left": 3, "right": 4, "missing": "right", "counts": [0, 2]}, '
		'{"counts": [0, 1]}, {"counts": [0, 1]}]}';
	p int;
	k int;
	i int;
BEGIN
	IF random() < 0.1 THEN
		RETURN j;
	END IF;
	FOR i IN 1 .. 1 + floor(random() * 3)::int LOOP
		p := 1 + floor(random() * length(j))::int;
		k := 1 + floor(random() * 12)::int;
		CASE floor(random() * 4)::int
		WHEN 0 THEN
			j := overlay(j PLACING (ARRAY['{', '}', '[', ']', ',', ':', '"', '0', '9', '-', '.', 'e', ' ', '\', 'n'])[1 + floor(random() * 15)::int]
						 FROM p FOR 1);
		WHEN 1 THEN
			j := overlay(j PLACING '' FROM p FOR k);
		WHEN 2 THEN
			j := overlay(j PLACING substr(j, p, k) FROM p FOR 0);
		ELSE
			-- the n-th number of the text
			j := regexp_replace(j, '[0-9]+', (ARRAY['-1', '0', '5', '2147483648', '1e400', '3.5', '-0', '1e-400', 'null', '"1"'])[1 + floor(random() * 10)::int],
								1, 1 + floor(random() * 20)::int);
			IF random() < 0.5 THEN
				j := overlay(j PLACING (ARRAY['-1', '7', '1e308', '4'])[1 + floor(random() * 4)::int] FROM p FOR 1);
			END IF;
		END CASE;
	END LOOP;
	RETURN j;
END;
$$;

CREATE FUNCTION pg_temp.rnd_value(t regtype) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	elem regtype;
	n int;
	cols text;
BEGIN
	CASE t
	WHEN 'crm.tree'::regtype THEN
		RETURN quote_literal(pg_temp.rnd_model_json()) || '::crm.tree';
	WHEN 'cstring'::regtype THEN
		RETURN quote_literal(pg_temp.rnd_model_json()) || '::cstring';
	WHEN 'record'::regtype THEN		-- a row with the model's feature names, values of random types
		RETURN format('(SELECT r FROM (SELECT %s AS x, %s AS c) r)',
					  pg_temp.rnd_scalar((ARRAY['double precision', 'integer', 'text', 'numeric'])[1 + floor(random() * 4)::int]::regtype),
					  CASE WHEN random() < 0.5 THEN quote_literal((ARRAY['a', 'b', 'z', ''])[1 + floor(random() * 4)::int])
						   ELSE pg_temp.rnd_scalar('text') END);
	WHEN '"any"'::regtype THEN
		RETURN pg_temp.rnd_scalar((ARRAY['double precision', 'integer', 'text', 'boolean'])[1 + floor(random() * 4)::int]::regtype);
	WHEN 'jsonb'::regtype THEN
		RETURN quote_literal((ARRAY['{}', '[]', 'null', '{"max_depth": -1}', '{"max_depth": 2, "criterion": "entropy"}',
									'{"cp": "x"}', '{"bins": 1000000000}', '{"min_samples_leaf": 0}', '{"features": ["nope"]}',
									'{"class_weight": {"yes": -1}}', '{"unknown": 1}'])[1 + floor(random() * 11)::int]) || '::jsonb';
	ELSE
		NULL;
	END CASE;
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

-- The model parser on its own: 5,000 mutated models; every one that parses
-- is scored on three rows, explained, exported as SQL, sent and shown (an
-- accepted model must never make a later function read out of bounds)
CREATE FUNCTION pg_temp.fuzz_models(n int)
RETURNS TABLE (mutations int, parsed int, rejected int, used int, use_raised int)
LANGUAGE plpgsql AS $$
DECLARE
	j text;
	m crm.tree;
	i int;
BEGIN
	PERFORM setseed(0.77);
	mutations := n; parsed := 0; rejected := 0; used := 0; use_raised := 0;
	FOR i IN 1 .. n LOOP
		j := pg_temp.rnd_model_json();
		BEGIN
			m := j::crm.tree;
			parsed := parsed + 1;
		EXCEPTION WHEN OTHERS THEN
			rejected := rejected + 1;
			CONTINUE;
		END;
		BEGIN
			PERFORM crm.tree_score(m, r) FROM (VALUES (1.5::float8, 'a'), (3, 'b'), (NULL, NULL)) r(x, c);
			PERFORM count(*) FROM crm.tree_rules(m);
			PERFORM crm.tree_to_sql(m), crm.tree_to_dot(m), crm.tree_info(m), crm.tree_send(m), m::text;
			PERFORM count(*) FROM crm.tree_importance(m);
			used := used + 1;
		EXCEPTION WHEN OTHERS THEN
			use_raised := use_raised + 1;
		END;
	END LOOP;
	RETURN NEXT;
END;
$$;
SELECT * FROM pg_temp.fuzz_models(5000);

-- the server is still up and the extension works
SELECT crm.normalize_name('Still Alive Co., Ltd.') AS alive;
