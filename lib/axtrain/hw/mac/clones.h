// Function multiversioning for the hot kernels: built for x86-64-v4 (AVX-512), x86-64-v3 (AVX2,
// FMA) and the baseline, the best one picked at load time by the CPU (machines differ: AVX2 only
// on some, AVX-512 on others). Off with clang, off x86-64, or with AX_NO_CLONES.
#pragma once

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(AX_NO_CLONES)
#define AX_CLONES_V4_V3 __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define AX_CLONES_V4_V3
#endif
