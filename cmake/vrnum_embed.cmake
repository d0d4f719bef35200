# Embeds files in a C++ source at build time: vrnum_embed(OUTPUT file.cpp HEADER "x.hpp"
# NAMESPACE ns FUNCTION fn BASE_DIR dir FILES a b ...) writes `fn()` returning every file's
# name (relative to BASE_DIR) and bytes. Rebuilt when a listed file changes.
function(vrnum_embed)
  cmake_parse_arguments(E "" "OUTPUT;HEADER;NAMESPACE;FUNCTION;BASE_DIR" "FILES" ${ARGN})
  add_custom_command(
    OUTPUT ${E_OUTPUT}
    COMMAND ${CMAKE_COMMAND} -DOUTPUT=${E_OUTPUT} -DHEADER=${E_HEADER} -DNAMESPACE=${E_NAMESPACE}
            -DFUNCTION=${E_FUNCTION} -DBASE_DIR=${E_BASE_DIR} "-DFILES=${E_FILES}"
            -P ${PROJECT_SOURCE_DIR}/cmake/vrnum_embed_run.cmake
    DEPENDS ${E_FILES} ${PROJECT_SOURCE_DIR}/cmake/vrnum_embed_run.cmake
    COMMENT "Embedding ${E_FUNCTION}"
    VERBATIM)
endfunction()
