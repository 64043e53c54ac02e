/*
 * inherit.h — handle inheritance for CreateProcess (NP_OP_INHERIT).
 *
 * A parent that has forked a child, and holds it stopped before its exec,
 * asks the broker to make the child a process now, with a copy of every
 * handle the parent marked inheritable, at the same handle values.  When
 * the child (a program linked with libnpipe) attaches, it finds its
 * process object and those handles waiting; a plain Linux child never
 * attaches, and its copies are closed when it exits, as Windows closes a
 * process's handles.  See src/ps/inherit.c.
 */
#ifndef NPIPE_PS_INHERIT_H
#define NPIPE_PS_INHERIT_H

#include "ps/ps.h"

struct np_request;

/* NP_OP_INHERIT: args.session.pid names the child.  Replies with the
 * status and, on success, information = the broker's instance id. */
void ps_dispatch_inherit(PETHREAD thread, const struct np_request *req);

/* Provided by the transport (listener.c): watch a process's pidfd so that
 * its rundown happens when it exits, as for a process that attached. */
void transport_watch_process(PEPROCESS process);

#endif /* NPIPE_PS_INHERIT_H */
