/* Reference (oracle) for the act family: the textbook formulas in double.
 * Independent of the library: plain C and libm, no SIMD, no SLEEF. Inputs
 * are the float values the kernels see, widened exactly to double. */
#ifndef MIXSIMD_REF_ACT_H
#define MIXSIMD_REF_ACT_H

#include <stddef.h>
#include <stdint.h>

/* ---- activations: forward from x, backward from y (or x for softplus) ---- */
double mx_ref_relu(double x);                                 /* x < 0 ? 0 : x       */
double mx_ref_relu_backward(double y, double dy);             /* y > 0 ? dy : 0      */
double mx_ref_leaky_relu(double x, double slope);             /* x > 0 ? x : slope x */
double mx_ref_leaky_relu_backward(double y, double dy, double slope);
double mx_ref_sigmoid(double x);                              /* 1 / (1 + exp(-x))   */
double mx_ref_sigmoid_backward(double y, double dy);          /* dy y (1 - y)        */
double mx_ref_softplus(double x);                             /* log(1 + exp(x))     */
double mx_ref_softplus_backward(double x, double dy);         /* dy sigmoid(x)       */
double mx_ref_tanh(double x);
double mx_ref_tanh_backward(double y, double dy);             /* dy (1 - y^2)        */

/* ---- losses: per-row sums over D of the element terms --------------------- */
/* BCE with logits: term = max(z,0) - z t + log(1 + exp(-|z|)), grad = sigmoid(z) - t;
 * z = +-inf gives the limit (0 if t matches the sign's target, else +inf). */
void mx_ref_bce_logits(size_t N, size_t D, const float *Z, size_t ldz, const float *T,
                       size_t ldt, double *loss, double *grad);
/* MSE: loss = 0.5 sum (y - t)^2, grad = y - t. grad is N x D with stride D. */
void mx_ref_mse(size_t N, size_t D, const float *Y, size_t ldy, const float *T, size_t ldt,
                double *loss, double *grad);

/* ---- Adam (Kingma & Ba 2015, Algorithm 1; decoupled weight decay) -------- */
typedef struct {
    double A;   /* param (1 - lr lambda)              */
    double U;   /* lr m_hat / (sqrt(v_hat) + eps)     */
    double den; /* sqrt(v') / sqrt(1 - beta2^t) + eps */
    double step;/* lr / (1 - beta1^t)                 */
    double ib;  /* 1 / sqrt(1 - beta2^t)              */
    double Cm;  /* beta1 |m| + (1 - beta1) |g|        */
    double Cv;  /* beta2 v + (1 - beta2) g^2          */
} mx_ref_adam_terms;

/* One step for one element: m, v, param -> m1, v1, param1 (exact in double);
 * terms (may be NULL) receives the magnitudes the error bound uses. */
void mx_ref_adam(double param, double g, double m, double v, double lr, double beta1,
                 double beta2, double eps, double weight_decay, uint64_t t, double *param1,
                 double *m1, double *v1, mx_ref_adam_terms *terms);

#endif
