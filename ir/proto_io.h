// Conversion between ir::Module and its Protocol Buffers form (ir/dsc_ir.proto), binary and
// textproto. Loading validates every field and then runs the verifier, so a bad or foreign
// proto is an InvalidArgument naming the field at fault, never a crash or an invalid module.
#ifndef DSC_IR_PROTO_IO_H_
#define DSC_IR_PROTO_IO_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "ir/dsc_ir.pb.h"
#include "ir/module.h"

namespace dsc::ir {

// The ir_version this build writes and reads.
inline constexpr uint32_t kIrVersion = 1;

// Value names are the printed ones (LocalValueNames), so the proto reads back to the same text.
proto::ModuleProto ModuleToProto(const Module& module);
// Errors name the field path, e.g. "functions[0].ops[3].operands[1]: undefined local value 'x'".
absl::StatusOr<std::unique_ptr<Module>> ModuleFromProto(const proto::ModuleProto& proto);

// Binary wire format; serialization is deterministic (equal modules give equal bytes).
std::string SerializeModule(const Module& module);
absl::StatusOr<proto::ModuleProto> ParseModuleProto(absl::string_view bytes);

// Text format (google::protobuf::TextFormat). Parse errors are "FILE:LINE:COL: message".
std::string ModuleToTextProto(const Module& module);
absl::StatusOr<proto::ModuleProto> ParseModuleTextProto(absl::string_view text,
                                                        absl::string_view filename = "<input>");

// Bytes or text straight to a verified module.
absl::StatusOr<std::unique_ptr<Module>> ModuleFromBinaryProto(absl::string_view bytes);
absl::StatusOr<std::unique_ptr<Module>> ModuleFromTextProto(absl::string_view text,
                                                            absl::string_view filename = "<input>");

}  // namespace dsc::ir

#endif  // DSC_IR_PROTO_IO_H_
