# Install rules and the CMake package; included at the end of the top-level
# CMakeLists.txt, after the targets qcc, qcc-exec and qcc_runtime exist.
#
#   cmake --install build --prefix P
#
# installs
#   P/bin/qcc, P/bin/qcc-exec
#   P/include/qcc_runtime.h
#   P/lib/libqcc_runtime.a
#   P/lib/pkgconfig/qcc_runtime.pc           (relocatable: paths from ${pcfiledir})
#   P/lib/cmake/qcc/qccConfig.cmake          find_package(qcc): imported targets
#     qccConfigVersion.cmake                 qcc::runtime, qcc::qcc, qcc::qcc-exec
#     qccTargets*.cmake, qccAddModel.cmake   and qcc_add_model() (see there)
# ("lib" is CMAKE_INSTALL_LIBDIR: lib, unless the build was configured with
# CMAKE_INSTALL_PREFIX=/usr on a multiarch system.)

include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(QCC_INSTALL_CMAKEDIR "${CMAKE_INSTALL_LIBDIR}/cmake/qcc" CACHE STRING
    "Where qccConfig.cmake is installed, relative to the prefix")

# The exported name: qcc::runtime.
set_target_properties(qcc_runtime PROPERTIES EXPORT_NAME runtime)
# The installed qcc keeps finding libLLVM when it lives outside the default
# library path (e.g. /usr/lib/llvm-19/lib).
set_target_properties(qcc qcc-exec PROPERTIES INSTALL_RPATH_USE_LINK_PATH ON)
# A sanitized build installs a sanitized libqcc_runtime.a: whoever links it
# needs the sanitizer runtimes too.
set(QCC_PC_EXTRA_LIBS "")
if(ASAN)
  target_link_options(qcc_runtime INTERFACE
                      "$<INSTALL_INTERFACE:-fsanitize=address,undefined>")
  set(QCC_PC_EXTRA_LIBS " -fsanitize=address,undefined")
endif()

install(TARGETS qcc qcc-exec qcc_runtime EXPORT qccTargets
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        PUBLIC_HEADER DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT qccTargets NAMESPACE qcc:: FILE qccTargets.cmake
        DESTINATION ${QCC_INSTALL_CMAKEDIR})

configure_package_config_file(
  ${CMAKE_CURRENT_LIST_DIR}/qccConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/qccConfig.cmake
  INSTALL_DESTINATION ${QCC_INSTALL_CMAKEDIR}
  PATH_VARS CMAKE_INSTALL_BINDIR CMAKE_INSTALL_INCLUDEDIR)
# 0.x: a compiled model's descriptor layout (qcc_runtime.h) may change with
# every minor version.
write_basic_package_version_file(
  ${CMAKE_CURRENT_BINARY_DIR}/qccConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/qccConfig.cmake
              ${CMAKE_CURRENT_BINARY_DIR}/qccConfigVersion.cmake
              ${CMAKE_CURRENT_LIST_DIR}/qccAddModel.cmake
        DESTINATION ${QCC_INSTALL_CMAKEDIR})

# pkg-config: paths relative to the .pc file, so `--prefix` chosen at install
# time works.
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}" OR
   IS_ABSOLUTE "${CMAKE_INSTALL_INCLUDEDIR}")
  set(QCC_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
  set(QCC_PC_LIBDIR "${CMAKE_INSTALL_FULL_LIBDIR}")
  set(QCC_PC_INCLUDEDIR "${CMAKE_INSTALL_FULL_INCLUDEDIR}")
else()
  file(RELATIVE_PATH _qcc_pc_up "/p/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/p")
  string(REGEX REPLACE "/$" "" _qcc_pc_up "${_qcc_pc_up}")
  set(QCC_PC_PREFIX "\${pcfiledir}/${_qcc_pc_up}")
  set(QCC_PC_LIBDIR "\${prefix}/${CMAKE_INSTALL_LIBDIR}")
  set(QCC_PC_INCLUDEDIR "\${prefix}/${CMAKE_INSTALL_INCLUDEDIR}")
endif()
configure_file(${PROJECT_SOURCE_DIR}/runtime/qcc_runtime.pc.in
               ${CMAKE_CURRENT_BINARY_DIR}/qcc_runtime.pc @ONLY)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/qcc_runtime.pc
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

# The ONNX importer (driver/onnx_input.c looks in ../share/qcc/onnx): the
# script and the modules it loads from its own folder.
install(PROGRAMS ${PROJECT_SOURCE_DIR}/frontend/onnx/onnx_import.py
        DESTINATION ${CMAKE_INSTALL_DATADIR}/qcc/onnx)
file(GLOB QCC_ONNX_MODULES ${PROJECT_SOURCE_DIR}/frontend/onnx/onnx_*.py)
list(REMOVE_ITEM QCC_ONNX_MODULES ${PROJECT_SOURCE_DIR}/frontend/onnx/onnx_import.py)
install(FILES ${QCC_ONNX_MODULES} DESTINATION ${CMAKE_INSTALL_DATADIR}/qcc/onnx)
