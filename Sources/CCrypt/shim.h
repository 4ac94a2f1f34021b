// libxcrypt for basicAuth's bcrypt hashes ($2a$/$2b$/$2y$), linked statically by Package.swift
// (-l:libcrypt.a). Only crypt_rn is used: it takes the work area as an untyped buffer, so Swift never imports
// struct crypt_data's 30 KiB char arrays as tuples.
#include <crypt.h>
