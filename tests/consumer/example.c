/* Responsibilities of 2 points under 3 mixture components, from log-likelihoods. */
#define MIXSIMD_IMPLEMENTATION
#include <mixsimd/mixsimd.h>
#include <stdio.h>
int main(void) {
    float logp[2][3] = {{-1.0f, -2.0f, -3.0f}, {-50.0f, -0.5f, -50.0f}}, lse[2];
    mx_status st = mx_softmax_rows_f32(&logp[0][0], 2, 3, 3, lse);
    if (st != MX_OK) { fprintf(stderr, "mixsimd: %s\n", mx_strerror(st)); return 1; }
    mx_isa isa; mx_isa_active(&isa);
    printf("%s: r0 = %.4f %.4f %.4f, log p(x0) = %.4f\n", mx_isa_name(isa), logp[0][0], logp[0][1], logp[0][2], lse[0]);
    return 0;
}
