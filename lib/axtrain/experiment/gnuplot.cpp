#include "axtrain/experiment/gnuplot.h"

#include <cstdlib>

#include <fmt/format.h>

#include "axtrain/core/files.h"

namespace ax::experiment {

std::string gnuplot_text(const std::string& s) {
  std::string q = "'";
  for (char ch : s) q += ch == '\'' ? std::string("''") : std::string(1, ch);
  return q + "'";
}

std::string draw_png(const std::string& dir, const std::string& name, int width, int height, const std::string& title,
                 const std::string& dat, const std::string& body) {
  make_dirs(dir);
  write_file_atomic(dir + "/" + name + ".dat", dat);
  write_file_atomic(dir + "/" + name + ".gp",
                    fmt::format("set terminal pngcairo size {},{} noenhanced font ',11'\nset output '{}.png'\nset title {}\n{}",
                                width, height, name, gnuplot_text(title), body));
  const std::string cmd = "cd '" + dir + "' && gnuplot " + name + ".gp >/dev/null 2>&1";
  if (std::system(cmd.c_str()) == 0) return fmt::format("\n![{0}]({0}.png)\n", name);
  return fmt::format("\n({}.gp written; gnuplot was not available to draw {}.png)\n", name, name);
}

}  // namespace ax::experiment
