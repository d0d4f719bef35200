# Target-scoped compile options shared by every vrnum target.
add_library(vrnum_options INTERFACE)
target_compile_features(vrnum_options INTERFACE cxx_std_20)
target_compile_options(vrnum_options INTERFACE -Wall -Wextra -Werror -Wno-missing-field-initializers)
if(VRNUM_SANITIZE)
  string(REPLACE ";" "," vrnum_san "${VRNUM_SANITIZE}")
  target_compile_options(vrnum_options INTERFACE -fsanitize=${vrnum_san} -fno-omit-frame-pointer
                                                 -fno-sanitize-recover=all)
  target_link_options(vrnum_options INTERFACE -fsanitize=${vrnum_san})
  if("thread" IN_LIST VRNUM_SANITIZE AND CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    # Asio's fenced blocks use atomic_thread_fence, which GCC warns TSan does not model.
    target_compile_options(vrnum_options INTERFACE -Wno-tsan)
  endif()
endif()
# Boost.Asio without its deprecated interfaces.
target_compile_definitions(vrnum_options INTERFACE BOOST_ASIO_NO_DEPRECATED)
