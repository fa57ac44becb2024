# Man pages and bash completion, written by the programs themselves from their option tables
# (tooling/src/manual.cpp; tiplined.conf(5) from server/src/config.cpp's table of keys), so that
# neither can drift from what the programs accept. In English: the build runs them under C.UTF-8.
set(TIPLINE_DOCS_DIR ${PROJECT_BINARY_DIR}/docs-gen)
set(docs_stamp ${TIPLINE_DOCS_DIR}/stamp)
add_custom_command(
  OUTPUT ${docs_stamp}
  COMMAND ${CMAKE_COMMAND} -E rm -rf ${TIPLINE_DOCS_DIR}/man ${TIPLINE_DOCS_DIR}/completion
  COMMAND ${CMAKE_COMMAND} -E env LC_ALL=C.UTF-8 LANGUAGE= $<TARGET_FILE:tiplined> --write-docs ${TIPLINE_DOCS_DIR}
  COMMAND ${CMAKE_COMMAND} -E env LC_ALL=C.UTF-8 LANGUAGE= $<TARGET_FILE:tipline-submit> --write-docs ${TIPLINE_DOCS_DIR}
  COMMAND ${CMAKE_COMMAND} -E env LC_ALL=C.UTF-8 LANGUAGE= $<TARGET_FILE:tipline-responder> --write-docs ${TIPLINE_DOCS_DIR}
  COMMAND ${CMAKE_COMMAND} -E touch ${docs_stamp}
  DEPENDS tiplined tipline-submit tipline-responder
  COMMENT "Writing the man pages and bash completion"
  VERBATIM)
add_custom_target(tipline-docs ALL DEPENDS ${docs_stamp})

foreach(section 1 5 8)
  install(DIRECTORY ${TIPLINE_DOCS_DIR}/man/ DESTINATION ${CMAKE_INSTALL_MANDIR}/man${section}
          FILES_MATCHING PATTERN "*.${section}")
endforeach()
install(DIRECTORY ${TIPLINE_DOCS_DIR}/completion/
        DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions)
