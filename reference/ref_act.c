/* Reference for the act family: textbook formulas in double (see ref_act.h). */
#include "ref_act.h"

#include <math.h>

double mx_ref_relu(double x) { return x < 0.0 ? 0.0 : x; }
double mx_ref_relu_backward(double y, double dy) { return y > 0.0 ? dy : 0.0; }
double mx_ref_leaky_relu(double x, double slope) { return x > 0.0 ? x : slope * x; }
double mx_ref_leaky_relu_backward(double y, double dy, double slope) {
    return y > 0.0 ? dy : slope * dy;
}

/* In double, exp(-x) overflows only for x < -709, where the float result is 0. */
double mx_ref_sigmoid(double x) { return 1.0 / (1.0 + exp(-x)); }
double mx_ref_sigmoid_backward(double y, double dy) { return dy * y * (1.0 - y); }

/* log(1 + e^x) = max(x, 0) + log(1 + e^-|x|): the same function, without
 * overflow of e^x for large x. */
double mx_ref_softplus(double x) {
    if (isnan(x)) return x;
    return (x > 0.0 ? x : 0.0) + log1p(exp(-fabs(x)));
}
double mx_ref_softplus_backward(double x, double dy) { return dy * mx_ref_sigmoid(x); }

double mx_ref_tanh(double x) { return tanh(x); }
double mx_ref_tanh_backward(double y, double dy) { return dy * (1.0 - y * y); }

static double mx_ref_bce_term(double z, double t) {
    if (isinf(z)) {
        const double target = z > 0 ? 1.0 : 0.0; /* the label the logit is sure of */
        return t == target ? 0.0 : INFINITY;
    }
    return (z > 0.0 ? z : 0.0) - z * t + log1p(exp(-fabs(z)));
}

void mx_ref_bce_logits(size_t N, size_t D, const float *Z, size_t ldz, const float *T,
                       size_t ldt, double *loss, double *grad) {
    for (size_t n = 0; n < N; ++n) {
        double sum = 0.0;
        for (size_t j = 0; j < D; ++j) {
            const double z = Z[n * ldz + j], t = T[n * ldt + j];
            sum += mx_ref_bce_term(z, t);
            if (grad) grad[n * D + j] = mx_ref_sigmoid(z) - t;
        }
        loss[n] = sum;
    }
}

void mx_ref_mse(size_t N, size_t D, const float *Y, size_t ldy, const float *T, size_t ldt,
                double *loss, double *grad) {
    for (size_t n = 0; n < N; ++n) {
        double sum = 0.0;
        for (size_t j = 0; j < D; ++j) {
            const double d = (double)Y[n * ldy + j] - (double)T[n * ldt + j]; /* exact */
            sum += d * d;
            if (grad) grad[n * D + j] = d;
        }
        loss[n] = 0.5 * sum;
    }
}

void mx_ref_adam(double param, double g, double m, double v, double lr, double beta1,
                 double beta2, double eps, double weight_decay, uint64_t t, double *param1,
                 double *m1, double *v1, mx_ref_adam_terms *terms) {
    const double bc1 = 1.0 - pow(beta1, (double)t), bc2 = 1.0 - pow(beta2, (double)t);
    *m1 = beta1 * m + (1.0 - beta1) * g;
    *v1 = beta2 * v + (1.0 - beta2) * g * g;
    const double m_hat = *m1 / bc1, v_hat = *v1 / bc2;
    const double A = param * (1.0 - lr * weight_decay);
    const double U = lr * m_hat / (sqrt(v_hat) + eps);
    *param1 = A - U;
    if (terms) {
        terms->A = A;
        terms->U = U;
        terms->step = lr / bc1;
        terms->ib = 1.0 / sqrt(bc2);
        terms->den = sqrt(*v1) * terms->ib + eps;
        terms->Cm = beta1 * fabs(m) + (1.0 - beta1) * fabs(g);
        terms->Cv = beta2 * v + (1.0 - beta2) * g * g;
    }
}
