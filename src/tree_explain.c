/*
 * tree_explain.c: what a crm.tree (tree.h) says, for people and for other
 * systems: crm.tree_info (size, depth, training rows), crm.tree_rules (one
 * rule per leaf, its conditions merged along the path), crm.tree_to_sql (an
 * equivalent SQL CASE expression, to run where crm is not installed) and
 * crm.tree_importance (impurity-decrease importances, normalized to sum to
 * 1 as scikit-learn's feature_importances_) and crm.tree_to_dot (a Graphviz
 * diagram, as scikit-learn's export_graphviz and MADlib's tree_display).
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
#include "mb/pg_wchar.h"
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

static CrmTree *
tree_arg(FunctionCallInfo fcinfo, int arg)
{
	CrmTree    *t = (CrmTree *) PG_DETOAST_DATUM(PG_GETARG_DATUM(arg));

	return t;
}

static int
tree_depth(const CrmTree *t, int **depth_out)
{
	const CrmTreeNode *nodes = CRM_TREE_NODES(t);
	int		   *depth = palloc0(sizeof(int) * t->n_nodes);
	int			i,
				max = 0;

	/* preorder with children after parents: one forward pass */
	for (i = 0; i < t->n_nodes; i++)
	{
		if (depth[i] > max)
			max = depth[i];
		if (nodes[i].feature >= 0)
		{
			depth[nodes[i].left] = depth[i] + 1;
			depth[nodes[i].right] = depth[i] + 1;
		}
	}
	if (depth_out)
		*depth_out = depth;
	return max;
}

PG_FUNCTION_INFO_V1(crm_tree_info);
Datum
crm_tree_info(PG_FUNCTION_ARGS)
{
	CrmTree    *t = tree_arg(fcinfo, 0);
	StringInfoData buf;
	int			i,
				leaves = 0;

	for (i = 0; i < t->n_nodes; i++)
		if (CRM_TREE_NODES(t)[i].feature < 0)
			leaves++;
	initStringInfo(&buf);
	appendStringInfoString(&buf, "{\"target\": ");
	escape_json(&buf, crm_tree_str(t, t->target_off));
	appendStringInfoString(&buf, ", \"classes\": [");
	for (i = 0; i < t->n_classes; i++)
	{
		if (i > 0)
			appendStringInfoString(&buf, ", ");
		escape_json(&buf, crm_tree_class_name(t, i));
	}
	appendStringInfoString(&buf, "], \"positive\": ");
	escape_json(&buf, crm_tree_class_name(t, t->positive));
	appendStringInfo(&buf, ", \"criterion\": \"%s\", \"features\": %d, \"nodes\": %d, \"leaves\": %d, \"depth\": %d, \"rows\": " INT64_FORMAT ", \"skipped\": " INT64_FORMAT ", \"bytes\": %d}",
					 t->criterion == CRM_TREE_ENTROPY ? "entropy" : "gini",
					 t->n_features, t->n_nodes, leaves, tree_depth(t, NULL),
					 t->rows, t->skipped, (int) VARSIZE(t));
	PG_RETURN_DATUM(DirectFunctionCall1(jsonb_in, CStringGetDatum(buf.data)));
}

/* what a path from the root says about one feature */
typedef struct PathCond
{
	bool		used;
	bool		null_ok;		/* NULL rows follow this path */
	double		lo;				/* value > lo (-inf: none) */
	double		hi;				/* value <= hi (+inf: none) */
	bool	   *allowed;		/* categorical: levels that follow this path */
} PathCond;

typedef struct RuleRow
{
	int			leaf;
	char	   *text;
	double		probability;
	int64		samples;
} RuleRow;

typedef struct RulesCtx
{
	const CrmTree *t;
	PathCond   *cond;
	int		   *order;			/* features in order of first use on the path */
	int			n_order;
	RuleRow    *rows;
	int			n_rows;
} RulesCtx;

/* probability descending, then more samples, then leaf order */
static int
cmp_rule_row(const void *a, const void *b)
{
	const RuleRow *x = a,
			   *y = b;

	if (x->probability != y->probability)
		return x->probability > y->probability ? -1 : 1;
	if (x->samples != y->samples)
		return x->samples > y->samples ? -1 : 1;
	return x->leaf < y->leaf ? -1 : x->leaf > y->leaf;
}

static void
append_name(StringInfo buf, const char *s)
{
	appendStringInfoString(buf, s);
}

static char *
rule_text(RulesCtx *r)
{
	StringInfoData buf;
	int			j;

	initStringInfo(&buf);
	for (j = 0; j < r->n_order; j++)
	{
		int			f = r->order[j];
		PathCond   *pc = &r->cond[f];
		const char *name = crm_tree_feature_name(r->t, f);
		bool		has_values = true;

		if (j > 0)
			appendStringInfoString(&buf, ", ");
		if (CRM_TREE_FEATURES(r->t)[f].kind == CRM_FEATURE_CONTINUOUS)
		{
			if (isinf(pc->lo) && isinf(pc->hi))
				has_values = false;
			else if (isinf(pc->lo))
			{
				appendStringInfo(&buf, "%s <= ", name);
				crm_tree_append_double(&buf, pc->hi);
			}
			else if (isinf(pc->hi))
			{
				appendStringInfo(&buf, "%s > ", name);
				crm_tree_append_double(&buf, pc->lo);
			}
			else
			{
				crm_tree_append_double(&buf, pc->lo);
				appendStringInfo(&buf, " < %s <= ", name);
				crm_tree_append_double(&buf, pc->hi);
			}
		}
		else
		{
			int			nl = CRM_TREE_FEATURES(r->t)[f].n_levels,
						l,
						n_allowed = 0;
			bool		first = true;

			for (l = 0; l < nl; l++)
				n_allowed += pc->allowed[l];
			if (n_allowed == 0)
				has_values = false;
			else if (n_allowed == nl)
				appendStringInfo(&buf, "%s is not null", name);
			else
			{
				appendStringInfo(&buf, "%s in (", name);
				for (l = 0; l < nl; l++)
					if (pc->allowed[l])
					{
						if (!first)
							appendStringInfoString(&buf, ", ");
						first = false;
						append_name(&buf, crm_tree_level_name(r->t, f, l));
					}
				appendStringInfoChar(&buf, ')');
			}
		}
		if (!has_values)
			appendStringInfo(&buf, "%s is null", name);
		else if (pc->null_ok && (CRM_TREE_FEATURES(r->t)[f].flags & CRM_FEATURE_NULLS))
			appendStringInfoString(&buf, " or null");
	}
	if (r->n_order == 0)
		appendStringInfoString(&buf, "all rows");
	return buf.data;
}

static void
rules_walk(RulesCtx *r, int i)
{
	const CrmTree *t = r->t;
	const CrmTreeNode *n = &CRM_TREE_NODES(t)[i];
	int			side;

	check_stack_depth();
	CHECK_FOR_INTERRUPTS();
	if (n->feature < 0)
	{
		RuleRow    *row = &r->rows[r->n_rows++];

		row->leaf = i;
		row->text = rule_text(r);
		row->probability = crm_tree_node_probabilities(t, i)[t->positive];
		row->samples = n->samples;
		return;
	}
	for (side = 0; side < 2; side++)
	{
		int			f = n->feature;
		PathCond   *pc = &r->cond[f];
		PathCond	saved = *pc;
		bool		was_used = pc->used;
		bool		left = side == 0;
		bool	   *saved_allowed = NULL;
		int			nl = CRM_TREE_FEATURES(t)[f].n_levels;

		if (!was_used)
		{
			pc->used = true;
			r->order[r->n_order++] = f;
		}
		if (left != (bool) n->null_left)
			pc->null_ok = false;
		if (CRM_TREE_FEATURES(t)[f].kind == CRM_FEATURE_CONTINUOUS)
		{
			if (left)
				pc->hi = Min(pc->hi, n->threshold);
			else
				pc->lo = Max(pc->lo, n->threshold);
		}
		else
		{
			int			l;

			saved_allowed = palloc(sizeof(bool) * Max(nl, 1));
			memcpy(saved_allowed, pc->allowed, sizeof(bool) * nl);
			for (l = 0; l < nl; l++)
				if (crm_tree_goes_left_level(t, n, l) != left)
					pc->allowed[l] = false;
		}
		rules_walk(r, left ? n->left : n->right);
		if (saved_allowed)
		{
			memcpy(pc->allowed, saved_allowed, sizeof(bool) * nl);
			pfree(saved_allowed);
		}
		saved.allowed = pc->allowed;
		*pc = saved;
		if (!was_used)
			r->n_order--;
	}
}

PG_FUNCTION_INFO_V1(crm_tree_rules);
Datum
crm_tree_rules(PG_FUNCTION_ARGS)
{
	CrmTree    *t = tree_arg(fcinfo, 0);
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	RulesCtx	r;
	int			f;

	InitMaterializedSRF(fcinfo, 0);
	r.t = t;
	r.cond = palloc0(sizeof(PathCond) * Max(t->n_features, 1));
	r.order = palloc0(sizeof(int) * Max(t->n_features, 1));
	r.n_order = 0;
	for (f = 0; f < t->n_features; f++)
	{
		int			nl = CRM_TREE_FEATURES(t)[f].n_levels;

		r.cond[f].null_ok = true;
		r.cond[f].lo = -INFINITY;
		r.cond[f].hi = INFINITY;
		r.cond[f].allowed = palloc(sizeof(bool) * Max(nl, 1));
		memset(r.cond[f].allowed, true, sizeof(bool) * nl);
	}
	r.rows = palloc(sizeof(RuleRow) * t->n_nodes);
	r.n_rows = 0;
	rules_walk(&r, 0);
	qsort(r.rows, r.n_rows, sizeof(RuleRow), cmp_rule_row);
	for (f = 0; f < r.n_rows; f++)
	{
		Datum		values[6];
		bool		nulls[6] = {false, false, false, false, false, false};
		int			i = r.rows[f].leaf;
		const float8 *cn = CRM_TREE_COUNTS(t) + (Size) i * t->n_classes;
		int			k,
					best = 0;

		for (k = 1; k < t->n_classes; k++)
			if (cn[k] > cn[best])
				best = k;
		values[0] = Int32GetDatum(i);
		values[1] = PointerGetDatum(cstring_to_text(r.rows[f].text));
		values[2] = Int64GetDatum(r.rows[f].samples);
		values[3] = PointerGetDatum(crm_tree_float8_array(cn, t->n_classes));
		values[4] = Float8GetDatum(r.rows[f].probability);
		values[5] = PointerGetDatum(cstring_to_text(crm_tree_class_name(t, best)));
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

/* SQL literal of a string (standard_conforming_strings-proof E'' form) */
static void
append_literal(StringInfo buf, const char *s)
{
	appendStringInfoString(buf, quote_literal_cstr(s));
}

static void
sql_walk(StringInfo buf, const CrmTree *t, const double *prob, const char *alias, int i)
{
	const CrmTreeNode *n = &CRM_TREE_NODES(t)[i];
	const char *col;
	int			f;

	check_stack_depth();
	CHECK_FOR_INTERRUPTS();
	if (n->feature < 0)
	{
		appendStringInfoString(buf, "float8 '");
		crm_tree_append_double(buf, prob[i]);
		appendStringInfoChar(buf, '\'');
		return;
	}
	f = n->feature;
	col = alias ? psprintf("%s.%s", quote_identifier(alias), quote_identifier(crm_tree_feature_name(t, f)))
		: quote_identifier(crm_tree_feature_name(t, f));
	appendStringInfoString(buf, "CASE WHEN ");
	if (CRM_TREE_FEATURES(t)[f].kind == CRM_FEATURE_CONTINUOUS)
	{
		/*
		 * NULL and NaN take the default direction, as in crm.tree_score (NaN
		 * sorts above every number in SQL, so it needs its own test).
		 */
		if (n->null_left)
		{
			appendStringInfo(buf, "%s > float8 '", col);
			crm_tree_append_double(buf, n->threshold);
			appendStringInfo(buf, "' AND %s::float8 <> float8 'NaN' THEN ", col);
			sql_walk(buf, t, prob, alias, n->right);
			appendStringInfoString(buf, " ELSE ");
			sql_walk(buf, t, prob, alias, n->left);
			appendStringInfoString(buf, " END");
			return;
		}
		appendStringInfo(buf, "%s <= float8 '", col);
		crm_tree_append_double(buf, n->threshold);
		appendStringInfoChar(buf, '\'');
	}
	else
	{
		/* levels the default direction does not take, listed; the rest by default */
		int			nl = CRM_TREE_FEATURES(t)[f].n_levels,
					l,
					listed = 0;

		appendStringInfo(buf, "%s%s::text IN (", n->null_left ? "NOT coalesce(" : "", col);
		for (l = 0; l < nl; l++)
			if (crm_tree_goes_left_level(t, n, l) != (bool) n->null_left)
			{
				if (listed++ > 0)
					appendStringInfoString(buf, ", ");
				append_literal(buf, crm_tree_level_name(t, f, l));
			}
		if (listed == 0)
			appendStringInfoString(buf, "NULL");
		appendStringInfoString(buf, n->null_left ? "), false)" : ")");
	}
	appendStringInfoString(buf, " THEN ");
	sql_walk(buf, t, prob, alias, n->left);
	appendStringInfoString(buf, " ELSE ");
	sql_walk(buf, t, prob, alias, n->right);
	appendStringInfoString(buf, " END");
}

PG_FUNCTION_INFO_V1(crm_tree_to_sql);
Datum
crm_tree_to_sql(PG_FUNCTION_ARGS)
{
	CrmTree    *t;
	char	   *alias;
	StringInfoData buf;
	double	   *prob;
	int			i;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	t = tree_arg(fcinfo, 0);
	alias = PG_ARGISNULL(1) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(1));
	prob = palloc(sizeof(double) * t->n_nodes);

	if (alias && alias[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("row alias must not be empty"),
				 errhint("Pass NULL for bare column names, or the table alias of the query.")));
	for (i = 0; i < t->n_nodes; i++)
		prob[i] = crm_tree_node_probabilities(t, i)[t->positive];
	initStringInfo(&buf);
	sql_walk(&buf, t, prob, alias, 0);
	PG_RETURN_TEXT_P(cstring_to_text(buf.data));
}

/*
 * Importance of a feature: the total weighted impurity decrease of its splits
 * (counts x impurity of the node minus that of the children), normalized to
 * sum 1 -- scikit-learn's feature_importances_ (mean decrease in impurity).
 */
PG_FUNCTION_INFO_V1(crm_tree_importance);
Datum
crm_tree_importance(PG_FUNCTION_ARGS)
{
	CrmTree    *t = tree_arg(fcinfo, 0);
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	const CrmTreeNode *nodes = CRM_TREE_NODES(t);
	const float8 *counts = CRM_TREE_COUNTS(t);
	double	   *imp = palloc0(sizeof(double) * Max(t->n_features, 1));
	double	   *tot = palloc(sizeof(double) * t->n_nodes);
	double		sum = 0.0;
	int			i,
				k,
				f;

	InitMaterializedSRF(fcinfo, 0);
	for (i = 0; i < t->n_nodes; i++)
	{
		tot[i] = 0.0;
		for (k = 0; k < t->n_classes; k++)
			tot[i] += counts[(Size) i * t->n_classes + k];
	}
#define IMP(j) (tot[j] * crm_tree_impurity(t->criterion, counts + (Size) (j) * t->n_classes, t->n_classes, tot[j]))
	for (i = 0; i < t->n_nodes; i++)
		if (nodes[i].feature >= 0)
		{
			double		d = IMP(i) - IMP(nodes[i].left) - IMP(nodes[i].right);

			imp[nodes[i].feature] += Max(d, 0.0);
		}
#undef IMP
	for (f = 0; f < t->n_features; f++)
		sum += imp[f];
	/* most important first, then feature order: a stable selection */
	{
		bool	   *done = palloc0(sizeof(bool) * Max(t->n_features, 1));
		int			j;

		for (j = 0; j < t->n_features; j++)
		{
			Datum		values[2];
			bool		nulls[2] = {false, false};

			f = -1;
			for (k = 0; k < t->n_features; k++)
				if (!done[k] && (f < 0 || imp[k] > imp[f]))
					f = k;
			done[f] = true;
			values[0] = PointerGetDatum(cstring_to_text(crm_tree_feature_name(t, f)));
			values[1] = Float8GetDatum(sum > 0 ? imp[f] / sum : 0.0);
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		}
	}
	return (Datum) 0;
}

/*
 * Graphviz DOT of a tree (crm.tree_to_dot).  One box per node, in node order
 * (n0 is the root): a split shows its condition (the left child is "true"),
 * where NULL goes (and, for a categorical split, unseen levels), then every
 * node its training rows, each class's weighted count and share, and the
 * predicted class.  Leaves are filled on a white-to-color scale by the share
 * of the positive class.
 *
 * Escaping: every name is written inside a DOT quoted string, where only
 * '"' and '\' are special ('\' starts Graphviz's label escapes \n, \l, \N,
 * ...), so both are backslash-escaped; Graphviz also decodes HTML entities in
 * labels, so '&' is written &amp; and control characters &#N;.  Other text
 * is copied as it is when the database is UTF-8 (DOT's default charset) or
 * SQL_ASCII (nothing better is known); in any other encoding it is converted
 * and non-ASCII characters are written as &#N; (the output stays in the
 * database encoding and Graphviz still reads it as UTF-8).
 */
typedef struct DotOptions
{
	int			color[3];		/* fill of a leaf whose positive share is 1 */
	const char *rankdir;
	const char *yes;			/* edge labels */
	const char *no;
} DotOptions;

#define DOT_OPT_HINT "Options: color (\"#rrggbb\", default \"#e58139\"), rankdir (\"TB\", \"LR\", \"BT\" or \"RL\"), edge_labels (\"true/false\" or \"yes/no\"), e.g. '{\"rankdir\": \"LR\"}'."

static int
hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static char *
dot_opt_string(JsonbValue *v, const char *key)
{
	if (v->type != jbvString)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("option \"%s\" must be a string", key),
				 errhint(DOT_OPT_HINT)));
	return pnstrdup(v->val.string.val, v->val.string.len);
}

static void
dot_parse_options(Jsonb *jb, DotOptions *o)
{
	JsonbIterator *it;
	JsonbValue	k,
				v;
	JsonbIteratorToken tok;

	o->color[0] = 0xe5;
	o->color[1] = 0x81;
	o->color[2] = 0x39;
	o->rankdir = "TB";
	o->yes = "true";
	o->no = "false";
	if (!JsonContainerIsObject(&jb->root))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("options must be a JSON object"),
				 errhint(DOT_OPT_HINT)));
	it = JsonbIteratorInit(&jb->root);
	while ((tok = JsonbIteratorNext(&it, &k, true)) != WJB_DONE)
	{
		char	   *key,
				   *s;

		if (tok != WJB_KEY)
			continue;
		key = pnstrdup(k.val.string.val, k.val.string.len);
		JsonbIteratorNext(&it, &v, true);
		if (strcmp(key, "color") == 0)
		{
			int			c;
			bool		ok;

			s = dot_opt_string(&v, key);
			ok = strlen(s) == 7 && s[0] == '#';
			for (c = 0; ok && c < 3; c++)
			{
				int			hi = hex_digit(s[1 + 2 * c]),
							lo = hex_digit(s[2 + 2 * c]);

				ok = hi >= 0 && lo >= 0;
				o->color[c] = hi * 16 + lo;
			}
			if (!ok)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("option \"color\" must be a color as \"#rrggbb\""),
						 errdetail("Given: \"%s\".", s),
						 errhint(DOT_OPT_HINT)));
		}
		else if (strcmp(key, "rankdir") == 0)
		{
			s = dot_opt_string(&v, key);
			if (strcmp(s, "TB") != 0 && strcmp(s, "LR") != 0 &&
				strcmp(s, "BT") != 0 && strcmp(s, "RL") != 0)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("option \"rankdir\" must be \"TB\", \"LR\", \"BT\" or \"RL\""),
						 errdetail("Given: \"%s\".", s),
						 errhint(DOT_OPT_HINT)));
			o->rankdir = s;
		}
		else if (strcmp(key, "edge_labels") == 0)
		{
			s = dot_opt_string(&v, key);
			if (strcmp(s, "yes/no") == 0)
			{
				o->yes = "yes";
				o->no = "no";
			}
			else if (strcmp(s, "true/false") != 0)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("option \"edge_labels\" must be \"true/false\" or \"yes/no\""),
						 errdetail("Given: \"%s\".", s),
						 errhint(DOT_OPT_HINT)));
		}
		else
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("unknown option \"%s\"", key),
					 errhint(DOT_OPT_HINT)));
	}
}

/* s as the inside of a DOT quoted string (see above) */
static void
dot_append_escaped(StringInfo buf, const char *s)
{
	int			enc = GetDatabaseEncoding();
	bool		raw = enc == PG_UTF8 || enc == PG_SQL_ASCII;
	const unsigned char *p;

	if (!raw)
		s = pg_server_to_any(s, strlen(s), PG_UTF8);
	for (p = (const unsigned char *) s; *p;)
	{
		if (*p == '"' || *p == '\\')
		{
			appendStringInfoChar(buf, '\\');
			appendStringInfoChar(buf, (char) *p++);
		}
		else if (*p == '&')
		{
			appendStringInfoString(buf, "&amp;");
			p++;
		}
		else if (*p < 0x20 || *p == 0x7f)
			appendStringInfo(buf, "&#%d;", (int) *p++);
		else if (*p < 0x80 || raw)
			appendStringInfoChar(buf, (char) *p++);
		else
		{
			int			len = pg_utf_mblen(p);

			appendStringInfo(buf, "&#%u;", (unsigned) utf8_to_unicode(p));
			p += len;
		}
	}
}

/* the condition of a split node, which its left ("true") child satisfies */
static void
dot_append_split(StringInfo buf, const CrmTree *t, const CrmTreeNode *n)
{
	int			f = n->feature;
	const char *name = crm_tree_feature_name(t, f);

	dot_append_escaped(buf, name);
	if (CRM_TREE_FEATURES(t)[f].kind == CRM_FEATURE_CONTINUOUS)
	{
		appendStringInfoString(buf, " <= ");
		crm_tree_append_double(buf, n->threshold);
		appendStringInfoString(buf, "\\nNULL: ");
	}
	else
	{
		int			nl = CRM_TREE_FEATURES(t)[f].n_levels,
					l;
		bool		first = true;

		appendStringInfoString(buf, " in {");
		for (l = 0; l < nl; l++)
			if (crm_tree_goes_left_level(t, n, l))
			{
				if (!first)
					appendStringInfoString(buf, ", ");
				first = false;
				dot_append_escaped(buf, crm_tree_level_name(t, f, l));
			}
		appendStringInfoString(buf, "}\\nNULL, unseen: ");
	}
}

PG_FUNCTION_INFO_V1(crm_tree_to_dot);
Datum
crm_tree_to_dot(PG_FUNCTION_ARGS)
{
	CrmTree    *t = tree_arg(fcinfo, 0);
	Jsonb	   *jb = PG_GETARG_JSONB_P(1);
	const CrmTreeNode *nodes = CRM_TREE_NODES(t);
	DotOptions	o;
	StringInfoData buf;
	int			i,
				k;

	dot_parse_options(jb, &o);
	initStringInfo(&buf);
	appendStringInfoString(&buf, "digraph tree {\n");
	appendStringInfo(&buf, "\tgraph [rankdir=%s, labelloc=t, label=\"", o.rankdir);
	dot_append_escaped(&buf, crm_tree_str(t, t->target_off));
	appendStringInfoString(&buf, " (fill: share of ");
	dot_append_escaped(&buf, crm_tree_class_name(t, t->positive));
	appendStringInfoString(&buf, ")\"];\n");
	appendStringInfoString(&buf, "\tnode [shape=box, style=\"rounded\", fontname=\"Helvetica\"];\n");
	appendStringInfoString(&buf, "\tedge [fontname=\"Helvetica\"];\n");
	for (i = 0; i < t->n_nodes; i++)
	{
		const CrmTreeNode *n = &nodes[i];
		const float8 *cn = CRM_TREE_COUNTS(t) + (Size) i * t->n_classes;
		double	   *prob = crm_tree_node_probabilities(t, i);
		int			best = 0;

		CHECK_FOR_INTERRUPTS();
		for (k = 1; k < t->n_classes; k++)
			if (cn[k] > cn[best])
				best = k;
		appendStringInfo(&buf, "\tn%d [label=\"", i);
		if (n->feature >= 0)
		{
			dot_append_split(&buf, t, n);
			appendStringInfo(&buf, "%s\\n", n->null_left ? o.yes : o.no);
		}
		appendStringInfo(&buf, "samples = " INT64_FORMAT "\\n", n->samples);
		for (k = 0; k < t->n_classes; k++)
		{
			dot_append_escaped(&buf, crm_tree_class_name(t, k));
			appendStringInfoString(&buf, ": ");
			crm_tree_append_double(&buf, cn[k]);
			appendStringInfo(&buf, " (%.1f%%)\\n", 100.0 * prob[k]);
		}
		appendStringInfoString(&buf, "class = ");
		dot_append_escaped(&buf, crm_tree_class_name(t, best));
		appendStringInfoChar(&buf, '"');
		if (n->feature < 0)
		{
			double		p = prob[t->positive];
			int			c[3];

			for (k = 0; k < 3; k++)
				c[k] = (int) rint(255.0 + (o.color[k] - 255.0) * p);
			appendStringInfo(&buf, ", style=\"rounded,filled\", fillcolor=\"#%02x%02x%02x\"",
							 c[0], c[1], c[2]);
		}
		appendStringInfoString(&buf, "];\n");
		if (n->feature >= 0)
		{
			appendStringInfo(&buf, "\tn%d -> n%d [label=\"%s\"];\n", i, n->left, o.yes);
			appendStringInfo(&buf, "\tn%d -> n%d [label=\"%s\"];\n", i, n->right, o.no);
		}
		pfree(prob);
	}
	appendStringInfoString(&buf, "}\n");
	PG_RETURN_TEXT_P(cstring_to_text(buf.data));
}
