# lit configuration for dsc's textual IR tests ("IR text in -> FileCheck out").
#
# ctest runs `lit.py --param site_config=<build>/tests/lit/lit.site.cfg.py FILE`. lit finds this
# file first (it sits beside the tests), so when the build's site config has not been loaded yet
# we load it here; it sets the paths and loads this file again to do the real configuration.
import os

import lit.formats

if not hasattr(config, "dsc_binary"):
    site_config = lit_config.params.get("site_config")
    if not site_config:
        lit_config.fatal("run through ctest, or pass --param site_config=BUILD/tests/lit/lit.site.cfg.py")
    lit_config.load_config(config, site_config)
else:
    config.name = "dsc"
    config.test_format = lit.formats.ShTest(execute_external=False)
    config.suffixes = [".ir", ".test"]
    config.test_source_root = os.path.dirname(os.path.abspath(__file__))
    # Keep lit's Output/ directories in the build tree, not the source tree; one exec root per
    # ctest (its test_id) so that parallel lit runs never share .lit_test_times.txt.
    test_id = lit_config.params.get("test_id", "all").replace("/", "_")
    config.test_exec_root = os.path.join(os.path.dirname(config.dsc_binary), "..", "..", "tests",
                                         "lit-out", test_id)
    config.substitutions.append(("%dsc", config.dsc_binary))
    config.substitutions.append(("FileCheck", config.filecheck))
    # split-file (LLVM) puts several small inputs in one test file, e.g. one per error case.
    config.substitutions.append(("split-file", os.path.join(os.path.dirname(config.filecheck), "split-file")))
    config.substitutions.append(("%shared", config.shared_dir))
    config.excludes = ["Inputs"]
