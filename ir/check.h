// DSC_CHECK: aborts with a message on a programmer error (never on bad user input, which gets
// an absl::Status). The Debian abseil (20220623) predates ABSL_CHECK.
#ifndef DSC_IR_CHECK_H_
#define DSC_IR_CHECK_H_

#include <cstdio>
#include <cstdlib>

#define DSC_CHECK(cond, msg)                                                       \
  do {                                                                             \
    if (!(cond)) {                                                                 \
      std::fprintf(stderr, "%s:%d: check failed: %s: %s\n", __FILE__, __LINE__, #cond, \
                   std::string(msg).c_str());                                      \
      std::abort();                                                                \
    }                                                                              \
  } while (0)

#endif  // DSC_IR_CHECK_H_
