// The IR text form: one declaration or op per line, dtype and shape on every value,
// attributes in the registry's order, weights by checkpoint name. The parser (parser.h)
// reads it back exactly: Print(Parse(Print(m))) == Print(m).
//
//   module @tiny_a {
//     meta "architecture" = "DeepseekV32ForCausalLM"
//     const @model.norm.weight : bf16[256] = "model.norm.weight" in "model.safetensors" at 1024
//     const @model.layers.0.self_attn.q_a_proj : nvfp4[128,256] {
//       "model.layers.0.self_attn.q_a_proj.weight" in "model.safetensors" at 2048
//       ...
//     }
//     state @kv_latent.0 : f32[256,128]
//     func @prefill[S, P](%tokens: i32[S]) -> (f32[S,2048]) {
//       %h = embedding @model.embed_tokens.weight, %tokens : f32[S,256]
//       %a, %b = split %x {axis = 1, sizes = [128, 16]} : f32[S,128], f32[S,16]
//       cache_write @kv_latent.0, %c {start = P}
//       return %logits
//     }
//   }
#ifndef DSC_IR_PRINTER_H_
#define DSC_IR_PRINTER_H_

#include <string>

#include "absl/container/flat_hash_map.h"
#include "ir/module.h"

namespace dsc::ir {

std::string PrintModule(const Module& module);
std::string PrintFunction(const Module& module, const Function& function);

// "@name" or "@\"odd name\"" for globals and functions.
std::string GlobalName(std::string_view name);

// The names (without '%') the printer gives a function's local values: arguments, then op
// results in order, each keeps its own name if that is an identifier ([A-Za-z0-9_.-]+) not
// used before, else takes the next free number. The proto and DOT exporters use the same
// names, so every form of a module agrees with its text.
absl::flat_hash_map<const Value*, std::string> LocalValueNames(const Function& function);

}  // namespace dsc::ir

#endif  // DSC_IR_PRINTER_H_
