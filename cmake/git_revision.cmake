# Run at every build (target axtrain_git_revision): writes OUT with the checkout's revision, and
# touches it only when the revision changes, so a new commit recompiles one file (report/host.cpp).
#   cmake -DSRC=<source dir> -DOUT=<header> -P cmake/git_revision.cmake
execute_process(COMMAND git rev-parse --short=12 HEAD WORKING_DIRECTORY ${SRC}
  OUTPUT_VARIABLE rev OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
if(NOT rev)
  set(rev "unknown")
endif()
execute_process(COMMAND git status --porcelain --untracked-files=no WORKING_DIRECTORY ${SRC}
  OUTPUT_VARIABLE changes OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
if(changes)
  string(APPEND rev "-dirty")
endif()
set(text "// Generated at build time by cmake/git_revision.cmake.\n#pragma once\n#define AXTRAIN_GIT_REVISION \"${rev}\"\n")
if(EXISTS ${OUT})
  file(READ ${OUT} old)
endif()
if(NOT old STREQUAL text)
  file(WRITE ${OUT} "${text}")
endif()
