#ifndef HS_BUILD_ID_H
#define HS_BUILD_ID_H

/// Copies into `out` (at most `capacity` bytes) the linker's build ID (the NT_GNU_BUILD_ID note)
/// of the loaded image whose segments hold `address`; returns its length, or 0 when that image
/// has no build ID (or none holds the address).
int hs_build_id(const void *address, unsigned char *out, int capacity);

#endif
