/* The in-memory container tree: a hash table by full name plus parent/child links. */
#include "base/tree.h"
#include "base/util.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

struct lmc_tree {
	struct lmc_node root;
	struct lmc_node **buckets;
	size_t n_buckets;
	size_t count;
};

int lmc_tree_new(struct lmc_tree **ret)
{
	struct lmc_tree *t = calloc(1, sizeof(*t));

	if (!t)
		return -ENOMEM;
	t->n_buckets = 64;
	t->buckets = calloc(t->n_buckets, sizeof(*t->buckets));
	if (!t->buckets) {
		free(t);
		return -ENOMEM;
	}
	lmc_spec_init(&t->root.spec);
	*ret = t;
	return 0;
}

void lmc_tree_free(struct lmc_tree *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n_buckets; i++) {
		struct lmc_node *n = t->buckets[i];

		while (n) {
			struct lmc_node *next = n->hnext;

			free(n);
			n = next;
		}
	}
	free(t->buckets);
	free(t);
}

struct lmc_node *lmc_tree_root(const struct lmc_tree *t)
{
	return (struct lmc_node *)&t->root;
}

size_t lmc_tree_count(const struct lmc_tree *t)
{
	return t->count;
}

struct lmc_node *lmc_tree_find(const struct lmc_tree *t, const char *name)
{
	struct lmc_node *n;

	if (!name[0] || (name[0] == '/' && !name[1]))
		return lmc_tree_root(t);
	for (n = t->buckets[lmc_util_hash(name) & (t->n_buckets - 1)]; n; n = n->hnext)
		if (strcmp(n->name, name) == 0)
			return n;
	return NULL;
}

static int tree_grow(struct lmc_tree *t)
{
	size_t nb = t->n_buckets * 2;
	struct lmc_node **b = calloc(nb, sizeof(*b));

	if (!b)
		return -ENOMEM;
	for (size_t i = 0; i < t->n_buckets; i++) {
		struct lmc_node *n = t->buckets[i];

		while (n) {
			struct lmc_node *next = n->hnext;
			size_t k = lmc_util_hash(n->name) & (nb - 1);

			n->hnext = b[k];
			b[k] = n;
			n = next;
		}
	}
	free(t->buckets);
	t->buckets = b;
	t->n_buckets = nb;
	return 0;
}

int lmc_tree_add(struct lmc_tree *t, const char *name, const struct lmc_spec *spec,
		 struct lmc_node **ret)
{
	char parent[LMC_NAME_MAX + 1];
	struct lmc_node *p, *n;
	size_t k;
	int r;

	if (!lmc_name_is_valid(name) || lmc_name_is_root(name))
		return -EINVAL;
	if (lmc_tree_find(t, name))
		return -EEXIST;
	r = lmc_name_parent(name, parent, sizeof(parent));
	if (r < 0)
		return r;
	p = lmc_tree_find(t, parent);
	if (!p)
		return -ENOENT;
	if (t->count + 1 > t->n_buckets && tree_grow(t) < 0)
		return -ENOMEM;
	n = calloc(1, sizeof(*n));
	if (!n)
		return -ENOMEM;
	snprintf(n->name, sizeof(n->name), "%s", name);
	if (spec)
		n->spec = *spec;
	else
		lmc_spec_init(&n->spec);
	n->parent = p;
	n->prev_sibling = p->last_child;
	if (p->last_child)
		p->last_child->next_sibling = n;
	else
		p->first_child = n;
	p->last_child = n;
	p->n_children++;
	for (struct lmc_node *a = p; a; a = a->parent)
		a->n_descendants++;
	k = lmc_util_hash(name) & (t->n_buckets - 1);
	n->hnext = t->buckets[k];
	t->buckets[k] = n;
	t->count++;
	if (ret)
		*ret = n;
	return 0;
}

int lmc_tree_remove(struct lmc_tree *t, struct lmc_node *n)
{
	struct lmc_node **pp;
	struct lmc_node *p = n->parent;

	if (!p)
		return -EINVAL;
	if (n->first_child)
		return -ENOTEMPTY;
	for (pp = &t->buckets[lmc_util_hash(n->name) & (t->n_buckets - 1)]; *pp; pp = &(*pp)->hnext)
		if (*pp == n) {
			*pp = n->hnext;
			break;
		}
	if (n->prev_sibling)
		n->prev_sibling->next_sibling = n->next_sibling;
	else
		p->first_child = n->next_sibling;
	if (n->next_sibling)
		n->next_sibling->prev_sibling = n->prev_sibling;
	else
		p->last_child = n->prev_sibling;
	p->n_children--;
	for (struct lmc_node *a = p; a; a = a->parent)
		a->n_descendants--;
	t->count--;
	free(n);
	return 0;
}

struct lmc_node *lmc_tree_next(const struct lmc_node *top, const struct lmc_node *n)
{
	if (n->first_child)
		return n->first_child;
	while (n != top) {
		if (n->next_sibling)
			return n->next_sibling;
		n = n->parent;
	}
	return NULL;
}

static struct lmc_node *leftmost_leaf(const struct lmc_node *n)
{
	while (n->first_child)
		n = n->first_child;
	return (struct lmc_node *)n;
}

struct lmc_node *lmc_tree_post_first(const struct lmc_node *top)
{
	return leftmost_leaf(top);
}

struct lmc_node *lmc_tree_post_next(const struct lmc_node *top, const struct lmc_node *n)
{
	if (n == top)
		return NULL;
	if (n->next_sibling)
		return leftmost_leaf(n->next_sibling);
	return n->parent;
}

int lmc_node_depth(const struct lmc_node *n)
{
	int d = 0;

	for (; n->parent; n = n->parent)
		d++;
	return d;
}
