// SHA-256 (FIPS 180-4), for identifying data files such as multiplier tables (no extra library).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace ax {

// Lower-case hex digest of `size` bytes at `data`.
std::string sha256_hex(const void* data, std::size_t size);
inline std::string sha256_hex(const std::string& s) { return sha256_hex(s.data(), s.size()); }

}  // namespace ax
