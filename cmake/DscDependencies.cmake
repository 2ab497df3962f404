# Finds every third-party dependency once (all from Debian 12 packages; see scripts/setup.sh).
find_package(absl REQUIRED CONFIG)
find_package(Protobuf REQUIRED)
find_package(nlohmann_json REQUIRED CONFIG)
find_package(GTest REQUIRED CONFIG)
find_package(benchmark REQUIRED CONFIG)
find_package(dnnl REQUIRED CONFIG)
find_package(PkgConfig REQUIRED)
pkg_check_modules(PCRE2 REQUIRED IMPORTED_TARGET libpcre2-8)
find_package(Threads REQUIRED)

# LLVM 19: only codegen/ and tools/ may link it (runtime never does).
find_package(LLVM REQUIRED CONFIG PATHS /usr/lib/llvm-19/lib/cmake/llvm NO_DEFAULT_PATH)
if(NOT LLVM_VERSION_MAJOR EQUAL 19)
  message(FATAL_ERROR "dsc needs LLVM 19, found ${LLVM_PACKAGE_VERSION}")
endif()
set(DSC_FILECHECK "${LLVM_TOOLS_BINARY_DIR}/FileCheck")
set(DSC_LIT "${LLVM_TOOLS_BINARY_DIR}/../build/utils/lit/lit.py")
if(NOT EXISTS "${DSC_LIT}")
  set(DSC_LIT "/usr/lib/llvm-19/build/utils/lit/lit.py")
endif()
add_library(dsc_llvm INTERFACE)
target_include_directories(dsc_llvm SYSTEM INTERFACE ${LLVM_INCLUDE_DIRS})
target_compile_definitions(dsc_llvm INTERFACE ${LLVM_DEFINITIONS})
# The shared libLLVM links in seconds; the static component libraries take minutes on 2 cores.
target_link_libraries(dsc_llvm INTERFACE LLVM)
target_link_directories(dsc_llvm INTERFACE ${LLVM_LIBRARY_DIRS})

# dsc_library(NAME SRCS...): a static library, or an empty interface library while a folder
# has no sources yet (so the build graph stays valid as folders fill in).
macro(dsc_library name)
  if("${ARGN}" STREQUAL "")
    add_library(${name} INTERFACE)
    set(DSC_${name}_SCOPE INTERFACE)
  else()
    add_library(${name} STATIC ${ARGN})
    set(DSC_${name}_SCOPE PUBLIC)
  endif()
endmacro()
