/*
 * value.c: what a customer is worth and where the customer stands: the value
 * score, RFM segments, the lifecycle stage, the relationship state and the
 * 3 x 3 satisfaction-by-volume segments with their strategies (declared in
 * value.sql).  Everything reads a crm.purchase_stats value (purchase_stats.c)
 * or plain numbers, so it works on any history, not only the CRM tables.
 *
 * value_score(stats, as_of, half_life_days, frequency_half, monetary_half,
 * weights) -> 0..100.  Four parts, each in [0, 1], weighted and averaged:
 *
 *	R = 0.5 ^ ((as_of - last_purchase) / half_life_days)	recency
 *	F = 1 - 0.5 ^ (purchase_days / frequency_half)			frequency
 *	M = revenue / (revenue + monetary_half)					monetary
 *	N = max(0, net_value) / (max(0, net_value) + monetary_half)	net value
 *
 * R halves every half_life_days without a purchase, so one huge order long
 * ago cannot keep a customer on top: M and N saturate
 * below 1 however large the order, while R decays towards 0.  F counts
 * purchase days, not orders: ten orders on one day are one visit.  N counts
 * only what is left after the cost to serve; a customer who costs more than
 * he brings gets N = 0, not a negative part, so the score stays in 0..100.
 * Weights are divided by their largest element before summing, so that huge
 * weights cannot overflow; only their ratios matter.
 *
 * rfm_segment(r, f, m): the R x FM grid with FM = (f + m + 1) / 2, that is
 * round((f + m) / 2) with halves rounded up as numeric round() does.  Each
 * cell lies inside the usual R and FM ranges of its segment (champions R
 * 4-5 FM 4-5; loyal R 2-5 FM 3-5; potential loyalists R 3-5 FM 1-3; new R
 * 4-5 FM 1; promising R 3-4 FM 1; need attention R 2-3 FM 2-3; about to
 * sleep R 2-3 FM 1-2; at risk R 1-2 FM 2-5; can't lose R 1 FM 4-5;
 * hibernating R 1-2 FM 1-2; lost R 1-2 FM 1-2); where those ranges
 * overlap, the grid below picks one so that every cell has one name and
 * every name has a cell.
 *
 * lifecycle(stats, as_of, arrears, ...): the first rule that holds, in the
 * order problem, worthless, new, declining, growing, stable (see
 * crm_lifecycle).  Arrears come first because collecting money is the
 * action that cannot wait; worthless before new because a new customer who
 * already costs more than he brings needs a decision, not a welcome.
 *
 * relationship(stats, responded, as_of, lost_after_days): bought -> the
 * last purchase decides relationship or lost; never bought -> a campaign
 * response decides responsive or potential.
 *
 * segment(satisfaction, volume, cuts...): 'A'..'I', rows high / medium /
 * low satisfaction, columns large / medium / small volume; its strategies
 * are the table segment_strategies[] below.
 *
 * Conventions of this file, chosen for a DBA running these over a whole
 * customer table:
 *	- arguments are checked before the data: a wrong threshold fails on
 *	  every row, not only on the rows that happen to need it;
 *	- NULL data give NULL (a customer without purchases has no score),
 *	  wrong data or wrong arguments give an error with SQLSTATE 22023
 *	  (invalid_parameter_value) and a hint; nothing returns garbage;
 *	- as_of before the last purchase is an error, as in rfm_summary: the
 *	  stats must be computed from the orders up to as_of; infinite dates
 *	  and first_purchase after last_purchase are errors too.
 *
 * Decisions where the specification was silent:
 *	- value_score: a history with no purchase (last_purchase, purchase_days,
 *	  revenue or net_value NULL, or purchase_days 0) has no score (NULL),
 *	  as rfm_summary gives no summary; NaN or infinite money is an error.
 *	- rfm_segment: f and m count equally, so FM is symmetric in them; ties
 *	  in ntile(5) land in neighbouring quintiles arbitrarily, which only
 *	  moves customers between adjacent cells.
 *	- lifecycle: the day boundaries are inclusive where the rule says <=
 *	  (first purchase exactly new_days ago is new; net value equal to
 *	  worthless_at is worthless; trend equal to +-trend_threshold counts)
 *	  and strict where it says > (recency equal to gap_factor times the
 *	  mean gap is not yet declining).  NULL arrears count as 0 (a LEFT
 *	  JOIN that found nothing overdue); any other NULL argument gives NULL
 *	  as a strict function would.  A history without purchase can still be
 *	  problem or worthless (it owes or costs) but is otherwise NULL: the
 *	  lifecycle starts with the first purchase, crm.relationship covers
 *	  the rest.  Unknown trend (several purchase days, no spend) is neither
 *	  growing nor declining.  trend_threshold must be in (0, 1] (trend is in
 *	  [-1, 1]); worthless_at may be '-Infinity' to turn that rule off.
 *	- relationship: "bought" means the stats have a last purchase; a
 *	  purchase outweighs any response; responded NULL counts as no
 *	  response; the last purchase exactly lost_after_days ago is still a
 *	  relationship.
 *	- segment: a value equal to a cut belongs to the higher class; cuts
 *	  must be non-decreasing, and equal cuts (tertiles of tied data) are
 *	  allowed and leave the middle class empty; the cuts are checked even
 *	  when satisfaction or volume is NULL; NaN values are errors.
 *	- segment_strategy: accepts 'a'..'i' as well; NULL gives no row
 *	  (strict); the nine rows live here, in C, so the function is honestly
 *	  IMMUTABLE and the view crm.segment_strategies needs no table (nothing
 *	  for pg_dump to register).  It is C rather than PL/pgSQL because its
 *	  input and output both are named "segment", which PL/pgSQL refuses.
 */
#include "postgres.h"

#if PG_VERSION_NUM >= 160000
#include "varatt.h"			/* VARDATA, VARSIZE: in postgres.h before 16 */
#endif

#include <math.h>

#include "access/htup_details.h"
#include "catalog/pg_enum.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datum.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/numeric.h"
#include "utils/syscache.h"
#include "utils/typcache.h"

#include "util.h"

#define MAX_LABELS 8

/*
 * What a call site looks up once (fn_extra, in fn_mcxt): where the fields
 * are in the row type, and the OIDs of the enum labels the function returns.
 */
typedef struct ValueCache
{
	CrmStatsReader stats;		/* where the fields of crm.purchase_stats are */
	int			nlabels;		/* 0 until labels[] is filled */
	Oid			labels[MAX_LABELS];
} ValueCache;

/* crm.lifecycle_stage, in the order of its labels */
enum
{
	STAGE_NEW,
	STAGE_GROWING,
	STAGE_STABLE,
	STAGE_DECLINING,
	STAGE_PROBLEM,
	STAGE_WORTHLESS,
	STAGE_NLABELS
};
static const char *const stage_labels[STAGE_NLABELS] =
{"new", "growing", "stable", "declining", "problem", "worthless"};

/* crm.relationship_state, in the order of its labels */
enum
{
	REL_POTENTIAL,
	REL_RESPONSIVE,
	REL_RELATIONSHIP,
	REL_LOST,
	REL_NLABELS
};
static const char *const relationship_labels[REL_NLABELS] =
{"potential", "responsive", "relationship", "lost"};

/*
 * The RFM grid, rfm_grid[r - 1][fm - 1].  Rows are recency quintiles (5 =
 * most recent), columns the mean of the frequency and monetary quintiles.
 */
static const char *const rfm_grid[5][5] =
{
	/* R = 1 */ {"lost", "lost", "at risk", "can't lose", "can't lose"},
	/* R = 2 */ {"hibernating", "hibernating", "at risk", "at risk", "at risk"},
	/* R = 3 */ {"about to sleep", "about to sleep", "need attention", "loyal", "loyal"},
	/* R = 4 */ {"promising", "potential loyalists", "potential loyalists", "loyal", "loyal"},
	/* R = 5 */ {"new", "potential loyalists", "potential loyalists", "champions", "champions"}
};

/*
 * The nine satisfaction-by-volume segments (A: high satisfaction and
 * large volume ... I: low and small), in grid order: segment_strategies[3 * satisfaction row + volume column].  Volume
 * decides how we sell, satisfaction how we serve.
 */
typedef struct SegmentStrategy
{
	const char *segment;
	const char *satisfaction;
	const char *volume;
	const char *sales_strategy;
	const char *service_strategy;
	const char *description;
} SegmentStrategy;

#define SALES_LARGE "one-to-one: account manager"
#define SALES_MEDIUM "one-to-many: regional sales rep"
#define SALES_SMALL "through retailers"

static const SegmentStrategy segment_strategies[9] =
{
	{"A", "high", "large", SALES_LARGE, "partner",
	"The most valuable customers: they buy the most and are happy; churn is only 1-2 %. Serve them one-to-one as partners through a named account manager."},
	{"B", "high", "medium", SALES_MEDIUM, "partner",
	"Happy customers of medium volume: partners served one-to-many by the regional sales rep, with a long-term nurturing plan and regular calls, to grow them towards A."},
	{"C", "high", "small", SALES_SMALL, "partner",
	"Happy small buyers, and many of them: served through retailers; keep them satisfied at a low cost to serve."},
	{"D", "medium", "large", SALES_LARGE, "improve",
	"Big buyers only moderately satisfied, often from a misunderstanding: the account manager contacts them often and fixes complaints fast, before a competitor uses the gap."},
	{"E", "medium", "medium", SALES_MEDIUM, "improve",
	"Moderately satisfied customers of medium volume, often from a misunderstanding: the regional sales rep contacts them often and fixes complaints fast."},
	{"F", "medium", "small", SALES_SMALL, "improve",
	"Small buyers, moderately satisfied, often from a misunderstanding: improve the service the retailers give, contact them often and fix complaints fast."},
	{"G", "low", "large", SALES_LARGE, "correct",
	"A time bomb: buys a lot but complains, and will be the first lost to a strong competitor. The account manager finds and corrects the causes now."},
	{"H", "low", "medium", SALES_MEDIUM, "correct",
	"Unhappy customers of medium volume, likely to leave quietly: the regional sales rep finds what they complain about and corrects it, and watches them for churn."},
	{"I", "low", "small", SALES_SMALL, "correct",
	"Small and unhappy: correct the common causes (product, retailer service) for all of them at once through the retailers; single ones get effort only if they could grow."}
};

/* ---------------------------------------------------------------------
 * Helpers
 * ---------------------------------------------------------------------
 */

static ValueCache *
value_cache(FunctionCallInfo fcinfo)
{
	if (fcinfo->flinfo->fn_extra == NULL)
		fcinfo->flinfo->fn_extra = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt,
														  sizeof(ValueCache));
	return (ValueCache *) fcinfo->flinfo->fn_extra;
}

/*
 * The enum value of label number i of the function's result type.  The OIDs
 * are looked up by name once per call site: enum OIDs differ between
 * databases, the labels do not.
 */
static Datum
enum_result(FunctionCallInfo fcinfo, const char *const *labels, int nlabels, int i)
{
	ValueCache *cache = value_cache(fcinfo);

	Assert(nlabels <= MAX_LABELS && i >= 0 && i < nlabels);
	if (cache->nlabels == 0)
	{
		Oid			enumtype = get_func_rettype(fcinfo->flinfo->fn_oid);
		int			j;

		for (j = 0; j < nlabels; j++)
		{
			cache->labels[j] = GetSysCacheOid2(ENUMTYPOIDNAME, Anum_pg_enum_oid,
											   ObjectIdGetDatum(enumtype),
											   CStringGetDatum(labels[j]));
			if (!OidIsValid(cache->labels[j]))
				elog(ERROR, "enum %s has no label \"%s\"", format_type_be(enumtype), labels[j]);
		}
		cache->nlabels = nlabels;
	}
	return ObjectIdGetDatum(cache->labels[i]);
}

/* the crm.purchase_stats argument row, deformed (util.h) */
static void
stats_read(FunctionCallInfo fcinfo, HeapTupleHeader row, CrmStats *stats)
{
	crm_stats_read(row, &value_cache(fcinfo)->stats, stats);
}

static char *
numeric_text(Datum num)
{
	return DatumGetCString(DirectFunctionCall1(numeric_out, num));
}

static bool
numeric_is_finite(Datum num)
{
	Numeric		n = DatumGetNumeric(num);

	return !numeric_is_nan(n) && !numeric_is_inf(n);
}

/* sign of a numeric: -1, 0 or 1 (not for NaN) */
static int
numeric_sign_of(Datum num)
{
	return DatumGetInt32(DirectFunctionCall2(numeric_cmp, num,
											 NumericGetDatum(int64_to_numeric(0))));
}

static int
numeric_compare(Datum a, Datum b)
{
	return DatumGetInt32(DirectFunctionCall2(numeric_cmp, a, b));
}

/* a money field of stats as float8; error for NaN and infinity */
static double
stats_money(const CrmStats *stats, CrmStatsField field, const char *name)
{
	if (!numeric_is_finite(stats->value[field]))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be a finite amount",
						name),
				 errdetail("Given: %s.", numeric_text(stats->value[field])),
				 errhint("Build the stats with crm.purchase_stats(ordered_at, amount [, cost]).")));
	return DatumGetFloat8(DirectFunctionCall1(numeric_float8, stats->value[field]));
}

/* ---------------------------------------------------------------------
 * Value score
 * ---------------------------------------------------------------------
 */

/* a positive finite scale parameter of value_score */
static void
check_half(double value, const char *name, const char *hint)
{
	if (!(value > 0.0) || isinf(value))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be a positive finite number", name),
				 errdetail("Given: %g.", value),
				 errhint("%s", hint)));
}

/*
 * The four weights, divided by the largest one: exactly four finite,
 * non-negative, non-NULL numbers, not all zero.
 */
static void
read_weights(ArrayType *array, double weights[4])
{
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	int			i;
	double		largest = 0.0;
	const char *hint = "Pass four weights for recency, frequency, monetary and net value, e.g. '{0.4,0.2,0.2,0.2}'.";

	if (ARR_NDIM(array) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("weights must be a one-dimensional array"),
				 errdetail("Given: %s.",
						OidOutputFunctionCall(F_ARRAY_OUT, PointerGetDatum(array))),
				 errhint("%s", hint)));
	deconstruct_array(array, FLOAT8OID, sizeof(float8), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE,
					  &elems, &nulls, &n);
	if (n != 4)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("weights must have exactly 4 elements"),
				 errdetail("Given: %d.", n),
				 errhint("%s", hint)));
	for (i = 0; i < 4; i++)
	{
		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("weights must not contain NULL"),
				 errdetail("Given: %s.",
							OidOutputFunctionCall(F_ARRAY_OUT, PointerGetDatum(array))),
					 errhint("%s", hint)));
		weights[i] = DatumGetFloat8(elems[i]);
		if (!(weights[i] >= 0.0) || isinf(weights[i]))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("weights must be finite and non-negative"),
				 errdetail("Given: %s.",
							OidOutputFunctionCall(F_ARRAY_OUT, PointerGetDatum(array))),
					 errhint("%s", hint)));
		largest = Max(largest, weights[i]);
	}
	if (largest == 0.0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("weights must not all be zero"),
				 errhint("%s", hint)));
	for (i = 0; i < 4; i++)
		weights[i] /= largest;
}

/*
 * crm.value_score(stats, as_of, half_life_days, frequency_half,
 * monetary_half, weights) -> float8 in 0..100; the model is in the comment
 * at the top of this file.  NULL for a history without a purchase.
 */
PG_FUNCTION_INFO_V1(crm_value_score);
Datum
crm_value_score(PG_FUNCTION_ARGS)
{
	HeapTupleHeader row = PG_GETARG_HEAPTUPLEHEADER(0);
	DateADT		as_of = PG_GETARG_DATEADT(1);
	double		half_life = PG_GETARG_FLOAT8(2);
	double		frequency_half = PG_GETARG_FLOAT8(3);
	double		monetary_half = PG_GETARG_FLOAT8(4);
	double		w[4];
	CrmStats	stats;
	DateADT		first,
				last;
	bool		has_first;
	int32		purchase_days;
	double		revenue,
				net,
				r,
				f,
				m,
				n,
				score;

	check_half(half_life, "half_life_days",
			   "Pass the number of days without a purchase after which recency counts half, e.g. 180.");
	check_half(frequency_half, "frequency_half",
			   "Pass the number of purchase days at which frequency reaches half, e.g. 3.");
	check_half(monetary_half, "monetary_half",
			   "Pass the revenue at which the monetary part reaches half, in the currency of the stats, e.g. 1000.");
	read_weights(PG_GETARG_ARRAYTYPE_P(5), w);
	crm_check_as_of(as_of);

	stats_read(fcinfo, row, &stats);
	if (!crm_stats_dates(&stats, as_of, &first, &has_first, &last) ||
		stats.isnull[CRM_STATS_PURCHASE_DAYS] || stats.isnull[CRM_STATS_REVENUE] ||
		stats.isnull[CRM_STATS_NET_VALUE])
		PG_RETURN_NULL();
	purchase_days = DatumGetInt32(stats.value[CRM_STATS_PURCHASE_DAYS]);
	if (purchase_days < 1)
		PG_RETURN_NULL();		/* no purchase: no score, as rfm_summary */
	revenue = stats_money(&stats, CRM_STATS_REVENUE, "revenue");
	net = stats_money(&stats, CRM_STATS_NET_VALUE, "net_value");
	if (revenue < 0.0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("revenue must not be negative"),
				 errdetail("Given: %s.",
						numeric_text(stats.value[CRM_STATS_REVENUE])),
				 errhint("Leave refunds out of the orders or net them into their orders before crm.purchase_stats.")));

	r = pow(0.5, (double) ((int64) as_of - last) / half_life);
	f = 1.0 - pow(0.5, purchase_days / frequency_half);
	m = revenue / (revenue + monetary_half);
	n = net > 0.0 ? net / (net + monetary_half) : 0.0;
	score = 100.0 * (w[0] * r + w[1] * f + w[2] * m + w[3] * n) / (w[0] + w[1] + w[2] + w[3]);
	/* rounding must not push a score out of its documented range */
	PG_RETURN_FLOAT8(Min(100.0, Max(0.0, score)));
}

/* ---------------------------------------------------------------------
 * RFM segments
 * ---------------------------------------------------------------------
 */

/*
 * crm.rfm_segment(r, f, m) -> the named segment of quintile scores 1..5 in
 * the R x FM grid rfm_grid.
 */
PG_FUNCTION_INFO_V1(crm_rfm_segment);
Datum
crm_rfm_segment(PG_FUNCTION_ARGS)
{
	int32		r = PG_GETARG_INT32(0);
	int32		f = PG_GETARG_INT32(1);
	int32		m = PG_GETARG_INT32(2);

	if (r < 1 || r > 5 || f < 1 || f > 5 || m < 1 || m > 5)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("scores must be between 1 and 5"),
				 errdetail("Given: r = %d, f = %d, m = %d.", r, f, m),
				 errhint("Score each customer in quintiles with ntile(5) OVER (ORDER BY ...), recency ordered so that the most recent get 5.")));
	PG_RETURN_TEXT_P(cstring_to_text(rfm_grid[r - 1][(f + m + 1) / 2 - 1]));
}

/* ---------------------------------------------------------------------
 * Lifecycle stage
 * ---------------------------------------------------------------------
 */

/*
 * crm.lifecycle(stats, as_of, arrears, new_days, worthless_at,
 * trend_threshold, gap_factor) -> crm.lifecycle_stage, the first of:
 *
 *	problem		arrears > 0 (unpaid past-due amount; NULL counts as 0)
 *	worthless	net_value <= worthless_at
 *	new			as_of - first_purchase <= new_days
 *	declining	one purchase day only; or as_of - last_purchase > 365 days
 *				(crm.relationship's lost) or > gap_factor * mean gap between
 *				purchase days, (last - first) / (days - 1); or trend <=
 *				-trend_threshold
 *	growing		trend >= trend_threshold
 *	stable		otherwise (also when trend is unknown)
 *
 * Not strict, for arrears only: NULL stats, as_of or threshold give NULL as a
 * strict function would (the arguments are still checked first); NULL
 * arrears (a LEFT JOIN that found no overdue order) counts as 0.  A rule that needs a field the stats leave NULL gives
 * NULL: a history without any purchase can be problem or worthless (it costs
 * and never bought) but is otherwise not in the lifecycle at all.
 */
#define LIFECYCLE_SILENT_DAYS 365	/* crm.relationship's lost_after_days */

PG_FUNCTION_INFO_V1(crm_lifecycle);
Datum
crm_lifecycle(PG_FUNCTION_ARGS)
{
	HeapTupleHeader row;
	DateADT		as_of;
	Datum		arrears = (Datum) 0;
	bool		has_arrears = !PG_ARGISNULL(2);
	int32		new_days;
	Datum		worthless_at;
	double		trend_threshold;
	double		gap_factor;
	CrmStats	stats;
	DateADT		first = 0,
				last = 0;
	bool		has_first;
	bool		has_last;
	int32		purchase_days;
	int64		recency;
	int			i;

	/* arguments other than the data: NULL gives NULL, as if strict */
	for (i = 1; i < PG_NARGS(); i++)
		if (i != 2 && PG_ARGISNULL(i))
			PG_RETURN_NULL();
	as_of = PG_GETARG_DATEADT(1);
	new_days = PG_GETARG_INT32(3);
	worthless_at = PG_GETARG_DATUM(4);
	trend_threshold = PG_GETARG_FLOAT8(5);
	gap_factor = PG_GETARG_FLOAT8(6);

	/* the arguments first, so that a wrong one fails on every row */
	if (has_arrears)
	{
		arrears = PG_GETARG_DATUM(2);
		if (!numeric_is_finite(arrears) || numeric_sign_of(arrears) < 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("arrears must be a finite amount of at least 0"),
				 errdetail("Given: %s.",
							numeric_text(arrears)),
					 errhint("Pass the unpaid amount past its due date, sum(amount - amount_paid) FILTER (WHERE due_date < as_of), or 0.")));
	}
	if (new_days < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("new_days must not be negative"),
				 errdetail("Given: %d.", new_days),
				 errhint("Pass the number of days after the first purchase during which a customer is new, e.g. 90.")));
	if (numeric_is_nan(DatumGetNumeric(worthless_at)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("worthless_at must be a number"),
				 errdetail("Given: NaN."),
				 errhint("Pass the net value at or below which a customer is worthless, e.g. 0; '-Infinity' turns the rule off.")));
	if (!(trend_threshold > 0.0 && trend_threshold <= 1.0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("trend_threshold must be greater than 0 and at most 1"),
				 errdetail("Given: %g.", trend_threshold),
				 errhint("trend is in [-1, 1]: with 0.2 a customer grows at trend >= 0.2 and declines at trend <= -0.2.")));
	if (!(gap_factor > 0.0) || isinf(gap_factor))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("gap_factor must be a positive finite number"),
				 errdetail("Given: %g.", gap_factor),
				 errhint("Pass how many of the customer's own mean gaps between purchase days may pass before he is declining, e.g. 2.")));
	crm_check_as_of(as_of);

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();		/* no history at all */
	row = PG_GETARG_HEAPTUPLEHEADER(0);
	stats_read(fcinfo, row, &stats);
	has_last = crm_stats_dates(&stats, as_of, &first, &has_first, &last);
	if (!stats.isnull[CRM_STATS_TREND])
	{
		double		trend = DatumGetFloat8(stats.value[CRM_STATS_TREND]);

		if (!(trend >= -1.0 && trend <= 1.0))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("trend must be between -1 and 1"),
				 errdetail("Given: %g.", trend),
					 errhint("Build the stats with crm.purchase_stats(ordered_at, amount [, cost]).")));
	}

	if (has_arrears && numeric_sign_of(arrears) > 0)
		PG_RETURN_DATUM(enum_result(fcinfo, stage_labels, STAGE_NLABELS, STAGE_PROBLEM));

	if (stats.isnull[CRM_STATS_NET_VALUE])
		PG_RETURN_NULL();
	if (numeric_is_nan(DatumGetNumeric(stats.value[CRM_STATS_NET_VALUE])))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("net_value must be a number"),
				 errdetail("Given: NaN."),
				 errhint("Build the stats with crm.purchase_stats(ordered_at, amount [, cost]).")));
	if (numeric_compare(stats.value[CRM_STATS_NET_VALUE], worthless_at) <= 0)
		PG_RETURN_DATUM(enum_result(fcinfo, stage_labels, STAGE_NLABELS, STAGE_WORTHLESS));

	if (!has_first || !has_last || stats.isnull[CRM_STATS_PURCHASE_DAYS])
		PG_RETURN_NULL();
	purchase_days = DatumGetInt32(stats.value[CRM_STATS_PURCHASE_DAYS]);
	if (purchase_days < 1)
		PG_RETURN_NULL();
	if ((int64) as_of - first <= new_days)
		PG_RETURN_DATUM(enum_result(fcinfo, stage_labels, STAGE_NLABELS, STAGE_NEW));

	/* a one-off buyer past his first days has nothing to grow from */
	if (purchase_days == 1)
		PG_RETURN_DATUM(enum_result(fcinfo, stage_labels, STAGE_NLABELS, STAGE_DECLINING));
	/*
	 * silent for longer than his own rhythm allows, or for over a year
	 * whatever his rhythm (crm.relationship calls him lost then: a customer
	 * who bought twice a year apart is not stable 500 days later)
	 */
	recency = (int64) as_of - last;
	if (recency > LIFECYCLE_SILENT_DAYS ||
		(double) recency > gap_factor * ((double) ((int64) last - first) / (purchase_days - 1)))
		PG_RETURN_DATUM(enum_result(fcinfo, stage_labels, STAGE_NLABELS, STAGE_DECLINING));
	if (!stats.isnull[CRM_STATS_TREND])
	{
		double		trend = DatumGetFloat8(stats.value[CRM_STATS_TREND]);

		if (trend <= -trend_threshold)
			PG_RETURN_DATUM(enum_result(fcinfo, stage_labels, STAGE_NLABELS, STAGE_DECLINING));
		if (trend >= trend_threshold)
			PG_RETURN_DATUM(enum_result(fcinfo, stage_labels, STAGE_NLABELS, STAGE_GROWING));
	}
	PG_RETURN_DATUM(enum_result(fcinfo, stage_labels, STAGE_NLABELS, STAGE_STABLE));
}

/* ---------------------------------------------------------------------
 * Relationship state
 * ---------------------------------------------------------------------
 */

/*
 * crm.relationship(stats, responded, as_of, lost_after_days) ->
 * crm.relationship_state.  A customer bought when stats has a last
 * purchase; NULL stats (no orders at all, from a LEFT JOIN) means never
 * bought.  responded NULL counts as no response.  NULL as_of or
 * lost_after_days give NULL, as a strict function would.
 */
PG_FUNCTION_INFO_V1(crm_relationship);
Datum
crm_relationship(PG_FUNCTION_ARGS)
{
	DateADT		as_of;
	int32		lost_after;
	bool		bought = false;
	DateADT		first,
				last = 0;

	if (PG_ARGISNULL(2) || PG_ARGISNULL(3))
		PG_RETURN_NULL();
	as_of = PG_GETARG_DATEADT(2);
	lost_after = PG_GETARG_INT32(3);
	if (lost_after < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("lost_after_days must not be negative"),
				 errdetail("Given: %d.", lost_after),
				 errhint("Pass the number of days without a purchase after which a customer is lost, e.g. 365.")));
	crm_check_as_of(as_of);

	if (!PG_ARGISNULL(0))
	{
		CrmStats	stats;
		bool		has_first;

		stats_read(fcinfo, PG_GETARG_HEAPTUPLEHEADER(0), &stats);
		bought = crm_stats_dates(&stats, as_of, &first, &has_first, &last);
	}

	if (bought)
		PG_RETURN_DATUM(enum_result(fcinfo, relationship_labels, REL_NLABELS,
									(int64) as_of - last <= lost_after ? REL_RELATIONSHIP : REL_LOST));
	if (!PG_ARGISNULL(1) && PG_GETARG_BOOL(1))
		PG_RETURN_DATUM(enum_result(fcinfo, relationship_labels, REL_NLABELS, REL_RESPONSIVE));
	PG_RETURN_DATUM(enum_result(fcinfo, relationship_labels, REL_NLABELS, REL_POTENTIAL));
}

/* ---------------------------------------------------------------------
 * Satisfaction-by-volume segments
 * ---------------------------------------------------------------------
 */

/*
 * Two cut points from argument argno: a one-dimensional array of exactly
 * two numbers, not NULL, not NaN, in ascending order.  Equal cuts are
 * allowed: tertiles of tied data give them, and the middle class is then
 * simply empty.
 */
static void
read_cuts(FunctionCallInfo fcinfo, int argno, const char *name, const char *hint, Datum cuts[2])
{
	ArrayType  *array;
	Datum	   *elems = NULL;
	bool	   *nulls = NULL;
	int			n;

	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be given", name),
				 errdetail("Given: NULL."),
				 errhint("%s", hint)));
	array = PG_GETARG_ARRAYTYPE_P(argno);
	if (ARR_NDIM(array) > 1)
		n = -1;
	else
		deconstruct_array(array, NUMERICOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
	if (n != 2 || nulls[0] || nulls[1] ||
		numeric_is_nan(DatumGetNumeric(elems[0])) || numeric_is_nan(DatumGetNumeric(elems[1])) ||
		numeric_is_inf(DatumGetNumeric(elems[0])) || numeric_is_inf(DatumGetNumeric(elems[1])) ||
		numeric_compare(elems[0], elems[1]) > 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be 2 finite numbers in ascending order", name),
				 errdetail("Given: %s.",
						OidOutputFunctionCall(F_ARRAY_OUT, PointerGetDatum(array))),
				 errhint("%s", hint)));
	cuts[0] = elems[0];
	cuts[1] = elems[1];
}

/*
 * 0 = high / large, 1 = medium, 2 = low / small.  The value must lie in
 * [low, high] (high NULL: no upper bound): satisfaction is on the 0-10
 * scale of crm.customers.satisfaction, a volume is never negative, and
 * neither is NaN or infinite, so no value falls into a class by accident.
 */
static int
cut_class(Datum value, const Datum cuts[2], const char *name, Datum low, Datum high,
		  const char *hint)
{
	Numeric		num = DatumGetNumeric(value);

	if (numeric_is_nan(num) || numeric_is_inf(num) ||
		numeric_compare(value, low) < 0 ||
		(high != (Datum) 0 && numeric_compare(value, high) > 0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be %s", name,
						high != (Datum) 0 ? "between 0 and 10" : "a finite number of at least 0"),
				 errdetail("Given: %s.",
						DatumGetCString(DirectFunctionCall1(numeric_out, value))),
				 errhint("%s", hint)));
	if (numeric_compare(value, cuts[1]) >= 0)
		return 0;
	if (numeric_compare(value, cuts[0]) >= 0)
		return 1;
	return 2;
}

/*
 * crm.segment(satisfaction, volume, satisfaction_cuts, volume_cuts) ->
 * 'A'..'I'.  Cuts are checked before the values, so a missing volume_cuts
 * fails even on rows with NULL data; NULL satisfaction or volume then give
 * NULL.
 */
/*
 * The checked cut points of one call site, with copies of the two array
 * arguments they came from: the cuts are nearly always constants, and
 * checking them per row cost more than the classification (crm.segment was
 * 1.5 x a nine-branch CASE before; bench/value.sql).
 */
typedef struct SegmentCuts
{
	char	   *bytes[2];		/* VARDATA of the satisfaction and volume cuts */
	Size		len[2];
	Datum		cuts[2][2];		/* numeric copies */
	Datum		zero;			/* numeric 0 and 10: the bounds of the values */
	Datum		ten;
} SegmentCuts;

static SegmentCuts *
segment_cuts(FunctionCallInfo fcinfo)
{
	SegmentCuts *cache = (SegmentCuts *) fcinfo->flinfo->fn_extra;
	Datum		cuts[2][2];
	MemoryContext old;
	int			i,
				j;

	if (cache != NULL && !PG_ARGISNULL(2) && !PG_ARGISNULL(3) &&
		crm_varlena_unchanged(PG_GETARG_DATUM(2), cache->bytes[0], cache->len[0]) &&
		crm_varlena_unchanged(PG_GETARG_DATUM(3), cache->bytes[1], cache->len[1]))
		return cache;
	read_cuts(fcinfo, 2, "satisfaction_cuts",
			  "Pass the {medium, high} cut points of satisfaction, e.g. '{5,8}' on the 0-10 scale of crm.customers.satisfaction.",
			  cuts[0]);
	read_cuts(fcinfo, 3, "volume_cuts",
			  "Pass the {medium, large} cut points of volume, e.g. the tertiles: (SELECT percentile_cont(ARRAY[1/3.0, 2/3.0]) WITHIN GROUP (ORDER BY volume)::numeric[] FROM ...).",
			  cuts[1]);
	old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);
	if (cache == NULL)
	{
		cache = palloc0(sizeof(SegmentCuts));
		cache->zero = NumericGetDatum(int64_to_numeric(0));
		cache->ten = NumericGetDatum(int64_to_numeric(10));
	}
	for (i = 0; i < 2; i++)
	{
		ArrayType  *array = PG_GETARG_ARRAYTYPE_P(2 + i);

		if (cache->bytes[i])
			pfree(cache->bytes[i]);
		cache->len[i] = VARSIZE(array) - VARHDRSZ;
		cache->bytes[i] = palloc(cache->len[i]);
		memcpy(cache->bytes[i], VARDATA(array), cache->len[i]);
		for (j = 0; j < 2; j++)
			cache->cuts[i][j] = datumCopy(cuts[i][j], false, -1);
	}
	MemoryContextSwitchTo(old);
	fcinfo->flinfo->fn_extra = cache;
	return cache;
}

PG_FUNCTION_INFO_V1(crm_segment);
Datum
crm_segment(PG_FUNCTION_ARGS)
{
	SegmentCuts *cache = segment_cuts(fcinfo);
	int			row,
				column;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		PG_RETURN_NULL();

	/* detoasted once here, not in each comparison (a short header is copied) */
	row = cut_class(NumericGetDatum(PG_GETARG_NUMERIC(0)), cache->cuts[0], "satisfaction",
					cache->zero, cache->ten,
					"Satisfaction is a score from 0 (very unhappy) to 10 (very happy), as in crm.customers.satisfaction; pass NULL when unknown.");
	column = cut_class(NumericGetDatum(PG_GETARG_NUMERIC(1)), cache->cuts[1], "volume",
					   cache->zero, (Datum) 0,
					   "Volume is a purchase amount, e.g. the revenue of the last 365 days; leave refunds out or pass NULL when unknown.");
	PG_RETURN_TEXT_P(cstring_to_text(segment_strategies[3 * row + column].segment));
}

/*
 * crm.segment_strategy(segment) -> the row of segment_strategies for 'A' to
 * 'I' (either case); any other text is an error, so that a typo in a report
 * does not silently drop rows.
 */
PG_FUNCTION_INFO_V1(crm_segment_strategy);
Datum
crm_segment_strategy(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char	   *segment = text_to_cstring(PG_GETARG_TEXT_PP(0));
	const SegmentStrategy *s;
	Datum		values[6];
	bool		nulls[6] = {false, false, false, false, false, false};

	if (strlen(segment) != 1 || pg_toupper((unsigned char) segment[0]) < 'A' ||
		pg_toupper((unsigned char) segment[0]) > 'I')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown segment \"%s\"", segment),
				 errhint("Segments are A to I, as crm.segment gives them; crm.segment_strategies lists all nine.")));
	s = &segment_strategies[pg_toupper((unsigned char) segment[0]) - 'A'];

	InitMaterializedSRF(fcinfo, 0);
	values[0] = CStringGetTextDatum(s->segment);
	values[1] = CStringGetTextDatum(s->satisfaction);
	values[2] = CStringGetTextDatum(s->volume);
	values[3] = CStringGetTextDatum(s->sales_strategy);
	values[4] = CStringGetTextDatum(s->service_strategy);
	values[5] = CStringGetTextDatum(s->description);
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	return (Datum) 0;
}
