# nnc_add_model(<name> SOURCE <model.nn> [SCHEDULER template|Mullapudi2016|Adams2019|Li2018])
# Compiles a .nn file with nnc into <name>.so + <name>.h in the current binary folder and
# defines an imported library target <name> to link against. Recompiles when the .nn file,
# nnc or the runtime changes.
function(nnc_add_model name)
  cmake_parse_arguments(ARG "" "SOURCE;SCHEDULER" "" ${ARGN})
  if(NOT ARG_SOURCE)
    message(FATAL_ERROR "nnc_add_model(${name}): SOURCE <model.nn> is required")
  endif()
  get_filename_component(src "${ARG_SOURCE}" ABSOLUTE)
  set(dir ${CMAKE_CURRENT_BINARY_DIR})
  set(extra)
  if(ARG_SCHEDULER)
    list(APPEND extra --scheduler ${ARG_SCHEDULER})
  endif()
  add_custom_command(
    OUTPUT ${dir}/${name}.so ${dir}/${name}.h ${dir}/${name}.graph.json
    COMMAND nnc ${src} -o ${dir}/${name}.so --graph-json ${dir}/${name}.graph.json ${extra}
    DEPENDS nnc nnc_runtime ${src}
    COMMENT "nnc ${ARG_SOURCE} -> ${name}.so"
    VERBATIM)
  add_custom_target(${name}_library ALL DEPENDS ${dir}/${name}.so)
  add_library(${name} SHARED IMPORTED GLOBAL)
  set_target_properties(${name} PROPERTIES
    IMPORTED_LOCATION ${dir}/${name}.so
    IMPORTED_SONAME ${name}.so
    INTERFACE_INCLUDE_DIRECTORIES ${dir})
  add_dependencies(${name} ${name}_library)
endfunction()
