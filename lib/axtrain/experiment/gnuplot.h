// Drawing with gnuplot, run as a program on a written script: <dir>/<name>.dat, <name>.gp → <name>.png.
#pragma once
#include <string>

namespace ax::experiment {

// A single-quoted gnuplot string.
std::string gnuplot_text(const std::string& s);
// Writes the data and the script (terminal, output and title first, then `body`) and runs gnuplot;
// returns the markdown line for table.md: the image, or why there is none.
std::string draw_png(const std::string& dir, const std::string& name, int width, int height, const std::string& title,
                     const std::string& dat, const std::string& body);

}  // namespace ax::experiment
