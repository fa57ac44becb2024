# Fails when a domain's template (po/DOMAIN.pot, po/tipline-responder/DOMAIN.pot) is not what
# xgettext makes of the sources today: a message was added, changed or removed without
# regenerating the template (cmake --build build --target DOMAIN-pot) and merging it into every
# catalog (--target DOMAIN-po-update).
# cmake -DDOMAIN=... -DXGETTEXT=... -DMSGCMP=... -DOPTIONS=... -DSOURCES=... -DSOURCE_DIR=...
#       -DTEMPLATE=... -DSCRATCH=... -P check_template.cmake
foreach(tool XGETTEXT MSGCMP)
  if(NOT ${tool})
    message(FATAL_ERROR "${tool} not found: install Debian's gettext package (scripts/install-deps)")
  endif()
endforeach()
file(MAKE_DIRECTORY ${SCRATCH})
set(fresh ${SCRATCH}/${DOMAIN}.pot)
execute_process(COMMAND ${XGETTEXT} ${OPTIONS} -o ${fresh} ${SOURCES}
                WORKING_DIRECTORY ${SOURCE_DIR} RESULT_VARIABLE rc ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "xgettext failed: ${err}")
endif()
# msgcmp DEF REF fails for each message of REF that DEF lacks: both ways, so the two hold the same.
file(RELATIVE_PATH shown ${SOURCE_DIR} ${TEMPLATE})
foreach(pair "${TEMPLATE};${fresh};the sources have messages ${shown} lacks"
             "${fresh};${TEMPLATE};${shown} has messages the sources no longer have")
  list(GET pair 0 def)
  list(GET pair 1 ref)
  list(GET pair 2 what)
  execute_process(COMMAND ${MSGCMP} --use-untranslated ${def} ${ref}
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${what}:\n${out}\nRegenerate it: cmake --build build --target "
                        "${DOMAIN}-pot, then --target ${DOMAIN}-po-update, and translate.")
  endif()
endforeach()
message(STATUS "${shown} matches the sources")
