// bench/cbench.cc — the C++ side of the C shim over Google Benchmark 1.7
// (see cbench.h), and the benchmark program's main().
#include "cbench.h"

#include <benchmark/benchmark.h>

#include <cstdint>

namespace {

benchmark::State &state_of(cbench_state *st) { return *reinterpret_cast<benchmark::State *>(st); }
const benchmark::State &state_of(const cbench_state *st) {
    return *reinterpret_cast<const benchmark::State *>(st);
}
benchmark::internal::Benchmark *bench_of(cbench_bench *b) {
    return reinterpret_cast<benchmark::internal::Benchmark *>(b);
}

// cbench's flag bits -> Google Benchmark's (whose kInvert is 1 << 31).
benchmark::Counter::Flags translate_flags(unsigned flags) {
    unsigned out = benchmark::Counter::kDefaults;
    if (flags & CBENCH_RATE) out |= benchmark::Counter::kIsRate;
    if (flags & CBENCH_PER_ITERATION) out |= benchmark::Counter::kIsIterationInvariant;
    if (flags & CBENCH_AVG_THREADS) out |= benchmark::Counter::kAvgThreads;
    if (flags & CBENCH_INVERT) out |= benchmark::Counter::kInvert;
    return static_cast<benchmark::Counter::Flags>(out);
}

}  // namespace

extern "C" {

cbench_bench *cbench_register(const char *name, cbench_fn fn, void *ctx) {
    if (name == nullptr || fn == nullptr) return nullptr;
    benchmark::internal::Benchmark *b = benchmark::RegisterBenchmark(
        name, [fn, ctx](benchmark::State &s) { fn(reinterpret_cast<cbench_state *>(&s), ctx); });
    b->UseRealTime();
    return reinterpret_cast<cbench_bench *>(b);
}

void cbench_arg(cbench_bench *b, int64_t value) { bench_of(b)->Arg(value); }
void cbench_arg_name(cbench_bench *b, const char *arg_name) { bench_of(b)->ArgName(arg_name); }

int cbench_keep_running(cbench_state *st) { return state_of(st).KeepRunning() ? 1 : 0; }
int64_t cbench_range(const cbench_state *st, int i) {
    return state_of(st).range(static_cast<std::size_t>(i));
}

void cbench_set_items_processed(cbench_state *st, double items_per_iteration) {
    benchmark::State &s = state_of(st);
    s.SetItemsProcessed(static_cast<int64_t>(items_per_iteration * static_cast<double>(s.iterations())));
}
void cbench_set_bytes_processed(cbench_state *st, double bytes_per_iteration) {
    benchmark::State &s = state_of(st);
    s.SetBytesProcessed(static_cast<int64_t>(bytes_per_iteration * static_cast<double>(s.iterations())));
}
void cbench_set_flops(cbench_state *st, double flops_per_iteration) {
    cbench_counter(st, "flops", flops_per_iteration, CBENCH_RATE | CBENCH_PER_ITERATION);
}

void cbench_counter(cbench_state *st, const char *name, double value, unsigned flags) {
    state_of(st).counters[name] = benchmark::Counter(value, translate_flags(flags));
}
void cbench_set_label(cbench_state *st, const char *label) { state_of(st).SetLabel(label); }
void cbench_skip(cbench_state *st, const char *message) { state_of(st).SkipWithError(message); }

void cbench_add_context(const char *key, const char *value) {
    benchmark::AddCustomContext(key, value);
}

}  // extern "C"

int main(int argc, char **argv) {
    cbench_setup(argc, argv);
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    cbench_register_all();
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
