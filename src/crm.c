/*
 * crm.c: module entry of the crm extension.
 *
 * The extension's capabilities live one per file in this directory (demo.c:
 * the demo data generator, ...), each declared by the .sql file of the same
 * name.  This file only marks the shared library as a PostgreSQL module.
 */
#include "postgres.h"

#include "fmgr.h"

PG_MODULE_MAGIC;
