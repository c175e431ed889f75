# cmake --install: headers, the library and a CMake package, so that a user's project can
#   find_package(axon REQUIRED)
#   target_link_libraries(app PRIVATE axon::axon)
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set_target_properties(axon PROPERTIES
  EXPORT_NAME axon
  INSTALL_RPATH_USE_LINK_PATH ON)
install(TARGETS axon EXPORT axonTargets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR}/include/axon
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/generated/axon/version.h
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/axon)
install(EXPORT axonTargets NAMESPACE axon::
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/axon)
configure_package_config_file(${CMAKE_CURRENT_SOURCE_DIR}/cmake/axonConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/axonConfig.cmake
  INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/axon)
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/axonConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/axonConfig.cmake
              ${CMAKE_CURRENT_BINARY_DIR}/axonConfigVersion.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/axon)
