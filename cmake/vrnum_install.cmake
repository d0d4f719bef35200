# Install and export vrnum::gateway so that embedders can find_package(vrnum).
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

install(TARGETS vrnum_gateway vrnum_options EXPORT vrnum-targets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/vrnum DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT vrnum-targets NAMESPACE vrnum:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/vrnum)
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/vrnumConfig.cmake.in
    ${PROJECT_BINARY_DIR}/vrnumConfig.cmake INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/vrnum)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/vrnumConfigVersion.cmake
    COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/vrnumConfig.cmake ${PROJECT_BINARY_DIR}/vrnumConfigVersion.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/vrnum)
