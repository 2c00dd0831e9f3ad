#ifndef WAYPOST_CPROCESSCONTROL_SHIM_H
#define WAYPOST_CPROCESSCONTROL_SHIM_H

// prctl(2) is variadic, and Swift does not import variadic C functions: these wrap the two calls
// Waypost makes (https://man7.org/linux/man-pages/man2/pr_set_dumpable.2const.html).
#ifdef __linux__
#include <sys/prctl.h>

/// prctl(PR_SET_DUMPABLE, value): 0 means no core dump, and no ptrace or /proc/PID/mem access by
/// processes of the same user.
static inline int waypost_set_dumpable(int value) { return prctl(PR_SET_DUMPABLE, (unsigned long)value, 0, 0, 0); }

/// prctl(PR_GET_DUMPABLE): 1 if the process may dump core, 0 if not, -1 on error.
static inline int waypost_get_dumpable(void) { return prctl(PR_GET_DUMPABLE, 0, 0, 0, 0); }
#else
static inline int waypost_set_dumpable(int value) { (void)value; return 0; }
static inline int waypost_get_dumpable(void) { return -1; }
#endif

#endif
