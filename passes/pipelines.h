// The default optimization pipelines: one pass list for a prefill function (S tokens) and one
// for decode (one token), and the module pipeline that runs each on its entry function.
#ifndef DSC_PASSES_PIPELINES_H_
#define DSC_PASSES_PIPELINES_H_

#include <string>
#include <vector>

#include "ir/module.h"

namespace dsc::passes {

enum class EntryKind { kPrefill, kDecode };

// Pass names in order (see pipelines.cc for why each sits where it does).
std::vector<std::string> DefaultPassList(EntryKind kind);

// "@prefill(…),@decode(…)": the default list for every entry function of the module (a
// function no op calls). @decode and any function whose arguments are all static get the
// decode list; the others the prefill list.
std::string DefaultPipeline(const ir::Module& module);

}  // namespace dsc::passes

#endif  // DSC_PASSES_PIPELINES_H_
