// CLAPACK is declarations only (include/CLAPACK.h); SwiftPM needs one source file in a C target.
#include "CLAPACK.h"
