# qcc_add_model(): compile a model with qcc at build time and link it like a
# library. Included by qccConfig.cmake (needs the imported targets qcc::qcc
# and qcc::runtime).
#
#   qcc_add_model(<target> <model.yaml | model.onnx | model.qir>
#                 [NAME <prefix>]
#                 [TARGET_ISA avx512amx|avx512vnni|avx2|generic|native|multi|
#                             avx512vnni-emulated|avx512amx-emulated]
#                 [QUANT none|static|dynamic]
#                 [CALIB <input>=<file.npy or folder> ...]
#                 [OPTIONS <more qcc compile options> ...]
#                 [DEPENDS <file> ...]
#                 [OUTPUT_DIR <dir>])
#
# Adds a custom command that runs `qcc compile` when the model changes, writing
#   <OUTPUT_DIR>/<prefix>.o, <prefix>.h and lib<prefix>.so
# (OUTPUT_DIR defaults to ${CMAKE_CURRENT_BINARY_DIR}/qcc/<target>), and a
# STATIC library <target> holding <prefix>.o. Linking <target> puts
# OUTPUT_DIR on the include path (#include "<prefix>.h") and links
# qcc::runtime and libm.
#
#   <prefix>   the header's name and the symbols' prefix (<prefix>_run,
#              <prefix>_run_parallel, <prefix>_info, <PREFIX>_..._SIZE);
#              default: <target>, made a C identifier.
#   TARGET_ISA qcc's --target (default: qcc's own, the best fixed target of
#              the compiling CPU: avx512vnni, avx2 or generic).
#   QUANT      none (default: a float model), static (int8, calibrated on
#              CALIB; OPTIONS may add --calib-method=..., --load-profile=...),
#              or dynamic.
#   CALIB      --calib <input>=<path>; relative paths are from
#              CMAKE_CURRENT_SOURCE_DIR, like the model's.
# An .onnx model is imported inside `qcc compile` (docs/onnx.md; it needs a
# Python with python3-onnx); ONNX external data files are not tracked: name
# them in DEPENDS. The model is recompiled when the model file, a weights
# file it names (`file:` entries of a YAML model), a CALIB file, a DEPENDS
# file or qcc itself changes. The target's properties QCC_HEADER, QCC_OBJECT,
# QCC_SHARED_LIBRARY and QCC_PREFIX give the generated files and the prefix.

include_guard(GLOBAL)

function(qcc_add_model target model)
  cmake_parse_arguments(PARSE_ARGV 2 arg ""
                        "NAME;TARGET_ISA;QUANT;OUTPUT_DIR"
                        "CALIB;OPTIONS;DEPENDS")
  set(fn "qcc_add_model(${target})")
  if(arg_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "${fn}: unexpected arguments: ${arg_UNPARSED_ARGUMENTS}")
  endif()
  if(arg_KEYWORDS_MISSING_VALUES)
    message(FATAL_ERROR "${fn}: ${arg_KEYWORDS_MISSING_VALUES} needs a value")
  endif()
  if(NOT TARGET qcc::qcc OR NOT TARGET qcc::runtime)
    message(FATAL_ERROR "${fn}: qcc::qcc and qcc::runtime are missing; "
                        "call find_package(qcc) first")
  endif()
  get_filename_component(model "${model}" ABSOLUTE
                         BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
  if(NOT EXISTS "${model}" OR IS_DIRECTORY "${model}")
    message(FATAL_ERROR "${fn}: no model file ${model}")
  endif()

  if(NOT DEFINED arg_NAME)
    set(arg_NAME "${target}")
  endif()
  string(MAKE_C_IDENTIFIER "${arg_NAME}" prefix)
  if(DEFINED arg_OUTPUT_DIR)
    get_filename_component(outdir "${arg_OUTPUT_DIR}" ABSOLUTE
                           BASE_DIR "${CMAKE_CURRENT_BINARY_DIR}")
  else()
    set(outdir "${CMAKE_CURRENT_BINARY_DIR}/qcc/${target}")
  endif()

  set(args "")
  set(deps "${model}")
  if(DEFINED arg_TARGET_ISA)
    set(isas avx512amx avx512vnni avx2 generic native multi
             avx512vnni-emulated avx512amx-emulated)
    if(NOT arg_TARGET_ISA IN_LIST isas)
      list(JOIN isas ", " isas)
      message(FATAL_ERROR "${fn}: TARGET_ISA '${arg_TARGET_ISA}' is not one of "
                          "${isas}")
    endif()
    list(APPEND args "--target=${arg_TARGET_ISA}")
  endif()
  if(DEFINED arg_QUANT)
    if(NOT arg_QUANT MATCHES "^(none|static|dynamic)$")
      message(FATAL_ERROR "${fn}: QUANT '${arg_QUANT}' is not none, static "
                          "or dynamic")
    endif()
    list(APPEND args "--quant=${arg_QUANT}")
    if(arg_QUANT STREQUAL "static" AND NOT arg_CALIB AND
       NOT "${arg_OPTIONS}" MATCHES "--load-profile")
      message(FATAL_ERROR "${fn}: QUANT static needs CALIB <input>=<path> "
                          "(or OPTIONS --load-profile=FILE)")
    endif()
  endif()
  foreach(c IN LISTS arg_CALIB)
    if(NOT c MATCHES "^([^=]+)=(.+)$")
      message(FATAL_ERROR "${fn}: CALIB takes <input>=<path>, got '${c}'")
    endif()
    set(input "${CMAKE_MATCH_1}")
    get_filename_component(path "${CMAKE_MATCH_2}" ABSOLUTE
                           BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
    if(IS_DIRECTORY "${path}")
      file(GLOB files CONFIGURE_DEPENDS "${path}/*.npy")
      list(APPEND deps ${files})
    else()
      list(APPEND deps "${path}")
    endif()
    list(APPEND args --calib "${input}=${path}")
  endforeach()
  list(APPEND args ${arg_OPTIONS})
  foreach(d IN LISTS arg_DEPENDS)
    get_filename_component(d "${d}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
    list(APPEND deps "${d}")
  endforeach()

  # Weights files a YAML model names (`file: weights/w.npy`, relative to the
  # model's folder); re-read whenever the model changes.
  if(model MATCHES "\\.(yaml|yml)$")
    set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${model}")
    get_filename_component(model_dir "${model}" DIRECTORY)
    file(READ "${model}" text)
    string(REGEX MATCHALL "[\n{, \t]file:[ \t]*(\"[^\"\n]*\"|'[^'\n]*'|[^,}#\n \t]+)"
           refs "${text}")
    foreach(r IN LISTS refs)
      string(REGEX REPLACE "^[\n{, \t]file:[ \t]*" "" r "${r}")
      string(REGEX REPLACE "^[\"'](.*)[\"']$" "\\1" r "${r}")
      get_filename_component(r "${r}" ABSOLUTE BASE_DIR "${model_dir}")
      if(EXISTS "${r}")
        list(APPEND deps "${r}")
      endif()
    endforeach()
  endif()
  list(REMOVE_DUPLICATES deps)

  set(obj "${outdir}/${prefix}.o")
  set(hdr "${outdir}/${prefix}.h")
  set(so "${outdir}/lib${prefix}.so")
  # qcc links lib<prefix>.so with $CC (default cc): use this project's.
  set(env "")
  if(CMAKE_C_COMPILER)
    set(env "CC=${CMAKE_C_COMPILER}")
  endif()
  add_custom_command(
    OUTPUT "${obj}" "${hdr}"
    BYPRODUCTS "${so}"
    COMMAND "${CMAKE_COMMAND}" -E env ${env} "$<TARGET_FILE:qcc::qcc>"
            compile "${model}" -o "${outdir}" "--name=${prefix}" ${args}
    DEPENDS ${deps} "$<TARGET_FILE:qcc::qcc>"
    COMMENT "qcc: compiling ${model} into ${prefix}.o and ${prefix}.h"
    VERBATIM)

  get_property(languages GLOBAL PROPERTY ENABLED_LANGUAGES)
  if("C" IN_LIST languages)
    set(lang C)
  elseif("CXX" IN_LIST languages)
    set(lang CXX)
  else()
    message(FATAL_ERROR "${fn}: enable the C or CXX language first")
  endif()
  set_source_files_properties("${obj}" PROPERTIES EXTERNAL_OBJECT TRUE
                              GENERATED TRUE)
  add_library(${target} STATIC "${obj}" "${hdr}")
  set_target_properties(${target} PROPERTIES
    LINKER_LANGUAGE ${lang}
    QCC_HEADER "${hdr}"
    QCC_OBJECT "${obj}"
    QCC_SHARED_LIBRARY "${so}"
    QCC_PREFIX "${prefix}")
  target_include_directories(${target} PUBLIC "$<BUILD_INTERFACE:${outdir}>")
  target_link_libraries(${target} PUBLIC qcc::runtime)
  if(UNIX AND NOT APPLE)
    target_link_libraries(${target} PUBLIC m)
  endif()
endfunction()
