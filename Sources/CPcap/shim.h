#ifndef SOCKDIAG_CPCAP_SHIM_H
#define SOCKDIAG_CPCAP_SHIM_H
#include <pcap/pcap.h>
#endif
