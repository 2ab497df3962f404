// The IR verifier: checks a whole module and reports the first violated rule, naming the
// function, the op (index and result name), the operand and the rule.
#ifndef DSC_IR_VERIFIER_H_
#define DSC_IR_VERIFIER_H_

#include "absl/status/status.h"
#include "ir/module.h"

namespace dsc::ir {

absl::Status Verify(const Module& module);
absl::Status VerifyFunction(const Module& module, const Function& function);

}  // namespace dsc::ir

#endif  // DSC_IR_VERIFIER_H_
