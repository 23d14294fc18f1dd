#include "sockdiag_events.h"
#include "sockdiag_policy.h"

/* The Swift reader copies events out of the ring buffer by these sizes; a change to the header
 * that shifts a field must be a deliberate change here too. */
_Static_assert(sizeof(struct sockdiag_sock_addr_event) == 88, "sock_addr event layout changed");
_Static_assert(sizeof(struct sockdiag_egress_event) == 112, "egress event layout changed");
_Static_assert(sizeof(struct sockdiag_socket_slot) == 128, "socket slot layout changed");
_Static_assert(sizeof(struct sockdiag_trace_stats) == 24, "trace stats layout changed");
_Static_assert(sizeof(struct sockdiag_outcome_event) == 104, "outcome event layout changed");
_Static_assert(sizeof(struct sockdiag_socket_record) == 88, "socket snapshot record layout changed");
_Static_assert(sizeof(struct sockdiag_redirect_rule) == 28, "redirect rule layout changed");
_Static_assert(sizeof(struct sockdiag_policy_config) == 8, "policy config layout changed");
_Static_assert(sizeof(struct sockdiag_redirect_event) == 104, "redirect event layout changed");
_Static_assert(sizeof(struct sockdiag_redirect_memory) == 48, "redirect memory layout changed");
