/*
 * tree.h: the crm.tree type (a fitted CART decision tree) shared by tree.c
 * (type I/O, validation, scoring, explaining) and tree_train.c (training).
 *
 * On disk a crm.tree is one varlena: a fixed header, then arrays, each
 * starting at a multiple of 8 bytes:
 *
 *   CrmTreeNode  nodes[n_nodes]              (40 bytes each)
 *   float8       counts[n_nodes * n_classes] (weighted class counts per node)
 *   CrmTreeFeature features[n_features]      (20 bytes each)
 *   int32        class_off[n_classes]        (offsets of class labels in strings)
 *   int32        level_off[n_levels]         (offsets of category levels in strings)
 *   uint32       words[n_words]              (category bitsets of splits)
 *   char         strings[strings_len]        (NUL-terminated names)
 *
 * Only the nodes that exist are stored (not a complete binary tree).  Nodes
 * are in preorder: a child's index is always greater than its parent's, so a
 * walk from the root ends after at most n_nodes steps; the validation in
 * crm_tree_validate guarantees that and every other index a scorer reads.
 */
#ifndef CRM_TREE_H
#define CRM_TREE_H

#include "postgres.h"
#include "lib/stringinfo.h"

#define CRM_TREE_MAGIC		0x54524D43	/* "CMRT" little-endian */
#define CRM_TREE_VERSION	1

#define CRM_TREE_GINI		0
#define CRM_TREE_ENTROPY	1

#define CRM_FEATURE_CONTINUOUS	0
#define CRM_FEATURE_CATEGORICAL	1

/* limits that keep every size computation far from overflow */
#define CRM_TREE_MAX_NODES		(1 << 22)
#define CRM_TREE_MAX_FEATURES	1600
#define CRM_TREE_MAX_CLASSES	1000
#define CRM_TREE_MAX_LEVELS		(1 << 22)

typedef struct CrmTreeNode
{
	float8		threshold;		/* continuous: value <= threshold goes left */
	int64		samples;		/* training rows that reached the node */
	int32		feature;		/* index into features, -1 for a leaf */
	int32		left;			/* child indexes (0 for a leaf) */
	int32		right;
	int32		word_off;		/* categorical: first bitset word (levels going left) */
	uint8		null_left;		/* NULL (and unknown levels) go left */
	uint8		pad[7];
} CrmTreeNode;

typedef struct CrmTreeFeature
{
	int32		kind;			/* CRM_FEATURE_* */
	int32		name_off;		/* column name, offset into strings */
	int32		first_level;	/* categorical: index of first level in level_off */
	int32		n_levels;		/* categorical: number of levels */
	int32		flags;			/* CRM_FEATURE_NULLS: NULL values seen in training */
} CrmTreeFeature;

#define CRM_FEATURE_NULLS	1

typedef struct CrmTree
{
	int32		vl_len_;
	uint32		magic;
	uint16		version;
	uint8		criterion;		/* CRM_TREE_GINI or CRM_TREE_ENTROPY */
	uint8		flags;
	int32		n_features;
	int32		n_classes;
	int32		n_nodes;
	int32		n_levels;
	int32		n_words;
	int32		positive;		/* index of the positive class */
	int32		target_off;		/* target column name, offset into strings */
	int32		strings_len;
	int64		rows;			/* training rows used (0 when unknown) */
	int64		skipped;		/* training rows skipped: NULL target (0 when unknown) */
	int32		pad;
} CrmTree;

#define CRM_TREE_ALIGN(x)	(((x) + 7) & ~((Size) 7))
#define CRM_TREE_NODES_OFF	CRM_TREE_ALIGN(sizeof(CrmTree))
#define CRM_TREE_COUNTS_OFF(t) \
	(CRM_TREE_NODES_OFF + (Size) (t)->n_nodes * sizeof(CrmTreeNode))
#define CRM_TREE_FEATURES_OFF(t) \
	(CRM_TREE_COUNTS_OFF(t) + (Size) (t)->n_nodes * (t)->n_classes * sizeof(float8))
#define CRM_TREE_CLASSES_OFF(t) \
	(CRM_TREE_FEATURES_OFF(t) + (Size) (t)->n_features * sizeof(CrmTreeFeature))
#define CRM_TREE_LEVELS_OFF(t) \
	CRM_TREE_ALIGN(CRM_TREE_CLASSES_OFF(t) + (Size) (t)->n_classes * sizeof(int32))
#define CRM_TREE_WORDS_OFF(t) \
	CRM_TREE_ALIGN(CRM_TREE_LEVELS_OFF(t) + (Size) (t)->n_levels * sizeof(int32))
#define CRM_TREE_STRINGS_OFF(t) \
	CRM_TREE_ALIGN(CRM_TREE_WORDS_OFF(t) + (Size) (t)->n_words * sizeof(uint32))

#define CRM_TREE_NODES(t)	((CrmTreeNode *) ((char *) (t) + CRM_TREE_NODES_OFF))
#define CRM_TREE_COUNTS(t)	((float8 *) ((char *) (t) + CRM_TREE_COUNTS_OFF(t)))
#define CRM_TREE_FEATURES(t) ((CrmTreeFeature *) ((char *) (t) + CRM_TREE_FEATURES_OFF(t)))
#define CRM_TREE_CLASS_OFF(t) ((int32 *) ((char *) (t) + CRM_TREE_CLASSES_OFF(t)))
#define CRM_TREE_LEVEL_OFF(t) ((int32 *) ((char *) (t) + CRM_TREE_LEVELS_OFF(t)))
#define CRM_TREE_WORDS(t)	((uint32 *) ((char *) (t) + CRM_TREE_WORDS_OFF(t)))
#define CRM_TREE_STRINGS(t)	((char *) (t) + CRM_TREE_STRINGS_OFF(t))

/*
 * A tree under construction, in ordinary palloc'd arrays: what the JSON
 * parser and the trainer fill and crm_tree_build serializes.
 */
typedef struct CrmTreeBuild
{
	int			criterion;
	char	   *target;
	int			n_classes;
	char	  **classes;
	int			positive;
	int			n_features;
	char	  **feature_names;
	int		   *feature_kinds;
	bool	   *feature_nulls;	/* NULL values seen in training (NULL array: all true) */
	int		   *feature_n_levels;
	char	 ***feature_levels;
	int			n_nodes;
	CrmTreeNode *nodes;			/* word_off unused: left levels in node_left */
	float8	   *counts;			/* n_nodes * n_classes */
	bool	  **node_left;		/* categorical splits: per level, goes left */
	int64		rows;
	int64		skipped;
} CrmTreeBuild;

/* serialize (and validate) a build into a crm.tree value */
extern CrmTree *crm_tree_build(CrmTreeBuild *b);

/* check everything a reader relies on; ereport(ERROR) naming what is wrong */
extern void crm_tree_validate(const CrmTree *t, Size size);

/* impurity of weighted class counts (criterion CRM_TREE_*) */
extern double crm_tree_impurity(int criterion, const double *counts, int n_classes, double total);

#endif
