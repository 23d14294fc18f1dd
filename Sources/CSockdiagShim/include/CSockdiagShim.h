#ifndef CSOCKDIAG_SHIM_H
#define CSOCKDIAG_SHIM_H
#include "sockdiag_events.h"
#include "sockdiag_policy.h"
#include "sockdiag_process.h"
#include "sockdiag_fs.h"
#endif
