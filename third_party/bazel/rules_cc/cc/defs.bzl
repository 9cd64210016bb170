"""The C++ rule names that @bazel_tools loads from @rules_cc//cc:defs.bzl.

graphrl builds no C++, but Bazel 4 reads BUILD files that load these names
from here: those of the C++ toolchains it registers by default and resolves
for every target (`@bazel_tools//tools/cpp`, the generated
`@local_config_cc`), `@bazel_tools//tools/jdk`, and that of the py_binary
launcher (`@bazel_tools//src/tools/launcher`). The real rules_cc of that era
only re-exported the native rules, and so does this file.
"""

cc_binary = native.cc_binary
cc_library = native.cc_library
cc_test = native.cc_test
cc_toolchain = native.cc_toolchain
cc_toolchain_suite = native.cc_toolchain_suite
