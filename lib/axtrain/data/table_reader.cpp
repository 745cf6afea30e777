#include "axtrain/data/table_reader.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <sstream>

#include <fmt/format.h>

#include "axtrain/core/errors.h"
#include "axtrain/core/files.h"

namespace ax::data {

namespace {
std::string trim(const std::string& s) {
  std::size_t a = 0, b = s.size();
  while (a < b && std::isspace(static_cast<unsigned char>(s[a]))) ++a;
  while (b > a && std::isspace(static_cast<unsigned char>(s[b - 1]))) --b;
  return s.substr(a, b - a);
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string unquote(const std::string& s) {
  if (s.size() >= 2 && (s.front() == '\'' || s.front() == '"') && s.back() == s.front())
    return s.substr(1, s.size() - 2);
  return s;
}

std::vector<std::string> split_commas(const std::string& line) {
  std::vector<std::string> cells;
  std::string cur;
  char quote = 0;
  for (char c : line) {
    if (quote) {
      if (c == quote) quote = 0;
      cur += c;
    } else if (c == '\'' || c == '"') {
      quote = c;
      cur += c;
    } else if (c == ',') {
      cells.push_back(trim(cur));
      cur.clear();
    } else {
      cur += c;
    }
  }
  cells.push_back(trim(cur));
  return cells;
}

struct Lines {
  explicit Lines(const std::string& file) : in(read_file(file)) {}
  // Next line (without \r\n) into `line`; false at the end.
  bool next(std::string& line) {
    if (!std::getline(in, line)) return false;
    ++number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    return true;
  }
  std::istringstream in;
  std::int64_t number = 0;
};

// A finite number filling the whole cell, or throws naming file:line and the column.
double parse_number(const std::string& cell, const std::string& file, std::int64_t line,
                    const std::string& column) {
  const char* begin = cell.c_str();
  char* end = nullptr;
  errno = 0;
  double v = std::strtod(begin, &end);
  if (cell.empty() || end != begin + cell.size() || !std::isfinite(v) || errno == ERANGE)
    throw DataError(fmt::format("{}:{}: column '{}': '{}' is not a finite number", file, line,
                                column, cell));
  return v;
}

std::int64_t parse_label(const std::string& cell, const std::string& file, std::int64_t line,
                         const std::string& column) {
  double v = parse_number(cell, file, line, column);
  if (v != std::floor(v) || std::fabs(v) > 1e15)
    throw DataError(fmt::format("{}:{}: label column '{}': '{}' is not an integer class", file, line,
                                column, cell));
  if (v < 0)
    throw DataError(fmt::format("{}:{}: label column '{}': '{}' is negative; classes are 0..C-1",
                                file, line, column, cell));
  if (v >= (1 << 20))  // the class count sizes tensors: refuse before allocating them
    throw DataError(fmt::format("{}:{}: label column '{}': class {} is too large; allowed: 0..{} (at most 2^20 classes)",
                                file, line, column, cell, (1 << 20) - 1));
  return static_cast<std::int64_t>(v);
}
}  // namespace

Table read_csv(const std::string& file) {
  Lines lines(file);
  std::string line;
  Table t;
  std::vector<std::string> header;
  while (lines.next(line)) {
    if (trim(line).empty()) continue;
    header = split_commas(line);
    break;
  }
  if (header.empty()) throw DataError(fmt::format("{}: empty file (expected a header row)", file));
  if (header.size() < 2)
    throw DataError(fmt::format("{}:{}: header has {} column; expected features then a label",
                                file, lines.number, header.size()));
  for (std::size_t c = 0; c + 1 < header.size(); ++c) t.feature_names.push_back(unquote(header[c]));
  const std::int64_t header_line = lines.number;
  while (lines.next(line)) {
    if (trim(line).empty()) continue;
    std::vector<std::string> cells = split_commas(line);
    if (cells.size() != header.size())
      throw DataError(fmt::format("{}:{}: {} cells but the header (line {}) has {} columns", file,
                                  lines.number, cells.size(), header_line, header.size()));
    for (std::size_t c = 0; c + 1 < cells.size(); ++c)
      t.x.push_back(parse_number(cells[c], file, lines.number, unquote(header[c])));
    t.y.push_back(parse_label(cells.back(), file, lines.number, unquote(header.back())));
  }
  if (t.y.empty())
    throw DataError(fmt::format("{}: no data rows after the header (line {})", file, header_line));
  return t;
}

namespace {
// "@attribute NAME TYPE": NAME may be quoted and contain spaces.
std::pair<std::string, std::string> attribute_parts(const std::string& rest, const std::string& file,
                                                    std::int64_t line) {
  std::string r = trim(rest);
  std::size_t end;
  if (!r.empty() && (r[0] == '\'' || r[0] == '"')) {
    end = r.find(r[0], 1);
    if (end == std::string::npos)
      throw DataError(fmt::format("{}:{}: unterminated quoted attribute name", file, line));
    ++end;
  } else {
    end = 0;
    while (end < r.size() && !std::isspace(static_cast<unsigned char>(r[end])) && r[end] != '{') ++end;
  }
  std::string type = trim(r.substr(end));
  if (type.empty()) throw DataError(fmt::format("{}:{}: @attribute without a type", file, line));
  return {unquote(r.substr(0, end)), type};
}
}  // namespace

Table read_arff(const std::string& file) {
  Lines lines(file);
  std::string line;
  Table t;
  struct Attr {
    std::string name;
    bool nominal = false;
    std::vector<std::string> values;
    std::int64_t line = 0;
  };
  std::vector<Attr> attrs;
  bool data = false, any = false;
  while (lines.next(line)) {
    std::string s = trim(line);
    if (s.empty() || s[0] == '%') continue;
    any = true;
    if (!data) {
      std::string key = lower(s.substr(0, s.find_first_of(" \t")));
      if (key == "@relation") continue;
      if (key == "@data") {
        if (attrs.size() < 2)
          throw DataError(fmt::format("{}:{}: @data after {} attribute(s); expected numeric "
                                      "features and a nominal class attribute", file, lines.number,
                                      attrs.size()));
        if (!attrs.back().nominal)
          throw DataError(fmt::format("{}:{}: the last attribute '{}' (the class) must be nominal, "
                                      "e.g. {{a, b, c}}", file, attrs.back().line, attrs.back().name));
        for (std::size_t c = 0; c + 1 < attrs.size(); ++c)
          if (attrs[c].nominal)
            throw DataError(fmt::format("{}:{}: attribute '{}' is nominal; only numeric features "
                                        "are supported (the class attribute, last, is nominal)",
                                        file, attrs[c].line, attrs[c].name));
        data = true;
        continue;
      }
      if (key != "@attribute")
        throw DataError(fmt::format("{}:{}: expected @relation, @attribute or @data, found '{}'",
                                    file, lines.number, s.substr(0, 40)));
      auto [name, type] = attribute_parts(s.substr(key.size()), file, lines.number);
      Attr a{name, false, {}, lines.number};
      if (type[0] == '{') {
        if (type.back() != '}')
          throw DataError(fmt::format("{}:{}: nominal type of '{}' lacks the closing '}}'", file,
                                      lines.number, name));
        a.nominal = true;
        for (const auto& v : split_commas(type.substr(1, type.size() - 2))) a.values.push_back(unquote(v));
      } else if (std::string lt = lower(type); lt != "numeric" && lt != "real" && lt != "integer") {
        throw DataError(fmt::format("{}:{}: attribute '{}' has type '{}'; only numeric features "
                                    "(numeric, real, integer) are supported", file, lines.number, name, type));
      }
      attrs.push_back(a);
      continue;
    }
    if (s[0] == '{')
      throw DataError(fmt::format("{}:{}: sparse ARFF rows are not supported", file, lines.number));
    std::vector<std::string> cells = split_commas(s);
    if (cells.size() != attrs.size())
      throw DataError(fmt::format("{}:{}: {} values but {} attributes are declared", file,
                                  lines.number, cells.size(), attrs.size()));
    for (std::size_t c = 0; c < cells.size(); ++c) {
      if (cells[c] == "?")
        throw DataError(fmt::format("{}:{}: attribute '{}': missing values ('?') are not supported",
                                    file, lines.number, attrs[c].name));
      if (c + 1 < cells.size()) t.x.push_back(parse_number(cells[c], file, lines.number, attrs[c].name));
    }
    const auto& cls = attrs.back().values;
    auto it = std::find(cls.begin(), cls.end(), unquote(cells.back()));
    if (it == cls.end())
      throw DataError(fmt::format("{}:{}: class value '{}' is not declared for '{}' (line {})", file,
                                  lines.number, cells.back(), attrs.back().name, attrs.back().line));
    t.y.push_back(it - cls.begin());
  }
  if (!any) throw DataError(fmt::format("{}: empty file", file));
  if (!data) throw DataError(fmt::format("{}: no @data section", file));
  if (t.y.empty()) throw DataError(fmt::format("{}: no data rows after @data", file));
  for (std::size_t c = 0; c + 1 < attrs.size(); ++c) t.feature_names.push_back(attrs[c].name);
  t.declared_classes = static_cast<std::int64_t>(attrs.back().values.size());
  return t;
}

}  // namespace ax::data
