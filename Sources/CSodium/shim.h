#ifndef WAYPOST_CSODIUM_SHIM_H
#define WAYPOST_CSODIUM_SHIM_H
#include <sodium.h>
#endif
