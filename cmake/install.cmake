# cmake --install: the nnc compiler, the runtime it links into every model (bin/nnc finds it at
# ../lib/nnc and the headers at ../include: codegen/emit/toolchain.cpp), the public headers, the CMake
# package (find_package(nnc) + nnc_add_model) and nnc.pc.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)
# Fixed relative to bin/ (toolchain.cpp looks there), whatever CMAKE_INSTALL_LIBDIR says.
set(NNC_INSTALL_RUNTIME_DIR lib/nnc)
set(NNC_INSTALL_CMAKE_DIR lib/cmake/nnc)

install(TARGETS nnc RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS nnc_runtime ARCHIVE DESTINATION ${NNC_INSTALL_RUNTIME_DIR})
install(FILES ${PROJECT_SOURCE_DIR}/runtime/exports.map DESTINATION ${NNC_INSTALL_RUNTIME_DIR})
# nnc.h, nnc.hpp, model_desc.h (the generated descriptor includes it) and whatever they include.
install(DIRECTORY ${PROJECT_SOURCE_DIR}/runtime/include/nnc DESTINATION include
        FILES_MATCHING PATTERN "*.h" PATTERN "*.hpp")
# The PyTorch rebuild of an nnc graph (nnc --graph-json), for comparisons such as samples/apps/compare_torch.py.
install(FILES ${PROJECT_SOURCE_DIR}/tests/torch/torch_graph.py DESTINATION ${CMAKE_INSTALL_DATADIR}/nnc/python)

# The shipped tunings (schedules/tunings/<CPU>.json): nnc reads them at ../share/nnc/tunings.
install(DIRECTORY ${PROJECT_SOURCE_DIR}/schedules/tunings DESTINATION ${CMAKE_INSTALL_DATADIR}/nnc
        FILES_MATCHING PATTERN "*.json")

configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/nncConfig.cmake.in
  ${PROJECT_BINARY_DIR}/cmake/nncConfig.cmake
  INSTALL_DESTINATION ${NNC_INSTALL_CMAKE_DIR}
  PATH_VARS CMAKE_INSTALL_BINDIR CMAKE_INSTALL_INCLUDEDIR NNC_INSTALL_RUNTIME_DIR)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/cmake/nncConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/cmake/nncConfig.cmake ${PROJECT_BINARY_DIR}/cmake/nncConfigVersion.cmake
              ${PROJECT_SOURCE_DIR}/codegen/cmake/nnc_add_model.cmake
        DESTINATION ${NNC_INSTALL_CMAKE_DIR})
configure_file(${CMAKE_CURRENT_LIST_DIR}/nnc.pc.in ${PROJECT_BINARY_DIR}/cmake/nnc.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/cmake/nnc.pc DESTINATION ${CMAKE_INSTALL_DATADIR}/pkgconfig)
