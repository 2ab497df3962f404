// Factories of every pass in passes.def (one definition per pass file).
#ifndef DSC_PASSES_PASSES_H_
#define DSC_PASSES_PASSES_H_

#include <memory>

#include "passes/pass.h"

namespace dsc::passes {

#define DSC_PASS(factory, name, description) std::unique_ptr<Pass> factory();
#include "passes/passes.def"
#undef DSC_PASS

}  // namespace dsc::passes

#endif  // DSC_PASSES_PASSES_H_
