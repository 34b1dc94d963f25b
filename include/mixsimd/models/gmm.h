/* mixsimd/models/gmm.h — Gaussian mixture models fitted by EM, diagonal or
 * full covariance, following scikit-learn 1.2's GaussianMixture.
 *
 *     mx_gmm model = {0};
 *     mx_gmm_config cfg = mx_gmm_config_default(10);
 *     if (mx_gmm_fit(&model, X, n, d, &cfg, &err) != MX_OK) ... err.message ...
 *     mx_gmm_predict(&model, X, n, labels, NULL, &err);
 *
 * Model: p(x) = sum_k w_k N(x; mu_k, Sigma_k), Sigma_k = diag(var_k) or full.
 *
 * EM, one iteration (sklearn's order):
 *   E-step  log(w_k N(x_n; mu_k, Sigma_k)) through gauss.h (mx_gauss_diag_f32,
 *           or mx_gauss_full_f32 on Cholesky factors from mx_cholesky_f32);
 *           responsibilities r_nk and the row log-sum-exp through lse.h
 *           (mx_softmax_rows_f32). The objective is the mean over points of
 *           the log-sum-exp, accumulated in double: the mean log-likelihood of
 *           the parameters the iteration started from.
 *   M-step  N_k = sum_n r_nk + 10 DBL_EPSILON (in double; sklearn's guard, so a
 *           component that loses all its points keeps a tiny weight, a mean
 *           near 0 and variance reg_covar instead of dividing by zero);
 *           w_k = N_k / n; mu_k = (R^T X)_k / N_k;
 *           diag:  var_kj = sum_n r_nk (x_nj - mu_kj)^2 / N_k + reg_covar
 *           full:  Sigma_k = W_k^T W_k / N_k + reg_covar I,
 *                  W_k rows sqrt(r_nk) (x_n - mu_k), W^T W through mx_gemm_f32.
 *           R^T X and the diagonal variances are row passes over X that skip
 *           zero responsibilities (float per block of 256 rows, then double),
 *           not GEMMs: once EM has hardened the responsibilities (most are
 *           exactly 0 in float after a few iterations on MNIST) they cost
 *           O(n d) instead of O(n k d). R^T X is summed block by block right
 *           after the block's E-step, while the block is in cache, so an
 *           iteration reads X twice. (Measured on MNIST 10000 x 784, K = 10:
 *           mx_gemm_f32 took 10-19 ms for R^T X, this whole M-step 3-5 ms.)
 *           The variances use the centred two-pass form, not sklearn's
 *           E[x^2] - 2 mu E[x] + mu^2: in float32 that difference cancels
 *           (MNIST pixels near 1 with a variance near the 1e-6 floor would
 *           lose every digit); the centred sum has no cancellation, so float32
 *           tracks sklearn's float64 (see the tests and the report figures).
 *   Stop    when |objective - previous objective| < tol (converged = 1), or
 *           after max_iter iterations. A last E-step scores the final
 *           parameters (log_likelihood).
 *
 * Data: X is n x d float32, row-major, finite (else MX_ERR_DOMAIN naming the
 * point); 1 <= k <= n (else MX_ERR_ARG); d >= 1; full covariance needs
 * d <= MX_GAUSS_FULL_MAX_D (64) — larger d is MX_ERR_ARG suggesting diag.
 * reg_covar may be 0, but then a feature with zero variance inside a
 * component (or a singular full covariance) stops the fit with
 * MX_ERR_DOMAIN (MX_ERR_NOT_POSDEF for full) naming the component and
 * suggesting reg_covar > 0.
 *
 * Initialisation (mx_gmm_init_params), as sklearn's init_params:
 *   MX_GMM_INIT_KMEANS  k-means (n_init 1, k-means++ with the same seed) and
 *                       one-hot responsibilities of its labels, then an M-step;
 *   MX_GMM_INIT_RANDOM  responsibilities uniform in [0, 1) (rng.h, the seed),
 *                       normalised per point, then an M-step;
 *   given parameters    mx_gmm_create, fill weights / means / covariances (or
 *                       mx_gmm_load), then mx_gmm_em.
 * Restarts: run r of mx_gmm_fit initialises with the seed
 * mx_model_restart_seed_(cfg->seed, r) (cfg->seed itself for run 0); the run
 * with the highest final mean log-likelihood is kept.
 *
 * Threads: the kernels and the M-step loops use OpenMP. The same seed gives
 * bitwise identical results whatever the thread count (the kernels do not
 * depend on it, the variance sums are reduced over fixed chunks).
 */
#ifndef MIXSIMD_MODELS_GMM_H
#define MIXSIMD_MODELS_GMM_H

#include <stddef.h>
#include <stdint.h>

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum mx_gmm_covariance { MX_GMM_DIAG = 0, MX_GMM_FULL = 1 } mx_gmm_covariance;
typedef enum mx_gmm_init { MX_GMM_INIT_KMEANS = 0, MX_GMM_INIT_RANDOM = 1 } mx_gmm_init;

typedef struct mx_gmm_config {
    size_t k;                       /* components, 1 <= k <= n (no default)           */
    mx_gmm_covariance covariance;   /* default MX_GMM_DIAG (sklearn defaults to full,
                                       which here is limited to d <= 64)              */
    double reg_covar;               /* added to every variance, default 1e-6         */
    double tol;                     /* on the change of the mean log-likelihood, 1e-3 */
    size_t max_iter;                /* EM iterations per run, default 100             */
    size_t n_init;                  /* restarts, default 1                            */
    mx_gmm_init init;               /* default MX_GMM_INIT_KMEANS                     */
    uint64_t seed;                  /* default 0                                      */
    mx_fit_callback callback;       /* per EM iteration, may be NULL (default)       */
    void *callback_context;
} mx_gmm_config;

/* The defaults above for k components. */
mx_gmm_config mx_gmm_config_default(size_t k);

typedef struct mx_gmm {
    size_t k, d;
    mx_gmm_covariance covariance;
    float *weights;         /* k, positive, summing to 1                           */
    float *means;           /* k x d                                               */
    float *covariances;     /* diag: k x d variances; full: k x d x d matrices     */
    double log_likelihood;  /* mean per point of the fitted data at the final
                               parameters (after a fit or mx_gmm_em)              */
    size_t n_iter;          /* EM iterations of the kept run                       */
    int converged;          /* 1 if the kept run met tol                           */
} mx_gmm;

/* Allocates a model of k components of dimension d (arrays uninitialised;
 * *model must be zeroed or hold a model, which is replaced). MX_ERR_ARG for
 * k or d 0, or full with d > 64. */
mx_status mx_gmm_create(mx_gmm *model, size_t k, size_t d, mx_gmm_covariance covariance, mx_error *err);

/* Initial parameters from X (n x d) by cfg->init with cfg->seed (see above);
 * *model is (re)shaped to cfg->k x d with cfg->covariance. */
mx_status mx_gmm_init_params(mx_gmm *model, const float *X, size_t n, size_t d, const mx_gmm_config *cfg,
                             mx_error *err);

/* EM from the model's current parameters (cfg->reg_covar, tol, max_iter,
 * callback used; cfg->k and cfg->covariance must match the model). The
 * parameters are validated first: weights >= 0 and finite, means finite,
 * variances > 0 and finite, full covariances positive definite
 * (MX_ERR_DOMAIN / MX_ERR_NOT_POSDEF otherwise). Progress reports run 0. */
mx_status mx_gmm_em(mx_gmm *model, const float *X, size_t n, const mx_gmm_config *cfg, mx_error *err);

/* cfg->n_init runs of init + EM; keeps the best final mean log-likelihood. */
mx_status mx_gmm_fit(mx_gmm *model, const float *X, size_t n, size_t d, const mx_gmm_config *cfg,
                     mx_error *err);

/* For X (n x model->d): labels[n] (argmax responsibility, may be NULL) and
 * resp (n x k responsibilities, row-major, may be NULL). */
mx_status mx_gmm_predict(const mx_gmm *model, const float *X, size_t n, int32_t *labels, float *resp,
                         mx_error *err);

/* Mean log-likelihood per point of X under the model (sklearn's score). */
mx_status mx_gmm_score(const mx_gmm *model, const float *X, size_t n, double *mean_log_likelihood,
                       mx_error *err);

/* Model file (models/common.h container), model name "gmm":
 *   "weights"         float32 [k]
 *   "means"           float32 [k, d]
 *   "covariances"     float32 [k, d] (diag) or [k, d, d] (full; the ndim says which)
 *   "log_likelihood"  float64 []  (scalar)
 *   "n_iter"          int64   []  (scalar)
 *   "converged"       int64   []  (scalar, 0 or 1)
 * (sklearn: precisions_init = 1 / covariances for diag, inv(covariances) for
 * full.) Loading validates shapes and parameters as mx_gmm_em does. */
mx_status mx_gmm_save(const mx_gmm *model, const char *path, mx_error *err);
mx_status mx_gmm_load(mx_gmm *model, const char *path, mx_error *err);
void mx_gmm_free(mx_gmm *model);

#ifdef __cplusplus
}
#endif
#endif /* MIXSIMD_MODELS_GMM_H */

/* ========================================================================== */
#if defined(MIXSIMD_IMPLEMENTATION) && !defined(MIXSIMD_MODELS_GMM_IMPLEMENTED)
#define MIXSIMD_MODELS_GMM_IMPLEMENTED
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../gauss.h"
#include "../gemm.h"
#include "../lse.h"
#include "kmeans.h"

mx_gmm_config mx_gmm_config_default(size_t k) {
    mx_gmm_config cfg = {k, MX_GMM_DIAG, 1e-6, 1e-3, 100, 1, MX_GMM_INIT_KMEANS, 0, NULL, NULL};
    return cfg;
}

void mx_gmm_free(mx_gmm *model) {
    if (model == NULL) return;
    free(model->weights);
    free(model->means);
    free(model->covariances);
    memset(model, 0, sizeof *model);
}

static const char *mx_gmm_kind_name_(mx_gmm_covariance covariance) {
    return covariance == MX_GMM_FULL ? "full" : "diag";
}

static size_t mx_gmm_cov_floats_(size_t k, size_t d, mx_gmm_covariance covariance) {
    return covariance == MX_GMM_FULL ? k * d * d : k * d;
}

static mx_status mx_gmm_check_shape_(size_t k, size_t d, mx_gmm_covariance covariance, mx_error *err) {
    if (k < 1 || d < 1) return mx_error_set(err, MX_ERR_ARG, "GMM: k = %zu components of dimension %zu", k, d);
    if (covariance != MX_GMM_DIAG && covariance != MX_GMM_FULL)
        return mx_error_set(err, MX_ERR_ARG, "GMM: unknown covariance type %d", (int)covariance);
    if (covariance == MX_GMM_FULL && d > MX_GAUSS_FULL_MAX_D)
        return mx_error_set(err, MX_ERR_ARG,
                            "GMM: full covariance supports dimension <= %d, the data has %zu; "
                            "use diagonal covariance (or reduce the dimension first)",
                            MX_GAUSS_FULL_MAX_D, d);
    return MX_OK;
}

mx_status mx_gmm_create(mx_gmm *model, size_t k, size_t d, mx_gmm_covariance covariance, mx_error *err) {
    if (model == NULL) return mx_error_set(err, MX_ERR_ARG, "GMM: no model given");
    mx_status status = mx_gmm_check_shape_(k, d, covariance, err);
    if (status != MX_OK) return status;
    mx_gmm_free(model);
    model->weights = malloc(k * sizeof(float));
    model->means = malloc(k * d * sizeof(float));
    model->covariances = malloc(mx_gmm_cov_floats_(k, d, covariance) * sizeof(float));
    if (!model->weights || !model->means || !model->covariances) {
        mx_gmm_free(model);
        return mx_error_set(err, MX_ERR_NOMEM, "GMM: out of memory for %zu components of dimension %zu", k, d);
    }
    model->k = k;
    model->d = d;
    model->covariance = covariance;
    return MX_OK;
}

/* ---- per-ISA row loop: weighted sums for the M-step -------------------------- */

enum { MX_GMM_BLOCK_ROWS_ = 256 }; /* rows summed in float before the double flush */

/* For rows i < rows, components c < k, features j < d:
 *     sums[c*d + j] += r_ic * X[i*d + j]                    (means == NULL)
 *     sums[c*d + j] += r_ic * (X[i*d + j] - means[c*d + j])^2  (otherwise)
 * in float per block of rows (acc: k x d scratch), each block then added to
 * sums in double. Zero responsibilities are skipped: after a few iterations
 * most are exactly 0 in float, which makes the pass O(n d), not O(n k d). */
static inline __attribute__((always_inline)) void mx_gmm_rowsums_body_(const float *X, size_t rows, size_t d,
                                                                      size_t k, const float *resp,
                                                                      const float *means, double *sums,
                                                                      float *acc) {
    for (size_t r0 = 0; r0 < rows; r0 += MX_GMM_BLOCK_ROWS_) {
        const size_t r1 = rows - r0 < MX_GMM_BLOCK_ROWS_ ? rows : r0 + MX_GMM_BLOCK_ROWS_;
        memset(acc, 0, k * d * sizeof(float));
        for (size_t i = r0; i < r1; ++i)
            for (size_t c = 0; c < k; ++c) {
                const float r = resp[i * k + c];
                if (r == 0.0f) continue;
                const float *x = X + i * d;
                float *a = acc + c * d;
                if (means == NULL) {
                    for (size_t j = 0; j < d; ++j) a[j] += r * x[j];
                } else {
                    const float *mu = means + c * d;
                    for (size_t j = 0; j < d; ++j) {
                        const float diff = x[j] - mu[j];
                        a[j] += r * diff * diff;
                    }
                }
            }
        for (size_t i = 0; i < k * d; ++i) sums[i] += acc[i];
    }
}

#define MX_GMM_ROWSUMS_PARAMS_                                                                        \
    (const float *X, size_t rows, size_t d, size_t k, const float *resp, const float *means, double *sums, \
     float *acc)
#define MX_GMM_ROWSUMS_ARGS_ (X, rows, d, k, resp, means, sums, acc)
typedef void(*mx_gmm_rowsums_fn_) MX_GMM_ROWSUMS_PARAMS_;
MX_MODEL_ISA_CLONES_(mx_gmm_rowsums, mx_gmm_rowsums_fn_, MX_GMM_ROWSUMS_PARAMS_, MX_GMM_ROWSUMS_ARGS_)

/* ---- workspace ---------------------------------------------------------------- */

typedef struct mx_gmm_work_ {
    size_t n, d, k, threads;
    mx_gmm_covariance covariance;
    float *resp;     /* n x k: log-densities, then responsibilities */
    float *lse;      /* n                                            */
    float *logw;     /* k                                            */
    float *chol;     /* full: k x d x d Cholesky factors             */
    double *nk;      /* k                                            */
    size_t blocks, chunks; /* row blocks, and chunks of them         */
    double *sums;    /* chunks x k x d: R^T X, then centred squares  */
    float *acc;      /* threads x k x d float block sums             */
    float *scaled;   /* full: n x d rows sqrt(r) (x - mu)           */
    mx_status *status; /* threads                                    */
    unsigned char *gauss; /* threads x gauss_bytes                   */
    void *gemm;
    size_t gauss_bytes, gemm_bytes;
    mx_gmm_rowsums_fn_ rowsums;
} mx_gmm_work_;

static void mx_gmm_work_free_(mx_gmm_work_ *w) {
    free(w->resp);
    free(w->lse);
    free(w->logw);
    free(w->chol);
    free(w->nk);
    free(w->sums);
    free(w->acc);
    free(w->scaled);
    free(w->status);
    free(w->gauss);
    free(w->gemm);
    memset(w, 0, sizeof *w);
}

/* for_fit: also the M-step buffers. */
static mx_status mx_gmm_work_alloc_(mx_gmm_work_ *w, size_t n, size_t d, size_t k, mx_gmm_covariance covariance,
                                    int for_fit, mx_error *err) {
    memset(w, 0, sizeof *w);
    w->n = n, w->d = d, w->k = k, w->covariance = covariance, w->threads = mx_model_threads_();
    const int full = covariance == MX_GMM_FULL;
    w->gauss_bytes = full ? mx_gauss_full_workspace_size(k, d) : mx_gauss_diag_workspace_size(k, d);
    w->resp = malloc(n * k * sizeof(float));
    w->lse = malloc(n * sizeof(float));
    w->logw = malloc(k * sizeof(float));
    w->chol = malloc((full ? k * d * d : 1) * sizeof(float));
    w->blocks = (n + MX_GMM_BLOCK_ROWS_ - 1) / MX_GMM_BLOCK_ROWS_;
    w->chunks = mx_model_chunks_(w->blocks);
    w->status = malloc(w->threads * sizeof(mx_status));
    int ok = w->gauss_bytes != SIZE_MAX && w->gauss_bytes <= SIZE_MAX / w->threads;
    if (ok) w->gauss = malloc(w->threads * w->gauss_bytes + 1);
    ok = ok && w->resp && w->lse && w->logw && w->chol && w->status && w->gauss;
    if (ok && for_fit) {
        w->gemm_bytes = full ? mx_gemm_f32_workspace_size(d, d, n) : 0;
        w->nk = malloc(k * sizeof(double));
        w->sums = malloc(w->chunks * k * d * sizeof(double));
        w->acc = malloc(w->threads * k * d * sizeof(float));
        w->scaled = malloc((full ? n * d : 1) * sizeof(float));
        w->gemm = malloc(w->gemm_bytes > 0 ? w->gemm_bytes : 1);
        ok = w->nk && w->sums && w->acc && w->scaled && w->gemm;
        w->rowsums = mx_gmm_rowsums_pick_();
    }
    if (!ok) {
        mx_gmm_work_free_(w);
        return mx_error_set(err, MX_ERR_NOMEM, "GMM: out of memory for the workspace (%zu x %zu, k = %zu)", n,
                            d, k);
    }
    return MX_OK;
}

/* ---- parameters ------------------------------------------------------------------- */

/* Checks the model's parameters and prepares log-weights and (full)
 * Cholesky factors for the E-step. */
static mx_status mx_gmm_prepare_(const mx_gmm *model, mx_gmm_work_ *w, const char *what, mx_error *err) {
    const size_t k = model->k, d = model->d;
    for (size_t c = 0; c < k; ++c) {
        if (!(model->weights[c] >= 0.0f) || isinf(model->weights[c]))
            return mx_error_set(err, MX_ERR_DOMAIN, "%s: weight of component %zu is %g", what, c,
                                (double)model->weights[c]);
        w->logw[c] = logf(model->weights[c]);
        for (size_t j = 0; j < d; ++j)
            if (!isfinite(model->means[c * d + j]))
                return mx_error_set(err, MX_ERR_DOMAIN, "%s: mean of component %zu, feature %zu is not finite",
                                    what, c, j);
    }
    if (model->covariance == MX_GMM_DIAG) {
        for (size_t i = 0; i < k * d; ++i)
            if (!(model->covariances[i] > 0.0f) || isinf(model->covariances[i]))
                return mx_error_set(err, MX_ERR_DOMAIN,
                                    "%s: component %zu, feature %zu has variance %g (must be > 0 and finite; "
                                    "use reg_covar > 0)",
                                    what, i / d, i % d, (double)model->covariances[i]);
        return MX_OK;
    }
    memcpy(w->chol, model->covariances, k * d * d * sizeof(float));
    for (size_t c = 0; c < k; ++c) {
        const mx_status status = mx_cholesky_f32(d, w->chol + c * d * d, d);
        if (status != MX_OK)
            return mx_error_set(err, status,
                                "%s: covariance of component %zu is %s (use reg_covar > 0 or more points)",
                                what, c, status == MX_ERR_DOMAIN ? "not finite" : "not positive definite");
    }
    return MX_OK;
}

/* What one pass over the rows computes, block by block. */
typedef enum {
    MX_GMM_ESTEP_,        /* responsibilities (w->resp) and log-likelihoods (w->lse)  */
    MX_GMM_ESTEP_MEANS_,  /* the same, then w->sums = sum_n r_nk x_n while the block
                             is in cache (the M-step's R^T X)                          */
    MX_GMM_MEANS_ONLY_,   /* w->sums = sum_n r_nk x_n from given responsibilities     */
    MX_GMM_VARIANCES_     /* w->sums = sum_n r_nk (x_n - mu_k)^2 (diag M-step)         */
} mx_gmm_pass_kind_;

/* E-step of rows [lo, lo + rows) on thread t (parameters prepared). */
static mx_status mx_gmm_block_estep_(const mx_gmm *model, mx_gmm_work_ *w, const float *X, size_t lo,
                                     size_t rows, size_t t) {
    const size_t k = w->k, d = w->d;
    const float *x = X + lo * d;
    float *out = w->resp + lo * k;
    void *work = w->gauss + t * w->gauss_bytes;
    mx_status status =
        model->covariance == MX_GMM_FULL
            ? mx_gauss_full_f32(rows, k, d, x, d, model->means, d, w->chol, w->logw, out, k, work, w->gauss_bytes)
            : mx_gauss_diag_f32(rows, k, d, x, d, model->means, d, model->covariances, d, w->logw, out, k, work,
                                w->gauss_bytes);
    if (status == MX_OK) status = mx_softmax_rows_f32(w->resp + lo * k, rows, k, k, w->lse + lo);
    return status;
}

/* One pass over X in blocks of MX_GMM_BLOCK_ROWS_ rows, threads taking
 * chunks of blocks dynamically; sums are reduced over the fixed chunks
 * (models/common.h), so results do not depend on the thread count. */
static mx_status mx_gmm_pass_(const mx_gmm *model, mx_gmm_work_ *w, const float *X, mx_gmm_pass_kind_ kind) {
    const size_t n = w->n, d = w->d, k = w->k, chunks = w->chunks;
    const int sums = kind != MX_GMM_ESTEP_;
    if (sums) memset(w->sums, 0, chunks * k * d * sizeof(double));
    for (size_t t = 0; t < w->threads; ++t) w->status[t] = MX_OK;
    MX_MODEL_OMP_("omp parallel for schedule(dynamic, 1) num_threads(w->threads)")
    for (size_t c = 0; c < chunks; ++c) {
        const size_t t = mx_model_thread_id_();
        const size_t first = mx_model_chunk_start_(c, chunks, w->blocks);
        const size_t last = mx_model_chunk_start_(c + 1, chunks, w->blocks);
        for (size_t block = first; block < last && w->status[t] == MX_OK; ++block) {
            const size_t lo = block * MX_GMM_BLOCK_ROWS_;
            const size_t rows = n - lo < MX_GMM_BLOCK_ROWS_ ? n - lo : MX_GMM_BLOCK_ROWS_;
            if (kind == MX_GMM_ESTEP_ || kind == MX_GMM_ESTEP_MEANS_)
                w->status[t] = mx_gmm_block_estep_(model, w, X, lo, rows, t);
            if (sums && w->status[t] == MX_OK)
                w->rowsums(X + lo * d, rows, d, k, w->resp + lo * k,
                           kind == MX_GMM_VARIANCES_ ? model->means : NULL, w->sums + c * k * d,
                           w->acc + t * k * d);
        }
    }
    for (size_t t = 0; t < w->threads; ++t)
        if (w->status[t] != MX_OK) return w->status[t];
    for (size_t c = 1; sums && c < chunks; ++c)
        for (size_t i = 0; i < k * d; ++i) w->sums[i] += w->sums[c * k * d + i];
    return MX_OK;
}

/* E-step (parameters prepared): w->resp, w->lse and the mean
 * log-likelihood in *mean; with_means also leaves R^T X in w->sums. */
static mx_status mx_gmm_estep_(const mx_gmm *model, mx_gmm_work_ *w, const float *X, int with_means,
                               double *mean) {
    const mx_status status = mx_gmm_pass_(model, w, X, with_means ? MX_GMM_ESTEP_MEANS_ : MX_GMM_ESTEP_);
    if (status != MX_OK) return status;
    double total = 0.0;
    for (size_t i = 0; i < w->n; ++i) total += w->lse[i];
    *mean = total / (double)w->n;
    return MX_OK;
}

/* Sigma_c = W^T W / N_c + reg I with W rows sqrt(r_nc) (x_n - mu_c) (full). */
static mx_status mx_gmm_full_covariance_(mx_gmm *model, mx_gmm_work_ *w, const float *X, size_t c, double reg) {
    const size_t n = w->n, d = w->d, k = w->k;
    const float *mu = model->means + c * d;
    float *cov = model->covariances + c * d * d;
    MX_MODEL_OMP_("omp parallel for schedule(static) if (n * d > 65536)")
    for (size_t i = 0; i < n; ++i) {
        const float s = sqrtf(w->resp[i * k + c]);
        for (size_t j = 0; j < d; ++j) w->scaled[i * d + j] = s * (X[i * d + j] - mu[j]);
    }
    mx_status status = mx_gemm_f32(MX_OP_T, MX_OP_N, d, d, n, 1.0f, w->scaled, d, w->scaled, d, 0.0f, cov, d,
                                   w->gemm, w->gemm_bytes);
    if (status != MX_OK) return status;
    for (size_t i = 0; i < d; ++i)
        for (size_t j = 0; j <= i; ++j) { /* symmetric from the lower triangle */
            const float v = (float)((double)cov[i * d + j] / w->nk[c] + (i == j ? reg : 0.0));
            cov[i * d + j] = cov[j * d + i] = v;
        }
    return MX_OK;
}

/* M-step from w->resp and w->sums = R^T X (see the file comment). */
static mx_status mx_gmm_mstep_(mx_gmm *model, mx_gmm_work_ *w, const float *X, double reg) {
    const size_t n = w->n, d = w->d, k = w->k;
    for (size_t c = 0; c < k; ++c) w->nk[c] = 10.0 * DBL_EPSILON;
    for (size_t i = 0; i < n; ++i)
        for (size_t c = 0; c < k; ++c) w->nk[c] += w->resp[i * k + c];
    for (size_t c = 0; c < k; ++c) {
        model->weights[c] = (float)(w->nk[c] / (double)n);
        for (size_t j = 0; j < d; ++j) model->means[c * d + j] = (float)(w->sums[c * d + j] / w->nk[c]);
    }
    if (model->covariance == MX_GMM_FULL) {
        mx_status status = MX_OK;
        for (size_t c = 0; c < k && status == MX_OK; ++c) status = mx_gmm_full_covariance_(model, w, X, c, reg);
        return status;
    }
    const mx_status status = mx_gmm_pass_(model, w, X, MX_GMM_VARIANCES_);
    if (status != MX_OK) return status;
    for (size_t c = 0; c < k; ++c)
        for (size_t j = 0; j < d; ++j)
            model->covariances[c * d + j] = (float)(w->sums[c * d + j] / w->nk[c] + reg);
    return MX_OK;
}

/* ---- drivers ------------------------------------------------------------------------ */

static mx_status mx_gmm_check_config_(const mx_gmm_config *cfg, size_t n, size_t d, mx_error *err) {
    if (cfg == NULL) return mx_error_set(err, MX_ERR_ARG, "GMM: no configuration given");
    mx_status status = mx_gmm_check_shape_(cfg->k, d, cfg->covariance, err);
    if (status != MX_OK) return status;
    if (cfg->k > n)
        return mx_error_set(err, MX_ERR_ARG, "GMM: k = %zu components for %zu points (need k <= n)", cfg->k, n);
    if (!(cfg->reg_covar >= 0.0) || isinf(cfg->reg_covar) || !(cfg->tol >= 0.0) || isinf(cfg->tol))
        return mx_error_set(err, MX_ERR_ARG, "GMM: reg_covar and tol must be finite and >= 0");
    if (cfg->max_iter < 1 || cfg->n_init < 1)
        return mx_error_set(err, MX_ERR_ARG, "GMM: max_iter and n_init must be >= 1");
    if (cfg->init != MX_GMM_INIT_KMEANS && cfg->init != MX_GMM_INIT_RANDOM)
        return mx_error_set(err, MX_ERR_ARG, "GMM: unknown initialisation %d", (int)cfg->init);
    return MX_OK;
}

/* Responsibilities for the initial M-step (cfg->init, seed) into w->resp. */
static mx_status mx_gmm_initial_resp_(mx_gmm_work_ *w, const float *X, const mx_gmm_config *cfg, uint64_t seed,
                                      mx_error *err) {
    const size_t n = w->n, k = w->k;
    if (cfg->init == MX_GMM_INIT_RANDOM) {
        mx_status status = mx_rng_uniform_f32(seed, 0, w->resp, n * k);
        if (status != MX_OK) return mx_error_set(err, status, "GMM random init: %s", mx_strerror(status));
        for (size_t i = 0; i < n; ++i) {
            double sum = 0.0;
            for (size_t c = 0; c < k; ++c) sum += w->resp[i * k + c];
            for (size_t c = 0; c < k; ++c)
                w->resp[i * k + c] = sum > 0.0 ? (float)(w->resp[i * k + c] / sum) : 1.0f / (float)k;
        }
        return MX_OK;
    }
    mx_kmeans km = {0};
    mx_kmeans_config kcfg = mx_kmeans_config_default(k);
    kcfg.n_init = 1;
    kcfg.seed = seed;
    int32_t *labels = malloc(n * sizeof(int32_t));
    if (labels == NULL) return mx_error_set(err, MX_ERR_NOMEM, "GMM k-means init: out of memory");
    mx_status status = mx_kmeans_fit(&km, X, n, w->d, &kcfg, labels, err);
    if (status == MX_OK) {
        memset(w->resp, 0, n * k * sizeof(float));
        for (size_t i = 0; i < n; ++i) w->resp[i * k + (size_t)labels[i]] = 1.0f;
    }
    free(labels);
    mx_kmeans_free(&km);
    return status;
}

static mx_status mx_gmm_init_(mx_gmm *model, mx_gmm_work_ *w, const float *X, const mx_gmm_config *cfg,
                              uint64_t seed, mx_error *err) {
    mx_status status = mx_gmm_initial_resp_(w, X, cfg, seed, err);
    if (status != MX_OK) return status;
    status = mx_gmm_pass_(model, w, X, MX_GMM_MEANS_ONLY_);
    if (status == MX_OK) status = mx_gmm_mstep_(model, w, X, cfg->reg_covar);
    if (status != MX_OK) return mx_error_set(err, status, "GMM init M-step: %s", mx_strerror(status));
    model->n_iter = 0;
    model->converged = 0;
    return MX_OK;
}

/* EM from the model's parameters; run and start for the progress reports. */
static mx_status mx_gmm_em_(mx_gmm *model, mx_gmm_work_ *w, const float *X, const mx_gmm_config *cfg, size_t run,
                            double start, mx_error *err) {
    double previous = -INFINITY, ll;
    model->converged = 0;
    model->n_iter = 0;
    for (size_t it = 1; it <= cfg->max_iter; ++it) {
        mx_status status = mx_gmm_prepare_(model, w, "GMM EM", err);
        if (status != MX_OK) return status;
        if ((status = mx_gmm_estep_(model, w, X, 1, &ll)) != MX_OK ||
            (status = mx_gmm_mstep_(model, w, X, cfg->reg_covar)) != MX_OK)
            return mx_error_set(err, status, "GMM EM iteration %zu: %s", it, mx_strerror(status));
        model->n_iter = it;
        const mx_fit_progress p = {run, it, ll, ll - previous, mx_model_now_() - start};
        if (cfg->callback != NULL && cfg->callback(&p, cfg->callback_context) != 0) break;
        if (fabs(ll - previous) < cfg->tol) {
            model->converged = 1;
            break;
        }
        previous = ll;
    }
    mx_status status = mx_gmm_prepare_(model, w, "GMM EM", err);
    if (status != MX_OK) return status;
    status = mx_gmm_estep_(model, w, X, 0, &model->log_likelihood);
    if (status != MX_OK) return mx_error_set(err, status, "GMM final E-step: %s", mx_strerror(status));
    return MX_OK;
}

static mx_status mx_gmm_check_model_(const mx_gmm *model, const float *X, size_t n, mx_error *err) {
    if (model == NULL || model->weights == NULL || model->means == NULL || model->covariances == NULL)
        return mx_error_set(err, MX_ERR_ARG, "GMM: the model has no parameters");
    mx_status status = mx_gmm_check_shape_(model->k, model->d, model->covariance, err);
    if (status != MX_OK) return status;
    return mx_model_check_data_(X, n, model->d, "GMM data", err);
}

/* What fitting from scratch checks first: the data, the configuration, and
 * a model of the configured shape. */
static mx_status mx_gmm_start_fit_(mx_gmm *model, const float *X, size_t n, size_t d,
                                   const mx_gmm_config *cfg, mx_error *err) {
    if (model == NULL) return mx_error_set(err, MX_ERR_ARG, "GMM: no model given");
    mx_status status = mx_model_check_data_(X, n, d, "GMM data", err);
    if (status == MX_OK) status = mx_gmm_check_config_(cfg, n, d, err);
    if (status == MX_OK) status = mx_gmm_create(model, cfg->k, d, cfg->covariance, err);
    return status;
}

mx_status mx_gmm_init_params(mx_gmm *model, const float *X, size_t n, size_t d, const mx_gmm_config *cfg,
                             mx_error *err) {
    mx_status status = mx_gmm_start_fit_(model, X, n, d, cfg, err);
    if (status != MX_OK) return status;
    mx_gmm_work_ w;
    if ((status = mx_gmm_work_alloc_(&w, n, d, cfg->k, cfg->covariance, 1, err)) != MX_OK) return status;
    status = mx_gmm_init_(model, &w, X, cfg, cfg->seed, err);
    mx_gmm_work_free_(&w);
    return status;
}

mx_status mx_gmm_em(mx_gmm *model, const float *X, size_t n, const mx_gmm_config *cfg, mx_error *err) {
    mx_status status = mx_gmm_check_model_(model, X, n, err);
    if (status == MX_OK) status = mx_gmm_check_config_(cfg, n, model->d, err);
    if (status != MX_OK) return status;
    if (cfg->k != model->k || cfg->covariance != model->covariance)
        return mx_error_set(err, MX_ERR_ARG,
                            "GMM: configuration (k = %zu, %s) does not match the model (k = %zu, %s)", cfg->k,
                            mx_gmm_kind_name_(cfg->covariance), model->k, mx_gmm_kind_name_(model->covariance));
    mx_gmm_work_ w;
    if ((status = mx_gmm_work_alloc_(&w, n, model->d, model->k, model->covariance, 1, err)) != MX_OK)
        return status;
    status = mx_gmm_em_(model, &w, X, cfg, 0, mx_model_now_(), err);
    mx_gmm_work_free_(&w);
    return status;
}

/* Copies a's parameters and results into b (same shape). */
static void mx_gmm_copy_(mx_gmm *b, const mx_gmm *a) {
    memcpy(b->weights, a->weights, a->k * sizeof(float));
    memcpy(b->means, a->means, a->k * a->d * sizeof(float));
    memcpy(b->covariances, a->covariances, mx_gmm_cov_floats_(a->k, a->d, a->covariance) * sizeof(float));
    b->log_likelihood = a->log_likelihood;
    b->n_iter = a->n_iter;
    b->converged = a->converged;
}

mx_status mx_gmm_fit(mx_gmm *model, const float *X, size_t n, size_t d, const mx_gmm_config *cfg,
                     mx_error *err) {
    mx_status status = mx_gmm_start_fit_(model, X, n, d, cfg, err);
    if (status != MX_OK) return status;
    mx_gmm trial = {0};
    mx_gmm_work_ w;
    if ((status = mx_gmm_create(&trial, cfg->k, d, cfg->covariance, err)) != MX_OK) return status;
    if ((status = mx_gmm_work_alloc_(&w, n, d, cfg->k, cfg->covariance, 1, err)) != MX_OK) {
        mx_gmm_free(&trial);
        return status;
    }
    const double start = mx_model_now_();
    model->log_likelihood = -INFINITY;
    for (size_t run = 0; run < cfg->n_init && status == MX_OK; ++run) {
        status = mx_gmm_init_(&trial, &w, X, cfg, mx_model_restart_seed_(cfg->seed, run), err);
        if (status == MX_OK) status = mx_gmm_em_(&trial, &w, X, cfg, run, start, err);
        if (status == MX_OK && (run == 0 || trial.log_likelihood > model->log_likelihood))
            mx_gmm_copy_(model, &trial);
    }
    mx_gmm_work_free_(&w);
    mx_gmm_free(&trial);
    return status;
}

/* An E-step of the model on X into a fresh workspace (caller frees it). */
static mx_status mx_gmm_evaluate_(const mx_gmm *model, const float *X, size_t n, mx_gmm_work_ *w, double *mean,
                                  mx_error *err) {
    mx_status status = mx_gmm_check_model_(model, X, n, err);
    if (status != MX_OK) return status;
    status = mx_gmm_work_alloc_(w, n, model->d, model->k, model->covariance, 0, err);
    if (status != MX_OK) return status;
    status = mx_gmm_prepare_(model, w, "GMM model", err);
    if (status != MX_OK) return status;
    status = mx_gmm_estep_(model, w, X, 0, mean);
    if (status != MX_OK) return mx_error_set(err, status, "GMM E-step: %s", mx_strerror(status));
    return MX_OK;
}

mx_status mx_gmm_predict(const mx_gmm *model, const float *X, size_t n, int32_t *labels, float *resp,
                         mx_error *err) {
    mx_gmm_work_ w;
    double mean;
    memset(&w, 0, sizeof w);
    mx_status status = mx_gmm_evaluate_(model, X, n, &w, &mean, err);
    if (status == MX_OK && resp != NULL) memcpy(resp, w.resp, n * model->k * sizeof(float));
    for (size_t i = 0; status == MX_OK && labels != NULL && i < n; ++i) {
        const float *r = w.resp + i * model->k;
        size_t best = 0;
        for (size_t c = 1; c < model->k; ++c)
            if (r[c] > r[best]) best = c;
        labels[i] = (int32_t)best;
    }
    mx_gmm_work_free_(&w);
    return status;
}

mx_status mx_gmm_score(const mx_gmm *model, const float *X, size_t n, double *mean_log_likelihood,
                       mx_error *err) {
    if (mean_log_likelihood == NULL) return mx_error_set(err, MX_ERR_ARG, "GMM score: no output given");
    mx_gmm_work_ w;
    memset(&w, 0, sizeof w);
    mx_status status = mx_gmm_evaluate_(model, X, n, &w, mean_log_likelihood, err);
    mx_gmm_work_free_(&w);
    return status;
}

/* ---- files ---------------------------------------------------------------------------- */

mx_status mx_gmm_save(const mx_gmm *model, const char *path, mx_error *err) {
    if (model == NULL || model->weights == NULL)
        return mx_error_set(err, MX_ERR_ARG, "%s: no GMM to save", path != NULL ? path : "");
    const size_t k = model->k, d = model->d, dims[3] = {k, d, d};
    const int64_t n_iter = (int64_t)model->n_iter, converged = model->converged;
    const mx_model_array arrays[6] = {
        mx_model_array_make("weights", MX_DTYPE_F32, 1, dims, model->weights),
        mx_model_array_make("means", MX_DTYPE_F32, 2, dims, model->means),
        mx_model_array_make("covariances", MX_DTYPE_F32, model->covariance == MX_GMM_FULL ? 3 : 2, dims,
                            model->covariances),
        mx_model_array_make("log_likelihood", MX_DTYPE_F64, 0, NULL, &model->log_likelihood),
        mx_model_array_make("n_iter", MX_DTYPE_I64, 0, NULL, &n_iter),
        mx_model_array_make("converged", MX_DTYPE_I64, 0, NULL, &converged),
    };
    return mx_model_write(path, "gmm", arrays, 6, err);
}

static int64_t mx_gmm_scalar_i64_(const mx_model_array *a) {
    int64_t v;
    memcpy(&v, a->data, sizeof v);
    return v;
}

mx_status mx_gmm_load(mx_gmm *model, const char *path, mx_error *err) {
    if (model == NULL) return mx_error_set(err, MX_ERR_ARG, "%s: no model to load into", path);
    mx_model_file file;
    mx_status status = mx_model_read(&file, path, "gmm", err);
    if (status != MX_OK) return status;
    const size_t any1[1] = {MX_MODEL_ANY_DIM};
    const mx_model_array *weights, *means = NULL, *cov = NULL, *ll = NULL, *n_iter = NULL, *converged = NULL;
    status = mx_model_get(&file, "weights", MX_DTYPE_F32, 1, any1, &weights, err);
    if (status == MX_OK) {
        const size_t k = weights->dims[0], means_dims[2] = {k, MX_MODEL_ANY_DIM};
        status = mx_model_get(&file, "means", MX_DTYPE_F32, 2, means_dims, &means, err);
    }
    for (size_t i = 0; status == MX_OK && i < file.count; ++i)
        if (strcmp(file.arrays[i].name, "covariances") == 0) cov = &file.arrays[i];
    if (status == MX_OK) {
        const size_t k = means->dims[0], d = means->dims[1], cov_dims[3] = {k, d, d};
        const size_t ndim = cov != NULL && cov->ndim == 3 ? 3 : 2;
        status = mx_model_get(&file, "covariances", MX_DTYPE_F32, ndim, cov_dims, &cov, err);
    }
    if (status == MX_OK) status = mx_model_get(&file, "log_likelihood", MX_DTYPE_F64, 0, NULL, &ll, err);
    if (status == MX_OK) status = mx_model_get(&file, "n_iter", MX_DTYPE_I64, 0, NULL, &n_iter, err);
    if (status == MX_OK) status = mx_model_get(&file, "converged", MX_DTYPE_I64, 0, NULL, &converged, err);
    mx_error cause = {MX_OK, ""};
    if (status == MX_OK) {
        const mx_gmm_covariance kind = cov->ndim == 3 ? MX_GMM_FULL : MX_GMM_DIAG;
        if (mx_gmm_check_shape_(means->dims[0], means->dims[1], kind, &cause) != MX_OK)
            status = mx_error_set(err, MX_ERR_FORMAT, "%s: %s", path, cause.message);
        else status = mx_gmm_create(model, means->dims[0], means->dims[1], kind, err);
    }
    if (status == MX_OK) {
        memcpy(model->weights, weights->data, model->k * sizeof(float));
        memcpy(model->means, means->data, model->k * model->d * sizeof(float));
        memcpy(model->covariances, cov->data,
               mx_gmm_cov_floats_(model->k, model->d, model->covariance) * sizeof(float));
        memcpy(&model->log_likelihood, ll->data, sizeof(double));
        model->n_iter = mx_gmm_scalar_i64_(n_iter) > 0 ? (size_t)mx_gmm_scalar_i64_(n_iter) : 0;
        model->converged = mx_gmm_scalar_i64_(converged) != 0;
        mx_gmm_work_ w;
        status = mx_gmm_work_alloc_(&w, 1, model->d, model->k, model->covariance, 0, err);
        if (status == MX_OK) {
            if (mx_gmm_prepare_(model, &w, "GMM parameters", &cause) != MX_OK)
                status = mx_error_set(err, MX_ERR_FORMAT, "%s: %s", path, cause.message);
            mx_gmm_work_free_(&w);
        }
        if (status != MX_OK) mx_gmm_free(model);
    }
    mx_model_file_free(&file);
    return status;
}

#endif /* MIXSIMD_MODELS_GMM_IMPLEMENTATION */
