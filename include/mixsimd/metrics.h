/* mixsimd/metrics.h — external clustering metrics: ACC, NMI, ARI, purity.
 *
 * A predicted clustering `pred` is scored against the true labels `truth`
 * (n samples each). Labels are arbitrary int32 values (negative ones such as
 * -1 for noise included): each side is remapped to dense ids 0 .. K-1 in the
 * order of its sorted distinct values, and one contingency table
 * n_tp = #{i : truth_i = t, pred_i = p} (K_true x K_pred) serves every metric.
 * With a_t = sum_p n_tp, b_p = sum_t n_tp:
 *
 * - ACC (Hungarian accuracy): max over one-to-one maps m from clusters to
 *   labels of sum_p n_{m(p) p} / n, found by mx_linear_assignment on -n_tp.
 *   With K_pred != K_true only min(K_true, K_pred) pairs are matched and the
 *   unmatched samples count as errors (the usual
 *   scipy.optimize.linear_sum_assignment(-contingency) recipe).
 * - NMI: I(T; P) / norm(H(T), H(P)) as scikit-learn's
 *   normalized_mutual_info_score (natural logarithms, sklearn 1.2):
 *     I = sum_tp (n_tp / n) log(n n_tp / (a_t b_p)),  H(T) = -sum_t (a_t/n) log(a_t/n),
 *   norm = arithmetic mean (the default), geometric mean, max or min.
 *   Both sides a single cluster: 1. Exactly one side a single cluster, or
 *   I = 0: 0. A tiny negative I from rounding is clipped to 0.
 * - ARI: Hubert and Arabie's adjusted Rand index, equal to scikit-learn's
 *   adjusted_rand_score. With pair counts S = sum_tp C(n_tp, 2),
 *   A = sum_t C(a_t, 2), B = sum_p C(b_p, 2), P = C(n, 2):
 *     ARI = (S - A B / P) / ((A + B) / 2 - A B / P),
 *   and 1 when the two partitions are equal as sets of pairs (A = B = S:
 *   identical up to renaming, both a single cluster, both all singletons).
 *   Pair counts are exact 64-bit integers; products and quotients of them
 *   are taken in double.
 * - Purity: sum_p max_t n_tp / n.
 *
 * The sums run in double; results agree with scikit-learn 1.2 and SciPy to
 * 1e-9 absolute (tests/test_metrics.c). Cost: O(n + K log K) expected time
 * for the relabelling (a hash table finds the distinct values), K_true K_pred
 * counters of memory, and O(min(K)^2 max(K)) time for ACC.
 *
 * Errors (with a message in *err): MX_ERR_ARG for n = 0, n > 2^32 - 1, an
 * unknown norm or a NULL pointer; MX_ERR_NOMEM when the table or the
 * workspace cannot be allocated.
 */
#ifndef MIXSIMD_METRICS_H
#define MIXSIMD_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The normaliser of NMI: a mean of H(truth) and H(pred). */
typedef enum mx_nmi_norm {
    MX_NMI_ARITHMETIC = 0, /* (H_T + H_P) / 2: sklearn's default since 0.22 */
    MX_NMI_GEOMETRIC,      /* sqrt(H_T H_P)                                 */
    MX_NMI_MAX,            /* max(H_T, H_P)                                 */
    MX_NMI_MIN             /* min(H_T, H_P)                                 */
} mx_nmi_norm;

typedef struct mx_metrics {
    double acc;    /* Hungarian accuracy: best one-to-one map clusters -> labels */
    double nmi, ari, purity;
    size_t k_true, k_pred; /* distinct labels / clusters seen */
} mx_metrics;

/* Scores pred against truth (n labels each) into *out. */
mx_status mx_metrics_compute(size_t n, const int32_t *truth, const int32_t *pred,
                             mx_nmi_norm norm, mx_metrics *out, mx_error *err);

/* Linear assignment (minimum-cost matching): cost is a rows x cols row-major
 * matrix of finite values, either side may be the larger. Every row (if
 * rows <= cols) or every column (if rows > cols) is matched to a distinct
 * partner so that the total cost is minimal; assignment[r] (rows entries) is
 * the column of row r, or -1 for a row left unmatched when rows > cols;
 * *total is the sum of the matched costs (total may be NULL).
 * O(min^2 max) time by shortest augmenting paths with dual potentials.
 * MX_ERR_ARG: NULL pointer, an empty matrix or a side over INT32_MAX;
 * MX_ERR_DOMAIN: a NaN or infinite cost; MX_ERR_NOMEM. */
mx_status mx_linear_assignment(size_t rows, size_t cols, const double *cost,
                               int32_t *assignment, double *total, mx_error *err);

#ifdef __cplusplus
}
#endif
#endif /* MIXSIMD_METRICS_H */

/* ========================================================================== */
#if defined(MIXSIMD_IMPLEMENTATION) && !defined(MIXSIMD_METRICS_IMPLEMENTED)
#define MIXSIMD_METRICS_IMPLEMENTED
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- linear assignment --------------------------------------------------- */
/* Working arrays of the solver, for rows <= cols. */
typedef struct mx_lap_work_ {
    double *u, *v;        /* dual potentials of the rows (rows) and columns (cols)  */
    double *distance;     /* cols: shortest reduced path length from the new row    */
    size_t *row_of_col;   /* cols: the matched row, or SIZE_MAX when free           */
    size_t *col_of_row;   /* rows: the matched column                               */
    size_t *path_row;     /* cols: the row before each column on its shortest path  */
    size_t *unreached;    /* cols: columns not yet in the search tree (a prefix)    */
    unsigned char *row_in_tree, *col_in_tree; /* rows, cols                         */
    double *doubles;      /* the three blocks that hold all of the above            */
    size_t *indices;
    unsigned char *flags;
} mx_lap_work_;

static void mx_lap_work_free_(mx_lap_work_ *w) {
    free(w->doubles);
    free(w->indices);
    free(w->flags);
}

/* On failure returns 0; mx_lap_work_free_ still applies. */
static int mx_lap_work_alloc_(mx_lap_work_ *w, size_t rows, size_t cols) {
    w->doubles = calloc(rows + 2 * cols, sizeof *w->doubles);
    w->indices = malloc((rows + 3 * cols) * sizeof *w->indices);
    w->flags = malloc(rows + cols);
    if (w->doubles == NULL || w->indices == NULL || w->flags == NULL) return 0;
    w->u = w->doubles, w->v = w->u + rows, w->distance = w->v + cols;
    w->row_of_col = w->indices, w->col_of_row = w->row_of_col + cols;
    w->path_row = w->col_of_row + rows, w->unreached = w->path_row + cols;
    w->row_in_tree = w->flags, w->col_in_tree = w->flags + rows;
    return 1;
}

/* Dijkstra over reduced costs c_ij - u_i - v_j (>= 0 everywhere, 0 on
 * matched pairs) from row `start` until it reaches a free column; returns
 * that column and leaves the path length to each reached column in
 * distance[] and the last length in *reach. Among equally near columns a
 * free one is taken first: the search then stops sooner. */
static size_t mx_lap_shortest_path_(size_t start, size_t cols, const double *cost, mx_lap_work_ *w,
                                    double *reach) {
    for (size_t j = 0; j < cols; ++j) w->distance[j] = INFINITY, w->col_in_tree[j] = 0, w->unreached[j] = j;
    size_t unreached_count = cols, row = start;
    double length = 0.0;
    for (;;) {
        w->row_in_tree[row] = 1;
        const double *c = cost + row * cols, base = length - w->u[row];
        double nearest = INFINITY;
        size_t pick = 0;
        for (size_t k = 0; k < unreached_count; ++k) {
            const size_t j = w->unreached[k];
            const double d = base + c[j] - w->v[j];
            if (d < w->distance[j]) w->distance[j] = d, w->path_row[j] = row;
            if (w->distance[j] < nearest || (w->distance[j] == nearest && w->row_of_col[j] == SIZE_MAX))
                nearest = w->distance[j], pick = k;
        }
        length = nearest;
        const size_t col = w->unreached[pick];
        w->col_in_tree[col] = 1;
        w->unreached[pick] = w->unreached[--unreached_count];
        if (w->row_of_col[col] == SIZE_MAX) {
            *reach = length;
            return col;
        }
        row = w->row_of_col[col];
    }
}

/* Adds row `start` to the matching: the Kuhn-Munkres method with dual
 * potentials in the shortest augmenting path form of Jonker and Volgenant
 * (1987), arranged as in Crouse, "On implementing 2D rectangular assignment
 * algorithms" (IEEE TAES 2016). After the search the potentials move by the
 * path lengths, which keeps every reduced cost >= 0 and makes the whole path
 * tight; flipping the path then matches one more row. O(rows cols) per row. */
static void mx_lap_add_row_(size_t start, size_t rows, size_t cols, const double *cost, mx_lap_work_ *w) {
    for (size_t i = 0; i < rows; ++i) w->row_in_tree[i] = 0;
    double reach;
    size_t col = mx_lap_shortest_path_(start, cols, cost, w, &reach);
    w->u[start] += reach;
    for (size_t i = 0; i < rows; ++i)
        if (w->row_in_tree[i] && i != start) w->u[i] += reach - w->distance[w->col_of_row[i]];
    for (size_t j = 0; j < cols; ++j)
        if (w->col_in_tree[j]) w->v[j] -= reach - w->distance[j];
    for (;;) { /* augment: each row on the path takes the column after it */
        const size_t row = w->path_row[col], previous = w->col_of_row[row];
        w->row_of_col[col] = row;
        w->col_of_row[row] = col;
        if (row == start) break;
        col = previous;
    }
}

/* rows <= cols: fills row_of_col[0 .. cols) with an optimal matching. */
static void mx_lap_solve_(size_t rows, size_t cols, const double *cost, mx_lap_work_ *w) {
    for (size_t j = 0; j < cols; ++j) w->row_of_col[j] = SIZE_MAX;
    for (size_t row = 0; row < rows; ++row) mx_lap_add_row_(row, rows, cols, cost, w);
}

static mx_status mx_lap_check_(size_t rows, size_t cols, const double *cost, const int32_t *assignment,
                               mx_error *err) {
    if (cost == NULL || assignment == NULL)
        return mx_error_set(err, MX_ERR_ARG, "linear assignment: cost or assignment is NULL");
    if (rows == 0 || cols == 0)
        return mx_error_set(err, MX_ERR_ARG, "linear assignment: empty %zu x %zu cost matrix", rows, cols);
    if (rows > INT32_MAX || cols > INT32_MAX || rows > SIZE_MAX / sizeof(double) / cols)
        return mx_error_set(err, MX_ERR_ARG, "linear assignment: %zu x %zu cost matrix is too large", rows,
                            cols);
    for (size_t i = 0; i < rows * cols; ++i)
        if (!isfinite(cost[i]))
            return mx_error_set(err, MX_ERR_DOMAIN, "linear assignment: cost[%zu][%zu] = %g is not finite",
                                i / cols, i % cols, cost[i]);
    return MX_OK;
}

mx_status mx_linear_assignment(size_t rows, size_t cols, const double *cost, int32_t *assignment,
                               double *total, mx_error *err) {
    mx_status status = mx_lap_check_(rows, cols, cost, assignment, err);
    if (status != MX_OK) return status;
    /* The solver matches every row of a matrix with no more rows than
     * columns: a tall matrix is solved transposed. */
    const int transposed = rows > cols;
    const size_t short_side = transposed ? cols : rows, long_side = transposed ? rows : cols;
    double *transpose = transposed ? malloc(rows * cols * sizeof *transpose) : NULL;
    mx_lap_work_ w;
    if (!mx_lap_work_alloc_(&w, short_side, long_side) || (transposed && transpose == NULL)) {
        mx_lap_work_free_(&w);
        free(transpose);
        return mx_error_set(err, MX_ERR_NOMEM, "linear assignment: out of memory for %zu x %zu costs", rows,
                            cols);
    }
    if (transposed)
        for (size_t r = 0; r < rows; ++r)
            for (size_t c = 0; c < cols; ++c) transpose[c * rows + r] = cost[r * cols + c];
    mx_lap_solve_(short_side, long_side, transposed ? transpose : cost, &w);
    for (size_t r = 0; r < rows; ++r) assignment[r] = -1;
    double sum = 0.0;
    for (size_t j = 0; j < long_side; ++j) {
        if (w.row_of_col[j] == SIZE_MAX) continue;
        const size_t r = transposed ? j : w.row_of_col[j], c = transposed ? w.row_of_col[j] : j;
        assignment[r] = (int32_t)c;
        sum += cost[r * cols + c];
    }
    if (total != NULL) *total = sum;
    mx_lap_work_free_(&w);
    free(transpose);
    return MX_OK;
}

/* ---- contingency table --------------------------------------------------- */
typedef struct mx_contingency_ {
    size_t n, k_true, k_pred;
    uint64_t *cells;                   /* k_true x k_pred, row-major: cells[t k_pred + p] */
    uint64_t *true_sizes, *pred_sizes; /* a_t (row sums) and b_p (column sums)          */
} mx_contingency_;

static void mx_contingency_free_(mx_contingency_ *table) {
    free(table->cells);
    free(table->true_sizes);
    free(table->pred_sizes);
}

static int mx_compare_int32_(const void *a, const void *b) {
    const int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

/* Scratch of the relabelling: an open-addressing hash table of the distinct
 * label values (linear probing, at most half full) and three arrays of up
 * to n entries. */
#define MX_EMPTY_SLOT_ UINT32_MAX
typedef struct mx_label_slot_ {
    int32_t value;
    uint32_t id; /* order of first appearance, or MX_EMPTY_SLOT_ */
} mx_label_slot_;

typedef struct mx_relabel_ {
    mx_label_slot_ *slots;
    size_t mask;       /* slots - 1, a power of two minus one */
    unsigned shift;    /* 64 - log2(slots): the hash keeps the top bits */
    int32_t *distinct; /* distinct values in order of first appearance */
    int32_t *sorted;   /* the same, sorted */
    uint32_t *rank;    /* rank[first-appearance id] = position in sorted */
} mx_relabel_;

static void mx_relabel_free_(mx_relabel_ *r) {
    free(r->slots);
    free(r->distinct);
    free(r->sorted);
    free(r->rank);
}

/* n <= UINT32_MAX. On failure returns 0; mx_relabel_free_ still applies. */
static int mx_relabel_alloc_(mx_relabel_ *r, size_t n) {
    unsigned bits = 1;
    while (((size_t)1 << bits) < 2 * n) ++bits;
    r->mask = ((size_t)1 << bits) - 1;
    r->shift = 64 - bits;
    r->slots = malloc((r->mask + 1) * sizeof *r->slots);
    r->distinct = malloc(n * sizeof *r->distinct);
    r->sorted = malloc(n * sizeof *r->sorted);
    r->rank = malloc(n * sizeof *r->rank);
    return r->slots && r->distinct && r->sorted && r->rank;
}

/* Index of value in sorted[0 .. k), which holds it. */
static uint32_t mx_sorted_position_(const int32_t *sorted, size_t k, int32_t value) {
    size_t lo = 0, hi = k - 1;
    while (lo < hi) {
        const size_t mid = lo + (hi - lo) / 2;
        if (sorted[mid] < value) lo = mid + 1;
        else hi = mid;
    }
    return (uint32_t)lo;
}

/* Writes to ids[0 .. n) the rank of each label among the distinct values,
 * sorted, and returns how many distinct values there are. Hashing finds the
 * k distinct values and only they are sorted: O(n + k log k) expected. */
static size_t mx_dense_ids_(size_t n, const int32_t *labels, mx_relabel_ *r, uint32_t *ids) {
    for (size_t h = 0; h <= r->mask; ++h) r->slots[h].id = MX_EMPTY_SLOT_;
    uint32_t k = 0;
    for (size_t i = 0; i < n; ++i) {
        const int32_t value = labels[i];
        size_t h = (size_t)(((uint64_t)(uint32_t)value * 0x9E3779B97F4A7C15ull) >> r->shift); /* Fibonacci hashing */
        while (r->slots[h].id != MX_EMPTY_SLOT_ && r->slots[h].value != value) h = (h + 1) & r->mask;
        if (r->slots[h].id == MX_EMPTY_SLOT_) {
            r->slots[h].value = value, r->slots[h].id = k;
            r->distinct[k++] = value;
        }
        ids[i] = r->slots[h].id;
    }
    memcpy(r->sorted, r->distinct, k * sizeof *r->sorted);
    qsort(r->sorted, k, sizeof *r->sorted, mx_compare_int32_);
    for (uint32_t j = 0; j < k; ++j) r->rank[j] = mx_sorted_position_(r->sorted, k, r->distinct[j]);
    for (size_t i = 0; i < n; ++i) ids[i] = r->rank[ids[i]];
    return k;
}

static mx_status mx_contingency_build_(size_t n, const int32_t *truth, const int32_t *pred,
                                       mx_contingency_ *table, mx_error *err) {
    memset(table, 0, sizeof *table);
    table->n = n;
    mx_relabel_ relabel;
    const int relabel_ready = mx_relabel_alloc_(&relabel, n);
    uint32_t *true_ids = malloc(n * sizeof *true_ids), *pred_ids = malloc(n * sizeof *pred_ids);
    mx_status status = MX_OK;
    if (!relabel_ready || true_ids == NULL || pred_ids == NULL) {
        status = mx_error_set(err, MX_ERR_NOMEM, "metrics: out of memory relabelling %zu samples", n);
        goto done;
    }
    table->k_true = mx_dense_ids_(n, truth, &relabel, true_ids);
    table->k_pred = mx_dense_ids_(n, pred, &relabel, pred_ids);
    const size_t kt = table->k_true, kp = table->k_pred; /* each <= n */
    table->cells = kt <= SIZE_MAX / sizeof(uint64_t) / kp ? calloc(kt * kp, sizeof(uint64_t)) : NULL;
    table->true_sizes = calloc(kt, sizeof(uint64_t));
    table->pred_sizes = calloc(kp, sizeof(uint64_t));
    if (table->cells == NULL || table->true_sizes == NULL || table->pred_sizes == NULL) {
        mx_contingency_free_(table);
        status = mx_error_set(err, MX_ERR_NOMEM,
                              "metrics: out of memory for the %zu x %zu contingency table (labels x clusters)",
                              kt, kp);
        goto done;
    }
    for (size_t i = 0; i < n; ++i) {
        table->cells[(size_t)true_ids[i] * kp + pred_ids[i]]++;
        table->true_sizes[true_ids[i]]++;
        table->pred_sizes[pred_ids[i]]++;
    }
done:
    mx_relabel_free_(&relabel);
    free(true_ids);
    free(pred_ids);
    return status;
}

/* ---- the metrics --------------------------------------------------------- */
/* C(count, 2) without overflowing before the division. */
static uint64_t mx_pairs_(uint64_t count) {
    return count % 2 == 0 ? count / 2 * (count - 1) : (count - 1) / 2 * count;
}

/* H = -sum (c/n) log(c/n), with log(c/n) as log c - log n like sklearn. */
static double mx_entropy_(const uint64_t *sizes, size_t k, size_t n) {
    const double log_n = log((double)n);
    double h = 0.0;
    for (size_t i = 0; i < k; ++i) /* every size is >= 1: ids are dense */
        h -= (double)sizes[i] / (double)n * (log((double)sizes[i]) - log_n);
    return h;
}

/* I(T; P) = sum_tp (n_tp / n) log(n n_tp / (a_t b_p)). The two products
 * are integers, exact in double while n < 2^26.5, so an independent cell
 * gives log 1 = 0 exactly. */
static double mx_mutual_information_(const mx_contingency_ *t) {
    double mi = 0.0;
    for (size_t i = 0; i < t->k_true; ++i)
        for (size_t j = 0; j < t->k_pred; ++j) {
            const uint64_t c = t->cells[i * t->k_pred + j];
            if (c == 0) continue;
            const double joint = (double)t->n * (double)c;
            const double independent = (double)t->true_sizes[i] * (double)t->pred_sizes[j];
            mi += (double)c / (double)t->n * log(joint / independent);
        }
    return mi > 0.0 ? mi : 0.0; /* clip rounding below zero */
}

static double mx_nmi_(const mx_contingency_ *t, mx_nmi_norm norm) {
    if (t->k_true == 1 && t->k_pred == 1) return 1.0; /* neither side is split: a perfect match */
    /* One side a single cluster: every cell's ratio is n_tp / a_t = 1 (or
     * n_tp / b_p), so I is exactly 0, like any independent table: NMI = 0
     * whatever the normaliser, even the zero one. */
    const double mi = mx_mutual_information_(t);
    if (mi == 0.0) return 0.0;
    const double ht = mx_entropy_(t->true_sizes, t->k_true, t->n);
    const double hp = mx_entropy_(t->pred_sizes, t->k_pred, t->n);
    switch (norm) {
    case MX_NMI_GEOMETRIC: return mi / sqrt(ht * hp);
    case MX_NMI_MAX: return mi / fmax(ht, hp);
    case MX_NMI_MIN: return mi / fmin(ht, hp);
    case MX_NMI_ARITHMETIC: break;
    }
    return mi / (0.5 * (ht + hp));
}

/* Hubert and Arabie (1985): ARI = (S - E) / ((A + B) / 2 - E), E = A B / P. */
static double mx_ari_(const mx_contingency_ *t) {
    uint64_t same_both = 0, same_true = 0, same_pred = 0;
    for (size_t i = 0; i < t->k_true * t->k_pred; ++i) same_both += mx_pairs_(t->cells[i]);
    for (size_t i = 0; i < t->k_true; ++i) same_true += mx_pairs_(t->true_sizes[i]);
    for (size_t j = 0; j < t->k_pred; ++j) same_pred += mx_pairs_(t->pred_sizes[j]);
    if (same_true == same_both && same_pred == same_both) return 1.0; /* no pair disagrees */
    const double expected = (double)same_true * (double)same_pred / (double)mx_pairs_(t->n);
    return ((double)same_both - expected) / (0.5 * ((double)same_true + (double)same_pred) - expected);
}

static double mx_purity_(const mx_contingency_ *t) {
    uint64_t majority_sum = 0;
    for (size_t j = 0; j < t->k_pred; ++j) {
        uint64_t majority = 0;
        for (size_t i = 0; i < t->k_true; ++i)
            if (t->cells[i * t->k_pred + j] > majority) majority = t->cells[i * t->k_pred + j];
        majority_sum += majority;
    }
    return (double)majority_sum / (double)t->n;
}

/* The matching of labels to clusters that keeps the most samples: minimum
 * cost assignment on -n_tp. */
static mx_status mx_acc_(const mx_contingency_ *t, double *acc, mx_error *err) {
    const size_t cells = t->k_true * t->k_pred;
    double *cost = malloc(cells * sizeof *cost);
    int32_t *assignment = malloc(t->k_true * sizeof *assignment);
    mx_status status;
    if (cost == NULL || assignment == NULL) {
        status = mx_error_set(err, MX_ERR_NOMEM, "metrics: out of memory for the %zu x %zu ACC assignment",
                              t->k_true, t->k_pred);
    } else {
        for (size_t i = 0; i < cells; ++i) cost[i] = -(double)t->cells[i];
        double total;
        status = mx_linear_assignment(t->k_true, t->k_pred, cost, assignment, &total, err);
        if (status == MX_OK) *acc = -total / (double)t->n;
    }
    free(cost);
    free(assignment);
    return status;
}

mx_status mx_metrics_compute(size_t n, const int32_t *truth, const int32_t *pred, mx_nmi_norm norm,
                             mx_metrics *out, mx_error *err) {
    if (truth == NULL || pred == NULL || out == NULL)
        return mx_error_set(err, MX_ERR_ARG, "metrics: truth, pred or out is NULL");
    if (n == 0) return mx_error_set(err, MX_ERR_ARG, "metrics: no samples (n = 0)");
    if (n > UINT32_MAX) return mx_error_set(err, MX_ERR_ARG, "metrics: %zu samples, more than 2^32 - 1", n);
    if ((unsigned)norm > MX_NMI_MIN)
        return mx_error_set(err, MX_ERR_ARG, "metrics: unknown NMI normaliser %d", (int)norm);
    mx_contingency_ table;
    mx_status status = mx_contingency_build_(n, truth, pred, &table, err);
    if (status != MX_OK) return status;
    mx_metrics m = {.k_true = table.k_true, .k_pred = table.k_pred};
    status = mx_acc_(&table, &m.acc, err);
    if (status == MX_OK) {
        m.nmi = mx_nmi_(&table, norm);
        m.ari = mx_ari_(&table);
        m.purity = mx_purity_(&table);
        *out = m;
    }
    mx_contingency_free_(&table);
    return status;
}

#endif /* MIXSIMD_METRICS_IMPLEMENTATION */
