// `axtrain lut from-c`: tabulate a multiplier written in C (e.g. an EvoApproxLib C model) into the
// text table format of table.h, by compiling a tiny driver that calls the function on all
// 2^n × 2^n operand pairs.
//
// The driver #includes the user's file (so the function's own prototype and argument conversions
// apply; the file must not define main), is compiled with the system C compiler (`cc` on PATH,
// or $CC), and runs in a fresh temporary directory that is removed afterwards.
// Signature: `ab` = the first C argument is port A (mul7u_09Y(A, B), mul8u_1JFF(a, b)); `ba` = the
// first argument is port B (EvoApprox 8-bit models mul8u_X(B, A); see
// ../shared/data/multipliers/README.md).
#pragma once
#include <string>

namespace ax::hw::amul {

struct LutFromC {
  std::string source;          // the C file
  std::string function;        // name of the multiplier function in it
  int bits = 8;                // operand width n, 1..8
  bool first_arg_is_a = true;  // --signature ab (true) or ba (false)
  std::string out;             // the table to write (text format with a header line)
  int timeout_s = 120;         // limit of the compile and of the tabulation, each (seconds)
};

// Absolute path of an executable found on PATH, or "" when there is none.
std::string find_on_path(const std::string& name);

// Writes the table; UsageError when no C compiler is found, DataError (with the compiler's
// output) when compilation or the run fails, takes longer than timeout_s (e.g. a function that
// never returns), or the outputs do not fit 2n bits. Failures report the exit status or signal.
void lut_from_c(const LutFromC& request);

}  // namespace ax::hw::amul
