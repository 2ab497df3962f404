// Parser for the IR text form that PrintModule emits (grammar: printer.h, ir/README.md).
// Every op is built through Builder::TryCreate, so the registry checks it as it is read, and
// the whole module is verified at the end: a module that parses is a valid module.
#ifndef DSC_IR_PARSER_H_
#define DSC_IR_PARSER_H_

#include <memory>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "ir/module.h"

namespace dsc::ir {

// Parses one module. Errors are InvalidArgument "FILE:LINE:COL: message", e.g.
// "t.ir:7:19: unknown op 'matmull'" or "t.ir:9:5: 'matmul': last dim of 'x' and dim 1 (in)
// of 'w' must match, got 64 and 32". Round trip: PrintModule(*ParseModule(PrintModule(m)))
// == PrintModule(m), value names included.
absl::StatusOr<std::unique_ptr<Module>> ParseModule(absl::string_view text,
                                                    absl::string_view filename = "<input>");

// Parses a lone type, e.g. "f32[S,7168]" or "nvfp4[256,7168]" (any symbol is accepted).
// Handy in tests and tools; errors are "<type>:1:COL: message".
absl::StatusOr<Type> ParseType(absl::string_view text);

}  // namespace dsc::ir

#endif  // DSC_IR_PARSER_H_
