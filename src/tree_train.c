/*
 * tree_train.c: crm.tree_train -- CART training (Breiman, Friedman, Olshen &
 * Stone 1984) in C over the rows of a table, view or query read with SPI.
 *
 * The algorithm, with rpart's defaults:
 *
 * 1. Read every row once (a cursor, 10,000 rows a fetch).  Continuous
 *    features are stored as double, then coded into at most `bins` bins
 *    (default 256) whose edges are quantiles of the distinct values (bins = 0,
 *    or fewer distinct values than bins: one bin per distinct value, exact
 *    CART).  Categorical features and the target are coded as level indexes,
 *    levels sorted in byte order.  Memory: 4 bytes per row per feature (the
 *    code) plus 8 bytes per continuous value while binning, plus 16 bytes per
 *    row (class, weight, row index); 1,000,000 rows x 10 features is about
 *    60 MB, freed when training ends.
 * 2. Grow depth first.  At a node, each feature's class-weight histogram over
 *    its bins (or levels) is built in one pass over the node's rows; every
 *    boundary between non-empty bins is a candidate threshold (the midpoint
 *    of the values on both sides, as scikit-learn takes it).  A categorical
 *    feature's levels are ordered by the share of the positive class and
 *    scanned the same way: for a two-class target this finds the best of all
 *    2^(L-1) subsets (Breiman et al. 1984, theorem 4.5; exact for Gini and
 *    entropy).  For more classes the levels are ordered by each class's share
 *    in turn and the best of those scans is taken (a heuristic).
 *    The split with the least weighted impurity of the children wins; ties
 *    go to the first feature (column order) and the lowest threshold.
 * 3. NULL (and NaN) values: a learned default direction per split.  Rows with
 *    a NULL in the split's feature are tried on both sides and go to the
 *    better one (as XGBoost does); when a node saw no NULL, the default is
 *    the child with more training rows.  Scoring sends NULL and category
 *    levels the model never saw the default way.
 * 4. Stop at max_depth (30), fewer than min_samples_split rows (20), children
 *    under min_samples_leaf rows (7), a pure node, or no impurity decrease.
 * 5. Cost-complexity pruning with rpart's cp (0.01): the smallest subtree
 *    minimizing R(T) + alpha |leaves(T)|, R = misclassified weight, alpha =
 *    cp x R(root).  A node with R(t) <= alpha is not split at all (pruning
 *    would remove it anyway), which keeps the grown tree small.
 *
 * Same rows and options give the same tree: the codes do not depend on row
 * order, and histogram sums of integer weights are exact.
 */
#include "postgres.h"

#if PG_VERSION_NUM >= 160000
#include "varatt.h"			/* VARDATA, VARSIZE: in postgres.h before 16 */
#endif

#include <math.h>

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/numeric.h"
#include "utils/portal.h"
#include "utils/timestamp.h"

#include "tree.h"

#define OPT_HINT "Options are a JSON object with keys criterion, max_depth, min_samples_split, min_samples_leaf, cp, bins, class_weight, weight, features, exclude, positive (see the README)."

typedef struct TrainOptions
{
	int			criterion;
	int			max_depth;
	int			min_split;
	int			min_leaf;
	double		cp;
	int			bins;
	char	   *weight_col;
	char	  **features;		/* NULL: every other column */
	int			n_features;
	char	  **exclude;
	int			n_exclude;
	char	   *positive;
	bool		balanced;
	Jsonb	   *class_weight;	/* object label -> weight, or NULL */
} TrainOptions;

/* a string -> code table that grows (levels of a feature, target classes) */
typedef struct StrTable
{
	int			n;
	int			cap;
	char	  **s;
	int		   *len;
	int			size;			/* slots, power of two */
	int32	   *slot;
} StrTable;

typedef struct Column
{
	char	   *name;
	int			attno;			/* 0-based in the cursor's tuple */
	Oid			type;			/* base type */
	int			kind;
	/* continuous */
	double	   *vals;
	int			n_bins;
	double	   *upper;			/* per bin: largest value in it */
	double	   *lower;			/* per bin: smallest value in it */
	/* categorical */
	StrTable	levels;
	int		   *remap;			/* first-seen code -> sorted level index */
	/* both: the code per row, -1 for NULL */
	int32	   *code;
	bool		nulls;			/* a NULL (or NaN) was seen */
} Column;

typedef struct GrowNode
{
	int			feature;
	double		threshold;
	bool		null_left;
	bool	   *left_levels;
	int			left;
	int			right;
	int64		samples;
	double	   *counts;
	double		risk;
	bool		collapse;
} GrowNode;

typedef struct Trainer
{
	MemoryContext cxt;
	TrainOptions opt;
	int			n_cols;
	Column	   *cols;
	int			n_classes;
	StrTable	classes;
	int		   *class_remap;
	int			positive;
	int64		n;				/* rows kept */
	int64		cap;
	int32	   *y;
	double	   *w;
	int64		skipped;
	int32	   *idx;
	int32	   *tmp;
	double	   *hist;			/* workspace: (max bins + 1) x (classes + 1) */
	int			max_bins;
	GrowNode   *nodes;
	int			n_nodes;
	int			nodes_cap;
	double		alpha;
	TimestampTz last_notice;
} Trainer;

/* ------------------------------------------------------------------------ */

static void
str_table_init(StrTable *t)
{
	t->n = 0;
	t->cap = 16;
	t->s = palloc(sizeof(char *) * t->cap);
	t->len = palloc(sizeof(int) * t->cap);
	t->size = 64;
	t->slot = palloc(sizeof(int32) * t->size);
	memset(t->slot, -1, sizeof(int32) * t->size);
}

static int32
str_table_code(StrTable *t, const char *s, int len)
{
	uint32		h = hash_bytes((const unsigned char *) s, len);
	uint32		pos = h & (t->size - 1);

	while (t->slot[pos] >= 0)
	{
		int32		c = t->slot[pos];

		if (t->len[c] == len && memcmp(t->s[c], s, len) == 0)
			return c;
		pos = (pos + 1) & (t->size - 1);
	}
	if (t->n >= CRM_TREE_MAX_LEVELS)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("more than %d distinct values in a categorical column", CRM_TREE_MAX_LEVELS),
				 errhint("Leave identifiers and free text out with the option \"exclude\", or bucket the column first.")));
	if (t->n == t->cap)
	{
		t->cap *= 2;
		t->s = repalloc(t->s, sizeof(char *) * t->cap);
		t->len = repalloc(t->len, sizeof(int) * t->cap);
	}
	t->s[t->n] = pnstrdup(s, len);
	t->len[t->n] = len;
	t->slot[pos] = t->n;
	t->n++;
	if (t->n * 2 > t->size)
	{
		int			i;

		t->size *= 2;
		t->slot = repalloc(t->slot, sizeof(int32) * t->size);
		memset(t->slot, -1, sizeof(int32) * t->size);
		for (i = 0; i < t->n; i++)
		{
			pos = hash_bytes((const unsigned char *) t->s[i], t->len[i]) & (t->size - 1);
			while (t->slot[pos] >= 0)
				pos = (pos + 1) & (t->size - 1);
			t->slot[pos] = i;
		}
	}
	return t->n - 1;
}

static const char *sort_strings_base;
static const int *sort_strings_len;

static int
cmp_code_by_string(const void *a, const void *b)
{
	int			x = *(const int *) a,
				y = *(const int *) b;
	const char **s = (const char **) sort_strings_base;
	int			lx = sort_strings_len[x],
				ly = sort_strings_len[y];
	int			r = memcmp(s[x], s[y], Min(lx, ly));

	if (r != 0)
		return r;
	return lx < ly ? -1 : lx > ly;
}

/* sort a table's strings in byte order; remap[first-seen code] = sorted index */
static int *
str_table_sort(StrTable *t, char ***sorted)
{
	int		   *order = palloc(sizeof(int) * Max(t->n, 1));
	int		   *remap = palloc(sizeof(int) * Max(t->n, 1));
	int			i;

	for (i = 0; i < t->n; i++)
		order[i] = i;
	sort_strings_base = (const char *) t->s;
	sort_strings_len = t->len;
	qsort(order, t->n, sizeof(int), cmp_code_by_string);
	*sorted = palloc(sizeof(char *) * Max(t->n, 1));
	for (i = 0; i < t->n; i++)
	{
		remap[order[i]] = i;
		(*sorted)[i] = t->s[order[i]];
	}
	return remap;
}

/* ------------------------------------------------------------------------
 * Options
 * ------------------------------------------------------------------------ */

static void
opt_error(const char *msg, const char *key)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("option \"%s\" %s", key, msg),
			 errhint(OPT_HINT)));
}

static double
opt_number(JsonbValue *v, const char *key, double lo, double hi, bool integer)
{
	double		d;

	if (v->type != jbvNumeric)
		opt_error("must be a number", key);
	d = DatumGetFloat8(DirectFunctionCall1(numeric_float8, NumericGetDatum(v->val.numeric)));
	if (!isfinite(d) || d < lo || d > hi || (integer && d != floor(d)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("option \"%s\" is %s, must be %s from %.15g to %.15g", key,
						numeric_normalize(v->val.numeric), integer ? "an integer" : "a number", lo, hi),
				 errhint(OPT_HINT)));
	return d;
}

static char *
opt_string(JsonbValue *v, const char *key)
{
	if (v->type != jbvString)
		opt_error("must be a string", key);
	return pnstrdup(v->val.string.val, v->val.string.len);
}

static char **
opt_string_array(JsonbValue *v, const char *key, int *n)
{
	JsonbContainer *c;
	char	  **out;
	int			i;

	if (v->type != jbvBinary || !JsonContainerIsArray(v->val.binary.data))
		opt_error("must be an array of column names", key);
	c = v->val.binary.data;
	*n = JsonContainerSize(c);
	out = palloc(sizeof(char *) * Max(*n, 1));
	for (i = 0; i < *n; i++)
		out[i] = opt_string(getIthJsonbValueFromContainer(c, i), key);
	return out;
}

static void
parse_options(Jsonb *jb, TrainOptions *o)
{
	JsonbIterator *it;
	JsonbValue	k,
				v;
	JsonbIteratorToken tok;

	o->criterion = CRM_TREE_GINI;
	o->max_depth = 30;
	o->min_split = 20;
	o->min_leaf = 7;
	o->cp = 0.01;
	o->bins = 256;
	if (!JsonContainerIsObject(&jb->root))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("options must be a JSON object"),
				 errhint(OPT_HINT)));
	it = JsonbIteratorInit(&jb->root);
	while ((tok = JsonbIteratorNext(&it, &k, true)) != WJB_DONE)
	{
		char	   *key;

		if (tok != WJB_KEY)
			continue;
		key = pnstrdup(k.val.string.val, k.val.string.len);
		tok = JsonbIteratorNext(&it, &v, true);
		if (strcmp(key, "criterion") == 0)
		{
			char	   *s = opt_string(&v, key);

			if (strcmp(s, "gini") == 0)
				o->criterion = CRM_TREE_GINI;
			else if (strcmp(s, "entropy") == 0)
				o->criterion = CRM_TREE_ENTROPY;
			else
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("option \"criterion\" is \"%s\", must be \"gini\" or \"entropy\"", s),
						 errhint(OPT_HINT)));
		}
		else if (strcmp(key, "max_depth") == 0)
			o->max_depth = opt_number(&v, key, 1, 100, true);
		else if (strcmp(key, "min_samples_split") == 0)
			o->min_split = opt_number(&v, key, 2, PG_INT32_MAX, true);
		else if (strcmp(key, "min_samples_leaf") == 0)
			o->min_leaf = opt_number(&v, key, 1, PG_INT32_MAX, true);
		else if (strcmp(key, "cp") == 0)
			o->cp = opt_number(&v, key, 0, 1, false);
		else if (strcmp(key, "bins") == 0)
			o->bins = opt_number(&v, key, 0, 65536, true);
		else if (strcmp(key, "weight") == 0)
			o->weight_col = opt_string(&v, key);
		else if (strcmp(key, "positive") == 0)
			o->positive = opt_string(&v, key);
		else if (strcmp(key, "features") == 0)
			o->features = opt_string_array(&v, key, &o->n_features);
		else if (strcmp(key, "exclude") == 0)
			o->exclude = opt_string_array(&v, key, &o->n_exclude);
		else if (strcmp(key, "class_weight") == 0)
		{
			if (v.type == jbvString && v.val.string.len == 8 &&
				memcmp(v.val.string.val, "balanced", 8) == 0)
				o->balanced = true;
			else if (v.type == jbvBinary && JsonContainerIsObject(v.val.binary.data))
				o->class_weight = JsonbValueToJsonb(&v);
			else
				opt_error("must be \"balanced\" or an object of class label: weight", key);
		}
		else
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("unknown option \"%s\"", key),
					 errhint(OPT_HINT)));
	}
	if (o->bins == 1)
		opt_error("must be 0 (exact) or at least 2", "bins");
}

/* ------------------------------------------------------------------------
 * Reading
 * ------------------------------------------------------------------------ */

static bool
is_query(const char *s)
{
	static const char *const words[] = {"select", "with", "values", "table", NULL};
	const char *const *w;

	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r' || *s == '(')
		s++;
	for (w = words; *w; w++)
	{
		size_t		l = strlen(*w);

		if (pg_strncasecmp(s, *w, l) == 0 && !(isalnum((unsigned char) s[l]) || s[l] == '_'))
			return true;
	}
	return false;
}

static bool
in_list(char **list, int n, const char *name)
{
	int			i;

	for (i = 0; i < n; i++)
		if (strcmp(list[i], name) == 0)
			return true;
	return false;
}

static int
find_column(TupleDesc desc, const char *name)
{
	int			a;

	for (a = 0; a < desc->natts; a++)
		if (!TupleDescAttr(desc, a)->attisdropped && strcmp(NameStr(TupleDescAttr(desc, a)->attname), name) == 0)
			return a;
	return -1;
}

static void
missing_column(const char *name, const char *what)
{
	ereport(ERROR,
			(errcode(ERRCODE_UNDEFINED_COLUMN),
			 errmsg("%s column \"%s\" is not a column of the source", what, name),
			 errhint("Column names are matched exactly (case-sensitive); check the source's columns.")));
}

/* The text of a categorical or target value, as value::text gives it. */
static char *
value_text(Datum d, Oid type, int *len, Oid outfunc)
{
	if (type == BOOLOID)
	{
		*len = DatumGetBool(d) ? 4 : 5;
		return DatumGetBool(d) ? "true" : "false";
	}
	if (type == TEXTOID || type == VARCHAROID || type == BPCHAROID)
	{
		text	   *t = pg_detoast_datum_packed((text *) DatumGetPointer(d));
		int			l = VARSIZE_ANY_EXHDR(t);

		if (type == BPCHAROID)
			while (l > 0 && VARDATA_ANY(t)[l - 1] == ' ')
				l--;
		*len = l;
		return VARDATA_ANY(t);
	}
	{
		char	   *s = OidOutputFunctionCall(outfunc, d);

		*len = strlen(s);
		return s;
	}
}

static void
maybe_notice(Trainer *tr, const char *what, int64 n)
{
	TimestampTz now = GetCurrentTimestamp();

	if (TimestampDifferenceExceeds(tr->last_notice, now, 5000))
	{
		ereport(NOTICE, (errmsg("crm.tree_train: %s " INT64_FORMAT, what, n)));
		tr->last_notice = now;
	}
}

/* Read the source: resolve columns, code categorical values, store rows. */
static void
read_source(Trainer *tr, const char *source, const char *target)
{
	char	   *sql;
	SPIPlanPtr	plan;
	Portal		portal;
	TupleDesc	desc;
	int			target_att,
				weight_att = -1,
				a,
				c;
	Oid			target_type,
				target_out;
	bool		target_varlena;
	Datum	   *values;
	bool	   *nulls;
	MemoryContext old;

	if (is_query(source))
		sql = pstrdup(source);
	else if (strpbrk(source, " \t\n\r") != NULL && strchr(source, '"') == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("source \"%s\" is neither a table or view name nor a query", source),
				 errhint("Pass a table or view name (optionally schema-qualified) or a query starting with SELECT, WITH, VALUES or TABLE.")));
	else
	{
		Oid			relid = DatumGetObjectId(DirectFunctionCall1(regclassin, CStringGetDatum(source)));
		char	   *nsp = get_namespace_name(get_rel_namespace(relid));

		sql = psprintf("SELECT * FROM %s", quote_qualified_identifier(nsp, get_rel_name(relid)));
	}

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	plan = SPI_prepare(sql, 0, NULL);
	if (plan == NULL)
		elog(ERROR, "SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
	if (!SPI_is_cursor_plan(plan))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("source \"%s\" does not return rows", source),
				 errhint("Pass a table or view name or a SELECT query.")));
	portal = SPI_cursor_open(NULL, plan, NULL, NULL, true);
	desc = portal->tupDesc;

	old = MemoryContextSwitchTo(tr->cxt);
	target_att = find_column(desc, target);
	if (target_att < 0)
		missing_column(target, "target");
	target_type = getBaseType(TupleDescAttr(desc, target_att)->atttypid);
	getTypeOutputInfo(target_type, &target_out, &target_varlena);
	if (tr->opt.weight_col)
	{
		weight_att = find_column(desc, tr->opt.weight_col);
		if (weight_att < 0)
			missing_column(tr->opt.weight_col, "weight");
		/* a weight is a number, as a continuous feature is */
		if (crm_tree_feature_kind(getBaseType(TupleDescAttr(desc, weight_att)->atttypid)) != CRM_FEATURE_CONTINUOUS)
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("weight column \"%s\" is not a number", tr->opt.weight_col),
					 errdetail("The column is of type %s.",
							   format_type_be(TupleDescAttr(desc, weight_att)->atttypid)),
					 errhint("Use a numeric column of non-negative weights.")));
	}
	for (a = 0; a < tr->opt.n_features; a++)
		if (find_column(desc, tr->opt.features[a]) < 0)
			missing_column(tr->opt.features[a], "feature");
	for (a = 0; a < tr->opt.n_exclude; a++)
		if (find_column(desc, tr->opt.exclude[a]) < 0)
			missing_column(tr->opt.exclude[a], "excluded");

	tr->cols = palloc0(sizeof(Column) * (desc->natts + 1));
	tr->n_cols = 0;
	for (a = 0; a < desc->natts; a++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, a);
		const char *name = NameStr(att->attname);
		Column	   *col;
		Oid			type;

		if (att->attisdropped || a == target_att || a == weight_att)
			continue;
		if (tr->opt.features ? !in_list(tr->opt.features, tr->opt.n_features, name)
			: in_list(tr->opt.exclude, tr->opt.n_exclude, name))
			continue;
		if (tr->n_cols >= CRM_TREE_MAX_FEATURES)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("too many features: at most %d are supported", CRM_TREE_MAX_FEATURES),
					 errhint("Choose the columns with the option \"features\" or leave some out with \"exclude\".")));
		col = &tr->cols[tr->n_cols++];
		col->name = pstrdup(name);
		col->attno = a;
		type = getBaseType(att->atttypid);
		col->type = type;
		col->kind = crm_tree_feature_kind(type);
		if (col->kind < 0)
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("column \"%s\" cannot be a feature", name),
					 errdetail("The column is of type %s.", format_type_be(att->atttypid)),
					 errhint("Features are numbers (continuous) or boolean, text, varchar, char, name or enum (categorical); leave the column out with the option \"exclude\" or cast it in a query.")));
		if (col->kind == CRM_FEATURE_CATEGORICAL)
			str_table_init(&col->levels);
	}
	str_table_init(&tr->classes);
	tr->cap = 65536;
	tr->y = MemoryContextAllocHuge(tr->cxt, sizeof(int32) * tr->cap);
	tr->w = MemoryContextAllocHuge(tr->cxt, sizeof(double) * tr->cap);
	for (c = 0; c < tr->n_cols; c++)
	{
		if (tr->cols[c].kind == CRM_FEATURE_CONTINUOUS)
			tr->cols[c].vals = MemoryContextAllocHuge(tr->cxt, sizeof(double) * tr->cap);
		tr->cols[c].code = MemoryContextAllocHuge(tr->cxt, sizeof(int32) * tr->cap);
	}
	values = palloc(sizeof(Datum) * desc->natts);
	nulls = palloc(sizeof(bool) * desc->natts);
	MemoryContextSwitchTo(old);

	for (;;)
	{
		uint64		r;

		SPI_cursor_fetch(portal, true, 10000);
		if (SPI_processed == 0)
			break;
		old = MemoryContextSwitchTo(tr->cxt);
		for (r = 0; r < SPI_processed; r++)
		{
			HeapTuple	tup = SPI_tuptable->vals[r];
			double		weight = 1.0;
			int			len;
			char	   *s;
			int64		i = tr->n;

			heap_deform_tuple(tup, desc, values, nulls);
			if (nulls[target_att])
			{
				tr->skipped++;
				continue;
			}
			if (weight_att >= 0)
			{
				if (nulls[weight_att])
				{
					tr->skipped++;
					continue;
				}
				weight = crm_tree_feature_number(values[weight_att], getBaseType(TupleDescAttr(desc, weight_att)->atttypid));
				if (!isfinite(weight) || weight < 0)
					ereport(ERROR,
							(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							 errmsg("weight %g in column \"%s\" is not a finite non-negative number", weight, tr->opt.weight_col),
							 errhint("Weights must be >= 0; rows of weight 0 are skipped.")));
				if (weight == 0)
				{
					tr->skipped++;
					continue;
				}
			}
			if (tr->n >= PG_INT32_MAX - 1)
				ereport(ERROR,
						(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
						 errmsg("crm.tree_train reads at most %d rows", PG_INT32_MAX - 1),
						 errhint("Train on a sample, e.g. a query with TABLESAMPLE or WHERE random() < 0.1.")));
			if (tr->n == tr->cap)
			{
				tr->cap *= 2;
				tr->y = repalloc_huge(tr->y, sizeof(int32) * tr->cap);
				tr->w = repalloc_huge(tr->w, sizeof(double) * tr->cap);
				for (c = 0; c < tr->n_cols; c++)
				{
					if (tr->cols[c].kind == CRM_FEATURE_CONTINUOUS)
						tr->cols[c].vals = repalloc_huge(tr->cols[c].vals, sizeof(double) * tr->cap);
					tr->cols[c].code = repalloc_huge(tr->cols[c].code, sizeof(int32) * tr->cap);
				}
			}
			s = value_text(values[target_att], target_type, &len, target_out);
			tr->y[i] = str_table_code(&tr->classes, s, len);
			tr->w[i] = weight;
			for (c = 0; c < tr->n_cols; c++)
			{
				Column	   *col = &tr->cols[c];
				int			att = col->attno;

				if (col->kind == CRM_FEATURE_CONTINUOUS)
				{
					double		x = nulls[att] ? NAN : crm_tree_feature_number(values[att], col->type);

					if (isinf(x))
						ereport(ERROR,
								(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
								 errmsg("column \"%s\" has the value %s", col->name, x > 0 ? "Infinity" : "-Infinity"),
								 errhint("Filter or replace infinite values in a query; NULL and NaN are treated as missing.")));
					col->vals[i] = x;
				}
				else if (nulls[att])
				{
					col->code[i] = -1;
					col->nulls = true;
				}
				else
				{
					Oid			out = InvalidOid;
					bool		isvarlena;

					if (col->type != BOOLOID && col->type != TEXTOID && col->type != VARCHAROID && col->type != BPCHAROID)
						getTypeOutputInfo(col->type, &out, &isvarlena);
					s = value_text(values[att], col->type, &len, out);
					col->code[i] = str_table_code(&col->levels, s, len);
				}
			}
			tr->n++;
		}
		MemoryContextSwitchTo(old);
		SPI_freetuptable(SPI_tuptable);
		CHECK_FOR_INTERRUPTS();
		maybe_notice(tr, "rows read:", tr->n);
	}
	SPI_cursor_close(portal);
	SPI_finish();
}

/* ------------------------------------------------------------------------
 * Coding
 * ------------------------------------------------------------------------ */

static int
cmp_double(const void *a, const void *b)
{
	double		x = *(const double *) a,
				y = *(const double *) b;

	return x < y ? -1 : x > y;
}

/* midpoint threshold between two adjacent values, as scikit-learn takes it */
static double
midpoint(double lo, double hi)
{
	double		t = lo / 2.0 + hi / 2.0;

	if (t == hi || !isfinite(t))
		t = lo;
	return t;
}

/*
 * Bin a continuous column: codes 0..n_bins-1 by quantile edges of its values
 * (one bin per distinct value when there are at most `bins` or bins = 0).
 */
static void
bin_column(Trainer *tr, Column *col)
{
	int64		n = tr->n,
				m = 0,
				d = 0,
				i;
	double	   *sorted = MemoryContextAllocHuge(tr->cxt, sizeof(double) * Max(n, 1));
	double	   *edge;			/* upper edges of the bins but the last */
	int			n_edges = 0,
				b;

	for (i = 0; i < n; i++)
		if (!isnan(col->vals[i]))
			sorted[m++] = col->vals[i];
	qsort(sorted, m, sizeof(double), cmp_double);
	/* distinct values, in place */
	for (i = 0; i < m; i++)
		if (d == 0 || sorted[i] != sorted[d - 1])
			sorted[d++] = sorted[i];
	edge = palloc(sizeof(double) * Max(d, 1));
	if (tr->opt.bins == 0 || d <= tr->opt.bins)
	{
		for (i = 0; i + 1 < d; i++)
			edge[n_edges++] = sorted[i];
	}
	else
	{
		/* quantiles of the values (with multiplicity) as upper edges */
		double	   *all = MemoryContextAllocHuge(tr->cxt, sizeof(double) * Max(m, 1));
		int64		k = 0;

		for (i = 0; i < n; i++)
			if (!isnan(col->vals[i]))
				all[k++] = col->vals[i];
		qsort(all, m, sizeof(double), cmp_double);
		for (b = 1; b < tr->opt.bins; b++)
		{
			double		v = all[(int64) ((double) b * m / tr->opt.bins)];

			if (v >= sorted[d - 1])
				break;
			if (n_edges == 0 || v > edge[n_edges - 1])
				edge[n_edges++] = v;
		}
		pfree(all);
	}
	col->n_bins = n_edges + 1;
	col->upper = palloc(sizeof(double) * col->n_bins);
	col->lower = palloc(sizeof(double) * col->n_bins);
	/* per bin: its smallest and largest distinct value */
	{
		int64		j = 0;

		for (b = 0; b < col->n_bins; b++)
		{
			col->lower[b] = d > 0 ? sorted[Min(j, d - 1)] : 0.0;
			while (j < d && (b == n_edges || sorted[j] <= edge[b]))
				j++;
			col->upper[b] = d > 0 ? sorted[Max(j - 1, 0)] : 0.0;
		}
	}
	for (i = 0; i < n; i++)
	{
		double		x = col->vals[i];
		int			lo = 0,
					hi = n_edges;

		if (isnan(x))
		{
			col->code[i] = -1;
			col->nulls = true;
			continue;
		}
		/* number of edges < x */
		while (lo < hi)
		{
			int			mid = (lo + hi) / 2;

			if (edge[mid] < x)
				lo = mid + 1;
			else
				hi = mid;
		}
		col->code[i] = lo;
	}
	pfree(sorted);
	pfree(edge);
	pfree(col->vals);
	col->vals = NULL;
}

/* ------------------------------------------------------------------------
 * Growing
 * ------------------------------------------------------------------------ */

typedef struct Split
{
	bool		found;
	double		score;			/* weighted impurity of the children: lower is better */
	int			feature;
	double		threshold;
	int			bin;			/* continuous: last bin going left */
	bool		null_left;
	bool	   *left_levels;	/* categorical */
} Split;

static double
children_score(Trainer *tr, const double *l, const double *r, double wl, double wr)
{
	return wl * crm_tree_impurity(tr->opt.criterion, l, tr->n_classes, wl) +
		wr * crm_tree_impurity(tr->opt.criterion, r, tr->n_classes, wr);
}

/*
 * Evaluate the boundaries of a sequence of bins (in the order given) with the
 * NULL bin on either side.  H(b) is the histogram row of the b-th bin in the
 * sequence: K class weights then the row count.  Returns the best position
 * (bins 0..pos go left) in *pos, NULL side in *null_left.
 */
static bool
scan_sequence(Trainer *tr, const double *hist, const int *seq, int n_seq,
			  const double *nullrow, const double *total, double *best_score,
			  int *best_pos, bool *best_null_left)
{
	int			K = tr->n_classes,
				j,
				k,
				s;
	double	   *left = palloc(sizeof(double) * (K + 1));
	double	   *l2 = palloc(sizeof(double) * (K + 1));
	double	   *r2 = palloc(sizeof(double) * (K + 1));
	bool		found = false;
	double		tol = 1e-12 * Max(total[K], 1.0);

	memset(left, 0, sizeof(double) * (K + 1));
	for (j = 0; j + 1 < n_seq; j++)
	{
		const double *row = hist + (Size) seq[j] * (K + 1);

		for (k = 0; k <= K; k++)
			left[k] += row[k];
		for (s = 0; s < 2; s++)
		{
			bool		nl = s == 0;
			double		wl = 0.0,
						wr = 0.0,
						score;

			if (nullrow[K] == 0 && s == 1)
				break;
			for (k = 0; k <= K; k++)
			{
				l2[k] = left[k] + (nl ? nullrow[k] : 0.0);
				r2[k] = total[k] - l2[k];
			}
			if (l2[K] < tr->opt.min_leaf || r2[K] < tr->opt.min_leaf)
				continue;
			for (k = 0; k < K; k++)
			{
				wl += l2[k];
				wr += r2[k];
			}
			if (wl <= 0 || wr <= 0)
				continue;
			score = children_score(tr, l2, r2, wl, wr);
			if (score < *best_score - tol)
			{
				*best_score = score;
				*best_pos = j;
				/* no NULL at this node: NULL follows the larger child */
				*best_null_left = nullrow[K] > 0 ? nl : l2[K] >= r2[K];
				found = true;
			}
		}
	}
	pfree(left);
	pfree(l2);
	pfree(r2);
	return found;
}

static const double *sort_rate_hist;
static int	sort_rate_class;
static int	sort_rate_K;

static int
cmp_level_rate(const void *a, const void *b)
{
	int			x = *(const int *) a,
				y = *(const int *) b;
	const double *rx = sort_rate_hist + (Size) x * (sort_rate_K + 1);
	const double *ry = sort_rate_hist + (Size) y * (sort_rate_K + 1);
	double		wx = 0,
				wy = 0,
				px,
				py;
	int			k;

	for (k = 0; k < sort_rate_K; k++)
	{
		wx += rx[k];
		wy += ry[k];
	}
	px = rx[sort_rate_class] / wx;
	py = ry[sort_rate_class] / wy;
	if (px != py)
		return px < py ? -1 : 1;
	return x < y ? -1 : x > y;
}

/* Best split of the rows idx[start..end) (node totals in total[K+1]). */
static void
find_split(Trainer *tr, int64 start, int64 end, const double *total, Split *best)
{
	int			K = tr->n_classes,
				f;
	int		   *seq = palloc(sizeof(int) * (tr->max_bins + 1));

	best->found = false;
	{
		double		wtot = 0.0;
		int			k;

		for (k = 0; k < K; k++)
			wtot += total[k];
		/* a split must lower the impurity: start from the parent's */
		best->score = wtot * crm_tree_impurity(tr->opt.criterion, total, K, wtot);
	}
	for (f = 0; f < tr->n_cols; f++)
	{
		Column	   *col = &tr->cols[f];
		int			nb = col->kind == CRM_FEATURE_CONTINUOUS ? col->n_bins : col->levels.n;
		double	   *hist = tr->hist;
		double	   *nullrow = hist + (Size) nb * (K + 1);
		int64		i;
		int			b,
					n_seq = 0,
					pos = -1;
		bool		nl = true;

		memset(hist, 0, sizeof(double) * (nb + 1) * (K + 1));
		for (i = start; i < end; i++)
		{
			int32		r = tr->idx[i];
			int32		code = col->code[r];
			double	   *row = code < 0 ? nullrow : hist + (Size) code * (K + 1);

			row[tr->y[r]] += tr->w[r];
			row[K] += 1.0;
		}
		for (b = 0; b < nb; b++)
			if (hist[(Size) b * (K + 1) + K] > 0)
				seq[n_seq++] = b;
		if (n_seq < 2)
			continue;
		if (col->kind == CRM_FEATURE_CONTINUOUS)
		{
			if (scan_sequence(tr, hist, seq, n_seq, nullrow, total, &best->score, &pos, &nl))
			{
				best->found = true;
				best->feature = f;
				best->bin = seq[pos];
				best->threshold = midpoint(col->upper[seq[pos]], col->lower[seq[pos + 1]]);
				best->null_left = nl;
			}
		}
		else
		{
			int			c,
						n_orders = K == 2 ? 1 : K;

			for (c = 0; c < n_orders; c++)
			{
				int			order_class = K == 2 ? 1 : c;

				/* order by the share of a class: for two classes, of class 1 */
				sort_rate_hist = hist;
				sort_rate_class = order_class;
				sort_rate_K = K;
				qsort(seq, n_seq, sizeof(int), cmp_level_rate);
				if (scan_sequence(tr, hist, seq, n_seq, nullrow, total, &best->score, &pos, &nl))
				{
					int			j;

					best->found = true;
					best->feature = f;
					best->null_left = nl;
					best->left_levels = MemoryContextAllocZero(tr->cxt, sizeof(bool) * (nb + 1));
					/* levels without rows here go the default way, like unknown ones */
					if (nl)
						for (b = 0; b < nb; b++)
							best->left_levels[b] = hist[(Size) b * (K + 1) + K] == 0;
					for (j = 0; j <= pos; j++)
						best->left_levels[seq[j]] = true;
				}
			}
		}
	}
	pfree(seq);
}

static int
new_node(Trainer *tr, int64 start, int64 end, double *total)
{
	GrowNode   *g;
	int			K = tr->n_classes,
				k;
	double		w = 0.0,
				mx = 0.0;

	if (tr->n_nodes == tr->nodes_cap)
	{
		tr->nodes_cap *= 2;
		tr->nodes = repalloc_huge(tr->nodes, sizeof(GrowNode) * tr->nodes_cap);
	}
	if (tr->n_nodes >= CRM_TREE_MAX_NODES - 2)
		ereport(ERROR, (errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
						errmsg("tree grows beyond %d nodes", CRM_TREE_MAX_NODES),
						errhint("Raise cp or min_samples_leaf, or lower max_depth.")));
	g = &tr->nodes[tr->n_nodes];
	memset(g, 0, sizeof(GrowNode));
	g->feature = -1;
	g->samples = end - start;
	g->counts = MemoryContextAlloc(tr->cxt, sizeof(double) * K);
	for (k = 0; k < K; k++)
	{
		g->counts[k] = total[k];
		w += total[k];
		mx = Max(mx, total[k]);
	}
	g->risk = w - mx;
	return tr->n_nodes++;
}

typedef struct StackItem
{
	int			parent;
	bool		is_left;
	int64		start;
	int64		end;
	int			depth;
} StackItem;

static void
node_totals(Trainer *tr, int64 start, int64 end, double *total)
{
	int			K = tr->n_classes;
	int64		i;

	memset(total, 0, sizeof(double) * (K + 1));
	for (i = start; i < end; i++)
	{
		int32		r = tr->idx[i];

		total[tr->y[r]] += tr->w[r];
		total[K] += 1.0;
	}
}

/* Grow depth first: nodes come out in preorder. */
static void
grow(Trainer *tr)
{
	int			K = tr->n_classes;
	StackItem  *stack = palloc(sizeof(StackItem) * (2 * tr->opt.max_depth + 4));
	int			sp = 0;
	double	   *total = palloc(sizeof(double) * (K + 1));

	stack[sp++] = (StackItem) {-1, false, 0, tr->n, 0};
	while (sp > 0)
	{
		StackItem	it = stack[--sp];
		int			id;
		GrowNode   *g;
		Split		split;
		int			k,
					nonzero = 0;
		int64		i,
					nl = 0,
					nr = 0;
		Column	   *col;

		CHECK_FOR_INTERRUPTS();
		node_totals(tr, it.start, it.end, total);
		id = new_node(tr, it.start, it.end, total);
		if (it.parent >= 0)
		{
			if (it.is_left)
				tr->nodes[it.parent].left = id;
			else
				tr->nodes[it.parent].right = id;
		}
		g = &tr->nodes[id];
		maybe_notice(tr, "nodes built:", tr->n_nodes);

		for (k = 0; k < K; k++)
			nonzero += total[k] > 0;
		if (it.depth >= tr->opt.max_depth || g->samples < tr->opt.min_split ||
			g->samples < 2 * tr->opt.min_leaf || nonzero < 2 ||
			(tr->opt.cp > 0 && g->risk <= tr->alpha))
			continue;
		find_split(tr, it.start, it.end, total, &split);
		if (!split.found)
			continue;

		/* stable partition of idx[start..end): left rows first */
		col = &tr->cols[split.feature];
		for (i = it.start; i < it.end; i++)
		{
			int32		r = tr->idx[i];
			int32		code = col->code[r];
			bool		left;

			if (code < 0)
				left = split.null_left;
			else if (col->kind == CRM_FEATURE_CONTINUOUS)
				left = code <= split.bin;
			else
				left = split.left_levels[code];
			if (left)
				tr->idx[it.start + nl++] = r;
			else
				tr->tmp[nr++] = r;
		}
		memcpy(tr->idx + it.start + nl, tr->tmp, sizeof(int32) * nr);
		g = &tr->nodes[id];
		g->feature = split.feature;
		g->threshold = split.threshold;
		g->null_left = split.null_left;
		g->left_levels = split.left_levels;
		/* right first on the stack, so the left subtree comes next */
		stack[sp++] = (StackItem) {id, false, it.start + nl, it.end, it.depth + 1};
		stack[sp++] = (StackItem) {id, true, it.start, it.start + nl, it.depth + 1};
	}
	pfree(stack);
	pfree(total);
}

/* Cost-complexity pruning to alpha (children have greater indexes). */
static double
prune(Trainer *tr)
{
	double	   *cost = palloc(sizeof(double) * tr->n_nodes);
	int			i;

	for (i = tr->n_nodes - 1; i >= 0; i--)
	{
		GrowNode   *g = &tr->nodes[i];
		double		as_leaf = g->risk + tr->alpha;

		if (g->feature < 0)
			cost[i] = as_leaf;
		else if (as_leaf <= cost[g->left] + cost[g->right])
		{
			g->collapse = true;
			cost[i] = as_leaf;
		}
		else
			cost[i] = cost[g->left] + cost[g->right];
	}
	return cost[0];
}

/* ------------------------------------------------------------------------
 * The SQL function
 * ------------------------------------------------------------------------ */

PG_FUNCTION_INFO_V1(crm_tree_train);
Datum
crm_tree_train(PG_FUNCTION_ARGS)
{
	char	   *source,
			   *target;
	Trainer		tr;
	MemoryContext caller = CurrentMemoryContext;
	MemoryContext old;
	CrmTreeBuild b;
	CrmTree    *result;
	char	  **class_names;
	int		   *keep_map;
	bool	   *keep;
	int			i,
				f,
				k,
				K;
	int64		r;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("source and target of crm.tree_train must not be NULL"),
				 errhint("Pass a table name or query and the name of its target column.")));
	source = text_to_cstring(PG_GETARG_TEXT_PP(0));
	target = text_to_cstring(PG_GETARG_TEXT_PP(1));
	memset(&tr, 0, sizeof(tr));
	tr.cxt = AllocSetContextCreate(caller, "crm.tree_train", ALLOCSET_DEFAULT_SIZES);
	tr.last_notice = GetCurrentTimestamp();
	old = MemoryContextSwitchTo(tr.cxt);
	parse_options(PG_ARGISNULL(2) ? DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum("{}")))
				  : PG_GETARG_JSONB_P(2), &tr.opt);
	MemoryContextSwitchTo(old);

	read_source(&tr, source, target);
	old = MemoryContextSwitchTo(tr.cxt);
	if (tr.n == 0)
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("source \"%s\" has no rows with a non-NULL target \"%s\" (" INT64_FORMAT " skipped)",
						source, target, tr.skipped),
				 errhint("Training needs rows whose target is known.")));

	/* classes in byte order; the positive one */
	tr.class_remap = str_table_sort(&tr.classes, &class_names);
	K = tr.n_classes = tr.classes.n;
	if (K > CRM_TREE_MAX_CLASSES)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("target \"%s\" has %d distinct values, at most %d classes are supported", target, K, CRM_TREE_MAX_CLASSES),
				 errhint("A classification target has few classes; group its values first (e.g. a CASE expression in the query).")));
	for (r = 0; r < tr.n; r++)
		tr.y[r] = tr.class_remap[tr.y[r]];
	tr.positive = K - 1;
	if (tr.opt.positive)
	{
		for (k = 0; k < K && strcmp(class_names[k], tr.opt.positive) != 0; k++)
			;
		if (k == K)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("positive class \"%s\" is not a value of target \"%s\"", tr.opt.positive, target),
					 errhint("The option \"positive\" must be one of the target's values as text.")));
		tr.positive = k;
	}

	/* class weights */
	if (tr.opt.balanced || tr.opt.class_weight)
	{
		double	   *cw = palloc(sizeof(double) * K);
		double	   *cnt = palloc0(sizeof(double) * K);

		for (r = 0; r < tr.n; r++)
			cnt[tr.y[r]] += 1.0;
		for (k = 0; k < K; k++)
		{
			cw[k] = 1.0;
			if (tr.opt.balanced)
				cw[k] = (double) tr.n / (K * cnt[k]);
		}
		if (tr.opt.class_weight)
		{
			JsonbIterator *it = JsonbIteratorInit(&tr.opt.class_weight->root);
			JsonbValue	kv,
						v;
			JsonbIteratorToken tok;

			while ((tok = JsonbIteratorNext(&it, &kv, true)) != WJB_DONE)
			{
				char	   *label;

				if (tok != WJB_KEY)
					continue;
				label = pnstrdup(kv.val.string.val, kv.val.string.len);
				JsonbIteratorNext(&it, &v, true);
				for (k = 0; k < K && strcmp(class_names[k], label) != 0; k++)
					;
				if (k == K)
					ereport(ERROR,
							(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							 errmsg("class_weight names \"%s\", which is not a value of target \"%s\"", label, target),
							 errhint(OPT_HINT)));
				cw[k] = opt_number(&v, "class_weight", 0, 1e12, false);
			}
		}
		for (r = 0; r < tr.n; r++)
			tr.w[r] *= cw[tr.y[r]];
	}

	/* code the features */
	tr.max_bins = 2;
	for (f = 0; f < tr.n_cols; f++)
	{
		Column	   *col = &tr.cols[f];

		CHECK_FOR_INTERRUPTS();
		if (col->kind == CRM_FEATURE_CONTINUOUS)
			bin_column(&tr, col);
		else
		{
			char	  **sorted;

			col->remap = str_table_sort(&col->levels, &sorted);
			col->levels.s = sorted;
			for (r = 0; r < tr.n; r++)
				if (col->code[r] >= 0)
					col->code[r] = col->remap[col->code[r]];
		}
		tr.max_bins = Max(tr.max_bins, col->kind == CRM_FEATURE_CONTINUOUS ? col->n_bins : col->levels.n);
	}
	tr.hist = MemoryContextAllocHuge(tr.cxt, sizeof(double) * (tr.max_bins + 1) * (K + 1));
	tr.idx = MemoryContextAllocHuge(tr.cxt, sizeof(int32) * tr.n);
	tr.tmp = MemoryContextAllocHuge(tr.cxt, sizeof(int32) * tr.n);
	for (r = 0; r < tr.n; r++)
		tr.idx[r] = r;
	tr.nodes_cap = 64;
	tr.nodes = palloc(sizeof(GrowNode) * tr.nodes_cap);

	/* alpha = cp x misclassified weight at the root */
	{
		double	   *total = palloc0(sizeof(double) * K);
		double		w = 0,
					mx = 0;

		for (r = 0; r < tr.n; r++)
			total[tr.y[r]] += tr.w[r];
		for (k = 0; k < K; k++)
		{
			w += total[k];
			mx = Max(mx, total[k]);
		}
		tr.alpha = tr.opt.cp * (w - mx);
	}
	grow(&tr);
	if (tr.opt.cp > 0)
		prune(&tr);

	/* keep the nodes under no collapsed node, renumbered in preorder */
	keep = palloc0(sizeof(bool) * tr.n_nodes);
	keep_map = palloc(sizeof(int) * tr.n_nodes);
	keep[0] = true;
	memset(&b, 0, sizeof(b));
	for (i = 0; i < tr.n_nodes; i++)
	{
		keep_map[i] = keep[i] ? b.n_nodes++ : -1;
		if (keep[i] && tr.nodes[i].feature >= 0 && !tr.nodes[i].collapse)
			keep[tr.nodes[i].left] = keep[tr.nodes[i].right] = true;
	}

	MemoryContextSwitchTo(caller);
	b.criterion = tr.opt.criterion;
	b.target = target;
	b.n_classes = K;
	b.classes = class_names;
	b.positive = tr.positive;
	b.n_features = tr.n_cols;
	b.feature_names = palloc(sizeof(char *) * (tr.n_cols + 1));
	b.feature_kinds = palloc(sizeof(int) * (tr.n_cols + 1));
	b.feature_nulls = palloc(sizeof(bool) * (tr.n_cols + 1));
	b.feature_n_levels = palloc0(sizeof(int) * (tr.n_cols + 1));
	b.feature_levels = palloc0(sizeof(char **) * (tr.n_cols + 1));
	for (f = 0; f < tr.n_cols; f++)
	{
		b.feature_names[f] = tr.cols[f].name;
		b.feature_kinds[f] = tr.cols[f].kind;
		b.feature_nulls[f] = tr.cols[f].nulls;
		if (tr.cols[f].kind == CRM_FEATURE_CATEGORICAL)
		{
			b.feature_n_levels[f] = tr.cols[f].levels.n;
			b.feature_levels[f] = tr.cols[f].levels.s;
		}
	}
	b.nodes = palloc0(sizeof(CrmTreeNode) * b.n_nodes);
	b.counts = palloc(sizeof(float8) * b.n_nodes * K);
	b.node_left = palloc0(sizeof(bool *) * b.n_nodes);
	for (i = 0; i < tr.n_nodes; i++)
	{
		GrowNode   *g = &tr.nodes[i];
		int			j = keep_map[i];
		CrmTreeNode *nd;

		if (j < 0)
			continue;
		nd = &b.nodes[j];
		nd->samples = g->samples;
		memcpy(b.counts + (Size) j * K, g->counts, sizeof(double) * K);
		if (g->feature < 0 || g->collapse)
		{
			nd->feature = -1;
			continue;
		}
		nd->feature = g->feature;
		nd->left = keep_map[g->left];
		nd->right = keep_map[g->right];
		nd->null_left = g->null_left;
		nd->threshold = g->threshold;
		b.node_left[j] = g->left_levels;
	}
	b.rows = tr.n;
	b.skipped = tr.skipped;
	result = crm_tree_build(&b, ERRCODE_INTERNAL_ERROR);
	MemoryContextDelete(tr.cxt);
	PG_RETURN_POINTER(result);
}
