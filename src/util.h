/*
 * util.h: helpers shared by the C files of crm.
 *
 * Error convention, for every C file (after PostgreSQL's "Error Message
 * Style Guide" and contrib/cube):
 *
 *	- An error a user can cause is ereport(ERROR, errcode(...), errmsg(...),
 *	  [errdetail(...),] errhint(...)); elog(ERROR) is for can't-happen
 *	  internal errors only (a broken installation, a caller bug).
 *	- errmsg: short and factual, lower case, no final period; it names the
 *	  argument or field at fault by its SQL name ("as_of must be a finite
 *	  date") and does not start with the SQL function's name: a helper
 *	  shared by several functions cannot know it, the statement shows it,
 *	  and PL/pgSQL callers get it in the CONTEXT line.
 *	- errdetail: the offending value and the limits, a full sentence with a
 *	  capital and a period; for a value out of its domain "Given: <value>."
 *	  (so the primary message stays the same for every bad value).
 *	- errhint: what to do, a full sentence, with an example value where one
 *	  helps.
 *	- SQLSTATE, the most specific that fits:
 *	    22023 invalid_parameter_value    an argument or field outside its domain
 *	    22004 null_value_not_allowed     NULL where a value is required
 *	    22003 numeric_value_out_of_range a non-finite or too large amount
 *	    22008 datetime_value_out_of_range a non-finite day or time (crm_check_as_of)
 *	    2202E array_subscript_error      array lengths or positions that disagree
 *	    22P02 / 22P03 invalid_text / binary_representation  bad input of a type
 *	    XX001 data_corrupted             a stored value found broken when read
 *	    42703 / 42804 undefined_column / datatype_mismatch  columns of a row
 *	    54000 program_limit_exceeded     beyond a documented size limit
 *	  and 22P03 with "Pass only states made by ..." for forged aggregate
 *	  states.
 *
 * Money is handled as exact integers of CRM_MONEY_SCALE units per currency
 * unit (0.0001), summed in int128, so aggregates reproduce SQL's numeric
 * sums exactly and never lose a cent to floating point.
 */
#ifndef CRM_UTIL_H
#define CRM_UTIL_H

#include "fmgr.h"
#include "access/tupdesc.h"
#include "utils/array.h"
#include "datatype/timestamp.h"
#include "access/htup.h"
#include "utils/date.h"

#define CRM_MONEY_DIGITS 4
#define CRM_MONEY_SCALE INT64CONST(10000)

/*
 * A numeric or float8 amount in units of 0.0001; what names the argument.
 * For numeric, *dscale (when not NULL) receives its decimals as written.
 */
extern int64 crm_numeric_to_money(Datum num, const char *what, int *dscale);
extern int64 crm_float8_to_money(double value, const char *what);

/* an amount in units of 0.0001 as numeric with dscale decimals (0..4; < 0: as few as needed) */
extern Datum crm_money_to_numeric(int128 value, int dscale);

/*
 * The day (DateADT) of a date, or of a timestamptz in the session time zone
 * as ::date gives it.  A call site keeps a CrmDayCache (zeroed at first): the
 * UTC offset of the time zone and the interval it holds for, so most rows
 * cost a comparison and a division.
 */
typedef struct CrmDayCache
{
	void	   *tz;				/* the pg_tz the interval belongs to */
	TimestampTz from;			/* the offset holds from here ... */
	TimestampTz until;			/* ... to before here */
	int64		offset;			/* local time - UTC, microseconds */
} CrmDayCache;

extern int32 crm_day_of(Datum value, Oid type, const char *what, CrmDayCache *cache);

/*
 * The blessed descriptor of the calling function's row type, looked up once
 * per call site (kept in fn_extra, which the caller must not use otherwise).
 */
extern TupleDesc crm_result_tupdesc(FunctionCallInfo fcinfo);

/* the same, kept in *slot (part of a larger fn_extra) instead of fn_extra */
extern TupleDesc crm_result_tupdesc_at(FunctionCallInfo fcinfo, TupleDesc *slot);

/*
 * Aggregate states kept as plain float8[] (so that Citus and parallel query
 * ship them as they are): a new one-dimensional array of nelems zeros, and
 * the values of one after checking that it is one-dimensional float8
 * without NULLs (states reach the support functions from users); what
 * names the aggregate in the error, *nelems receives the length.
 */
extern ArrayType *crm_float8_state_new(int nelems);

extern float8 *crm_float8_state_values(ArrayType *array, const char *what, int *nelems);

/*
 * Is the varlena value byte for byte the len bytes kept (VARDATA of a copy)?
 * For the per-call-site caches of validated constant arguments (arrays of
 * cut points, conversion rates): a compressed or out-of-line value is never
 * "unchanged", so it is validated again.
 */
extern bool crm_varlena_unchanged(Datum value, const char *bytes, Size len);

/*
 * The crm.purchase_stats composite (purchase_stats.sql), read in one place.
 * Fields are found by name, once per call site, so the C code does not
 * depend on the column order of the type; a call site keeps a
 * CrmStatsReader (zeroed at first) in its fn_extra.
 */
typedef enum CrmStatsField
{
	CRM_STATS_FIRST_PURCHASE,
	CRM_STATS_LAST_PURCHASE,
	CRM_STATS_ORDERS,
	CRM_STATS_PURCHASE_DAYS,
	CRM_STATS_REVENUE,
	CRM_STATS_COST,
	CRM_STATS_NET_VALUE,
	CRM_STATS_MEAN_ORDER_VALUE,
	CRM_STATS_MEAN_REPEAT_VALUE,
	CRM_STATS_TREND,
	CRM_STATS_NFIELDS
} CrmStatsField;

typedef struct CrmStatsReader
{
	Oid			type;			/* InvalidOid until attnum[] is filled */
	int32		typmod;
	AttrNumber	attnum[CRM_STATS_NFIELDS];
} CrmStatsReader;

/* one crm.purchase_stats value, deformed */
typedef struct CrmStats
{
	Datum		value[CRM_STATS_NFIELDS];
	bool		isnull[CRM_STATS_NFIELDS];
} CrmStats;

extern void crm_stats_read(HeapTupleHeader row, CrmStatsReader *reader, CrmStats *stats);

/*
 * The purchase days of stats, checked against as_of: both finite,
 * first_purchase <= last_purchase <= as_of.  *has_first tells whether
 * first_purchase is set; returns false when last_purchase is NULL (no
 * purchase at all), true with *last set otherwise.
 */
extern bool crm_stats_dates(const CrmStats *stats, DateADT as_of,
							DateADT *first, bool *has_first, DateADT *last);

/*
 * The one check of an as_of argument: a finite date (22008), the day "as of"
 * which a history is read.
 */
extern void crm_check_as_of(DateADT as_of);

/* a date as text, for messages */
extern char *crm_date_text(DateADT day);

#endif
