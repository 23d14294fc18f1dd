#ifndef CSOCKDIAG_SHIM_H
#define CSOCKDIAG_SHIM_H
#include "sockdiag_events.h"
#endif
