#include "axtrain/hw/sc/kernel.h"

#include <atomic>
#include <vector>

#include <ATen/Parallel.h>

// Multi-versioning of the hot loops: AVX-512 with vector popcount, AVX-512, AVX2, baseline.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && defined(__linux__)
#define AX_SC_CLONES __attribute__((target_clones("arch=icelake-server", "arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define AX_SC_CLONES
#endif

namespace ax::hw::sc {

namespace detail {

template <class T>
struct Args {
  ConvGeometry g;
  int slices;
  const T* acts;
  const T* wrows;
  std::int32_t* out;
};

inline int popcnt(std::uint32_t v) { return __builtin_popcount(v); }
inline int popcnt(std::uint64_t v) { return __builtin_popcountll(v); }

// Output positions [p0, p1) of one call; returns the processed and skipped word counts.
template <class T, Accumulate A>
inline __attribute__((always_inline)) KernelStats conv_range(const Args<T>& a, std::int64_t p0,
                                                              std::int64_t p1) {
  const ConvGeometry& g = a.g;
  const std::int64_t ho = g.out_h(), wo = g.out_w(), hw = g.h * g.w;
  const std::int64_t cg = g.c / g.groups, og = g.o / g.groups, jn = g.products();
  const std::int64_t lanes = A == Accumulate::Xnor ? 1 : 2, row = lanes * og;
  constexpr std::int32_t kWordBits = sizeof(T) * 8;
  std::vector<T> orw(A == Accumulate::Or ? row : 0);
  std::vector<std::int32_t> cnt(A == Accumulate::Or ? 0 : row);
  KernelStats st;
  for (std::int64_t p = p0; p < p1; ++p) {
    const std::int64_t n = p / (ho * wo), oh = (p / wo) % ho, ow = p % wo;
    for (std::int64_t gi = 0; gi < g.groups; ++gi) {
      std::int32_t* out = a.out + ((n * g.o + gi * og) * ho + oh) * wo + ow;
      for (int s = 0; s < a.slices; ++s) {
        T* __restrict__ acc = orw.data();
        std::int32_t* __restrict__ cn = cnt.data();
        for (std::int64_t i = 0; i < row; ++i) {
          if constexpr (A == Accumulate::Or) acc[i] = 0;
          else cn[i] = 0;
        }
        const T* wbase = a.wrows + (gi * a.slices + s) * jn * row;
        std::int32_t valid = 0;
        for (std::int64_t cl = 0; cl < cg; ++cl) {
          const T* plane = a.acts + ((s * g.n + n) * g.c + gi * cg + cl) * hw;
          for (std::int64_t ky = 0; ky < g.k; ++ky) {
            const std::int64_t ih = oh * g.stride - g.pad + ky * g.dilation;
            if (ih < 0 || ih >= g.h) continue;
            for (std::int64_t kx = 0; kx < g.k; ++kx) {
              const std::int64_t iw = ow * g.stride - g.pad + kx * g.dilation;
              if (iw < 0 || iw >= g.w) continue;
              const T av = plane[ih * g.w + iw];
              ++valid;
              if (A != Accumulate::Xnor && av == 0) {
                ++st.skipped;
                continue;
              }
              const T* __restrict__ wr = wbase + ((cl * g.k + ky) * g.k + kx) * row;
              if constexpr (A == Accumulate::Or) {
                for (std::int64_t i = 0; i < row; ++i) acc[i] |= av & wr[i];
              } else if constexpr (A == Accumulate::Count) {
                for (std::int64_t i = 0; i < row; ++i) cn[i] += popcnt(static_cast<T>(av & wr[i]));
              } else {
                for (std::int64_t i = 0; i < row; ++i) cn[i] += popcnt(static_cast<T>(~(av ^ wr[i])));
              }
            }
          }
        }
        st.rows += valid;
        for (std::int64_t o = 0; o < og; ++o) {
          std::int32_t v;
          if constexpr (A == Accumulate::Or) v = popcnt(acc[o]) - popcnt(acc[og + o]);
          else if constexpr (A == Accumulate::Count) v = cn[o] - cn[og + o];
          else v = 2 * cn[o] - kWordBits * valid;
          out[o * ho * wo] += v;
        }
      }
    }
  }
  return st;
}

AX_SC_CLONES KernelStats or32(const Args<std::uint32_t>& a, std::int64_t b, std::int64_t e) {
  return conv_range<std::uint32_t, Accumulate::Or>(a, b, e);
}
AX_SC_CLONES KernelStats or64(const Args<std::uint64_t>& a, std::int64_t b, std::int64_t e) {
  return conv_range<std::uint64_t, Accumulate::Or>(a, b, e);
}
AX_SC_CLONES KernelStats count32(const Args<std::uint32_t>& a, std::int64_t b, std::int64_t e) {
  return conv_range<std::uint32_t, Accumulate::Count>(a, b, e);
}
AX_SC_CLONES KernelStats count64(const Args<std::uint64_t>& a, std::int64_t b, std::int64_t e) {
  return conv_range<std::uint64_t, Accumulate::Count>(a, b, e);
}
AX_SC_CLONES KernelStats xnor32(const Args<std::uint32_t>& a, std::int64_t b, std::int64_t e) {
  return conv_range<std::uint32_t, Accumulate::Xnor>(a, b, e);
}
AX_SC_CLONES KernelStats xnor64(const Args<std::uint64_t>& a, std::int64_t b, std::int64_t e) {
  return conv_range<std::uint64_t, Accumulate::Xnor>(a, b, e);
}

template <class T, class F>
KernelStats run(const Args<T>& a, F f) {
  const std::int64_t positions = a.g.n * a.g.out_h() * a.g.out_w();
  std::atomic<std::int64_t> rows{0}, skipped{0};
  // About 64k row operations per task.
  const std::int64_t per_pos = std::max<std::int64_t>(1, a.g.products() * a.g.o * a.slices);
  const std::int64_t grain = std::max<std::int64_t>(1, 65536 / per_pos);
  at::parallel_for(0, positions, grain, [&](std::int64_t b, std::int64_t e) {
    KernelStats st = f(a, b, e);
    rows += st.rows;
    skipped += st.skipped;
  });
  return {rows.load(), skipped.load()};
}

}  // namespace detail

KernelStats sc_conv(const ConvGeometry& g, int slices, Accumulate acc, const std::uint32_t* acts,
                    const std::uint32_t* wrows, std::int32_t* out) {
  detail::Args<std::uint32_t> a{g, slices, acts, wrows, out};
  switch (acc) {
    case Accumulate::Or: return detail::run(a, detail::or32);
    case Accumulate::Count: return detail::run(a, detail::count32);
    case Accumulate::Xnor: return detail::run(a, detail::xnor32);
  }
  return {};
}

KernelStats sc_conv(const ConvGeometry& g, int slices, Accumulate acc, const std::uint64_t* acts,
                    const std::uint64_t* wrows, std::int32_t* out) {
  detail::Args<std::uint64_t> a{g, slices, acts, wrows, out};
  switch (acc) {
    case Accumulate::Or: return detail::run(a, detail::or64);
    case Accumulate::Count: return detail::run(a, detail::count64);
    case Accumulate::Xnor: return detail::run(a, detail::xnor64);
  }
  return {};
}

}  // namespace ax::hw::sc
