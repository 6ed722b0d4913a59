-- Upgrades: every version of crm with an update path to the current one is
-- installed, updated with ALTER EXTENSION crm UPDATE, and compared with a
-- fresh install: the same member objects (functions with their signatures,
-- tables, types, views, ...) and the same version (test/upgrade.sh compares
-- their definitions too, with data loaded); CREATE EXTENSION crm VERSION of
-- the default version gives all its members.

\set regress_db :DBNAME
CREATE DATABASE regress_crm_upgrade;
\c regress_crm_upgrade

SELECT name, default_version FROM pg_available_extensions WHERE name = 'crm';
SELECT version, superuser, trusted, relocatable, schema FROM pg_available_extension_versions WHERE name = 'crm' ORDER BY version;
-- the update scripts (crm--A--B.sql) present: each is a path to test
SELECT source, target, path FROM pg_extension_update_paths('crm') WHERE path IS NOT NULL ORDER BY 1, 2;

-- The member objects of the installed crm, described.
CREATE TABLE public.members (install text, object text);
CREATE FUNCTION public.snapshot(install text) RETURNS bigint LANGUAGE sql AS $$
	INSERT INTO public.members
	SELECT install, pg_describe_object(d.classid, d.objid, d.objsubid)
	  FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid AND d.refclassid = 'pg_extension'::regclass
	 WHERE e.extname = 'crm' AND d.deptype = 'e'
	RETURNING 1
$$;

-- a fresh install of the default version
CREATE EXTENSION crm;
SELECT extversion FROM pg_extension WHERE extname = 'crm';
SELECT public.snapshot('fresh') IS NOT NULL AS taken;
SELECT count(*) > 100 AS many_members, count(*) FILTER (WHERE object LIKE 'function crm.normalize_name(text)') AS has_normalize_name
  FROM public.members WHERE install = 'fresh';
DROP EXTENSION crm CASCADE;

-- each version with a path to the default: install, update, compare
CREATE FUNCTION public.check_updates() RETURNS TABLE (from_version text, to_version text, missing bigint, extra bigint)
LANGUAGE plpgsql AS $$
DECLARE
	p record;
BEGIN
	FOR p IN SELECT u.source, u.target FROM pg_extension_update_paths('crm') u
			  JOIN pg_available_extensions a ON a.name = 'crm' AND a.default_version = u.target
			 WHERE u.path IS NOT NULL ORDER BY 1 LOOP
		EXECUTE format('CREATE EXTENSION crm VERSION %L', p.source);
		ALTER EXTENSION crm UPDATE;
		PERFORM public.snapshot('from ' || p.source);
		DROP EXTENSION crm CASCADE;
		from_version := p.source;
		to_version := (SELECT default_version FROM pg_available_extensions WHERE name = 'crm');
		SELECT count(*) INTO missing FROM (SELECT object FROM public.members WHERE install = 'fresh'
											EXCEPT SELECT object FROM public.members WHERE install = 'from ' || p.source) x;
		SELECT count(*) INTO extra FROM (SELECT object FROM public.members WHERE install = 'from ' || p.source
										  EXCEPT SELECT object FROM public.members WHERE install = 'fresh') x;
		RETURN NEXT;
	END LOOP;
END;
$$;
SELECT * FROM public.check_updates();

-- the install path by explicit version gives the same objects
SELECT default_version AS current_version FROM pg_available_extensions WHERE name = 'crm' \gset
CREATE EXTENSION crm VERSION :'current_version';
SELECT extversion FROM pg_extension WHERE extname = 'crm';
SELECT public.snapshot('explicit') IS NOT NULL AS taken;
SELECT (SELECT count(*) FROM (SELECT object FROM members WHERE install = 'fresh' EXCEPT SELECT object FROM members WHERE install = 'explicit') x) AS missing,
	   (SELECT count(*) FROM (SELECT object FROM members WHERE install = 'explicit' EXCEPT SELECT object FROM members WHERE install = 'fresh') x) AS extra;
-- ALTER EXTENSION UPDATE on the current version is a no-op
ALTER EXTENSION crm UPDATE;
SELECT extversion FROM pg_extension WHERE extname = 'crm';
-- an unknown version is refused
CREATE EXTENSION IF NOT EXISTS crm VERSION '0.9';
DROP EXTENSION crm;
CREATE EXTENSION crm VERSION '0.9';

\c :regress_db
DROP DATABASE regress_crm_upgrade;
