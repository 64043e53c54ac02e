# Writes OUTPUT (revision.h) with the source tree's `git describe`, or
# "unknown" outside a git checkout; leaves the file alone when unchanged.
set(rev "unknown")
find_package(Git QUIET)
if(GIT_FOUND)
  execute_process(
    COMMAND ${GIT_EXECUTABLE} -C ${SOURCE_DIR} describe --always --dirty --abbrev=12
    OUTPUT_VARIABLE out OUTPUT_STRIP_TRAILING_WHITESPACE
    RESULT_VARIABLE res ERROR_QUIET)
  if(res EQUAL 0 AND out)
    set(rev "${out}")
  endif()
endif()
set(text "#define NPIPE_BENCH_REVISION \"${rev}\"\n")
if(EXISTS ${OUTPUT})
  file(READ ${OUTPUT} old)
endif()
if(NOT "${old}" STREQUAL "${text}")
  file(WRITE ${OUTPUT} "${text}")
endif()
