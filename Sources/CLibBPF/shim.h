#ifndef SOCKDIAG_CLIBBPF_SHIM_H
#define SOCKDIAG_CLIBBPF_SHIM_H
#include <bpf/libbpf.h>
#include <bpf/bpf.h>
#endif
