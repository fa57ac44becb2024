# What `cmake --install` puts where, and so what the Debian packages hold (debian/*.install): the three
# programs. Their message catalogs install themselves (po/CMakeLists.txt), and so do the man pages and
# bash completion (cmake/TiplineDocs.cmake). The server's setup step, units and torrc come from deploy/
# and are installed by the tiplined package alone (debian/tiplined.install, debian/rules): they name
# the paths the package gives them.
install(TARGETS tiplined tipline-submit tipline-responder RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
