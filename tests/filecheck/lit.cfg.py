# lit configuration for dsc's textual IR tests ("IR text in -> FileCheck out").
import lit.formats

config.name = "dsc"
config.test_format = lit.formats.ShTest(execute_external=False)
config.suffixes = [".ir", ".test"]
config.test_source_root = __file__.rsplit("/", 1)[0]
config.substitutions.append(("%dsc", config.dsc_binary))
config.substitutions.append(("FileCheck", config.filecheck))
config.substitutions.append(("%shared", config.shared_dir))
# Keep lit's Output/ directories in the build tree, not the source tree.
import os
config.test_exec_root = os.path.join(os.path.dirname(config.dsc_binary), "..", "..", "tests", "lit-out")
