// Typed errors thrown by library code. apps/axtrain maps them to exit codes:
// ConfigError, DataError and UsageError are bad input (exit 2); IoError (a write failed: full disk,
// file size limit, I/O error) and anything else exit 1; DivergedError (training loss not finite)
// exits 3.
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

// Writing a file failed for a reason outside the input (no space left, file size limit, I/O
// error): the message names the path and the errno text.
struct IoError : Error {
  using Error::Error;
};
// Training diverged (the loss is NaN or infinite): neither bad input nor a bug of ours.
struct DivergedError : Error {
  using Error::Error;
};

}  // namespace ax
