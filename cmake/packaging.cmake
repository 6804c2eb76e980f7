# The Debian package (CPack DEB): `cpack -G DEB` in the build directory (after building) makes
# spillway_<version>-<release>_<arch>.deb with
#   /usr/bin/spillway                       the binary (stripped)
#   /etc/spillway/spillway.toml             conffile: every option commented, generated from the option table
#   /lib/systemd/system/spillway.service    the hardened unit (ops/systemd/)
#   /usr/share/spillway/                    Grafana dashboard and Prometheus alert rules, when present in ops/
#   /usr/share/doc/spillway/                README, copyright, changelog
#   /usr/share/man/man1/spillway.1.gz       the manual page (ops/debian/spillway.1)
# and maintainer scripts (ops/debian/) that create the `spillway` system user and /var/lib/spillway (0700).
# Debian 12 paths: units in /lib/systemd/system (bookworm's lintian flags /usr/lib/systemd/system).
# Test: tests/ops/package_test.sh (ctest ops:package, needs root).

set(SPILLWAY_PACKAGE_MAINTAINER "Spillway maintainers <spillway@example.org>" CACHE STRING
    "Maintainer field of the Debian package: \"Name <address>\"")
set(SPILLWAY_PACKAGE_DIR ${CMAKE_BINARY_DIR}/packaging)

# /etc/spillway/spillway.toml: `spillway config example` over ops/debian/spillway.toml (the few values the
# package sets, and the comment block that opens the file). Made by the built binary from the option table,
# so the packaged example lists exactly the options this build knows.
add_custom_command(
  OUTPUT ${SPILLWAY_PACKAGE_DIR}/spillway.toml
  COMMAND sh -c "\"$1\" config example \"$2\" > \"$3\"" sh
          $<TARGET_FILE:spillway> ${CMAKE_SOURCE_DIR}/ops/debian/spillway.toml ${SPILLWAY_PACKAGE_DIR}/spillway.toml
  DEPENDS spillway ${CMAKE_SOURCE_DIR}/ops/debian/spillway.toml
  COMMENT "Generating the packaged /etc/spillway/spillway.toml"
  VERBATIM)

set(SPILLWAY_DEB_RELEASE 1)
set(SPILLWAY_DEB_VERSION "${PROJECT_VERSION}-${SPILLWAY_DEB_RELEASE}")
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${SPILLWAY_PACKAGE_MAINTAINER}")
# TIMESTAMP honours SOURCE_DATE_EPOCH, for a reproducible changelog.
string(TIMESTAMP SPILLWAY_DEB_DATE "%a, %d %b %Y %H:%M:%S +0000" UTC)
configure_file(${CMAKE_SOURCE_DIR}/ops/debian/changelog.in ${SPILLWAY_PACKAGE_DIR}/changelog.Debian @ONLY)
add_custom_command(
  OUTPUT ${SPILLWAY_PACKAGE_DIR}/changelog.Debian.gz
  COMMAND gzip -9nf -k ${SPILLWAY_PACKAGE_DIR}/changelog.Debian
  DEPENDS ${SPILLWAY_PACKAGE_DIR}/changelog.Debian
  VERBATIM)
# spillway(1): Debian policy wants a manual page for every program in /usr/bin (lintian: no-manual-page).
add_custom_command(
  OUTPUT ${SPILLWAY_PACKAGE_DIR}/spillway.1.gz
  COMMAND sh -c "gzip -9n < \"$1\" > \"$2\"" sh ${CMAKE_SOURCE_DIR}/ops/debian/spillway.1 ${SPILLWAY_PACKAGE_DIR}/spillway.1.gz
  DEPENDS ${CMAKE_SOURCE_DIR}/ops/debian/spillway.1
  VERBATIM)
add_custom_target(spillway_package_files ALL
  DEPENDS ${SPILLWAY_PACKAGE_DIR}/spillway.toml ${SPILLWAY_PACKAGE_DIR}/changelog.Debian.gz
          ${SPILLWAY_PACKAGE_DIR}/spillway.1.gz)

# Only what the package installs has install rules: the tests, the emulator and the benchmarks have none.
install(TARGETS spillway RUNTIME DESTINATION bin)
install(FILES ${SPILLWAY_PACKAGE_DIR}/spillway.toml DESTINATION /etc/spillway)
install(FILES ${CMAKE_SOURCE_DIR}/ops/systemd/spillway.service DESTINATION /lib/systemd/system)
install(FILES ${SPILLWAY_PACKAGE_DIR}/spillway.1.gz DESTINATION share/man/man1)
# The dashboard and the alert rules are made by other parts of ops/ and installed when they exist. Looked
# up by a CONFIGURE_DEPENDS glob, so a file added later is packaged by the next build (which re-runs the
# glob) without an explicit re-configure; an absent file leaves no empty directory in the package.
foreach(ops_file grafana/spillway.json prometheus/alerts.yml)
  file(GLOB found CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/ops/${ops_file})
  if(found)
    get_filename_component(ops_subdir ${ops_file} DIRECTORY)
    install(FILES ${found} DESTINATION share/spillway/${ops_subdir})
  endif()
endforeach()
install(FILES ${CMAKE_SOURCE_DIR}/README.md ${CMAKE_SOURCE_DIR}/ops/debian/copyright
              ${SPILLWAY_PACKAGE_DIR}/changelog.Debian.gz
        DESTINATION share/doc/spillway)
# Each override in the file says why it is there.
install(FILES ${CMAKE_SOURCE_DIR}/ops/debian/lintian-overrides DESTINATION share/lintian/overrides RENAME spillway)

file(WRITE ${SPILLWAY_PACKAGE_DIR}/conffiles "/etc/spillway/spillway.toml\n")

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME spillway)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_DEBIAN_PACKAGE_RELEASE ${SPILLWAY_DEB_RELEASE})
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "X API filtered stream to RocksDB and Kafka, exactly once per Post")
# CPack writes the summary as the Description's first line; this is the extended description below it.
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION "Spillway streams the X API v2 filtered stream into RocksDB and,
optionally, Kafka, storing and producing each Post exactly once by id. It
reconnects following X's rules, records and backfills gaps, and exposes
Prometheus metrics.
.
This package runs it as the hardened systemd service spillway.service under
the spillway system user, with its data in /var/lib/spillway.")
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# The shared libraries' packages come from dpkg-shlibdeps; adduser is used by postinst.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${CMAKE_SOURCE_DIR}/ops/debian/postinst ${CMAKE_SOURCE_DIR}/ops/debian/prerm ${CMAKE_SOURCE_DIR}/ops/debian/postrm
    ${SPILLWAY_PACKAGE_DIR}/conffiles)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_STRIP_FILES ON)
set(CPACK_INSTALL_DEFAULT_DIRECTORY_PERMISSIONS
    OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)
include(CPack)
