#ifndef NN_SIGNALS_H
#define NN_SIGNALS_H

/// Installs handlers for SIGINT and SIGTERM: the first one only records that it came (the
/// program finishes its current step, saves and exits 130); a second one ends the process at
/// once with status 130. Returns 0, or -1 when a handler could not be installed.
int nn_interrupts_install(void);

/// Whether SIGINT or SIGTERM has arrived since the handlers were installed.
int nn_interrupts_requested(void);

/// Puts back the default handlers.
void nn_interrupts_restore(void);

#endif
