-- Every object of the extension crm described from the catalog, one line
-- each, "kind name|md5 of its definition": functions and aggregates with
-- their whole definition (pg_get_functiondef: body, volatility, security,
-- settings), privileges and comment; tables with columns, defaults,
-- constraints, indexes, triggers, policies, options, privileges and
-- comments; views with their query and options; types with their labels,
-- attributes and functions; sequences; the extension's dump registration.
-- test/upgrade.sh compares these lines between an updated and a fresh
-- install.
\pset format unaligned
\pset tuples_only on
WITH members AS (
	SELECT d.classid, d.objid
	  FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid AND d.refclassid = 'pg_extension'::regclass
	 WHERE e.extname = 'crm' AND d.deptype = 'e'
), described AS (
	SELECT 'function ' || p.oid::regprocedure::text AS object,
		   concat_ws(E'\n', CASE WHEN p.prokind = 'a' THEN NULL ELSE pg_get_functiondef(p.oid) END,
					 p.prokind, p.proacl::text, obj_description(p.oid, 'pg_proc'),
					 (SELECT concat_ws(' ', a.aggtransfn, a.aggfinalfn, a.aggcombinefn, a.aggserialfn,
									   a.aggdeserialfn, a.aggtranstype::regtype, a.agginitval, a.aggfinalmodify,
									   p.proparallel)
						FROM pg_aggregate a WHERE a.aggfnoid = p.oid)) AS definition
	  FROM members m JOIN pg_proc p ON m.classid = 'pg_proc'::regclass AND p.oid = m.objid
	UNION ALL
	SELECT CASE c.relkind WHEN 'r' THEN 'table ' WHEN 'v' THEN 'view ' WHEN 'S' THEN 'sequence ' ELSE c.relkind::text || ' ' END
		   || c.oid::regclass::text,
		   concat_ws(E'\n', c.relkind, c.relacl::text, c.reloptions::text, c.relrowsecurity, obj_description(c.oid, 'pg_class'),
					 CASE WHEN c.relkind = 'v' THEN pg_get_viewdef(c.oid) END,
					 (SELECT string_agg(concat_ws(' ', a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
												  a.attidentity, a.attgenerated, pg_get_expr(ad.adbin, ad.adrelid),
												  col_description(c.oid, a.attnum), a.attstattarget),
										E'\n' ORDER BY a.attnum)
						FROM pg_attribute a LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
					   WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped),
					 (SELECT string_agg(k.conname || ' ' || pg_get_constraintdef(k.oid), E'\n' ORDER BY k.conname)
						FROM pg_constraint k WHERE k.conrelid = c.oid),
					 (SELECT string_agg(pg_get_indexdef(i.indexrelid), E'\n' ORDER BY 1)
						FROM pg_index i WHERE i.indrelid = c.oid),
					 (SELECT string_agg(pg_get_triggerdef(t.oid), E'\n' ORDER BY t.tgname)
						FROM pg_trigger t WHERE t.tgrelid = c.oid AND NOT t.tgisinternal),
					 (SELECT string_agg(concat_ws(' ', s.seqtypid::regtype, s.seqstart, s.seqincrement, s.seqmax, s.seqmin, s.seqcycle),
										E'\n')
						FROM pg_sequence s WHERE s.seqrelid = c.oid))
	  FROM members m JOIN pg_class c ON m.classid = 'pg_class'::regclass AND c.oid = m.objid
	UNION ALL
	SELECT 'type ' || t.oid::regtype::text,
		   concat_ws(E'\n', t.typtype, t.typinput::text, t.typoutput::text, t.typreceive::text, t.typsend::text,
					 t.typlen, t.typalign, t.typstorage, t.typacl::text, obj_description(t.oid, 'pg_type'),
					 (SELECT string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder) FROM pg_enum e WHERE e.enumtypid = t.oid),
					 (SELECT string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod), ',' ORDER BY a.attnum)
						FROM pg_attribute a WHERE a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped))
	  FROM members m JOIN pg_type t ON m.classid = 'pg_type'::regclass AND t.oid = m.objid
	UNION ALL
	SELECT 'policy ' || p.polname || ' on ' || p.polrelid::regclass::text,
		   concat_ws(E'\n', p.polcmd, pg_get_expr(p.polqual, p.polrelid), pg_get_expr(p.polwithcheck, p.polrelid))
	  FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid
	 WHERE c.relnamespace = 'crm'::regnamespace
	UNION ALL
	SELECT 'member ' || pg_describe_object(m.classid, m.objid, 0), ''
	  FROM members m
	 WHERE m.classid NOT IN ('pg_proc'::regclass, 'pg_class'::regclass, 'pg_type'::regclass)
	UNION ALL
	SELECT 'dump registration', (SELECT string_agg(r::regclass::text, ',' ORDER BY r::regclass::text)
								   FROM pg_extension e, unnest(e.extconfig) r WHERE e.extname = 'crm')
)
SELECT object || '|' || md5(coalesce(definition, '')) FROM described ORDER BY 1;
