// Graphviz DOT export of one function: a node per op, arguments and used weights as small
// nodes, operand edges, and one cluster per model layer when value names carry a layer index.
#ifndef DSC_IR_DOT_EXPORT_H_
#define DSC_IR_DOT_EXPORT_H_

#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "ir/module.h"

namespace dsc::ir {

// Op nodes show the op name, each result as "%name : type" and the non-default attributes.
// Edges from local values are labelled with the value ("%h"), edges from weights with the
// operand's role ("w"). Weights are compact boxes named by their checkpoint name; states are
// cylinders (cache_write draws its edge into the state). Renders with `dot -Tsvg`.
std::string ExportDot(const Module& module, const Function& function);

// The layer a name belongs to, if it has a component "layers.N" / "layer.N" / "blocks.N" /
// "block.N" / "blk.N", or a component "lN" / "layerN": "model.layers.3.attn.wq" -> 3.
std::optional<int64_t> LayerOfName(absl::string_view name);

}  // namespace dsc::ir

#endif  // DSC_IR_DOT_EXPORT_H_
