/* The in-memory container tree: nodes by name (hashed) with parent/child links. No I/O. */
#ifndef LMC_TREE_H
#define LMC_TREE_H

#include <stdbool.h>
#include <stddef.h>

#include "base/name.h"
#include "base/spec.h"

struct lmc_node {
	char name[LMC_NAME_MAX + 1]; /* canonical; "" for the root */
	struct lmc_spec spec;
	struct lmc_node *parent;
	struct lmc_node *first_child, *last_child;
	struct lmc_node *prev_sibling, *next_sibling;
	unsigned n_children;
	unsigned n_descendants; /* containers below it, at any depth */
	struct lmc_node *hnext; /* hash chain, private to tree.c */
	void *user; /* for the layer that owns the tree (manager) */
};

struct lmc_tree;

/* A tree holding only the root ("", spec all unset). */
int lmc_tree_new(struct lmc_tree **ret);
void lmc_tree_free(struct lmc_tree *t);
struct lmc_node *lmc_tree_root(const struct lmc_tree *t);
struct lmc_node *lmc_tree_find(const struct lmc_tree *t, const char *name);
size_t lmc_tree_count(const struct lmc_tree *t); /* not counting the root */
/* Add name (its parent must exist; -ENOENT otherwise, -EEXIST if present). */
int lmc_tree_add(struct lmc_tree *t, const char *name, const struct lmc_spec *spec,
		 struct lmc_node **ret);
/* Remove a node that has no children (-ENOTEMPTY otherwise; -EINVAL for the root). */
int lmc_tree_remove(struct lmc_tree *t, struct lmc_node *n);
/* Pre-order walk of the subtree at top: returns the node after n, NULL at the end. */
struct lmc_node *lmc_tree_next(const struct lmc_node *top, const struct lmc_node *n);
/* Post-order: first node, then next (children before parents; ends with top). */
struct lmc_node *lmc_tree_post_first(const struct lmc_node *top);
struct lmc_node *lmc_tree_post_next(const struct lmc_node *top, const struct lmc_node *n);
int lmc_node_depth(const struct lmc_node *n);

#endif
