// Wall-clock seconds since a steady_clock time point, for the CLI's timings and logs.
#ifndef DSC_TOOLS_DSC_STOPWATCH_H_
#define DSC_TOOLS_DSC_STOPWATCH_H_

#include <chrono>

namespace dsc::cli {

inline double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace dsc::cli

#endif  // DSC_TOOLS_DSC_STOPWATCH_H_
