/*
 * tree_score.c: scoring rows with a crm.tree (tree.h): crm.tree_score,
 * crm.tree_score_columns, crm.tree_predict, crm.tree_leaf,
 * crm.tree_probabilities and the planner support function that turns
 * tree_score(model, row) into tree_score_columns when it can.
 *
 * A call site caches up to TREE_CACHE_MODELS models, each validated once
 * (crm_tree_validate) and bound to the row type it is scored with: every
 * feature is resolved to a column and a conversion (crm_tree_feature_kind
 * decides which column types a feature accepts, the same rule the trainer
 * uses), and the nodes are copied into a compact array (FastNode) so that
 * scoring a row is a walk from the root over 32-byte nodes, with no lookup
 * by name and no detoasting of the model per row.
 */
#include "postgres.h"

#if PG_VERSION_NUM >= 160000
#include "varatt.h"			/* VARDATA, VARSIZE: in postgres.h before 16 */
#endif

#include <math.h>

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "common/shortest_dec.h"
#include "fmgr.h"
#include "funcapi.h"
#include "libpq/pqformat.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "nodes/supportnodes.h"
#include "parser/parse_func.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/numeric.h"
#include "utils/typcache.h"

#include "tree.h"

/* how a row's column becomes a feature value */
typedef enum
{
	CONV_FLOAT8,				/* the two the walk inlines */
	CONV_INT4,
	CONV_NUMBER,				/* any other continuous type: crm_tree_feature_number */
	CONV_TEXT,					/* text, varchar: the bytes */
	CONV_NAME,					/* name: up to the NUL */
	CONV_BPCHAR,				/* trailing blanks dropped, as ::text */
	CONV_BOOL,
	CONV_ENUM					/* the label, cached per enum value */
} Conv;

typedef struct LevelHash
{
	int			size;			/* power of two */
	int32	   *slot;			/* level index or -1 */
	const char **names;
	int		   *lens;
} LevelHash;

#define ENUM_CACHE 64

typedef struct FeatureBind
{
	int			attno;			/* 0-based column of the row */
	Oid			type;			/* the column's base type */
	Conv		conv;
	LevelHash	levels;			/* categorical */
	int32		code_true;		/* CONV_BOOL */
	int32		code_false;
	Oid			enum_oid[ENUM_CACHE];	/* CONV_ENUM: direct-mapped cache */
	int32		enum_code[ENUM_CACHE];
} FeatureBind;

typedef struct TreeEntry
{
	MemoryContext cxt;			/* everything below; reset when replaced */
	/* model identity: the argument's bytes as passed (toast pointer or value) */
	char	   *raw;
	Size		rawlen;
	CrmTree    *tree;
	double	   *prob;			/* per node: positive-class probability */
	int32	   *predicted;		/* per node: majority class (lowest index on ties) */
	/* row type the features are bound to */
	Oid			typid;
	int32		typmod;
	TupleDesc	desc;			/* the row type's, to deform rows */
	FeatureBind *bind;
	Datum	   *values;
	bool	   *nulls;
	bool		columns;		/* bound to the arguments of tree_score_columns */
	struct FastNode *fast;		/* the nodes with their columns resolved */
} TreeEntry;

/*
 * A node as the scorer walks it: the column (index into the row's values or
 * the function's arguments) and its conversion resolved, 32 bytes, so that a
 * walk touches one small array.
 */
typedef struct FastNode
{
	double		threshold;
	int32		left;			/* -1: a leaf */
	int32		right;
	int32		arg;			/* column index */
	int32		word_off;		/* categorical: first bitset word */
	int16		feature;
	uint8		conv;			/* Conv */
	uint8		null_left;
	uint8		categorical;
	uint8		pad[3];
} FastNode;

/*
 * A call site keeps up to TREE_CACHE_MODELS models (a join of customers with
 * a few models scores each row against each): an entry is found by the
 * model argument's bytes as passed -- for a model stored out of line that is
 * the 18-byte toast pointer, so nothing is detoasted per row.
 */
#define TREE_CACHE_MODELS 4
typedef struct TreeCache
{
	TreeEntry	entry[TREE_CACHE_MODELS];
	int			used;
	int			victim;
	bool		model_stable;	/* the model argument is a constant (or an external parameter) */
} TreeCache;

static uint32
level_hash_of(const char *s, int len)
{
	return hash_bytes((const unsigned char *) s, len);
}

static void
level_hash_build(LevelHash *h, const CrmTree *t, int f, MemoryContext cxt)
{
	int			n = CRM_TREE_FEATURES(t)[f].n_levels;
	int			l;

	h->size = 8;
	while (h->size < 2 * n)
		h->size *= 2;
	h->slot = MemoryContextAlloc(cxt, sizeof(int32) * h->size);
	memset(h->slot, -1, sizeof(int32) * h->size);
	h->names = MemoryContextAlloc(cxt, sizeof(char *) * (n + 1));
	h->lens = MemoryContextAlloc(cxt, sizeof(int) * (n + 1));
	for (l = 0; l < n; l++)
	{
		uint32		pos;

		h->names[l] = crm_tree_level_name(t, f, l);
		h->lens[l] = strlen(h->names[l]);
		pos = level_hash_of(h->names[l], h->lens[l]) & (h->size - 1);
		while (h->slot[pos] >= 0)
			pos = (pos + 1) & (h->size - 1);
		h->slot[pos] = l;
	}
}

static int32
level_lookup(const LevelHash *h, const char *s, int len)
{
	uint32		pos = level_hash_of(s, len) & (h->size - 1);

	while (h->slot[pos] >= 0)
	{
		int32		l = h->slot[pos];

		if (h->lens[l] == len && memcmp(h->names[l], s, len) == 0)
			return l;
		pos = (pos + 1) & (h->size - 1);
	}
	return -1;
}

/* Take a new model into the cache: copy, validate, precompute leaf outputs. */
static void
cache_model(TreeEntry *c, Datum raw)
{
	MemoryContext cxt = c->cxt;
	struct varlena *rv = (struct varlena *) DatumGetPointer(raw);
	Size		rawlen = VARSIZE_ANY(rv);
	struct varlena *detoasted;
	CrmTree    *t;
	int			i,
				k;
	const float8 *counts;

	MemoryContextReset(cxt);
	c->raw = NULL;
	c->tree = NULL;
	c->typid = InvalidOid;		/* features must be bound again */

	detoasted = pg_detoast_datum_packed(rv);
	t = MemoryContextAlloc(cxt, VARSIZE_ANY(detoasted));
	if (VARATT_IS_SHORT(detoasted))
	{
		/* unpack a short header into an aligned 4-byte-header copy */
		Size		len = VARSIZE_SHORT(detoasted) - VARHDRSZ_SHORT;

		pfree(t);
		t = MemoryContextAlloc(cxt, len + VARHDRSZ);
		SET_VARSIZE(t, len + VARHDRSZ);
		memcpy(VARDATA(t), VARDATA_SHORT(detoasted), len);
	}
	else
		memcpy(t, detoasted, VARSIZE(detoasted));
	crm_tree_validate(t, VARSIZE(t), ERRCODE_DATA_CORRUPTED);

	c->prob = MemoryContextAlloc(cxt, sizeof(double) * t->n_nodes);
	c->predicted = MemoryContextAlloc(cxt, sizeof(int32) * t->n_nodes);
	counts = CRM_TREE_COUNTS(t);
	for (i = 0; i < t->n_nodes; i++)
	{
		const float8 *cn = counts + (Size) i * t->n_classes;
		double		total = 0.0;
		int			best = 0;

		for (k = 0; k < t->n_classes; k++)
		{
			total += cn[k];
			if (cn[k] > cn[best])
				best = k;
		}
		c->prob[i] = cn[t->positive] / total;
		c->predicted[i] = best;
	}
	c->tree = t;
	c->raw = MemoryContextAlloc(cxt, rawlen);
	memcpy(c->raw, rv, rawlen);
	c->rawlen = rawlen;
}

/*
 * Check a feature's column type against the model (crm_tree_feature_kind,
 * the trainer's rule) and set up its conversion and level lookup.  The
 * conversions the walk inlines (float8, integer) get their own code; other
 * numbers go through crm_tree_feature_number.
 */
static void
bind_feature(FeatureBind *fb, const CrmTree *t, int f, Oid coltype, MemoryContext cxt)
{
	const char *name = crm_tree_feature_name(t, f);
	Oid			type = getBaseType(coltype);
	int			kind = CRM_TREE_FEATURES(t)[f].kind;

	fb->type = type;
	if (crm_tree_feature_kind(type) != kind)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("column \"%s\" does not match the model's feature", name),
				 errdetail("The feature is %s; the column is of type %s.",
						   kind == CRM_FEATURE_CONTINUOUS ? "continuous" : "categorical",
						   format_type_be(coltype)),
				 kind == CRM_FEATURE_CONTINUOUS ?
				 errhint("A continuous feature needs smallint, integer, bigint, real, double precision or numeric; cast the column in a subquery.") :
				 errhint("A categorical feature needs text, varchar, char, name, boolean or an enum; cast the column to text in a subquery.")));
	if (kind == CRM_FEATURE_CONTINUOUS)
	{
		fb->conv = type == FLOAT8OID ? CONV_FLOAT8 : type == INT4OID ? CONV_INT4 : CONV_NUMBER;
		return;
	}
	if (type == TEXTOID || type == VARCHAROID)
		fb->conv = CONV_TEXT;
	else if (type == NAMEOID)
		fb->conv = CONV_NAME;
	else if (type == BPCHAROID)
		fb->conv = CONV_BPCHAR;
	else if (type == BOOLOID)
		fb->conv = CONV_BOOL;
	else
		fb->conv = CONV_ENUM;
	level_hash_build(&fb->levels, t, f, cxt);
	fb->code_true = level_lookup(&fb->levels, "true", 4);
	fb->code_false = level_lookup(&fb->levels, "false", 5);
	memset(fb->enum_oid, 0, sizeof(fb->enum_oid));
}

static void
missing_feature(const char *name)
{
	ereport(ERROR,
			(errcode(ERRCODE_UNDEFINED_COLUMN),
			 errmsg("the row has no column \"%s\", a feature of the model", name),
			 errhint("Pass a row with a column named like every feature of the model (crm.tree_importance lists them); rename with a subquery: (SELECT x AS \"%s\", ...).", name)));
}

/* The walk's node array, once the features are bound. */
static void
build_fast(TreeEntry *c)
{
	const CrmTree *t = c->tree;
	const CrmTreeNode *nodes = CRM_TREE_NODES(t);
	FastNode   *fast = MemoryContextAllocZero(c->cxt, sizeof(FastNode) * t->n_nodes);
	int			i;

	for (i = 0; i < t->n_nodes; i++)
	{
		const CrmTreeNode *n = &nodes[i];

		if (n->feature < 0)
		{
			fast[i].left = -1;
			continue;
		}
		fast[i].threshold = n->threshold;
		fast[i].left = n->left;
		fast[i].right = n->right;
		fast[i].arg = c->bind[n->feature].attno;
		fast[i].word_off = n->word_off;
		fast[i].feature = n->feature;
		fast[i].conv = c->bind[n->feature].conv;
		fast[i].null_left = n->null_left;
		fast[i].categorical = CRM_TREE_FEATURES(t)[n->feature].kind == CRM_FEATURE_CATEGORICAL;
	}
	c->fast = fast;
}

/* Bind the model's features to the columns of a row type, by name. */
static void
cache_bind(TreeEntry *c, Oid typid, int32 typmod)
{
	MemoryContext cxt = c->cxt;
	const CrmTree *t = c->tree;
	TupleDesc	desc;
	int			f,
				a;

	/* a copy of the row type's descriptor (versions and all) for deforming */
	desc = lookup_rowtype_tupdesc(typid, typmod);
	{
		MemoryContext old = MemoryContextSwitchTo(cxt);

		c->desc = CreateTupleDescCopy(desc);
		MemoryContextSwitchTo(old);
	}
	ReleaseTupleDesc(desc);
	desc = c->desc;
	c->bind = MemoryContextAllocZero(cxt, sizeof(FeatureBind) * Max(t->n_features, 1));
	for (f = 0; f < t->n_features; f++)
	{
		FeatureBind *fb = &c->bind[f];

		fb->attno = -1;
		for (a = 0; a < desc->natts; a++)
		{
			Form_pg_attribute att = TupleDescAttr(desc, a);

			if (!att->attisdropped && strcmp(NameStr(att->attname), crm_tree_feature_name(t, f)) == 0)
			{
				fb->attno = a;
				break;
			}
		}
		if (fb->attno < 0)
			missing_feature(crm_tree_feature_name(t, f));
		bind_feature(fb, t, f, TupleDescAttr(desc, fb->attno)->atttypid, cxt);
	}
	c->values = MemoryContextAlloc(cxt, sizeof(Datum) * Max(desc->natts, 1));
	c->nulls = MemoryContextAlloc(cxt, sizeof(bool) * Max(desc->natts, 1));
	c->typid = typid;
	c->typmod = typmod;
	build_fast(c);
}

/*
 * Bind the features to the arguments of crm.tree_score_columns: the column
 * names (argument 1) and the columns themselves (arguments 2...).
 */
static void
cache_bind_columns(TreeEntry *c, FunctionCallInfo fcinfo)
{
	MemoryContext cxt = c->cxt;
	const CrmTree *t = c->tree;
	ArrayType  *names = PG_GETARG_ARRAYTYPE_P(1);
	Datum	   *nd;
	bool	   *nn;
	int			n,
				f,
				a;

	deconstruct_array(names, TEXTOID, -1, false, TYPALIGN_INT, &nd, &nn, &n);
	if (n != PG_NARGS() - 3)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the column names do not match the columns"),
				 errdetail("%d column names for %d columns.", n, PG_NARGS() - 3),
				 errhint("Call crm.tree_score(model, row); the planner writes this call.")));
	c->bind = MemoryContextAllocZero(cxt, sizeof(FeatureBind) * Max(t->n_features, 1));
	for (f = 0; f < t->n_features; f++)
	{
		FeatureBind *fb = &c->bind[f];
		const char *name = crm_tree_feature_name(t, f);
		size_t		len = strlen(name);

		fb->attno = -1;
		for (a = 0; a < n; a++)
			if (!nn[a] && VARSIZE_ANY_EXHDR(DatumGetPointer(nd[a])) == len &&
				memcmp(VARDATA_ANY(DatumGetPointer(nd[a])), name, len) == 0)
			{
				fb->attno = a;
				break;
			}
		if (fb->attno < 0)
			missing_feature(name);
		bind_feature(fb, t, f, get_fn_expr_argtype(fcinfo->flinfo, 3 + fb->attno), cxt);
	}
	c->values = MemoryContextAlloc(cxt, sizeof(Datum) * Max(n, 1));
	c->nulls = MemoryContextAlloc(cxt, sizeof(bool) * Max(n, 1));
	c->typid = InvalidOid;
	c->columns = true;
	build_fast(c);
}

/* the level index of a categorical value, -1 when the model does not know it */
static int32
categorical_code(FeatureBind *fb, Datum d)
{
	switch (fb->conv)
	{
		case CONV_BOOL:
			return DatumGetBool(d) ? fb->code_true : fb->code_false;
		case CONV_TEXT:
			{
				text	   *tx = (text *) DatumGetPointer(d);
				int32		code;

				tx = pg_detoast_datum_packed(tx);
				code = level_lookup(&fb->levels, VARDATA_ANY(tx), VARSIZE_ANY_EXHDR(tx));
				return code;
			}
		case CONV_NAME:
			{
				const char *nm = NameStr(*DatumGetName(d));

				return level_lookup(&fb->levels, nm, strlen(nm));
			}
		case CONV_BPCHAR:
			{
				text	   *tx = pg_detoast_datum_packed((text *) DatumGetPointer(d));
				const char *s = VARDATA_ANY(tx);
				int			len = VARSIZE_ANY_EXHDR(tx);

				while (len > 0 && s[len - 1] == ' ')
					len--;
				return level_lookup(&fb->levels, s, len);
			}
		case CONV_ENUM:
			{
				Oid			o = DatumGetObjectId(d);
				int			slot = o % ENUM_CACHE;

				if (fb->enum_oid[slot] != o || o == InvalidOid)
				{
					char	   *label = DatumGetCString(DirectFunctionCall1(enum_out, d));

					fb->enum_oid[slot] = o;
					fb->enum_code[slot] = level_lookup(&fb->levels, label, strlen(label));
					pfree(label);
				}
				return fb->enum_code[slot];
			}
		default:
			elog(ERROR, "unexpected conversion for a categorical feature");
	}
	return -1;
}

/*
 * The model entry of a call site's cache for argument 0, (re)built when the
 * model bytes differ from every cached model's.
 */
static TreeEntry *
cache_entry(FunctionCallInfo fcinfo)
{
	Datum		raw = PG_GETARG_DATUM(0);
	struct varlena *rv = (struct varlena *) DatumGetPointer(raw);
	MemoryContext cxt = fcinfo->flinfo->fn_mcxt;
	TreeCache  *cache = (TreeCache *) fcinfo->flinfo->fn_extra;
	TreeEntry  *c = NULL;
	Size		rawlen = VARSIZE_ANY(rv);
	int			i;

	if (cache == NULL)
	{
		cache = MemoryContextAllocZero(cxt, sizeof(TreeCache));
		cache->model_stable = get_fn_expr_arg_stable(fcinfo->flinfo, 0);
		fcinfo->flinfo->fn_extra = cache;
	}
	if (cache->model_stable && cache->used == 1)
		return &cache->entry[0];	/* the same model for the whole query */
	for (i = 0; i < cache->used; i++)
		if (cache->entry[i].rawlen == rawlen && cache->entry[i].raw != NULL &&
			memcmp(cache->entry[i].raw, rv, rawlen) == 0)
			return &cache->entry[i];
	if (cache->used < TREE_CACHE_MODELS)
	{
		c = &cache->entry[cache->used++];
		c->cxt = AllocSetContextCreate(cxt, "crm.tree model cache", ALLOCSET_SMALL_SIZES);
	}
	else
	{
		c = &cache->entry[cache->victim];
		cache->victim = (cache->victim + 1) % TREE_CACHE_MODELS;
	}
	cache_model(c, raw);
	return c;
}

/* whether a row goes left at a node: value and NULL flag of its column */
static inline bool
goes_left(TreeEntry *c, const FastNode *n, Datum d, bool isnull)
{
	if (isnull)
		return n->null_left;
	if (!n->categorical)
	{
		double		x;

		switch (n->conv)
		{
			case CONV_FLOAT8:
				x = DatumGetFloat8(d);
				break;
			case CONV_INT4:
				x = DatumGetInt32(d);
				break;
			default:
				x = crm_tree_feature_number(d, c->bind[n->feature].type);
				break;
		}
		return isnan(x) ? n->null_left : x <= n->threshold;
	}
	else
	{
		int32		l = categorical_code(&c->bind[n->feature], d);

		return l < 0 ? n->null_left : (CRM_TREE_WORDS(c->tree)[n->word_off + l / 32] >> (l % 32)) & 1;
	}
}

/* The leaf a row reaches, its column values in c->values / c->nulls. */
static int
walk(TreeEntry *c)
{
	const FastNode *fast = c->fast;
	int			i = 0;

	while (fast[i].left >= 0)
	{
		const FastNode *n = &fast[i];

		i = goes_left(c, n, c->values[n->arg], c->nulls[n->arg]) ? n->left : n->right;
	}
	return i;
}

/* The same, the column values in function arguments (tree_score_columns). */
static int
walk_args(TreeEntry *c, const NullableDatum *args)
{
	const FastNode *fast = c->fast;
	int			i = 0;

	while (fast[i].left >= 0)
	{
		const FastNode *n = &fast[i];

		i = goes_left(c, n, args[n->arg].value, args[n->arg].isnull) ? n->left : n->right;
	}
	return i;
}

/* The leaf of the row in argument 1 (a record); features bound by name. */
static int
score_leaf(FunctionCallInfo fcinfo, TreeEntry **cp)
{
	HeapTupleHeader row = PG_GETARG_HEAPTUPLEHEADER(1);
	TreeEntry  *c = cache_entry(fcinfo);
	Oid			typid = HeapTupleHeaderGetTypeId(row);
	int32		typmod = HeapTupleHeaderGetTypMod(row);
	HeapTupleData tuple;

	if (c->columns || c->typid != typid || c->typmod != typmod)
	{
		c->columns = false;
		cache_bind(c, typid, typmod);
	}
	*cp = c;
	tuple.t_len = HeapTupleHeaderGetDatumLength(row);
	ItemPointerSetInvalid(&tuple.t_self);
	tuple.t_tableOid = InvalidOid;
	tuple.t_data = row;
	heap_deform_tuple(&tuple, c->desc, c->values, c->nulls);
	return walk(c);
}

PG_FUNCTION_INFO_V1(crm_tree_score);
Datum
crm_tree_score(PG_FUNCTION_ARGS)
{
	TreeEntry  *c;
	int			leaf = score_leaf(fcinfo, &c);

	PG_RETURN_FLOAT8(c->prob[leaf]);
}

/*
 * crm.tree_score_columns(model, names, null_row, VARIADIC "any"):
 * crm.tree_score with the row's columns passed one by one.  The planner puts
 * it in place of crm.tree_score(model, t) when t is a table's (or view's)
 * whole row (see crm_tree_support): the executor then fetches the columns
 * from the scan instead of forming a composite value per row.  null_row says
 * when the row itself was NULL (the missing side of an outer join), which
 * crm.tree_score, being strict, answers with NULL: -1 never (a view's
 * ROW(...)), n >= 0 when column n (declared NOT NULL) is NULL, -2 when every
 * column is NULL (a table without a NOT NULL column).
 */
PG_FUNCTION_INFO_V1(crm_tree_score_columns);
Datum
crm_tree_score_columns(PG_FUNCTION_ARGS)
{
	TreeEntry  *c;
	int			a,
				n = PG_NARGS() - 3,
				null_row;
	bool		all_null = true;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2))
		PG_RETURN_NULL();
	null_row = PG_GETARG_INT32(2);
	if (null_row >= 0 && null_row < n && PG_ARGISNULL(3 + null_row))
		PG_RETURN_NULL();
	if (null_row == -2)
	{
		for (a = 0; a < n && all_null; a++)
			all_null = PG_ARGISNULL(3 + a);
		if (all_null)
			PG_RETURN_NULL();
	}
	c = cache_entry(fcinfo);
	if (!c->columns)
		cache_bind_columns(c, fcinfo);
	PG_RETURN_FLOAT8(c->prob[walk_args(c, &fcinfo->args[3])]);
}

/*
 * Planner support of crm.tree_score: a call on a whole-row reference of a
 * table or view (crm.tree_score(m.model, c)) becomes
 * crm.tree_score_columns(m.model, '{col1,...}', null_row, c.col1, ...), same
 * result; so does one on a view's row, which the planner has turned into
 * ROW(expressions) by then.
 */
PG_FUNCTION_INFO_V1(crm_tree_support);
Datum
crm_tree_support(PG_FUNCTION_ARGS)
{
	Node	   *rawreq = (Node *) PG_GETARG_POINTER(0);
	SupportRequestSimplify *req;
	FuncExpr   *fe;
	Var		   *v;
	Var		   *col;
	TupleDesc	desc;
	List	   *args;
	Datum	   *names;
	int			n = 0,
				a;
	Oid			argtypes[4] = {InvalidOid, TEXTARRAYOID, INT4OID, ANYOID};
	int			null_row = -1;
	Oid			fn;
	char	   *nsp;

	if (!IsA(rawreq, SupportRequestSimplify))
		PG_RETURN_POINTER(NULL);
	req = (SupportRequestSimplify *) rawreq;
	fe = req->fcall;
	if (list_length(fe->args) != 2)
		PG_RETURN_POINTER(NULL);
	args = list_make1(linitial(fe->args));
	args = lappend(args, NULL);	/* the names, below */
	args = lappend(args, NULL);	/* when the row is NULL, below */
	if (IsA(lsecond(fe->args), Var))
	{
		/* a table's whole row: its columns */
		v = (Var *) lsecond(fe->args);
		if (v->varattno != 0 || v->vartype == RECORDOID || get_typtype(v->vartype) != TYPTYPE_COMPOSITE)
			PG_RETURN_POINTER(NULL);
		desc = lookup_rowtype_tupdesc_noerror(v->vartype, v->vartypmod, true);
		if (desc == NULL)
			PG_RETURN_POINTER(NULL);
		names = palloc(sizeof(Datum) * Max(desc->natts, 1));
		null_row = -2;
		for (a = 0; a < desc->natts; a++)
		{
			Form_pg_attribute att = TupleDescAttr(desc, a);

			if (att->attisdropped)
				continue;
			if (att->attnotnull && null_row == -2)
				null_row = n;	/* NULL only when the whole row is */
			names[n++] = PointerGetDatum(cstring_to_text(NameStr(att->attname)));
			col = makeVar(v->varno, att->attnum, att->atttypid, att->atttypmod,
						  att->attcollation, v->varlevelsup);
#if PG_VERSION_NUM >= 160000
			/* nullable by the same outer joins as the whole row */
			col->varnullingrels = bms_copy(v->varnullingrels);
#endif
			args = lappend(args, col);
		}
		ReleaseTupleDesc(desc);
	}
	else if (IsA(lsecond(fe->args), RowExpr))
	{
		/*
		 * A view's whole row, after the planner pulled the view up:
		 * ROW(expressions) of the view's row type.  Its fields, named by the
		 * row type (dropped columns are NULL constants: skipped) or, for an
		 * anonymous record, by the column names the RowExpr carries.
		 */
		RowExpr    *re = (RowExpr *) lsecond(fe->args);
		ListCell   *lc;

		desc = NULL;
		if (re->row_typeid != RECORDOID)
		{
			desc = lookup_rowtype_tupdesc_noerror(re->row_typeid, -1, true);
			if (desc == NULL)
				PG_RETURN_POINTER(NULL);
			if (desc->natts != list_length(re->args))
			{
				ReleaseTupleDesc(desc);
				PG_RETURN_POINTER(NULL);
			}
		}
		else if (list_length(re->colnames) != list_length(re->args))
			PG_RETURN_POINTER(NULL);
		names = palloc(sizeof(Datum) * Max(list_length(re->args), 1));
		a = 0;
		foreach(lc, re->args)
		{
			const char *name;

			if (desc)
			{
				if (TupleDescAttr(desc, a)->attisdropped)
				{
					a++;
					continue;
				}
				name = NameStr(TupleDescAttr(desc, a)->attname);
			}
			else
				name = strVal(list_nth(re->colnames, a));
			names[n++] = PointerGetDatum(cstring_to_text(name));
			args = lappend(args, lfirst(lc));
			a++;
		}
		if (desc)
			ReleaseTupleDesc(desc);
	}
	else
		PG_RETURN_POINTER(NULL);
	if (n == 0 || n > FUNC_MAX_ARGS - 3)
		PG_RETURN_POINTER(NULL);
	lsecond(args) = makeConst(TEXTARRAYOID, -1, InvalidOid, -1,
							  PointerGetDatum(construct_array(names, n, TEXTOID, -1, false, TYPALIGN_INT)),
							  false, false);
	lthird(args) = makeConst(INT4OID, -1, InvalidOid, sizeof(int32), Int32GetDatum(null_row), false, true);
	nsp = get_namespace_name(get_func_namespace(fe->funcid));
	argtypes[0] = exprType(linitial(fe->args));
	fn = LookupFuncName(list_make2(makeString(nsp), makeString("tree_score_columns")), 4, argtypes, true);
	if (!OidIsValid(fn))
		PG_RETURN_POINTER(NULL);
	PG_RETURN_POINTER(makeFuncExpr(fn, FLOAT8OID, args, InvalidOid, InvalidOid, COERCE_EXPLICIT_CALL));
}

PG_FUNCTION_INFO_V1(crm_tree_predict);
Datum
crm_tree_predict(PG_FUNCTION_ARGS)
{
	TreeEntry  *c;
	int			leaf = score_leaf(fcinfo, &c);

	PG_RETURN_TEXT_P(cstring_to_text(crm_tree_class_name(c->tree, c->predicted[leaf])));
}

PG_FUNCTION_INFO_V1(crm_tree_leaf);
Datum
crm_tree_leaf(PG_FUNCTION_ARGS)
{
	TreeEntry  *c;

	PG_RETURN_INT32(score_leaf(fcinfo, &c));
}


PG_FUNCTION_INFO_V1(crm_tree_probabilities);
Datum
crm_tree_probabilities(PG_FUNCTION_ARGS)
{
	TreeEntry  *c;
	int			leaf = score_leaf(fcinfo, &c);

	PG_RETURN_ARRAYTYPE_P(crm_tree_float8_array(crm_tree_node_probabilities(c->tree, leaf), c->tree->n_classes));
}
