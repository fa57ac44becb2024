# Fails when po/tipline-submit.pot is not what xgettext makes of the sources today: a message was
# added, changed or removed without regenerating the template (cmake --build build --target
# tipline-submit-pot) and merging it into every catalog (--target tipline-submit-po-update).
# cmake -DXGETTEXT=... -DMSGCMP=... -DOPTIONS=... -DSOURCES=... -DSOURCE_DIR=... -DTEMPLATE=...
#       -DSCRATCH=... -P check_template.cmake
foreach(tool XGETTEXT MSGCMP)
  if(NOT ${tool})
    message(FATAL_ERROR "${tool} not found: install Debian's gettext package (scripts/install-deps)")
  endif()
endforeach()
file(MAKE_DIRECTORY ${SCRATCH})
set(fresh ${SCRATCH}/tipline-submit.pot)
execute_process(COMMAND ${XGETTEXT} ${OPTIONS} -o ${fresh} ${SOURCES}
                WORKING_DIRECTORY ${SOURCE_DIR} RESULT_VARIABLE rc ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "xgettext failed: ${err}")
endif()
# msgcmp DEF REF fails for each message of REF that DEF lacks: both ways, so the two hold the same.
foreach(pair "${TEMPLATE};${fresh};the sources have messages po/tipline-submit.pot lacks"
             "${fresh};${TEMPLATE};po/tipline-submit.pot has messages the sources no longer have")
  list(GET pair 0 def)
  list(GET pair 1 ref)
  list(GET pair 2 what)
  execute_process(COMMAND ${MSGCMP} --use-untranslated ${def} ${ref}
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${what}:\n${out}\nRegenerate it: cmake --build build --target "
                        "tipline-submit-pot, then --target tipline-submit-po-update, and translate.")
  endif()
endforeach()
message(STATUS "po/tipline-submit.pot matches the sources")
