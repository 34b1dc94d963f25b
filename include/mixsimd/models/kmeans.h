/* mixsimd/models/kmeans.h — k-means: greedy k-means++ seeding and Lloyd
 * iterations, with the defaults and conventions of scikit-learn 1.2's KMeans.
 *
 *     mx_kmeans model = {0};
 *     mx_kmeans_config cfg = mx_kmeans_config_default(10);
 *     if (mx_kmeans_fit(&model, X, n, d, &cfg, labels, &err) != MX_OK) ... err.message ...
 *     mx_kmeans_save(&model, "kmeans.mxm", &err);
 *     mx_kmeans_free(&model);
 *
 * Data: X is n x d float32, row-major, finite (NaN/Inf -> MX_ERR_DOMAIN naming
 * the point), 1 <= k <= n (else MX_ERR_ARG). Labels are int32 in [0, k).
 *
 * Seeding (mx_kmeans_init_centers), as sklearn's _kmeans_plusplus: the first
 * center is a uniformly drawn point; each next one is the best of
 * 2 + floor(ln k) candidates drawn with probability proportional to the
 * squared distance to the nearest chosen center ("greedy" k-means++: the
 * candidate that minimises the total potential wins).
 *
 * Lloyd (mx_kmeans_lloyd), as sklearn's lloyd: each iteration assigns every
 * point to its nearest center (distances ||x||^2 - 2 x.c + ||c||^2, the dot
 * products through mx_gemm_f32, one call per tile of 256 rows; the thread
 * that took the tile then sums it into the new centers while it is in cache,
 * so an iteration reads X once), reports the inertia of those labels with
 * the current centers (computed directly: (x - c)^2 summed in float per
 * point, in double over points), relocates empty clusters to the points farthest
 * from their centers, moves the centers to the means, and stops when the
 * labels did not change ("strict convergence") or when the sum over centers
 * of the squared center shift is <= tol * mean_j var(X[:, j]). A last
 * assignment pass makes labels and inertia match the final centers.
 *
 * Restarts: run r of mx_kmeans_fit seeds with mx_model_restart_seed_(cfg->seed,
 * r) (cfg->seed itself for run 0); the run with the lowest final inertia is kept. The same seed gives bitwise identical
 * results whatever the thread count (the GEMM is thread-count independent
 * and the center sums are reduced over fixed chunks, models/common.h).
 */
#ifndef MIXSIMD_MODELS_KMEANS_H
#define MIXSIMD_MODELS_KMEANS_H

#include <stddef.h>
#include <stdint.h>

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mx_kmeans_config {
    size_t k;                  /* clusters, 1 <= k <= n (no default)                   */
    size_t n_init;             /* restarts, default 10 (sklearn 1.2)                   */
    size_t max_iter;           /* Lloyd iterations per run, default 300                */
    double tol;                /* default 1e-4, relative to the mean per-feature
                                  variance of X (sklearn's convention)                 */
    uint64_t seed;             /* default 0                                            */
    mx_fit_callback callback;  /* per Lloyd iteration, may be NULL (default)          */
    void *callback_context;
} mx_kmeans_config;

/* The defaults above for k clusters. */
mx_kmeans_config mx_kmeans_config_default(size_t k);

typedef struct mx_kmeans {
    size_t k, d;
    float *centers;  /* k x d, row-major (owned; mx_kmeans_free releases it)   */
    double inertia;  /* after a fit: sum over points of the squared distance to
                        the assigned center                                      */
    size_t n_iter;   /* Lloyd iterations of the kept run                          */
    int converged;   /* 1 if the kept run stopped on unchanged labels or a center
                        shift within tol, 0 if it used max_iter (or was stopped)  */
} mx_kmeans;

/* Greedy k-means++ seeding of k centers from X (n x d) with a seed. *model
 * must be zeroed or hold a model (its centers are reallocated to k x d). */
mx_status mx_kmeans_init_centers(mx_kmeans *model, const float *X, size_t n, size_t d, size_t k,
                                 uint64_t seed, mx_error *err);

/* Lloyd iterations from the model's current centers (cfg->max_iter, cfg->tol,
 * cfg->callback are used; cfg->k must equal model->k). Updates centers,
 * inertia and n_iter; labels (n entries, may be NULL) receive the final
 * assignment. Progress reports run 0. */
mx_status mx_kmeans_lloyd(mx_kmeans *model, const float *X, size_t n, const mx_kmeans_config *cfg,
                          int32_t *labels, mx_error *err);

/* cfg->n_init runs of seeding + Lloyd; keeps the lowest inertia. *model must
 * be zeroed or hold a model (replaced). labels may be NULL. */
mx_status mx_kmeans_fit(mx_kmeans *model, const float *X, size_t n, size_t d,
                        const mx_kmeans_config *cfg, int32_t *labels, mx_error *err);

/* Nearest center of each point of X (n x model->d). distances (may be NULL)
 * receive the squared distance to it; inertia (may be NULL) their sum. */
mx_status mx_kmeans_predict(const mx_kmeans *model, const float *X, size_t n, int32_t *labels,
                            float *distances, double *inertia, mx_error *err);

/* Model file (models/common.h container), model name "kmeans":
 *   "centers"  float32 [k, d]
 *   "inertia"  float64 []      (scalar)
 *   "n_iter"   int64   []      (scalar)
 * Loading validates shapes and that every center is finite. */
mx_status mx_kmeans_save(const mx_kmeans *model, const char *path, mx_error *err);
mx_status mx_kmeans_load(mx_kmeans *model, const char *path, mx_error *err);
void mx_kmeans_free(mx_kmeans *model);

#ifdef __cplusplus
}
#endif
#endif /* MIXSIMD_MODELS_KMEANS_H */

/* ========================================================================== */
#if defined(MIXSIMD_IMPLEMENTATION) && !defined(MIXSIMD_MODELS_KMEANS_IMPLEMENTED)
#define MIXSIMD_MODELS_KMEANS_IMPLEMENTED
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../gemm.h"

mx_kmeans_config mx_kmeans_config_default(size_t k) {
    mx_kmeans_config cfg = {k, 10, 300, 1e-4, 0, NULL, NULL};
    return cfg;
}

void mx_kmeans_free(mx_kmeans *model) {
    if (model == NULL) return;
    free(model->centers);
    memset(model, 0, sizeof *model);
}

/* (Re)allocates the model's centers for k x d. */
static mx_status mx_kmeans_shape_(mx_kmeans *model, size_t k, size_t d, mx_error *err) {
    if (model->centers == NULL || model->k * model->d != k * d) {
        free(model->centers);
        model->centers = malloc(k * d * sizeof(float));
        if (model->centers == NULL) {
            memset(model, 0, sizeof *model);
            return mx_error_set(err, MX_ERR_NOMEM, "k-means: out of memory for %zu x %zu centers", k, d);
        }
    }
    model->k = k;
    model->d = d;
    return MX_OK;
}

/* ---- per-ISA row loop (the compiler vectorises each copy for its ISA) ------- */

/* For the rows of one tile: adds each point to the float block sum (acc,
 * k x d, then flushed into the double sums) and count of its cluster, and
 * stores its squared distance to its current center in dist. */
static inline __attribute__((always_inline)) void mx_kmeans_accumulate_body_(
    const float *X, size_t rows, size_t d, size_t k, const int32_t *labels, const float *centers, double *sums,
    double *counts, float *dist, float *acc) {
    memset(acc, 0, k * d * sizeof(float));
    for (size_t i = 0; i < rows; ++i) {
        const float *x = X + i * d;
        float *a = acc + (size_t)labels[i] * d;
        for (size_t j = 0; j < d; ++j) a[j] += x[j];
        counts[labels[i]] += 1.0;
        dist[i] = mx_model_sqdist_(x, centers + (size_t)labels[i] * d, d);
    }
    for (size_t i = 0; i < k * d; ++i) sums[i] += acc[i];
}

#define MX_KMEANS_ACCUMULATE_PARAMS_                                                                 \
    (const float *X, size_t rows, size_t d, size_t k, const int32_t *labels, const float *centers, \
     double *sums, double *counts, float *dist, float *acc)
#define MX_KMEANS_ACCUMULATE_ARGS_ (X, rows, d, k, labels, centers, sums, counts, dist, acc)
typedef void(*mx_kmeans_accumulate_fn_) MX_KMEANS_ACCUMULATE_PARAMS_;
MX_MODEL_ISA_CLONES_(mx_kmeans_accumulate, mx_kmeans_accumulate_fn_, MX_KMEANS_ACCUMULATE_PARAMS_,
                     MX_KMEANS_ACCUMULATE_ARGS_)

/* ||x||^2 (a squared distance to the origin, vectorised the same way). */
static float mx_kmeans_norm_(const float *x, size_t d) {
    static const float zeros[256];
    float sum = 0.0f;
    for (size_t j0 = 0; j0 < d; j0 += 256) sum += mx_model_sqdist_(x + j0, zeros, d - j0 < 256 ? d - j0 : 256);
    return sum;
}

/* ---- workspace of one fit ---------------------------------------------------- */

/* Rows per tile: each thread takes whole tiles, computes their distances
 * (one single-threaded GEMM) and uses them while the tile is in its cache,
 * so every pass reads X from memory once. */
enum { MX_KMEANS_TILE_ = 256 };

/* Rows of tile `tile` of n rows. */
static size_t mx_kmeans_tile_rows_(size_t n, size_t tile) {
    const size_t row0 = tile * MX_KMEANS_TILE_;
    return n - row0 < MX_KMEANS_TILE_ ? n - row0 : MX_KMEANS_TILE_;
}

typedef struct mx_kmeans_work_ {
    size_t n, d, k, cols, threads;
    float *x_norms;     /* n: ||x||^2                                             */
    float *c_norms;     /* cols: ||c||^2 of the centers or candidates             */
    float *dist;        /* n: squared distance to the assigned center             */
    float *pot;         /* seeding: trials x n candidate distances                */
    float *closest;     /* seeding: n distances to the nearest chosen center      */
    float *cand_rows;   /* seeding: trials x d candidate points                   */
    double *cumsum;     /* seeding: n                                             */
    int32_t *labels, *labels_old;
    float *centers_new; /* k x d                                                  */
    size_t tiles, chunks;
    double *sums;       /* per chunk: k x d                                       */
    double *counts;     /* per chunk: k                                           */
    /* per thread (threads entries each):                                         */
    float *scores;      /* MX_KMEANS_TILE_ x cols: ||c||^2 - 2 x.c                */
    float *acc;         /* k x d float tile sums                                  */
    mx_status *status;  /* 1                                                      */
    unsigned char *gemm;
    size_t gemm_bytes;  /* per thread                                             */
    mx_kmeans_accumulate_fn_ accumulate;
} mx_kmeans_work_;

/* Candidates per greedy k-means++ step: 2 + floor(ln k) (sklearn). */
static size_t mx_kmeans_trials_(size_t k) { return 2 + (size_t)floor(log((double)k)); }

static void mx_kmeans_work_free_(mx_kmeans_work_ *w) {
    void *blocks[] = {w->x_norms, w->c_norms, w->dist,   w->pot,         w->closest, w->cand_rows,
                      w->cumsum,  w->labels,  w->labels_old, w->centers_new, w->scores, w->acc,
                      w->sums,    w->counts,  w->status, w->gemm};
    for (size_t i = 0; i < sizeof blocks / sizeof blocks[0]; ++i) free(blocks[i]);
    memset(w, 0, sizeof *w);
}

static mx_status mx_kmeans_work_alloc_(mx_kmeans_work_ *w, const float *X, size_t n, size_t d, size_t k,
                                       mx_error *err) {
    memset(w, 0, sizeof *w);
    const size_t trials = mx_kmeans_trials_(k), T = mx_model_threads_();
    w->n = n, w->d = d, w->k = k, w->threads = T;
    w->tiles = (n + MX_KMEANS_TILE_ - 1) / MX_KMEANS_TILE_;
    w->chunks = mx_model_chunks_(w->tiles);
    w->cols = k > trials ? k : trials;
    w->gemm_bytes = mx_gemm_f32_workspace_size_for(MX_KMEANS_TILE_, w->cols, d, 1);
    w->x_norms = malloc(n * sizeof(float));
    w->c_norms = malloc(w->cols * sizeof(float));
    w->dist = malloc(n * sizeof(float));
    w->pot = malloc(trials * n * sizeof(float));
    w->closest = malloc(n * sizeof(float));
    w->cand_rows = malloc(trials * d * sizeof(float));
    w->cumsum = malloc(n * sizeof(double));
    w->labels = malloc(n * sizeof(int32_t));
    w->labels_old = malloc(n * sizeof(int32_t));
    w->centers_new = malloc(k * d * sizeof(float));
    w->scores = malloc(T * MX_KMEANS_TILE_ * w->cols * sizeof(float));
    w->acc = malloc(T * k * d * sizeof(float));
    w->sums = malloc(w->chunks * k * d * sizeof(double));
    w->counts = malloc(w->chunks * k * sizeof(double));
    w->status = malloc(T * sizeof(mx_status));
    w->gemm = malloc(T * w->gemm_bytes + 1);
    if (!w->x_norms || !w->c_norms || !w->dist || !w->pot || !w->closest || !w->cand_rows || !w->cumsum ||
        !w->labels || !w->labels_old || !w->centers_new || !w->scores || !w->acc || !w->sums || !w->counts ||
        !w->status || !w->gemm) {
        mx_kmeans_work_free_(w);
        return mx_error_set(err, MX_ERR_NOMEM, "k-means: out of memory for the workspace (%zu x %zu, k = %zu)",
                            n, d, k);
    }
    w->accumulate = mx_kmeans_accumulate_pick_();
    MX_MODEL_OMP_("omp parallel for schedule(static)")
    for (size_t i = 0; i < n; ++i) w->x_norms[i] = mx_kmeans_norm_(X + i * d, d);
    return MX_OK;
}

/* ---- distances ------------------------------------------------------------------ */

static void mx_kmeans_norms_(float *norms, const float *C, size_t m, size_t d) {
    for (size_t c = 0; c < m; ++c) norms[c] = mx_kmeans_norm_(C + c * d, d);
}

/* Thread t's scores (MX_KMEANS_TILE_ x m): ||C_c||^2 - 2 X_r . C_c for rows
 * row0 .. row0+rows of X and the m centers C; w->c_norms holds ||C_c||^2. */
static float *mx_kmeans_tile_scores_(mx_kmeans_work_ *w, size_t t, const float *X, size_t row0, size_t rows,
                                     const float *C, size_t m) {
    const size_t d = w->d;
    float *scores = w->scores + t * MX_KMEANS_TILE_ * w->cols;
    const mx_status status = mx_gemm_f32(MX_OP_N, MX_OP_T, rows, m, d, -2.0f, X + row0 * d, d, C, d, 0.0f, scores,
                                         m, w->gemm + t * w->gemm_bytes, w->gemm_bytes);
    if (status != MX_OK) w->status[t] = status;
    for (size_t r = 0; r < rows; ++r)
        for (size_t c = 0; c < m; ++c) scores[r * m + c] += w->c_norms[c];
    return scores;
}

/* The tiles of chunk c, on thread t: nearest centers into labels (lowest
 * index on ties), then the chunk's sums and counts, and w->dist. */
static void mx_kmeans_chunk_(mx_kmeans_work_ *w, size_t c, size_t t, const float *X, const float *centers,
                             int32_t *labels) {
    const size_t n = w->n, d = w->d, k = w->k;
    const size_t first = mx_model_chunk_start_(c, w->chunks, w->tiles);
    const size_t last = mx_model_chunk_start_(c + 1, w->chunks, w->tiles);
    for (size_t tile = first; tile < last; ++tile) {
        const size_t row0 = tile * MX_KMEANS_TILE_, rows = mx_kmeans_tile_rows_(n, tile);
        const float *scores = mx_kmeans_tile_scores_(w, t, X, row0, rows, centers, k);
        for (size_t r = 0; r < rows; ++r) {
            size_t best = 0;
            for (size_t c = 1; c < k; ++c)
                if (scores[r * k + c] < scores[r * k + best]) best = c;
            labels[row0 + r] = (int32_t)best;
        }
        w->accumulate(X + row0 * d, rows, d, k, labels + row0, centers, w->sums + c * k * d, w->counts + c * k,
                      w->dist + row0, w->acc + t * k * d);
    }
}

/* One pass over X: labels = nearest centers, the cluster sums and counts
 * (chunk 0's slots, chunks added in order), w->dist, and the inertia
 * sum_i w->dist[i] (double) in *inertia. */
static mx_status mx_kmeans_pass_(mx_kmeans_work_ *w, const float *X, const float *centers, int32_t *labels,
                                 double *inertia) {
    const size_t n = w->n, d = w->d, k = w->k, threads = w->threads, chunks = w->chunks;
    mx_kmeans_norms_(w->c_norms, centers, k, d);
    memset(w->sums, 0, chunks * k * d * sizeof(double));
    memset(w->counts, 0, chunks * k * sizeof(double));
    for (size_t t = 0; t < threads; ++t) w->status[t] = MX_OK;
    MX_MODEL_OMP_("omp parallel for schedule(dynamic, 1) num_threads(threads)")
    for (size_t c = 0; c < chunks; ++c) mx_kmeans_chunk_(w, c, mx_model_thread_id_(), X, centers, labels);
    for (size_t t = 0; t < threads; ++t)
        if (w->status[t] != MX_OK) return w->status[t];
    for (size_t c = 1; c < chunks; ++c) {
        for (size_t i = 0; i < k * d; ++i) w->sums[i] += w->sums[c * k * d + i];
        for (size_t j = 0; j < k; ++j) w->counts[j] += w->counts[c * k + j];
    }
    double total = 0.0;
    for (size_t i = 0; i < n; ++i) total += w->dist[i];
    *inertia = total;
    return MX_OK;
}

/* ---- seeding ------------------------------------------------------------------- */

/* First index i with cumsum[i] >= value (numpy searchsorted, side left),
 * clipped to n - 1. */
static size_t mx_kmeans_search_(const double *cumsum, size_t n, double value) {
    size_t lo = 0, hi = n;
    while (lo < hi) {
        const size_t mid = lo + (hi - lo) / 2;
        if (cumsum[mid] < value) lo = mid + 1;
        else hi = mid;
    }
    return lo < n ? lo : n - 1;
}

/* w->pot[t*n + i] = min(closest_i, ||X_i - X_cand_t||^2) for the candidates;
 * returns in potential[t] the sum over i. */
static mx_status mx_kmeans_candidate_potentials_(mx_kmeans_work_ *w, const float *X, const size_t *cand,
                                                 size_t trials, double *potential) {
    const size_t n = w->n, d = w->d, threads = w->threads;
    for (size_t t = 0; t < trials; ++t) memcpy(w->cand_rows + t * d, X + cand[t] * d, d * sizeof(float));
    mx_kmeans_norms_(w->c_norms, w->cand_rows, trials, d);
    for (size_t t = 0; t < threads; ++t) w->status[t] = MX_OK;
    MX_MODEL_OMP_("omp parallel for schedule(dynamic, 1) num_threads(threads)")
    for (size_t tile = 0; tile < w->tiles; ++tile) {
        const size_t row0 = tile * MX_KMEANS_TILE_, rows = mx_kmeans_tile_rows_(n, tile);
        const size_t t = mx_model_thread_id_();
        const float *scores = mx_kmeans_tile_scores_(w, t, X, row0, rows, w->cand_rows, trials);
        for (size_t r = 0; r < rows; ++r)
            for (size_t c = 0; c < trials; ++c) {
                const float dist = fmaxf(w->x_norms[row0 + r] + scores[r * trials + c], 0.0f);
                w->pot[c * n + row0 + r] = fminf(w->closest[row0 + r], dist);
            }
    }
    for (size_t t = 0; t < threads; ++t)
        if (w->status[t] != MX_OK) return w->status[t];
    for (size_t c = 0; c < trials; ++c) {
        double sum = 0.0;
        for (size_t i = 0; i < n; ++i) sum += w->pot[c * n + i];
        potential[c] = sum;
    }
    return MX_OK;
}

static mx_status mx_kmeans_seed_(mx_kmeans_work_ *w, const float *X, float *centers, uint64_t seed) {
    const size_t n = w->n, d = w->d, k = w->k, trials = mx_kmeans_trials_(k);
    mx_rng rng = mx_rng_make(seed);
    size_t cand[64];
    double potential[64], u;
    mx_status status = mx_model_uniform_(&rng, &u);
    if (status != MX_OK) return status;
    cand[0] = (size_t)(u * (double)n);
    for (size_t i = 0; i < n; ++i) w->closest[i] = INFINITY;
    status = mx_kmeans_candidate_potentials_(w, X, cand, 1, potential);
    if (status != MX_OK) return status;
    memcpy(centers, X + cand[0] * d, d * sizeof(float));
    memcpy(w->closest, w->pot, n * sizeof(float));
    double current = potential[0];
    for (size_t c = 1; c < k; ++c) {
        double run = 0.0;
        for (size_t i = 0; i < n; ++i) w->cumsum[i] = run += w->closest[i];
        for (size_t t = 0; t < trials; ++t) {
            if ((status = mx_model_uniform_(&rng, &u)) != MX_OK) return status;
            cand[t] = mx_kmeans_search_(w->cumsum, n, u * current);
        }
        status = mx_kmeans_candidate_potentials_(w, X, cand, trials, potential);
        if (status != MX_OK) return status;
        size_t best = 0;
        for (size_t t = 1; t < trials; ++t)
            if (potential[t] < potential[best]) best = t;
        current = potential[best];
        memcpy(w->closest, w->pot + best * n, n * sizeof(float));
        memcpy(centers + c * d, X + cand[best] * d, d * sizeof(float));
    }
    return MX_OK;
}

/* ---- Lloyd ----------------------------------------------------------------------- */

/* sklearn's _relocate_empty_clusters_dense: each empty cluster takes one of
 * the points farthest from their centers (largest w->dist first); the point
 * leaves its old cluster's sum. Labels are not changed (as in sklearn). */
static void mx_kmeans_relocate_empty_(mx_kmeans_work_ *w, const float *X, const int32_t *labels) {
    const size_t n = w->n, d = w->d, k = w->k;
    for (size_t c = 0; c < k; ++c) {
        if (w->counts[c] > 0.0) continue;
        size_t far = 0; /* the farthest point not yet moved (moved ones get dist -1) */
        for (size_t i = 1; i < n; ++i)
            if (w->dist[i] > w->dist[far]) far = i;
        const size_t old = (size_t)labels[far];
        for (size_t j = 0; j < d; ++j) {
            w->sums[old * d + j] -= X[far * d + j];
            w->sums[c * d + j] = X[far * d + j];
        }
        w->counts[old] -= 1.0;
        w->counts[c] = 1.0;
        w->dist[far] = -1.0f;
    }
}

/* New centers from the sums; returns sum_c ||new_c - old_c||^2. */
static double mx_kmeans_update_(mx_kmeans_work_ *w, float *centers) {
    const size_t d = w->d, k = w->k;
    double shift = 0.0;
    for (size_t c = 0; c < k; ++c)
        for (size_t j = 0; j < d; ++j) {
            const float updated =
                w->counts[c] > 0.0 ? (float)(w->sums[c * d + j] / w->counts[c]) : centers[c * d + j];
            const double delta = (double)updated - centers[c * d + j];
            shift += delta * delta;
            centers[c * d + j] = updated;
        }
    return shift;
}

/* tol * mean over features of the variance of X (sklearn's _tolerance);
 * two passes over the rows (mean, then centred squares), in double. */
static mx_status mx_kmeans_tolerance_(const float *X, size_t n, size_t d, double tol, double *out,
                                      mx_error *err) {
    double *mean = calloc(2 * d, sizeof(double)), *sq = mean + d;
    if (mean == NULL) return mx_error_set(err, MX_ERR_NOMEM, "k-means: out of memory");
    for (size_t i = 0; i < n; ++i)
        for (size_t j = 0; j < d; ++j) mean[j] += X[i * d + j];
    for (size_t j = 0; j < d; ++j) mean[j] /= (double)n;
    for (size_t i = 0; i < n; ++i)
        for (size_t j = 0; j < d; ++j) {
            const double diff = (double)X[i * d + j] - mean[j];
            sq[j] += diff * diff;
        }
    double total = 0.0;
    for (size_t j = 0; j < d; ++j) total += sq[j] / (double)n;
    free(mean);
    *out = total / (double)d * tol;
    return MX_OK;
}

typedef struct mx_kmeans_run_ {
    size_t run;
    double tol_abs, start;
} mx_kmeans_run_;

/* Lloyd from model->centers; final labels in w->labels, model->inertia set. */
static mx_status mx_kmeans_lloyd_(mx_kmeans *model, mx_kmeans_work_ *w, const float *X,
                                  const mx_kmeans_config *cfg, const mx_kmeans_run_ *run) {
    double previous = INFINITY;
    model->n_iter = 0;
    model->converged = 0;
    for (size_t it = 1; it <= cfg->max_iter && !model->converged; ++it) {
        double inertia;
        mx_status status = mx_kmeans_pass_(w, X, model->centers, w->labels, &inertia);
        if (status != MX_OK) return status;
        mx_kmeans_relocate_empty_(w, X, w->labels);
        const double shift = mx_kmeans_update_(w, model->centers);
        const int unchanged = it > 1 && memcmp(w->labels, w->labels_old, w->n * sizeof(int32_t)) == 0;
        memcpy(w->labels_old, w->labels, w->n * sizeof(int32_t));
        model->n_iter = it;
        model->converged = unchanged || shift <= run->tol_abs;
        const mx_fit_progress p = {run->run, it, inertia, it == 1 ? INFINITY : inertia - previous,
                                   mx_model_now_() - run->start};
        previous = inertia;
        if (cfg->callback != NULL && cfg->callback(&p, cfg->callback_context) != 0) break;
    }
    return mx_kmeans_pass_(w, X, model->centers, w->labels, &model->inertia);
}

/* Finite data can still overflow float32 in the squared distances (values
 * beyond about 1.8e19, or sums over many large features). */
static mx_status mx_kmeans_check_inertia_(const mx_kmeans *model, mx_error *err) {
    if (isfinite(model->inertia)) return MX_OK;
    return mx_error_set(err, MX_ERR_DOMAIN,
                        "k-means: squared distances overflow float32 (inertia %g); scale the data down",
                        model->inertia);
}

static mx_status mx_kmeans_check_config_(const mx_kmeans_config *cfg, size_t n, mx_error *err) {
    if (cfg == NULL) return mx_error_set(err, MX_ERR_ARG, "k-means: no configuration given");
    if (cfg->k < 1 || cfg->k > n)
        return mx_error_set(err, MX_ERR_ARG, "k-means: k = %zu clusters for %zu points (need 1 <= k <= n)",
                            cfg->k, n);
    if (cfg->n_init < 1 || cfg->max_iter < 1 || !(cfg->tol >= 0.0) || isinf(cfg->tol))
        return mx_error_set(err, MX_ERR_ARG, "k-means: n_init and max_iter must be >= 1 and tol finite >= 0");
    return MX_OK;
}

mx_status mx_kmeans_init_centers(mx_kmeans *model, const float *X, size_t n, size_t d, size_t k,
                                 uint64_t seed, mx_error *err) {
    if (model == NULL) return mx_error_set(err, MX_ERR_ARG, "k-means: no model given");
    mx_status status = mx_model_check_data_(X, n, d, "k-means data", err);
    if (status != MX_OK) return status;
    const mx_kmeans_config cfg = mx_kmeans_config_default(k);
    if ((status = mx_kmeans_check_config_(&cfg, n, err)) != MX_OK) return status;
    if ((status = mx_kmeans_shape_(model, k, d, err)) != MX_OK) return status;
    mx_kmeans_work_ w;
    if ((status = mx_kmeans_work_alloc_(&w, X, n, d, k, err)) != MX_OK) return status;
    status = mx_kmeans_seed_(&w, X, model->centers, seed);
    mx_kmeans_work_free_(&w);
    if (status != MX_OK) return mx_error_set(err, status, "k-means seeding: %s", mx_strerror(status));
    return MX_OK;
}

mx_status mx_kmeans_lloyd(mx_kmeans *model, const float *X, size_t n, const mx_kmeans_config *cfg,
                          int32_t *labels, mx_error *err) {
    if (model == NULL || model->centers == NULL)
        return mx_error_set(err, MX_ERR_ARG, "k-means: the model has no centers to start from");
    mx_status status = mx_model_check_data_(X, n, model->d, "k-means data", err);
    if (status == MX_OK) status = mx_kmeans_check_config_(cfg, n, err);
    if (status != MX_OK) return status;
    if (cfg->k != model->k)
        return mx_error_set(err, MX_ERR_ARG, "k-means: configuration asks k = %zu, the model has %zu", cfg->k,
                            model->k);
    mx_kmeans_work_ w;
    if ((status = mx_kmeans_work_alloc_(&w, X, n, model->d, model->k, err)) != MX_OK) return status;
    mx_kmeans_run_ run = {0, 0.0, mx_model_now_()};
    status = mx_kmeans_tolerance_(X, n, model->d, cfg->tol, &run.tol_abs, err);
    if (status == MX_OK) status = mx_kmeans_lloyd_(model, &w, X, cfg, &run);
    if (status == MX_OK && labels != NULL) memcpy(labels, w.labels, n * sizeof(int32_t));
    mx_kmeans_work_free_(&w);
    if (status != MX_OK) return mx_error_set(err, status, "k-means Lloyd: %s", mx_strerror(status));
    return mx_kmeans_check_inertia_(model, err);
}

mx_status mx_kmeans_fit(mx_kmeans *model, const float *X, size_t n, size_t d,
                        const mx_kmeans_config *cfg, int32_t *labels, mx_error *err) {
    if (model == NULL) return mx_error_set(err, MX_ERR_ARG, "k-means: no model given");
    mx_status status = mx_model_check_data_(X, n, d, "k-means data", err);
    if (status == MX_OK) status = mx_kmeans_check_config_(cfg, n, err);
    if (status == MX_OK) status = mx_kmeans_shape_(model, cfg->k, d, err);
    if (status != MX_OK) return status;
    mx_kmeans trial = {0};
    if ((status = mx_kmeans_shape_(&trial, cfg->k, d, err)) != MX_OK) return status;
    mx_kmeans_work_ w;
    if ((status = mx_kmeans_work_alloc_(&w, X, n, d, cfg->k, err)) != MX_OK) {
        mx_kmeans_free(&trial);
        return status;
    }
    mx_kmeans_run_ run = {0, 0.0, mx_model_now_()};
    status = mx_kmeans_tolerance_(X, n, d, cfg->tol, &run.tol_abs, err);
    model->inertia = INFINITY;
    for (run.run = 0; run.run < cfg->n_init && status == MX_OK; ++run.run) {
        status = mx_kmeans_seed_(&w, X, trial.centers, mx_model_restart_seed_(cfg->seed, run.run));
        if (status == MX_OK) status = mx_kmeans_lloyd_(&trial, &w, X, cfg, &run);
        /* Run 0 is always kept, so an infinite inertia cannot leave the model unset. */
        if (status != MX_OK || (run.run > 0 && !(trial.inertia < model->inertia))) continue;
        memcpy(model->centers, trial.centers, cfg->k * d * sizeof(float));
        model->inertia = trial.inertia;
        model->n_iter = trial.n_iter;
        model->converged = trial.converged;
        if (labels != NULL) memcpy(labels, w.labels, n * sizeof(int32_t));
    }
    mx_kmeans_work_free_(&w);
    mx_kmeans_free(&trial);
    if (status != MX_OK) return mx_error_set(err, status, "k-means fit: %s", mx_strerror(status));
    return mx_kmeans_check_inertia_(model, err);
}

mx_status mx_kmeans_predict(const mx_kmeans *model, const float *X, size_t n, int32_t *labels,
                            float *distances, double *inertia, mx_error *err) {
    if (model == NULL || model->centers == NULL || labels == NULL)
        return mx_error_set(err, MX_ERR_ARG, "k-means predict: no model or no label output");
    mx_status status = mx_model_check_data_(X, n, model->d, "k-means data", err);
    if (status != MX_OK) return status;
    mx_kmeans_work_ w;
    if ((status = mx_kmeans_work_alloc_(&w, X, n, model->d, model->k, err)) != MX_OK) return status;
    double total;
    status = mx_kmeans_pass_(&w, X, model->centers, labels, &total);
    if (status == MX_OK && distances != NULL) memcpy(distances, w.dist, n * sizeof(float));
    if (status == MX_OK && inertia != NULL) *inertia = total;
    mx_kmeans_work_free_(&w);
    if (status != MX_OK) return mx_error_set(err, status, "k-means predict: %s", mx_strerror(status));
    return MX_OK;
}

/* ---- files ------------------------------------------------------------------------ */

mx_status mx_kmeans_save(const mx_kmeans *model, const char *path, mx_error *err) {
    if (model == NULL || model->centers == NULL)
        return mx_error_set(err, MX_ERR_ARG, "%s: no k-means model to save", path != NULL ? path : "");
    const size_t dims[2] = {model->k, model->d};
    const int64_t n_iter = (int64_t)model->n_iter;
    const mx_model_array arrays[3] = {
        mx_model_array_make("centers", MX_DTYPE_F32, 2, dims, model->centers),
        mx_model_array_make("inertia", MX_DTYPE_F64, 0, NULL, &model->inertia),
        mx_model_array_make("n_iter", MX_DTYPE_I64, 0, NULL, &n_iter),
    };
    return mx_model_write(path, "kmeans", arrays, 3, err);
}

mx_status mx_kmeans_load(mx_kmeans *model, const char *path, mx_error *err) {
    if (model == NULL) return mx_error_set(err, MX_ERR_ARG, "%s: no model to load into", path);
    mx_model_file file;
    mx_status status = mx_model_read(&file, path, "kmeans", err);
    if (status != MX_OK) return status;
    const size_t any[2] = {MX_MODEL_ANY_DIM, MX_MODEL_ANY_DIM};
    const mx_model_array *centers, *inertia, *n_iter;
    status = mx_model_get(&file, "centers", MX_DTYPE_F32, 2, any, &centers, err);
    if (status == MX_OK) status = mx_model_get(&file, "inertia", MX_DTYPE_F64, 0, NULL, &inertia, err);
    if (status == MX_OK) status = mx_model_get(&file, "n_iter", MX_DTYPE_I64, 0, NULL, &n_iter, err);
    if (status == MX_OK && (centers->dims[0] == 0 || centers->dims[1] == 0))
        status = mx_error_set(err, MX_ERR_FORMAT, "%s: 'centers' is empty", path);
    if (status == MX_OK &&
        mx_model_check_data_(centers->data, centers->dims[0], centers->dims[1], path, err) != MX_OK)
        status = mx_error_set(err, MX_ERR_FORMAT, "%s: 'centers' holds a NaN or infinite value", path);
    if (status == MX_OK) status = mx_kmeans_shape_(model, centers->dims[0], centers->dims[1], err);
    if (status == MX_OK) {
        memcpy(model->centers, centers->data, model->k * model->d * sizeof(float));
        memcpy(&model->inertia, inertia->data, sizeof(double));
        int64_t iterations;
        memcpy(&iterations, n_iter->data, sizeof iterations);
        model->n_iter = iterations > 0 ? (size_t)iterations : 0;
    }
    mx_model_file_free(&file);
    return status;
}

#endif /* MIXSIMD_MODELS_KMEANS_IMPLEMENTATION */
