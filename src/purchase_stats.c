/*
 * purchase_stats.c: a customer's purchase history in one aggregate.
 *
 * crm.purchase_stats(ordered_at, amount [, cost]) replaces the min, max,
 * count, sum and count(DISTINCT day) a DBA would otherwise write, and adds
 * what those cannot give in one pass: the mean value of the repeat purchase
 * days and the trend of spend.  Its result feeds the value score, the
 * lifecycle and, through crm.rfm_summary, the lifetime-value models of Fader,
 * Hardie & Lee (2005), whose frequency x counts repeat purchase *days*.
 *
 * The state keeps one entry per distinct purchase day (day, amount) in its
 * own allocation; orders on the day already last in the list are merged at
 * once, so a history read in time order stays as small as its number of
 * purchase days, and a customer with up to 11 of them costs 256 bytes.  Entries are
 * sorted and merged when the final function runs, so the result does not
 * depend on the row order.  Amounts and costs are exact integers of 0.0001
 * (util.h), summed in int128.
 *
 * A row whose amount is NULL is not a purchase: only its cost counts.  So
 * costs to serve kept in their own table join the history with UNION ALL.
 *
 * The state is internal, with combine, serialize and deserialize functions,
 * so the aggregate runs under parallel query.  The serialized form is
 * versioned and architecture-independent.
 */
#include "postgres.h"

#if PG_VERSION_NUM >= 160000
#include "varatt.h"			/* VARDATA, VARSIZE: in postgres.h before 16 */
#endif

#include <math.h>

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "funcapi.h"
#include "libpq/pqformat.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/lsyscache.h"
#include "utils/numeric.h"

#include "util.h"

#define PURCHASE_STATS_FORMAT 1

/* the money of one purchase day */
typedef struct PurchaseDay
{
	int32		day;			/* DateADT */
	int64		amount;			/* 0.0001 units */
} PurchaseDay;

/*
 * The days live in the state's own allocation, which grows as a whole: a
 * customer with up to 11 purchase days costs one 256-byte chunk.  Under a
 * hash aggregate every customer's state stays in memory, so its size is
 * what the per-customer aggregate costs.
 */
typedef struct PurchaseStatsState
{
	int64		orders;			/* rows with an amount */
	int128		revenue;		/* 0.0001 units */
	int128		cost;			/* 0.0001 units */
	int32		dscale;			/* largest decimals of a numeric input; -1: float8 input only */
	bool		sorted;			/* days ascending and distinct */
	int32		ndays;
	int32		capacity;
	PurchaseDay days[FLEXIBLE_ARRAY_MEMBER];
} PurchaseStatsState;

#define STATE_SIZE(capacity) (offsetof(PurchaseStatsState, days) + (Size) (capacity) * sizeof(PurchaseDay))

/* what one call site passes, looked up once */
typedef struct PurchaseStatsArgs
{
	Oid			time_type;		/* DATEOID or TIMESTAMPTZOID */
	bool		numeric_money;	/* numeric amounts (else float8) */
	CrmDayCache days;			/* the session time zone's offset */
} PurchaseStatsArgs;

/* the most days that fit in an allocation of chunk bytes */
static int32
days_in_chunk(Size chunk)
{
	return (int32) ((chunk - offsetof(PurchaseStatsState, days)) / sizeof(PurchaseDay));
}

static PurchaseStatsState *
state_new(MemoryContext context, int32 ndays)
{
	Size		chunk = 256;
	PurchaseStatsState *state;

	while (days_in_chunk(chunk) < ndays)
		chunk *= 2;
	if (chunk > MaxAllocSize)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("too many purchase days in one group"),
				 errhint("Group by customer (or a finer key), so that one group holds one history.")));
	state = MemoryContextAlloc(context, chunk);
	memset(state, 0, offsetof(PurchaseStatsState, days));
	state->dscale = -1;
	state->sorted = true;
	state->capacity = days_in_chunk(chunk);
	return state;
}

/* Room for more days; the state may move, so callers use the result. */
static PurchaseStatsState *
state_reserve(PurchaseStatsState *state, int32 more)
{
	Size		chunk;

	if ((int64) state->ndays + more <= state->capacity)
		return state;
	chunk = STATE_SIZE(state->capacity);
	do
		chunk *= 2;
	while (chunk <= MaxAllocSize && days_in_chunk(chunk) < (int64) state->ndays + more);
	if (chunk > MaxAllocSize)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("too many purchase days in one group"),
				 errhint("Group by customer (or a finer key), so that one group holds one history.")));
	state = repalloc(state, chunk);
	state->capacity = days_in_chunk(chunk);
	return state;
}

static PurchaseStatsState *
state_add_day(PurchaseStatsState *state, int32 day, int64 amount)
{
	if (state->ndays > 0)
	{
		PurchaseDay *last = &state->days[state->ndays - 1];

		if (last->day == day)
		{
			last->amount += amount;
			return state;
		}
		if (day < last->day)
			state->sorted = false;
	}
	state = state_reserve(state, 1);
	state->days[state->ndays].day = day;
	state->days[state->ndays].amount = amount;
	state->ndays++;
	return state;
}

static int
day_cmp(const void *a, const void *b)
{
	int32		x = ((const PurchaseDay *) a)->day;
	int32		y = ((const PurchaseDay *) b)->day;

	return (x > y) - (x < y);
}

/* Sort the days and merge equal ones; the value of the state is unchanged. */
static void
state_normalize(PurchaseStatsState *state)
{
	int32		i,
				n = 0;

	if (state->sorted)
		return;
	qsort(state->days, state->ndays, sizeof(PurchaseDay), day_cmp);
	for (i = 0; i < state->ndays; i++)
	{
		if (n > 0 && state->days[n - 1].day == state->days[i].day)
			state->days[n - 1].amount += state->days[i].amount;
		else
			state->days[n++] = state->days[i];
	}
	state->ndays = n;
	state->sorted = true;
}

static int64
money_arg(FunctionCallInfo fcinfo, int argno, bool numeric_money, const char *what,
		  PurchaseStatsState *state)
{
	Datum		value = PG_GETARG_DATUM(argno);
	int64		money;

	if (numeric_money)
	{
		int			dscale;

		money = crm_numeric_to_money(value, what, &dscale);
		state->dscale = Max(state->dscale, Min(dscale, CRM_MONEY_DIGITS));
	}
	else
		money = crm_float8_to_money(DatumGetFloat8(value), what);
	if (money < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must not be negative", what),
				 errdetail("Given: %s.",
						numeric_money ? DatumGetCString(DirectFunctionCall1(numeric_out, value))
						: psprintf("%g", DatumGetFloat8(value))),
				 errhint("Leave refunds and credits out (WHERE amount >= 0) or net them into their orders first.")));
	return money;
}

/*
 * Transition: (state, ordered_at, amount [, cost]).  Not strict: a NULL
 * amount with a cost is a cost-only row.
 */
PG_FUNCTION_INFO_V1(crm_purchase_stats_trans);
Datum
crm_purchase_stats_trans(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext;
	PurchaseStatsState *state;
	PurchaseStatsArgs *args = (PurchaseStatsArgs *) fcinfo->flinfo->fn_extra;
	bool		has_cost = PG_NARGS() > 3 && !PG_ARGISNULL(3);

	if (!AggCheckCallContext(fcinfo, &aggcontext))
		elog(ERROR, "crm_purchase_stats_trans called in non-aggregate context");

	if (args == NULL)
	{
		args = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(PurchaseStatsArgs));
		args->time_type = get_fn_expr_argtype(fcinfo->flinfo, 1);
		args->numeric_money = get_fn_expr_argtype(fcinfo->flinfo, 2) == NUMERICOID;
		fcinfo->flinfo->fn_extra = args;
	}

	state = PG_ARGISNULL(0) ? NULL : (PurchaseStatsState *) PG_GETARG_POINTER(0);
	if (PG_ARGISNULL(2) && !has_cost)
	{
		/* nothing to count: the state stays as it is, NULL while empty */
		if (state == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(state);
	}
	if (state == NULL)
		state = state_new(aggcontext, 1);

	if (!PG_ARGISNULL(2))
	{
		int64		amount;

		if (PG_ARGISNULL(1))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("a purchase must have a time"),
				 errdetail("Given: ordered_at NULL."),
					 errhint("Leave such rows out (WHERE ordered_at IS NOT NULL); a row with amount NULL may carry a cost alone.")));
		amount = money_arg(fcinfo, 2, args->numeric_money, "amount", state);
		state = state_add_day(state, crm_day_of(PG_GETARG_DATUM(1), args->time_type, "ordered_at", &args->days), amount);
		state->orders++;
		state->revenue += amount;
	}
	if (has_cost)
		state->cost += money_arg(fcinfo, 3, args->numeric_money, "cost", state);

	PG_RETURN_POINTER(state);
}

/* Combine two partial states into the left one (or a copy of the right). */
PG_FUNCTION_INFO_V1(crm_purchase_stats_combine);
Datum
crm_purchase_stats_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext;
	PurchaseStatsState *left = PG_ARGISNULL(0) ? NULL : (PurchaseStatsState *) PG_GETARG_POINTER(0);
	PurchaseStatsState *right = PG_ARGISNULL(1) ? NULL : (PurchaseStatsState *) PG_GETARG_POINTER(1);

	if (!AggCheckCallContext(fcinfo, &aggcontext))
		elog(ERROR, "crm_purchase_stats_combine called in non-aggregate context");
	if (right == NULL)
	{
		if (left == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(left);
	}
	if (left == NULL)
		left = state_new(aggcontext, right->ndays);
	else
		left = state_reserve(left, right->ndays);
	memcpy(left->days + left->ndays, right->days, right->ndays * sizeof(PurchaseDay));
	if (left->ndays > 0 && right->ndays > 0)
		left->sorted = false;
	else if (left->ndays == 0)
		left->sorted = right->sorted;
	left->ndays += right->ndays;
	left->orders += right->orders;
	left->revenue += right->revenue;
	left->cost += right->cost;
	left->dscale = Max(left->dscale, right->dscale);
	PG_RETURN_POINTER(left);
}

static void
send_int128(StringInfo buf, int128 value)
{
	pq_sendint64(buf, (int64) (value >> 64));
	pq_sendint64(buf, (int64) (uint64) value);
}

static int128
get_int128(StringInfo buf)
{
	uint128		high = (uint64) pq_getmsgint64(buf);
	uint128		low = (uint64) pq_getmsgint64(buf);

	return (int128) ((high << 64) | low);
}

/*
 * Serialized state: format byte, orders, revenue, cost (int128 as two
 * int64), dscale, day count, then (day int32, amount int64) per day, all in
 * network byte order.
 */
PG_FUNCTION_INFO_V1(crm_purchase_stats_serialize);
Datum
crm_purchase_stats_serialize(PG_FUNCTION_ARGS)
{
	PurchaseStatsState *state = (PurchaseStatsState *) PG_GETARG_POINTER(0);
	StringInfoData buf;
	int32		i;

	if (!AggCheckCallContext(fcinfo, NULL))
		elog(ERROR, "crm_purchase_stats_serialize called in non-aggregate context");

	state_normalize(state);
	pq_begintypsend(&buf);
	pq_sendbyte(&buf, PURCHASE_STATS_FORMAT);
	pq_sendint64(&buf, state->orders);
	send_int128(&buf, state->revenue);
	send_int128(&buf, state->cost);
	pq_sendint32(&buf, state->dscale);
	pq_sendint32(&buf, state->ndays);
	for (i = 0; i < state->ndays; i++)
	{
		pq_sendint32(&buf, state->days[i].day);
		pq_sendint64(&buf, state->days[i].amount);
	}
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

PG_FUNCTION_INFO_V1(crm_purchase_stats_deserialize);
Datum
crm_purchase_stats_deserialize(PG_FUNCTION_ARGS)
{
	bytea	   *bytes = PG_GETARG_BYTEA_PP(0);
	MemoryContext aggcontext;
	PurchaseStatsState *state;
	StringInfoData buf;
	int32		ndays;
	int32		i;

	if (!AggCheckCallContext(fcinfo, &aggcontext))
		elog(ERROR, "crm_purchase_stats_deserialize called in non-aggregate context");

	buf.data = VARDATA_ANY(bytes);
	buf.len = VARSIZE_ANY_EXHDR(bytes);
	buf.maxlen = buf.len;
	buf.cursor = 0;

	if (buf.len < 1 || pq_getmsgbyte(&buf) != PURCHASE_STATS_FORMAT)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("unknown state format"),
				 errhint("Pass only states made by crm.purchase_stats_serialize.")));
	{
		int64		orders = pq_getmsgint64(&buf);
		int128		revenue = get_int128(&buf);
		int128		cost = get_int128(&buf);
		int32		dscale = (int32) pq_getmsgint(&buf, 4);

		ndays = (int32) pq_getmsgint(&buf, 4);
		if (ndays < 0 || ndays > (buf.len - buf.cursor) / 12 || dscale < -1 ||
			dscale > CRM_MONEY_DIGITS)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
					 errmsg("corrupt state"),
					 errhint("Pass only states made by crm.purchase_stats_serialize.")));
		state = state_new(aggcontext, ndays);
		state->orders = orders;
		state->revenue = revenue;
		state->cost = cost;
		state->dscale = dscale;
	}
	for (i = 0; i < ndays; i++)
	{
		state->days[i].day = (int32) pq_getmsgint(&buf, 4);
		state->days[i].amount = pq_getmsgint64(&buf);
	}
	state->ndays = ndays;
	state->sorted = false;
	pq_getmsgend(&buf);
	PG_RETURN_POINTER(state);
}

/* numeric a / n, with the result scale of SQL's numeric division */
static Datum
numeric_mean(int128 total, int dscale, int64 n)
{
	return DirectFunctionCall2(numeric_div, crm_money_to_numeric(total, dscale),
							   NumericGetDatum(int64_to_numeric(n)));
}

/*
 * trend = (spend of the later half of the purchase days - spend of the
 * earlier half) / total spend; with an odd number of purchase days the
 * middle one counts half to each side.  Halves by purchase days, not by
 * time: equal purchases have trend 0 however unevenly they are spaced (a
 * change in how often a customer buys shows as declining by the gap rule
 * of crm.lifecycle instead).  NULL with one purchase day or no spend.
 */
static Datum
spend_trend(const PurchaseStatsState *state, bool *isnull)
{
	int32		n = state->ndays;
	int32		half = n / 2;
	double		earlier = 0.0,
				later = 0.0;
	int32		i;

	*isnull = true;
	if (n < 2)
		return (Datum) 0;
	for (i = 0; i < half; i++)
		earlier += (double) state->days[i].amount;
	for (i = n - half; i < n; i++)
		later += (double) state->days[i].amount;
	if (n % 2 == 1)
	{
		earlier += (double) state->days[half].amount / 2.0;
		later += (double) state->days[half].amount / 2.0;
	}
	if (earlier + later <= 0.0)
		return (Datum) 0;
	*isnull = false;
	return Float8GetDatum((later - earlier) / (earlier + later));
}

/* Final: the crm.purchase_stats composite; NULL for no rows at all. */
PG_FUNCTION_INFO_V1(crm_purchase_stats_final);
Datum
crm_purchase_stats_final(PG_FUNCTION_ARGS)
{
	PurchaseStatsState *state;
	TupleDesc	tupdesc;
	Datum		values[10];
	bool		nulls[10] = {false};
	int			dscale;
	int128		repeat = 0;
	int32		i;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	state = (PurchaseStatsState *) PG_GETARG_POINTER(0);
	tupdesc = crm_result_tupdesc(fcinfo);

	state_normalize(state);
	dscale = state->dscale;
	for (i = 1; i < state->ndays; i++)
		repeat += state->days[i].amount;

	if (state->ndays > 0)
	{
		values[0] = DateADTGetDatum(state->days[0].day);
		values[1] = DateADTGetDatum(state->days[state->ndays - 1].day);
	}
	else
		nulls[0] = nulls[1] = true;
	values[2] = Int64GetDatum(state->orders);
	values[3] = Int32GetDatum(state->ndays);
	values[4] = crm_money_to_numeric(state->revenue, dscale);
	values[5] = crm_money_to_numeric(state->cost, dscale);
	values[6] = crm_money_to_numeric(state->revenue - state->cost, dscale);
	if (state->orders > 0)
		values[7] = numeric_mean(state->revenue, dscale, state->orders);
	else
		nulls[7] = true;
	if (state->ndays > 1)
		values[8] = numeric_mean(repeat, dscale, state->ndays - 1);
	else
		nulls[8] = true;
	values[9] = spend_trend(state, &nulls[9]);

	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}

/*
 * crm.rfm_summary(stats, as_of, unit) -> (frequency, recency, age, monetary):
 * the customer summary of Fader, Hardie & Lee (2005) at as_of: x = repeat
 * purchase days, t_x = first to last purchase day, T = first purchase day
 * to as_of, in days, weeks (7 days), months (30.4375 days) or years
 * (365.25 days); monetary = mean value of the repeat purchase days.
 */
/* what a call site of rfm_summary keeps (fn_extra) */
typedef struct RfmSummaryCache
{
	TupleDesc	result;			/* blessed result row type */
	CrmStatsReader stats;		/* where the fields of crm.purchase_stats are */
} RfmSummaryCache;

PG_FUNCTION_INFO_V1(crm_rfm_summary);
Datum
crm_rfm_summary(PG_FUNCTION_ARGS)
{
	HeapTupleHeader row = PG_GETARG_HEAPTUPLEHEADER(0);
	DateADT		as_of = PG_GETARG_DATEADT(1);
	char	   *unit = text_to_cstring(PG_GETARG_TEXT_PP(2));
	RfmSummaryCache *cache = (RfmSummaryCache *) fcinfo->flinfo->fn_extra;
	double		days_per_unit;
	CrmStats	stats;
	DateADT		first,
				last;
	bool		has_first;
	int32		purchase_days;
	TupleDesc	tupdesc;
	Datum		values[4];
	bool		nulls[4] = {false};

	if (strcmp(unit, "day") == 0)
		days_per_unit = 1.0;
	else if (strcmp(unit, "week") == 0)
		days_per_unit = 7.0;
	else if (strcmp(unit, "month") == 0)
		days_per_unit = 30.4375;
	else if (strcmp(unit, "year") == 0)
		days_per_unit = 365.25;
	else
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown time unit \"%s\"", unit),
				 errhint("Use day, week, month (30.4375 days) or year (365.25 days).")));
	crm_check_as_of(as_of);

	if (cache == NULL)
		fcinfo->flinfo->fn_extra = cache =
			MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(RfmSummaryCache));
	crm_stats_read(row, &cache->stats, &stats);
	if (stats.isnull[CRM_STATS_PURCHASE_DAYS] ||
		DatumGetInt32(stats.value[CRM_STATS_PURCHASE_DAYS]) < 1 ||
		stats.isnull[CRM_STATS_FIRST_PURCHASE])
		PG_RETURN_NULL();		/* no purchase: no summary */
	purchase_days = DatumGetInt32(stats.value[CRM_STATS_PURCHASE_DAYS]);
	if (!crm_stats_dates(&stats, as_of, &first, &has_first, &last))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("last_purchase must not be NULL when first_purchase is set"),
				 errhint("Build the stats with crm.purchase_stats(ordered_at, amount [, cost]).")));

	tupdesc = crm_result_tupdesc_at(fcinfo, &cache->result);

	values[0] = Int32GetDatum(purchase_days - 1);
	values[1] = Float8GetDatum((last - first) / days_per_unit);
	values[2] = Float8GetDatum((as_of - first) / days_per_unit);
	values[3] = stats.value[CRM_STATS_MEAN_REPEAT_VALUE];
	nulls[3] = stats.isnull[CRM_STATS_MEAN_REPEAT_VALUE];
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}
