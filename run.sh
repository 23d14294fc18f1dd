#!/bin/bash
# run.sh OBJ|none PORT MODE
cg=$(awk '$(NF-2) == "cgroup2" { print $5; exit }' /proc/self/mountinfo)/exp-floor
mkdir -p $cg
if [ "$1" != none ]; then
  rm -f ctl; mkfifo ctl
  ./floor $1 $cg < ctl > fl.out & fp=$!
  exec 3> ctl
  for _ in $(seq 200); do grep -q ready fl.out && break; sleep 0.02; done
fi
(echo $BASHPID > $cg/cgroup.procs; exec taskset -c 1 /tmp/exp/loop 20000 $2 $3) | cut -d' ' -f1
if [ "$1" != none ]; then exec 3>&-; wait $fp; fi
