#include "axtrain/hw/sc/kernel.h"

#include <algorithm>
#include <atomic>
#include <cstring>
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
  const std::int64_t ho = g.Hout, wo = g.Wout, hw = g.H * g.W;
  const std::int64_t cg = g.Cg(), og = g.Og(), jn = g.Kg();
  const std::int64_t lanes = A == Accumulate::Xnor ? 1 : 2, row = lanes * og;
  constexpr std::int32_t kWordBits = sizeof(T) * 8;
  std::vector<T> orw(A == Accumulate::Or ? row : 0);
  std::vector<std::int32_t> cnt(A == Accumulate::Or ? 0 : row);
  KernelStats st;
  for (std::int64_t p = p0; p < p1; ++p) {
    const std::int64_t n = p / (ho * wo), oh = (p / wo) % ho, ow = p % wo;
    for (std::int64_t gi = 0; gi < g.groups; ++gi) {
      std::int32_t* out = a.out + ((n * g.O + gi * og) * ho + oh) * wo + ow;
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
          const T* plane = a.acts + ((s * g.N + n) * g.C + gi * cg + cl) * hw;
          for (std::int64_t ky = 0; ky < g.kh; ++ky) {
            const std::int64_t ih = oh * g.stride - g.pad + ky * g.dil;
            if (ih < 0 || ih >= g.H) continue;
            for (std::int64_t kx = 0; kx < g.kw; ++kx) {
              const std::int64_t iw = ow * g.stride - g.pad + kx * g.dil;
              if (iw < 0 || iw >= g.W) continue;
              const T av = plane[ih * g.W + iw];
              ++valid;
              if (A != Accumulate::Xnor && av == 0) {
                ++st.skipped;
                continue;
              }
              const T* __restrict__ wr = wbase + ((cl * g.kh + ky) * g.kw + kx) * row;
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

// Or accumulation in register tiles (see kernel.h). Tasks are blocks of B positions of one group:
// t ∈ [0, groups · blocks).
constexpr std::int64_t kTileRows = 4, kBlock = 32;
constexpr int kVecBytes = 32;

template <class T>
inline __attribute__((always_inline)) KernelStats or_tiles(const Args<T>& a, std::int64_t t0, std::int64_t t1) {
  constexpr int V = kVecBytes / sizeof(T);  // words per vector
  typedef T vec __attribute__((vector_size(kVecBytes)));
  const ConvGeometry& g = a.g;
  const std::int64_t og = g.Og(), jn = g.Kg(), row = 2 * og, L = g.L(), rows = g.rows();
  const std::int64_t blocks = (rows + kBlock - 1) / kBlock, plane = g.N * g.C * g.H * g.W;
  std::vector<T> buf(static_cast<std::size_t>(kBlock * jn));
  std::vector<T> orw(static_cast<std::size_t>(kTileRows * (row + 2 * V)));
  KernelStats st;
  for (std::int64_t t = t0; t < t1; ++t) {
    const std::int64_t gi = t / blocks, r0 = (t % blocks) * kBlock, r1 = std::min(rows, r0 + kBlock);
    std::vector<std::int32_t> sums(static_cast<std::size_t>((r1 - r0) * og), 0);
    // Products inside the image (the rest fall on the padding: 0 words, not processed words).
    std::int64_t valid = 0;
    for (std::int64_t r = r0; r < r1; ++r) valid += mac::in_image_products(g, r);
    st.rows += valid * a.slices;
    st.skipped -= ((r1 - r0) * jn - valid) * a.slices;
    for (int s = 0; s < a.slices; ++s) {
      const T* x = a.acts + s * plane;
      mac::unroll_rows(x, g, gi, r0, r1, buf.data(), T(0));
      std::fill(buf.begin() + (r1 - r0) * jn, buf.end(), T(0));
      for (std::int64_t i = 0; i < (r1 - r0) * jn; ++i) st.skipped += buf[static_cast<std::size_t>(i)] == 0;
      const T* wbase = a.wrows + (gi * a.slices + s) * jn * row;
      for (std::int64_t rt = r0; rt < r1; rt += kTileRows) {
        const T* ab = buf.data() + (rt - r0) * jn;
        // Two vectors of row words per tile: 8 OR accumulators in registers.
        for (std::int64_t v0 = 0; v0 < row; v0 += 2 * V) {
          vec acc[kTileRows][2];
          for (int r = 0; r < kTileRows; ++r) acc[r][0] = acc[r][1] = vec{};
          if (v0 + 2 * V <= row) {
            for (std::int64_t j = 0; j < jn; ++j) {
              vec w0, w1;
              std::memcpy(&w0, wbase + j * row + v0, sizeof w0);
              std::memcpy(&w1, wbase + j * row + v0 + V, sizeof w1);
              for (int r = 0; r < kTileRows; ++r) {
                const T av = ab[r * jn + j];
                acc[r][0] |= av & w0;
                acc[r][1] |= av & w1;
              }
            }
          } else {  // the row's last, partial tile
            const std::size_t n0 = static_cast<std::size_t>(std::min<std::int64_t>(V, row - v0));
            const std::size_t n1 = static_cast<std::size_t>(std::max<std::int64_t>(0, row - v0 - V));
            for (std::int64_t j = 0; j < jn; ++j) {
              vec w0 = vec{}, w1 = vec{};
              std::memcpy(&w0, wbase + j * row + v0, n0 * sizeof(T));
              if (n1) std::memcpy(&w1, wbase + j * row + v0 + V, n1 * sizeof(T));
              for (int r = 0; r < kTileRows; ++r) {
                const T av = ab[r * jn + j];
                acc[r][0] |= av & w0;
                acc[r][1] |= av & w1;
              }
            }
          }
          for (int r = 0; r < kTileRows; ++r) std::memcpy(orw.data() + r * (row + 2 * V) + v0, acc[r], sizeof acc[r]);
        }
        for (int r = 0; r < kTileRows && rt + r < r1; ++r) {
          const T* o = orw.data() + r * (row + 2 * V);
          std::int32_t* dst = sums.data() + (rt + r - r0) * og;
          for (std::int64_t k = 0; k < og; ++k) dst[k] += popcnt(o[k]) - popcnt(o[og + k]);
        }
      }
    }
    for (std::int64_t r = r0; r < r1; ++r) {
      const std::int64_t n = r / L, l = r % L;
      for (std::int64_t k = 0; k < og; ++k)
        a.out[g.out_index(n, gi * og + k, l)] += sums[static_cast<std::size_t>((r - r0) * og + k)];
    }
  }
  return st;
}

AX_SC_CLONES KernelStats or32(const Args<std::uint32_t>& a, std::int64_t b, std::int64_t e) {
  return or_tiles<std::uint32_t>(a, b, e);
}
AX_SC_CLONES KernelStats or64(const Args<std::uint64_t>& a, std::int64_t b, std::int64_t e) {
  return or_tiles<std::uint64_t>(a, b, e);
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
KernelStats run_tiled(const Args<T>& a, F f) {
  const std::int64_t tasks = a.g.groups * ((a.g.rows() + kBlock - 1) / kBlock);
  std::atomic<std::int64_t> rows{0}, skipped{0};
  at::parallel_for(0, tasks, 1, [&](std::int64_t b, std::int64_t e) {
    KernelStats st = f(a, b, e);
    rows += st.rows;
    skipped += st.skipped;
  });
  return {rows.load(), skipped.load()};
}

template <class T, class F>
KernelStats run(const Args<T>& a, F f) {
  const std::int64_t positions = a.g.rows();
  std::atomic<std::int64_t> rows{0}, skipped{0};
  // About 64k row operations per task.
  const std::int64_t per_pos = std::max<std::int64_t>(1, a.g.Kg() * a.g.O * a.slices);
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
    case Accumulate::Or: return detail::run_tiled(a, detail::or32);
    case Accumulate::Count: return detail::run(a, detail::count32);
    case Accumulate::Xnor: return detail::run(a, detail::xnor32);
  }
  return {};
}

KernelStats sc_conv(const ConvGeometry& g, int slices, Accumulate acc, const std::uint64_t* acts,
                    const std::uint64_t* wrows, std::int32_t* out) {
  detail::Args<std::uint64_t> a{g, slices, acts, wrows, out};
  switch (acc) {
    case Accumulate::Or: return detail::run_tiled(a, detail::or64);
    case Accumulate::Count: return detail::run(a, detail::count64);
    case Accumulate::Xnor: return detail::run(a, detail::xnor64);
  }
  return {};
}

}  // namespace ax::hw::sc
