# The one-way arrows between the parts, enforced by include paths. The source root is on no
# first-party target's include path; each target sees a "view" folder holding links to just the
# parts it may include, so an include that runs backwards (runtime -> codegen, cli -> runtime
# internals, dsl -> codegen) fails to compile. tests/house/layering.py checks the same rules
# textually, so they hold even for a file no target compiles yet.
#
#   dsl/          sees dsl/ and the public ABI headers (<nnc/...>)
#   runtime/      sees runtime/ (not runtime/cli/) and <nnc/...>
#   runtime/cli/  sees runtime/cli/ and <nnc/...> only: it drives a model through the C ABI
#   codegen/      sees codegen/, dsl/ and <nnc/...>
#   nnc (entry)   sees codegen/, dsl/, runtime/cli/ and <nnc/...>
# Tests may see everything (tests/CMakeLists.txt puts the root on their path).

# nnc_include_view(NAME PART...): ${PROJECT_BINARY_DIR}/views/NAME/PART links to the source's PART.
function(nnc_include_view name)
  set(view ${PROJECT_BINARY_DIR}/views/${name})
  foreach(part IN LISTS ARGN)
    get_filename_component(parent ${view}/${part} DIRECTORY)
    file(MAKE_DIRECTORY ${parent})
    if(NOT EXISTS ${view}/${part})
      file(CREATE_LINK ${PROJECT_SOURCE_DIR}/${part} ${view}/${part} SYMBOLIC)
    endif()
  endforeach()
  set(NNC_VIEW_${name} ${view} PARENT_SCOPE)
endfunction()

nnc_include_view(dsl dsl)
nnc_include_view(runtime runtime)
nnc_include_view(cli runtime/cli)
nnc_include_view(codegen codegen dsl)
nnc_include_view(driver codegen dsl runtime/cli)
set(NNC_PUBLIC_INCLUDE_DIR ${PROJECT_SOURCE_DIR}/runtime/include)
