// PCRE2 for the router rules' regexes (Traefik's HostRegexp, PathRegexp, ...). pcre2.h needs the code-unit
// width chosen before inclusion; 8 gives the pcre2_*_8 functions that work on UTF-8 bytes. Swift cannot use
// pcre2.h's name-pasting macros (pcre2_compile -> pcre2_compile_8), so callers use the _8 names directly.
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
