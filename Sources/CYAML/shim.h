// libyaml's public API, imported into Swift as the CYAML module (see module.modulemap).
// Only the event API (yaml_parser_*) is used: it streams, so no libyaml document tree is ever built.
#ifndef STOEP_CYAML_SHIM_H
#define STOEP_CYAML_SHIM_H
#include <yaml.h>
#endif
