// Graphviz DOT export: nodes, labels, layer clusters and operand edges of one function.
#include "ir/dot_export.h"

#include <algorithm>
#include <map>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "ir/printer.h"

namespace dsc::ir {
namespace {

constexpr size_t kMaxAttrChars = 28;  // longer attribute values are shortened in labels
constexpr int kMaxAttrs = 4;

// Escapes one label line for a DOT double-quoted string.
std::string Escape(absl::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

// A label from lines: each escaped, joined by DOT's centred line break.
std::string Label(const std::vector<std::string>& lines) {
  return absl::StrJoin(lines, "\\n", [](std::string* o, const std::string& l) { o->append(Escape(l)); });
}

bool AllDigits(absl::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

struct Node {
  std::string id;
  std::string attrs;  // [label=..., shape=...]
  std::optional<int64_t> layer;
};

}  // namespace

std::optional<int64_t> LayerOfName(absl::string_view name) {
  std::vector<absl::string_view> parts = absl::StrSplit(name, '.');
  int64_t n = 0;
  for (size_t i = 0; i < parts.size(); ++i) {
    absl::string_view p = parts[i];
    bool word = p == "layers" || p == "layer" || p == "blocks" || p == "block" || p == "blk";
    if (word && i + 1 < parts.size() && AllDigits(parts[i + 1]) && absl::SimpleAtoi(parts[i + 1], &n)) {
      return n;
    }
    for (absl::string_view prefix : {"layer", "l"}) {
      if (p.size() > prefix.size() && p.substr(0, prefix.size()) == prefix &&
          AllDigits(p.substr(prefix.size())) && absl::SimpleAtoi(p.substr(prefix.size()), &n)) {
        return n;
      }
    }
  }
  return std::nullopt;
}

std::string ExportDot(const Module& module, const Function& f) {
  absl::flat_hash_map<const Value*, std::string> names = LocalValueNames(f);
  absl::flat_hash_map<const Value*, std::string> source;  // value -> node id producing it
  absl::flat_hash_map<const Value*, std::optional<int64_t>> layer_of;  // locals in a layer
  absl::flat_hash_map<const Value*, size_t> global_node;                 // index in `nodes`
  absl::flat_hash_map<const Value*, std::vector<std::optional<int64_t>>> user_layers;
  std::vector<Node> nodes;
  std::vector<std::string> edges;

  for (size_t i = 0; i < f.arguments().size(); ++i) {
    const Value* a = f.argument(static_cast<int>(i));
    Node n{absl::StrCat("a", i), "", LayerOfName(names[a])};
    n.attrs = absl::StrCat("label=\"", Label({absl::StrCat("%", names[a]), a->type().ToString()}),
                           "\", shape=ellipse, style=filled, fillcolor=\"#dbe9f6\"");
    source[a] = n.id;
    if (n.layer) layer_of[a] = n.layer;
    nodes.push_back(std::move(n));
  }
  // Globals get a node only if this function uses them, in module order.
  auto add_globals = [&](const std::vector<std::unique_ptr<Value>>& list, absl::string_view prefix) {
    for (size_t i = 0; i < list.size(); ++i) {
      const Value* g = list[i].get();
      if (f.CountUses(g) == 0) continue;
      Node n{absl::StrCat(prefix, i), "", LayerOfName(g->name())};
      if (g->kind() == Value::Kind::kConstant) {
        n.attrs = absl::StrCat("label=\"", Label({g->name(), g->type().ToString()}),
                               "\", shape=box, style=filled, fillcolor=\"#eeeeee\", fontsize=8, "
                               "height=0.2, margin=\"0.05,0.02\"");
      } else {
        n.attrs = absl::StrCat("label=\"", Label({absl::StrCat("state ", g->name()), g->type().ToString()}),
                               "\", shape=cylinder, style=filled, fillcolor=\"#fde9c9\", fontsize=9");
      }
      source[g] = n.id;
      global_node[g] = nodes.size();
      nodes.push_back(std::move(n));
    }
  };
  add_globals(module.constants(), "c");
  add_globals(module.states(), "s");

  for (size_t i = 0; i < f.ops().size(); ++i) {
    const Operation& op = *f.ops()[i];
    const OpInfo& info = op.info();
    Node n{absl::StrCat("o", i), "", std::nullopt};
    std::optional<int64_t> weight_layer, input_layer;
    std::vector<std::string> lines = {std::string(op.name())};
    for (int r = 0; r < op.num_results(); ++r) {
      lines.push_back(absl::StrCat("%", names[op.result(r)], " : ", op.result(r)->type().ToString()));
      source[op.result(r)] = n.id;
    }
    int shown = 0;
    for (const AttrSpec& spec : info.attrs) {
      auto it = op.attrs().find(spec.name);
      if (it == op.attrs().end() || (spec.default_value && *spec.default_value == it->second)) continue;
      if (++shown > kMaxAttrs) {
        lines.push_back("...");
        break;
      }
      std::string v = AttrToString(it->second);
      if (v.size() > kMaxAttrChars) v = absl::StrCat(v.substr(0, kMaxAttrChars - 3), "...");
      lines.push_back(absl::StrCat(spec.name, " = ", v));
    }
    // The layer of an op: its result's name says it; else the weights it reads (if they
    // agree); an op without weights follows the latest layer of its local inputs (so a
    // residual add joins the layer whose output it adds, while the final norm and head,
    // which read unlayered weights, stay outside). States do not count as weights.
    if (op.num_results() > 0) n.layer = LayerOfName(names[op.result(0)]);
    bool reads_globals = false, conflict = false;
    for (const Value* v : op.operands()) {
      std::optional<int64_t> l;
      if (v->kind() == Value::Kind::kConstant) {
        reads_globals = true;
        l = LayerOfName(v->name());
        if (l && weight_layer && *l != *weight_layer) conflict = true;
        if (l) weight_layer = l;
      } else if (v->kind() == Value::Kind::kState) {
        for (const std::optional<int64_t>& l : user_layers[v]) {  // earlier users, e.g. the write
          if (l) input_layer = std::max(input_layer.value_or(*l), *l);
        }
      } else if (auto it = layer_of.find(v); it != layer_of.end()) {
        input_layer = std::max(input_layer.value_or(*it->second), *it->second);
      }
    }
    if (!n.layer && op.code() != OpCode::kReturn) {
      n.layer = reads_globals ? (conflict ? std::nullopt : weight_layer) : input_layer;
    }
    for (int r = 0; r < op.num_results(); ++r) {
      if (n.layer) layer_of[op.result(r)] = n.layer;
    }
    bool is_return = op.code() == OpCode::kReturn;
    n.attrs = absl::StrCat("label=\"", Label(lines), "\"",
                           is_return ? ", shape=octagon, style=filled, fillcolor=\"#d5f0d5\"" : "");
    for (int j = 0; j < op.num_operands(); ++j) {
      const Value* v = op.operand(j);
      if (v->is_global()) user_layers[v].push_back(n.layer);
      auto it = source.find(v);
      if (it == source.end()) continue;  // not in this function: the verifier reports it
      std::string role(info.operands.empty()
                           ? ""
                           : info.operands[std::min<size_t>(j, info.operands.size() - 1)]);
      std::string label = v->is_global() ? role : absl::StrCat("%", names[v]);
      if (v->kind() == Value::Kind::kState && op.code() == OpCode::kCacheWrite) {
        edges.push_back(absl::StrCat(n.id, " -> ", it->second, " [label=\"write\", style=dashed]"));
      } else {
        edges.push_back(absl::StrCat(it->second, " -> ", n.id, " [label=\"", Escape(label), "\"]"));
      }
    }
    nodes.push_back(std::move(n));
  }

  // A weight or state without a layer in its name joins the layer of its users if they agree
  // (a KV cache "kv.3" read and written only by layer 3).
  for (const auto& [g, index] : global_node) {
    const std::vector<std::optional<int64_t>>& users = user_layers[g];
    if (nodes[index].layer || users.empty() || !users[0]) continue;
    if (std::all_of(users.begin(), users.end(), [&](const auto& l) { return l == users[0]; })) {
      nodes[index].layer = users[0];
    }
  }

  std::string out = absl::StrCat("digraph \"", Escape(f.name()), "\" {\n");
  std::string title = absl::StrCat(GlobalName(f.name()),
                                   f.symbols().empty() ? "" : absl::StrCat("[", absl::StrJoin(f.symbols(), ", "), "]"),
                                   " of module ", GlobalName(module.name()));
  absl::StrAppend(&out, "  graph [rankdir=TB, labelloc=t, fontname=\"Helvetica\", label=\"", Escape(title), "\"];\n",
                  "  node [shape=box, style=rounded, fontname=\"Helvetica\", fontsize=10];\n",
                  "  edge [fontname=\"Helvetica\", fontsize=8, color=\"#666666\"];\n");
  std::map<int64_t, std::vector<const Node*>> clusters;
  for (const Node& n : nodes) {
    if (n.layer) {
      clusters[*n.layer].push_back(&n);
    } else {
      absl::StrAppend(&out, "  ", n.id, " [", n.attrs, "];\n");
    }
  }
  for (const auto& [layer, members] : clusters) {
    absl::StrAppend(&out, "  subgraph cluster_layer_", layer, " {\n    label=\"layer ", layer,
                    "\"; style=dashed; color=\"#999999\";\n");
    for (const Node* n : members) absl::StrAppend(&out, "    ", n->id, " [", n->attrs, "];\n");
    absl::StrAppend(&out, "  }\n");
  }
  for (const std::string& e : edges) absl::StrAppend(&out, "  ", e, ";\n");
  absl::StrAppend(&out, "}\n");
  return out;
}

}  // namespace dsc::ir
