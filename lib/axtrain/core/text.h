// Small string helpers shared by error messages and reports.
#pragma once
#include <string>
#include <vector>

namespace ax {

// Levenshtein edit distance.
std::size_t edit_distance(const std::string& a, const std::string& b);
// " (did you mean 'x'?)" for the closest candidate within a small distance, else "".
std::string did_you_mean(const std::string& word, const std::vector<std::string>& candidates);
std::string join(const std::vector<std::string>& items, const std::string& sep);
// Expands ${VAR} and ${VAR:-default} from the environment; the default may itself hold ${...}
// (e.g. ${AXTRAIN_CACHE:-${HOME}/.cache/axtrain}) and is expanded only when used. An unset
// variable without default throws ConfigError naming `where`.
std::string expand_env(const std::string& text, const std::string& where);
// 64-bit FNV-1a hash, and its first `hex_digits` hex digits.
std::uint64_t fnv1a64(const std::string& text);
std::string short_hash(const std::string& text, int hex_digits = 10);

}  // namespace ax
