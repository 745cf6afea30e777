// Typed errors thrown by library code. apps/axtrain maps them to exit codes:
// ConfigError, DataError and UsageError are bad input (exit 2); anything else is internal (exit 1).
#pragma once
#include <stdexcept>
#include <string>

namespace ax {

struct Error : std::runtime_error {
  using std::runtime_error::runtime_error;
};
// A configuration value is wrong: the message names file:line:col, the key path, the value and
// what is allowed.
struct ConfigError : Error {
  using Error::Error;
};
// A data file is missing, corrupt or inconsistent: the message names the file and the problem.
struct DataError : Error {
  using Error::Error;
};
// A command-line argument is wrong.
struct UsageError : Error {
  using Error::Error;
};

}  // namespace ax
