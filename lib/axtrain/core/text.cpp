#include "axtrain/core/text.h"

#include <cstdint>
#include <cstdlib>

#include <fmt/format.h>

#include "axtrain/core/errors.h"

namespace ax {

std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t sub = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, sub});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::string did_you_mean(const std::string& word, const std::vector<std::string>& candidates) {
  std::string best;
  std::size_t best_d = std::string::npos;
  for (const auto& c : candidates) {
    std::size_t d = edit_distance(word, c);
    if (d < best_d) {
      best_d = d;
      best = c;
    }
  }
  std::size_t limit = std::max<std::size_t>(2, word.size() / 3);
  if (best.empty() || best_d > limit) return "";
  return fmt::format(" (did you mean '{}'?)", best);
}

std::string join(const std::vector<std::string>& items, const std::string& sep) {
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i) out += sep;
    out += items[i];
  }
  return out;
}

namespace {
// Index of the '}' closing the "${" that starts at `open`, skipping nested "${...}" pairs; npos if
// unterminated.
std::size_t closing_brace(const std::string& text, std::size_t open) {
  int depth = 0;
  for (std::size_t i = open; i < text.size(); ++i) {
    if (text[i] == '$' && i + 1 < text.size() && text[i + 1] == '{') {
      ++depth;
      ++i;
    } else if (text[i] == '}' && --depth == 0) {
      return i;
    }
  }
  return std::string::npos;
}
}  // namespace

std::string expand_env(const std::string& text, const std::string& where) {
  std::string out;
  std::size_t i = 0;
  while (i < text.size()) {
    if (text[i] == '$' && i + 1 < text.size() && text[i + 1] == '{') {
      std::size_t end = closing_brace(text, i);
      if (end == std::string::npos)
        throw ConfigError(fmt::format("{}: unterminated '${{' in '{}'", where, text));
      std::string body = text.substr(i + 2, end - i - 2);
      std::string name = body, fallback;
      bool has_fallback = false;
      if (auto p = body.find(":-"); p != std::string::npos) {
        name = body.substr(0, p);
        fallback = body.substr(p + 2);
        has_fallback = true;
      }
      const char* value = std::getenv(name.c_str());
      if (value && *value) {
        out += value;
      } else if (has_fallback) {
        out += expand_env(fallback, where);  // the default may itself hold ${...}
      } else {
        throw ConfigError(fmt::format(
            "{}: environment variable '{}' is not set (in '{}'); set it or write ${{{}:-default}}",
            where, name, text, name));
      }
      i = end + 1;
    } else {
      out += text[i++];
    }
  }
  return out;
}

std::uint64_t fnv1a64(const std::string& text) {
  std::uint64_t h = 1469598103934665603ull;
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

std::string short_hash(const std::string& text, int hex_digits) {
  return fmt::format("{:016x}", fnv1a64(text)).substr(0, static_cast<std::size_t>(hex_digits));
}

}  // namespace ax
