# nnc_add_model(TARGET <name> SOURCE <model.nn>
#               [TARGET_ARCH host|host-cuda|<Halide target>]
#               [SCHEDULER template|Mullapudi2016|Adams2019|Li2018]
#               [SCHEDULE <saved schedule file>]
#               [AUTOTUNE off|cached|quick|thorough])
# nnc_add_model(<name> SOURCE <model.nn> ...)            (the same; the older spelling)
#
# Compiles a .nn file with nnc into <name>.so + <name>.h (+ <name>.graph.json) in the current
# binary folder and defines an imported library target <name>: link it like any library and
# include "<name>.h". Recompiles when the .nn file, the schedule file, nnc or the runtime changes.
# AUTOTUNE (default: the variable NNC_AUTOTUNE where set, else nnc's own default, cached) is
# nnc's --autotune: off keeps a build from measuring layers (nnc's own build sets it).
#
# The same file serves the nnc build tree (the nnc and nnc_runtime targets) and an installed
# package (nncConfig.cmake defines the imported executable nnc::nnc and NNC_RUNTIME_ARCHIVE).
function(nnc_add_model)
  cmake_parse_arguments(ARG "" "TARGET;SOURCE;SCHEDULER;SCHEDULE;TARGET_ARCH;AUTOTUNE" "" ${ARGN})
  set(name "${ARG_TARGET}")
  if(NOT name)
    list(POP_FRONT ARG_UNPARSED_ARGUMENTS name)
  endif()
  if(NOT name)
    message(FATAL_ERROR "nnc_add_model: name the library: nnc_add_model(TARGET my_model SOURCE model.nn)")
  endif()
  if(ARG_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "nnc_add_model(${name}): unknown arguments ${ARG_UNPARSED_ARGUMENTS}; "
                        "expected TARGET, SOURCE, TARGET_ARCH, SCHEDULER, SCHEDULE, AUTOTUNE")
  endif()
  if(NOT ARG_SOURCE)
    message(FATAL_ERROR "nnc_add_model(${name}): SOURCE <model.nn> is required")
  endif()
  get_filename_component(src "${ARG_SOURCE}" ABSOLUTE)
  if(NOT EXISTS "${src}")
    message(FATAL_ERROR "nnc_add_model(${name}): SOURCE ${src} does not exist")
  endif()

  # In the nnc build tree the targets themselves; installed, the imported nnc::nnc.
  if(TARGET nnc::nnc)
    set(nnc_command nnc::nnc)
    set(nnc_depends nnc::nnc ${NNC_RUNTIME_ARCHIVE})
  else()
    set(nnc_command nnc)
    set(nnc_depends nnc nnc_runtime)
  endif()

  set(dir ${CMAKE_CURRENT_BINARY_DIR})
  set(extra)
  if(ARG_TARGET_ARCH)
    list(APPEND extra --target ${ARG_TARGET_ARCH})
  endif()
  if(ARG_SCHEDULER)
    list(APPEND extra --scheduler ${ARG_SCHEDULER})
  endif()
  # "off" is false to if(): compare as strings.
  if("${ARG_AUTOTUNE}" STREQUAL "" AND DEFINED NNC_AUTOTUNE)
    set(ARG_AUTOTUNE "${NNC_AUTOTUNE}")
  endif()
  if(NOT "${ARG_AUTOTUNE}" STREQUAL "")
    list(APPEND extra --autotune=${ARG_AUTOTUNE})
  endif()
  if(ARG_SCHEDULE)
    get_filename_component(schedule "${ARG_SCHEDULE}" ABSOLUTE)
    # A saved schedule (schedules/README.md) is applied with --schedule-file; the file is a
    # dependency, so editing or re-saving it recompiles the model (and it is part of nnc's build
    # cache key). An nnc older than saved schedules is refused at configure time rather than
    # failing with "unknown option" in the build.
    get_property(help_text GLOBAL PROPERTY NNC_DRIVER_HELP_TEXT)
    if(NOT help_text AND TARGET nnc::nnc)
      get_target_property(nnc_exe nnc::nnc IMPORTED_LOCATION)
      execute_process(COMMAND ${nnc_exe} --help OUTPUT_VARIABLE help_text ERROR_VARIABLE help_text)
      set_property(GLOBAL PROPERTY NNC_DRIVER_HELP_TEXT "${help_text}")
    endif()
    if(help_text AND NOT help_text MATCHES "--schedule-file")
      message(FATAL_ERROR "nnc_add_model(${name}): SCHEDULE ${schedule}: this nnc cannot read saved schedules "
                          "(no --schedule-file); leave SCHEDULE out or choose a SCHEDULER")
    endif()
    list(APPEND extra --schedule-file ${schedule})
    list(APPEND nnc_depends ${schedule})
  endif()

  add_custom_command(
    OUTPUT ${dir}/${name}.so ${dir}/${name}.h ${dir}/${name}.graph.json
    COMMAND ${nnc_command} ${src} -o ${dir}/${name}.so --graph-json ${dir}/${name}.graph.json ${extra}
    DEPENDS ${nnc_depends} ${src}
    COMMENT "nnc ${ARG_SOURCE} -> ${name}.so"
    VERBATIM)
  add_custom_target(${name}_library ALL DEPENDS ${dir}/${name}.so)
  add_library(${name} SHARED IMPORTED GLOBAL)
  set_target_properties(${name} PROPERTIES
    IMPORTED_LOCATION ${dir}/${name}.so
    IMPORTED_SONAME ${name}.so
    INTERFACE_INCLUDE_DIRECTORIES ${dir}
    NNC_GRAPH_JSON ${dir}/${name}.graph.json)
  add_dependencies(${name} ${name}_library)
endfunction()
