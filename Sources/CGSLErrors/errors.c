#include "CGSLErrors.h"

#include <string.h>
#include <gsl/gsl_errno.h>

/// The reason of this thread's most recent GSL error, cut at 511 bytes.
static _Thread_local char reason_buffer[512];

static void record_error(const char *reason, const char *file, int line, int gsl_errno) {
    (void)file; (void)line; (void)gsl_errno;
    strncpy(reason_buffer, reason ? reason : "", sizeof reason_buffer - 1);
    reason_buffer[sizeof reason_buffer - 1] = '\0';
}

void hs_install_error_handler(void) { gsl_set_error_handler(&record_error); }

const char *hs_last_error_reason(void) { return reason_buffer; }

void hs_clear_error_reason(void) { reason_buffer[0] = '\0'; }
