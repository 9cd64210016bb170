"""The Java rule names that @bazel_tools loads from @rules_java//java:defs.bzl.

graphrl builds no Java, but for every target Bazel 4 resolves the toolchains
it registers by default, among them `@bazel_tools//tools/jdk:all`, whose
BUILD file loads these names from here. The real rules_java of that era only
re-exported the native rules, and so does this file.
"""

java_import = native.java_import
java_runtime = native.java_runtime
java_toolchain = native.java_toolchain
