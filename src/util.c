/*
 * util.c: helpers shared by the C files of crm (see util.h).
 *
 * crm_numeric_to_money reads numeric's on-disk representation directly:
 * base-10000 digits with a weight and a sign, the format that pg_upgrade
 * relies on staying stable.  Going through numeric_out and a string per row
 * would cost several times more than the aggregate itself.
 */
#include "postgres.h"

#if PG_VERSION_NUM >= 160000
#include "varatt.h"			/* VARDATA, VARSIZE: in postgres.h before 16 */
#endif

#include "catalog/pg_type.h"
#include "funcapi.h"
#include "access/htup_details.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/typcache.h"
#include "utils/numeric.h"
#include "utils/timestamp.h"
#include "pgtime.h"

#include "util.h"

/* numeric header layout (src/backend/utils/adt/numeric.c, on-disk format) */
#define NUMERIC_FLAG_MASK		0xC000
#define NUMERIC_FLAG_NEG		0x4000
#define NUMERIC_FLAG_SHORT		0x8000
#define NUMERIC_FLAG_SPECIAL	0xC000
#define NUMERIC_SHORT_SIGN		0x2000
#define NUMERIC_SHORT_DSCALE_MASK	0x1F80
#define NUMERIC_SHORT_DSCALE_SHIFT	7
#define NUMERIC_SHORT_WEIGHT_SIGN	0x0040
#define NUMERIC_SHORT_WEIGHT_MASK	0x003F
#define NUMERIC_LONG_DSCALE_MASK	0x3FFF
#define NUMERIC_BASE			10000

/* 10^14 currency units in 0.0001 units: the largest amount accepted, excluded */
#define CRM_MONEY_LIMIT			INT64CONST(1000000000000000000)

/* The parts of a numeric: sign, weight of the first digit, digits. */
typedef struct NumericParts
{
	bool		special;		/* NaN or +-Infinity */
	bool		negative;
	int			weight;			/* first digit is times NUMERIC_BASE^weight */
	int			dscale;
	int			ndigits;
	const uint16 *digits;
} NumericParts;

static void
numeric_parts(Numeric num, NumericParts *parts)
{
	const char *data = VARDATA_ANY(num);
	uint16		header;
	Size		size = VARSIZE_ANY_EXHDR(num);

	memcpy(&header, data, sizeof(uint16));
	parts->special = (header & NUMERIC_FLAG_MASK) == NUMERIC_FLAG_SPECIAL;
	if (parts->special)
	{
		parts->negative = false;
		parts->weight = parts->dscale = parts->ndigits = 0;
		parts->digits = NULL;
		return;
	}
	if ((header & NUMERIC_FLAG_MASK) == NUMERIC_FLAG_SHORT)
	{
		parts->negative = (header & NUMERIC_SHORT_SIGN) != 0;
		parts->dscale = (header & NUMERIC_SHORT_DSCALE_MASK) >> NUMERIC_SHORT_DSCALE_SHIFT;
		parts->weight = (header & NUMERIC_SHORT_WEIGHT_MASK);
		if (header & NUMERIC_SHORT_WEIGHT_SIGN)
			parts->weight |= ~NUMERIC_SHORT_WEIGHT_MASK;
		parts->digits = (const uint16 *) (data + sizeof(uint16));
		parts->ndigits = (size - sizeof(uint16)) / sizeof(uint16);
	}
	else
	{
		int16		weight;

		parts->negative = (header & NUMERIC_FLAG_MASK) == NUMERIC_FLAG_NEG;
		parts->dscale = header & NUMERIC_LONG_DSCALE_MASK;
		memcpy(&weight, data + sizeof(uint16), sizeof(int16));
		parts->weight = weight;
		parts->digits = (const uint16 *) (data + 2 * sizeof(uint16));
		parts->ndigits = (size - 2 * sizeof(uint16)) / sizeof(uint16);
	}
}

/*
 * The numeric as a count of 0.0001 units, rounded half away from zero
 * beyond four decimals.  Non-finite values and values of 10^14 or more are
 * refused: they are not amounts of money.
 */
int64
crm_numeric_to_money(Datum num, const char *what, int *dscale)
{
	NumericParts parts;
	int128		acc = 0;
	int			p;

	/* packed: a short-header value is read in place, not copied */
	numeric_parts((Numeric) PG_DETOAST_DATUM_PACKED(num), &parts);
	if (dscale)
		*dscale = parts.dscale;
	if (parts.special)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("%s must be a finite number", what),
				 errhint("Filter out NaN and infinite values.")));
	/* the groups of four digits from NUMERIC_BASE^weight down to 10^-4 */
	for (p = parts.weight; p >= -1 && acc < CRM_MONEY_LIMIT; p--)
	{
		int			i = parts.weight - p;

		acc = acc * NUMERIC_BASE + (i < parts.ndigits ? parts.digits[i] : 0);
	}
	if (acc >= CRM_MONEY_LIMIT)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("%s %s is out of range", what,
						DatumGetCString(DirectFunctionCall1(numeric_out, num))),
				 errhint("Amounts must be below 10^14 currency units.")));
	/* round on the next group (10^-5 to 10^-8) */
	{
		int			i = parts.weight + 2;

		if (i >= 0 && i < parts.ndigits && parts.digits[i] >= NUMERIC_BASE / 2)
			acc++;
	}
	return (int64) (parts.negative ? -acc : acc);
}

int64
crm_float8_to_money(double value, const char *what)
{
	if (isnan(value) || isinf(value))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("%s must be a finite number", what),
				 errhint("Filter out NaN and infinite values.")));
	if (fabs(value) * (double) CRM_MONEY_SCALE >= (double) CRM_MONEY_LIMIT)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("%s %g is out of range", what, value),
				 errhint("Amounts must be below 10^14 currency units.")));
	return (int64) rint(value * (double) CRM_MONEY_SCALE);
}

/*
 * An amount in 0.0001 units as numeric with dscale decimals, or with as few
 * as it needs (trailing zeros dropped) when dscale < 0.  The decimals beyond
 * dscale are zero by construction (the inputs had no more).
 */
Datum
crm_money_to_numeric(int128 value, int dscale)
{
	int			drop;

	if (dscale < 0)
		for (dscale = CRM_MONEY_DIGITS; dscale > 0; dscale--)
		{
			int128		unit = 1;

			for (drop = dscale; drop < CRM_MONEY_DIGITS + 1; drop++)
				unit *= 10;
			if (value % (unit / 10) != 0)
				break;
		}
	for (drop = dscale; drop < CRM_MONEY_DIGITS; drop++)
		value /= 10;
	if (value >= PG_INT64_MIN && value <= PG_INT64_MAX)
		return NumericGetDatum(int64_div_fast_to_numeric((int64) value, dscale));

	/* beyond int64 (a sum of over 10^14 currency units): through text */
	{
		char		digits[48];
		char	   *p = digits + sizeof(digits) - 1;
		uint128		v = value < 0 ? -(uint128) value : (uint128) value;
		int			n = 0;

		*p = '\0';
		do
		{
			if (n++ == dscale && dscale > 0)
				*--p = '.';
			*--p = '0' + (int) (v % 10);
			v /= 10;
		} while (v > 0 || n <= dscale);
		if (value < 0)
			*--p = '-';
		return DirectFunctionCall3(numeric_in, CStringGetDatum(p),
								   ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1));
	}
}

int32
crm_day_of(Datum value, Oid type, const char *what, CrmDayCache *cache)
{
	TimestampTz ts;
	int64		local;

	if (type == DATEOID)
	{
		DateADT		day = DatumGetDateADT(value);

		if (DATE_NOT_FINITE(day))
			ereport(ERROR,
					(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
					 errmsg("%s must be finite", what),
					 errhint("Filter out -infinity and infinity.")));
		return day;
	}

	ts = DatumGetTimestampTz(value);
	if (TIMESTAMP_NOT_FINITE(ts))
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("%s must be finite", what),
				 errhint("Filter out -infinity and infinity.")));

	if (cache->tz != session_timezone || ts < cache->from || ts >= cache->until)
	{
		/* the offset at ts, and the next time it changes */
		pg_time_t	t = (pg_time_t) (ts / USECS_PER_SEC -
									 (ts % USECS_PER_SEC < 0 ? 1 : 0)) +
			(pg_time_t) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * SECS_PER_DAY;
		long int	before_gmtoff,
					after_gmtoff;
		int			before_isdst,
					after_isdst;
		pg_time_t	boundary;
		int			found = pg_next_dst_boundary(&t, &before_gmtoff, &before_isdst,
												 &boundary, &after_gmtoff, &after_isdst,
												 session_timezone);

		if (found < 0)
			return DatumGetDateADT(DirectFunctionCall1(timestamptz_date, value));
		cache->tz = session_timezone;
		cache->from = ts;
		cache->until = found == 0 ? DT_NOEND :
			((TimestampTz) boundary - (TimestampTz) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * SECS_PER_DAY) * USECS_PER_SEC;
		cache->offset = (int64) before_gmtoff * USECS_PER_SEC;
	}

	local = ts + cache->offset;
	return (int32) (local / USECS_PER_DAY - (local % USECS_PER_DAY < 0 ? 1 : 0));
}

TupleDesc
crm_result_tupdesc_at(FunctionCallInfo fcinfo, TupleDesc *slot)
{
	TupleDesc	tupdesc = *slot;

	if (tupdesc == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);

		if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
			elog(ERROR, "return type must be a row type");
		tupdesc = BlessTupleDesc(CreateTupleDescCopy(tupdesc));
		MemoryContextSwitchTo(old);
		*slot = tupdesc;
	}
	return tupdesc;
}

TupleDesc
crm_result_tupdesc(FunctionCallInfo fcinfo)
{
	return crm_result_tupdesc_at(fcinfo, (TupleDesc *) &fcinfo->flinfo->fn_extra);
}

ArrayType *
crm_float8_state_new(int nelems)
{
	Size		size = ARR_OVERHEAD_NONULLS(1) + (Size) nelems * sizeof(float8);
	ArrayType  *array = palloc0(size);

	SET_VARSIZE(array, size);
	array->ndim = 1;
	array->dataoffset = 0;
	array->elemtype = FLOAT8OID;
	ARR_DIMS(array)[0] = nelems;
	ARR_LBOUND(array)[0] = 1;
	return array;
}

float8 *
crm_float8_state_values(ArrayType *array, const char *what, int *nelems)
{
	if (ARR_NDIM(array) != 1 || ARR_HASNULL(array) || ARR_ELEMTYPE(array) != FLOAT8OID)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("not a %s state: need a one-dimensional float8[] without NULLs", what),
				 errhint("Pass only states made by the aggregate's own transition and combine functions.")));
	*nelems = ARR_DIMS(array)[0];
	return (float8 *) ARR_DATA_PTR(array);
}

bool
crm_varlena_unchanged(Datum value, const char *bytes, Size len)
{
	struct varlena *v = (struct varlena *) DatumGetPointer(value);

	if (VARATT_IS_EXTENDED(v) && !VARATT_IS_SHORT(v))
		return false;
	return bytes != NULL && VARSIZE_ANY_EXHDR(v) == len && memcmp(VARDATA_ANY(v), bytes, len) == 0;
}

/* the fields of crm.purchase_stats, in the order of CrmStatsField */
static const struct
{
	const char *name;
	Oid			type;
}			stats_fields[CRM_STATS_NFIELDS] =
{
	{"first_purchase", DATEOID},
	{"last_purchase", DATEOID},
	{"orders", INT8OID},
	{"purchase_days", INT4OID},
	{"revenue", NUMERICOID},
	{"cost", NUMERICOID},
	{"net_value", NUMERICOID},
	{"mean_order_value", NUMERICOID},
	{"mean_repeat_value", NUMERICOID},
	{"trend", FLOAT8OID}
};

/*
 * Where each field is in the row type of row: looked up by name when the
 * type is not the one of the last call, then kept in the reader.  A type
 * without a field, or with another type for it, is an internal error: the
 * SQL functions declare crm.purchase_stats, so only a broken installation
 * gets there.
 */
static void
stats_layout(TupleDesc tupdesc, Oid typid, CrmStatsReader *reader)
{
	int			i;

	for (i = 0; i < CRM_STATS_NFIELDS; i++)
	{
		int			a;

		reader->attnum[i] = InvalidAttrNumber;
		for (a = 0; a < tupdesc->natts; a++)
		{
			Form_pg_attribute att = TupleDescAttr(tupdesc, a);

			if (att->attisdropped || strcmp(NameStr(att->attname), stats_fields[i].name) != 0)
				continue;
			if (att->atttypid != stats_fields[i].type)
				elog(ERROR, "field %s of %s has type %s, expected %s",
					 stats_fields[i].name, format_type_be(typid),
					 format_type_be(att->atttypid), format_type_be(stats_fields[i].type));
			reader->attnum[i] = att->attnum;
		}
		if (reader->attnum[i] == InvalidAttrNumber)
			elog(ERROR, "type %s has no field %s", format_type_be(typid), stats_fields[i].name);
	}
}

/* columns of the row type deformed at once (more: field by field) */
#define STATS_MAX_NATTS 32

void
crm_stats_read(HeapTupleHeader row, CrmStatsReader *reader, CrmStats *stats)
{
	Oid			typid = HeapTupleHeaderGetTypeId(row);
	int32		typmod = HeapTupleHeaderGetTypMod(row);
	TupleDesc	tupdesc = lookup_rowtype_tupdesc(typid, typmod);
	HeapTupleData tuple;
	int			i;

	if (reader->type != typid || reader->typmod != typmod)
	{
		stats_layout(tupdesc, typid, reader);
		reader->type = typid;
		reader->typmod = typmod;
	}

	/* one pass over the row (heap_getattr per field would rescan it) */
	tuple.t_len = HeapTupleHeaderGetDatumLength(row);
	ItemPointerSetInvalid(&tuple.t_self);
	tuple.t_tableOid = InvalidOid;
	tuple.t_data = row;
	if (tupdesc->natts <= STATS_MAX_NATTS)
	{
		Datum		values[STATS_MAX_NATTS];
		bool		nulls[STATS_MAX_NATTS];

		heap_deform_tuple(&tuple, tupdesc, values, nulls);
		for (i = 0; i < CRM_STATS_NFIELDS; i++)
		{
			stats->value[i] = values[reader->attnum[i] - 1];
			stats->isnull[i] = nulls[reader->attnum[i] - 1];
		}
	}
	else
		for (i = 0; i < CRM_STATS_NFIELDS; i++)
			stats->value[i] = heap_getattr(&tuple, reader->attnum[i], tupdesc, &stats->isnull[i]);
	ReleaseTupleDesc(tupdesc);
}

char *
crm_date_text(DateADT day)
{
	return DatumGetCString(DirectFunctionCall1(date_out, DateADTGetDatum(day)));
}

void
crm_check_as_of(DateADT as_of)
{
	if (DATE_NOT_FINITE(as_of))
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("as_of must be a finite date"),
				 errdetail("Given: %s.", crm_date_text(as_of)),
				 errhint("Pass the day the history is read up to, such as current_date or the end of the calibration period.")));
}

/* a purchase day of stats, which purchase_stats always makes finite */
static DateADT
stats_day(const CrmStats *stats, CrmStatsField field)
{
	DateADT		day = DatumGetDateADT(stats->value[field]);

	if (DATE_NOT_FINITE(day))
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("%s must be a finite date", stats_fields[field].name),
				 errdetail("%s is %s.", stats_fields[field].name, crm_date_text(day)),
				 errhint("Build the stats with crm.purchase_stats(ordered_at, amount [, cost]).")));
	return day;
}

bool
crm_stats_dates(const CrmStats *stats, DateADT as_of,
				DateADT *first, bool *has_first, DateADT *last)
{
	*has_first = !stats->isnull[CRM_STATS_FIRST_PURCHASE];
	if (*has_first)
		*first = stats_day(stats, CRM_STATS_FIRST_PURCHASE);
	if (stats->isnull[CRM_STATS_LAST_PURCHASE])
		return false;
	*last = stats_day(stats, CRM_STATS_LAST_PURCHASE);
	if (*has_first && *first > *last)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("first_purchase must not be after last_purchase"),
				 errdetail("first_purchase is %s, last_purchase is %s.",
						   crm_date_text(*first), crm_date_text(*last)),
				 errhint("Build the stats with crm.purchase_stats(ordered_at, amount [, cost]).")));
	if (as_of < *last)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("as_of must not be before the last purchase"),
				 errdetail("as_of is %s, last_purchase is %s.",
						   crm_date_text(as_of), crm_date_text(*last)),
				 errhint("Compute the purchase stats from the orders up to as_of only (the calibration period), or pass a later as_of.")));
	return true;
}
